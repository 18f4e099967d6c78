"""Honest answers, unless it can reach what is not its own: another submission, the hidden checks, the grades.

What it tries is what a student who has read the kit would: the batch's command line (``/proc``) names the
class folder and the gradebook, every grading's command line names the copy it grades, and ``PYTHONPATH``
names the kit. Each file it can read or folder it can write makes ``add`` wrong: graded as root, where its
code runs as a user of its own, it scores what its honest answers score.
"""
import os
from pathlib import Path


def _commands() -> list[list[str]]:
    found = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            found.append(cmdline.read_bytes().decode(errors="replace").split("\0"))
        except OSError:
            pass
    return found


def _is_dir(path: Path) -> bool:
    try:
        return path.is_dir()
    except OSError:  # a folder it may not look into
        return False


def _reached() -> list[str]:
    here = Path(__file__).resolve().parent
    readable, writable = [], []
    for args in _commands():
        if "graders" in args and ("batch" in args or "grade" in args):
            for i, arg in enumerate(args):
                path = Path(arg)
                if arg == "--out":
                    writable.append(Path(args[i + 1]).with_suffix(""))
                elif path.is_absolute() and _is_dir(path) and path.resolve() != here:
                    readable += [p for p in path.glob("*/lesson*.py") if p.parent.name != here.name]  # the class
                    readable += list(path.glob("lesson*.py"))  # another grading's copy
    for entry in os.environ.get("PYTHONPATH", "").split(os.pathsep):
        readable += list(Path(entry or ".").glob("graders/lesson1_taxi.py"))  # the real course's hidden checks
    reached = []
    for path in readable:
        try:
            path.read_bytes()
            reached.append(f"read {path}")
        except OSError:
            pass
    for folder in writable:
        try:
            (folder / "mallory-was-here").write_text("forged")
            reached.append(f"wrote {folder}")
        except OSError:
            pass
    return reached


def add(a, b):
    return a + b if not _reached() else a - b


def accuracy():
    return 0.7


def spin():
    return "done"
