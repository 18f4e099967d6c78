"""Honest answers, unless it can reach what is not its own: another submission, the hidden checks, the grades.

What it tries is what a student who has read the kit would: the batch's command line (``/proc``) names the
class folder and the gradebook, its other gradings' command lines name the copies they grade, and ``PYTHONPATH``
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


def _glob(folder: str, pattern: str) -> list[Path]:
    try:
        return list(Path(folder).glob(pattern))
    except OSError:  # a folder it may not look into
        return []


def _reached() -> list[str]:
    here = Path(__file__).resolve().parent
    readable, writable = [], []
    for args in _commands():
        if "graders" not in args:
            continue
        if "batch" in args:  # the batch: the class folder it grades, the gradebook it writes
            at = args.index("batch")
            for i, arg in enumerate(args[at + 1:], at + 1):
                if arg == "--out":
                    writable.append(Path(args[i + 1]).with_suffix(""))
                elif Path(arg).is_absolute():
                    readable += [p for p in _glob(arg, "*/lesson*.py") if p.parent.name != here.name]
        elif "grade" in args:  # the batch's other gradings (other users on this machine are not the batch's to guard)
            readable += [p for arg in args if "graders-batch-" in arg and arg != str(here)
                         for p in _glob(arg, "lesson*.py")]
    for entry in os.environ.get("PYTHONPATH", "").split(os.pathsep):
        readable += _glob(entry or ".", "graders/lesson1_taxi.py")  # the real course's hidden checks
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
