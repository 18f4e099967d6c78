"""What runs inside Gradescope's container: ``python -m graders.engine.commands.autograder setup|run``.

``setup`` (once, from ``setup.sh``, when Gradescope builds the image) builds every data fixture the
graders read, public and hidden, so that no submission pays for it. ``run`` (from ``run_autograder``,
once per submission) finds the lesson files wherever the student put them, grades them with ``python
-m graders grade`` and writes ``results/results.json`` under ``$AUTOGRADER_ROOT`` (``/autograder``).

The whole run has a budget (``$GRADERS_TIMEOUT_MIN``, set when the zip is built: the assignment's timeout
on Gradescope, which shows nothing at all for a run it stops). Grading stops ``MARGIN_S`` before it
ends, and results.json is rewritten as each check ends (from the grading's results stream), so a run
stopped by either keeps the checks finished so far; the others score zero with the reason.

A submission is whatever the student uploaded: the lesson modules at the top or in folders at any
depth (a zip Gradescope unpacked, ``exercises/``), a zip left packed, or the lesson notebooks of the
nbgrader path (``lessonN_*.ipynb``), whose answer and given cells make the module (``notebook``).
When the kit itself fails, results.json still gets written: score 0 and one visible "Autograder
failed" test with the cause; the traceback goes to stdout, which Gradescope shows instructors only.
"""
from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import sys
import time
import traceback
import zipfile
from dataclasses import replace
from pathlib import Path
from typing import Callable

from graders.engine.grading import catalog, student_user
from graders.engine import course
from graders.engine.reporting import results, stream
from graders.engine.reporting.feedback import md_code
from graders.engine.grading.submission import runs_student_code
from graders.engine.grading.supervise import ENDED_MSG, complete, kill_group

ROOT_ENV, LESSONS_ENV, TIMEOUT_ENV = "AUTOGRADER_ROOT", "GRADERS_LESSONS", "GRADERS_TIMEOUT_MIN"
TIMEOUT_MIN = 20
"""The whole run's budget in minutes when the zip is built without ``--timeout`` (Gradescope: 10 by default, 40 at most)."""
MARGIN_S = 30
"""Seconds of the budget kept for what is not grading: the container's start, stopping Ray, writing results.json."""
POLL_S = 1.0
OUT_OF_TIME = ("not graded: the autograder's time ran out before this check ended (its budget: {minutes:g} minutes "
               "for the whole submission); it scores zero.")
IGNORED_PARTS = ("__MACOSX", "__pycache__", ".ipynb_checkpoints")
KIT_FAILED = ("The autograder itself failed ({cause}), not your code: this is not your grade. "
              "Your instructor can see the details; submit again later or tell them.")


def autograder_root() -> Path:
    """Gradescope's ``/autograder``, or ``$AUTOGRADER_ROOT`` (the kit's tests run it in a temporary folder)."""
    return Path(os.environ.get(ROOT_ENV, "/autograder"))


def chosen_lessons() -> list[course.Lesson]:
    """The lessons this autograder grades (``$GRADERS_LESSONS``, set by ``run_autograder``; default all)."""
    return course.select(os.environ.get(LESSONS_ENV) or None)


def total_points(lessons: list[course.Lesson]) -> float:
    """The points of every check of ``lessons``: the assignment's total on Gradescope."""
    return sum(check.points for lesson in lessons for check in catalog.checks(lesson.name))


def budget_minutes() -> float:
    """The whole run's budget (``$GRADERS_TIMEOUT_MIN``, set by ``run_autograder``)."""
    return float(os.environ.get(TIMEOUT_ENV) or TIMEOUT_MIN)


def build_fixtures() -> list[str]:
    """Build every data set the graders read: the public ones and the graders' hidden variants (seed 1)."""
    import fixtures

    paths = fixtures.public_fixtures()
    hidden = {"taxi (hidden)": fixtures.taxi(1), "taxi_with_index (hidden)": fixtures.taxi(1, with_index=True),
              "mnist_root (hidden)": fixtures.mnist_root(1), "mnist_png (hidden)": fixtures.mnist_png(1)}
    # The small training roots of the lessons that train on MNIST (course.toml's `train_digits`).
    for lesson in course.lessons().values():
        for value in [lesson.thresholds, *lesson.thresholds.values()]:
            if isinstance(value, dict) and "train_digits" in value:
                hidden[f"mnist_root (first {value['train_digits']} digits)"] = fixtures.mnist_root(
                    train_limit=value["train_digits"])
    return [f"{name}: {path}" for name, path in {**paths, **hidden}.items()]


def _searchable(path: Path, top: Path) -> bool:
    return not any(part.startswith(".") or part in IGNORED_PARTS for part in path.relative_to(top).parts)


def unpack_zips(submission: Path, into: Path) -> list[Path]:
    """Folders to search: the submission, and each zip it holds unpacked under ``into``."""
    folders = [submission]
    for number, archive in enumerate(sorted(p for p in submission.rglob("*.zip") if _searchable(p, submission))):
        try:
            with zipfile.ZipFile(archive) as packed:  # zipfile keeps every member inside the folder
                packed.extractall(into / f"zip{number}")
            folders.append(into / f"zip{number}")
        except (zipfile.BadZipFile, OSError) as exc:
            print(f"autograder: skipped {archive}: {exc}")
    return folders


def find_lesson_files(folders: list[Path], lessons: list[course.Lesson]) -> dict[str, Path]:
    """The file of each lesson found: ``lessonN_name.py`` first, else its notebook; the shallowest wins."""
    found = {}
    for lesson in lessons:
        candidates = []
        for top in folders:
            for pattern in (lesson.filename, f"{lesson.name}.ipynb", f"lesson{lesson.number}_*.ipynb"):
                candidates += [(p.suffix != ".py", len(p.relative_to(top).parts), str(p), p)
                               for p in top.rglob(pattern) if p.is_file() and _searchable(p, top)]
        if candidates:
            found[lesson.name] = min(candidates)[-1]
    return found


def stage(found: dict[str, Path], folder: Path) -> None:
    """Write each lesson's module into ``folder``: a module as it is, a notebook's answer and given cells."""
    folder.mkdir(parents=True, exist_ok=True)
    for lesson, path in found.items():
        if path.suffix == ".py":
            shutil.copyfile(path, folder / f"{lesson}.py")
        else:
            (folder / f"{lesson}.py").write_text(notebook_module(path))


def notebook_module(path: Path) -> str:
    """The lesson module a notebook holds, or one whose import says why it holds none (the lesson scores zero)."""
    import nbformat

    from graders.engine import notebook

    try:
        source = notebook.module_source(nbformat.read(path, as_version=4))
    except Exception as exc:  # not a notebook: the student's to fix, like a module that does not import
        return f"raise ImportError({f'{path.name} could not be read as a notebook: {exc}'!r})\n"
    if not source.strip():
        why = (f"{path.name} has none of the graded cells of the notebook handed out (their nbgrader metadata "
               "is gone): upload that notebook, filled in, or the lesson module")
        return f"raise ImportError({why!r})\n"
    return source


def _listing(submission: Path, limit: int = 20) -> str:
    files = sorted(str(p.relative_to(submission)) for p in submission.rglob("*") if p.is_file())
    shown = ", ".join(md_code(f) for f in files[:limit]) + (f" and {len(files) - limit} more" if len(files) > limit else "")
    return shown or "nothing"


def expected_files(lessons: list[course.Lesson]) -> str:
    return ", ".join(f"`{l.filename}` (or `{l.name}.ipynb`)" for l in lessons)


def summary(found: dict[str, Path], lessons: list[course.Lesson], submission: Path, folders: list[Path]) -> str:
    """The top-level output: which file was graded for each lesson, and which lessons had none."""
    def shown(path: Path) -> str:
        top = next(f for f in folders if path.is_relative_to(f))
        return md_code(str(path.relative_to(top))) + ("" if top == submission else " (inside your zip)")

    lines = [f"- {l.name}: graded {shown(found[l.name])}" if l.name in found
             else f"- {l.name}: **no `{l.filename}` or `{l.name}.ipynb` found**, so the lesson scores zero"
             for l in lessons]
    return "Files graded:\n\n" + "\n".join(lines)


def grade(staged: Path, lessons: list[course.Lesson], stream_path: Path, *, deadline: float,
          publish: Callable[[results.Report], None], options: tuple[str, ...] = (),
          env: dict | None = None) -> results.Report:
    """``python -m graders grade`` on the staged folder until it ends or ``deadline`` (``time.monotonic``);
    ``publish`` gets the report so far as each check ends. Checks left at the deadline score zero, saying so.
    ``options`` and ``env``: more of the command line, and its environment (``confined``)."""
    command = [sys.executable, "-m", "graders", "grade", str(staged), "--results-stream", str(stream_path),
               "--lessons", ",".join(l.name for l in lessons), *options]
    print("autograder: " + " ".join(command), flush=True)
    out_of_time = OUT_OF_TIME.format(minutes=budget_minutes())
    stream_path.unlink(missing_ok=True)
    proc, shown, stopped = subprocess.Popen(command, cwd=course.KIT_ROOT, start_new_session=True, env=env), -1, False
    try:
        while proc.poll() is None and time.monotonic() < deadline:
            streamed = stream.read(stream_path)  # RayUnavailable: the kit failed, not the student
            if len(streamed.finished) != shown:
                shown = len(streamed.finished)
                publish(complete(staged.name, streamed, lessons, out_of_time, []))
            time.sleep(POLL_S)
    finally:
        if proc.poll() is None:
            stopped = True
            kill_group(proc)
    streamed = stream.read(stream_path)
    if stopped:
        print(f"autograder: the budget of {budget_minutes():g} minutes less {MARGIN_S} s ran out: grading stopped "
              f"after {len(streamed.finished)} checks", flush=True)
    elif proc.returncode != 0:
        raise RuntimeError(f"`python -m graders grade` ended with exit status {proc.returncode}")
    return complete(staged.name, streamed, lessons, out_of_time if stopped else ENDED_MSG, [])


def gradescope_result(report: results.Report, staged: Path, *, started: float, output: str) -> dict:
    """results.json for ``report``: the summary test first, the staging folder named "your submission"."""
    def named(message: str) -> str:
        return message.replace(str(staged.resolve()), "your submission").replace(str(staged), "your submission")

    checks = [replace(c, message=named(c.message)) for c in report.checks]
    graded = results.to_gradescope(replace(report, checks=checks))
    graded["tests"].insert(0, results.summary_test(report))
    return results.with_summary(graded, execution_time=time.monotonic() - started, output=output)


def run(root: Path, started: float) -> dict:
    """Grade ``root/submission``; return the results.json to write (never raises for a student's upload).
    Meanwhile results.json holds the checks graded so far, the others at zero with the reason."""
    lessons = chosen_lessons()
    submission, work = root / "submission", root / "work"
    shutil.rmtree(work, ignore_errors=True)
    folders = unpack_zips(submission, work / "unzipped") if submission.is_dir() else []
    found = find_lesson_files(folders, lessons)
    if not found:
        output = (f"No lesson file found in your submission (it holds {_listing(submission) if folders else 'nothing'}). "
                  f"Expected {expected_files(lessons)}, at the top of your upload or in a folder.")
        result = {"score": 0.0, "max_score": total_points(lessons), "stdout_visibility": "hidden", "tests": []}
        return results.with_summary(result, execution_time=time.monotonic() - started, output=output)
    staged = staged_folder(root)
    stage(found, staged)
    note = summary(found, lessons, submission, folders)
    deadline = started + budget_minutes() * 60 - MARGIN_S
    publish = lambda so_far: write(gradescope_result(so_far, staged, started=started, output=note), root)  # noqa: E731
    if os.geteuid() == 0:  # the student's user never reads the results stream, the results or who the student is
        for private in (root / "work", root / "results"):
            private.mkdir(parents=True, exist_ok=True)
            private.chmod(0o700)
        with contextlib.suppress(FileNotFoundError):
            (root / "submission_metadata.json").chmod(0o600)  # Gradescope's: the student's name, past scores
    if os.geteuid() != 0 or not runs_student_code(staged, lessons):  # a laptop, a container not root; or nothing to run
        report = grade(staged, lessons, work / "stream.jsonl", deadline=deadline, publish=publish)
    else:
        with confined(root, staged) as (options, env):
            report = grade(staged, lessons, work / "stream.jsonl", deadline=deadline, publish=publish,
                           options=options, env=env)
    return gradescope_result(report, staged, started=started, output=note)


STUDENT_DIR = "student"
"""Under ``$AUTOGRADER_ROOT``, run as root: what the student's user reads (its submission, the kit without
hidden checks), writes (its home, the checkpoints' storage), and nothing else."""


def staged_folder(root: Path) -> Path:
    """Where the lesson modules graded are written: root's ``work/`` on a laptop, else the student's folder."""
    return root / (STUDENT_DIR if os.geteuid() == 0 else "work") / "submission"


@contextlib.contextmanager
def confined(root: Path, staged: Path):
    """Run as root (Gradescope): the student's code runs as the unprivileged ``student_user.USER``
    (``student_user.confined``, in ``root/student``), and the kit with its hidden checks becomes root's
    only, as ``run`` made ``work/`` (the results stream) and ``results/``."""
    if course.KIT_ROOT.resolve().is_relative_to(root.resolve()):  # the kit Gradescope unpacked, never a checkout
        student_user.lock_down(course.KIT_ROOT)
    else:
        print(f"autograder: the kit ({course.KIT_ROOT}) is outside {root}: its permissions are left as they are, "
              "so the student's user may read its hidden checks", flush=True)
    with student_user.confined(root / STUDENT_DIR, staged, say=lambda line: print(f"autograder: {line}", flush=True)) as run:
        yield run


def write(result: dict, root: Path) -> Path:
    """Write results.json whole (a run stopped mid-write leaves the previous one, never half a file)."""
    path = root / "results" / "results.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".json.tmp")
    partial.write_text(json.dumps(result, indent=2) + "\n")
    partial.replace(path)
    return path


def main(argv: list[str] | None = None) -> int:
    """``setup``: build the fixtures (a failure fails the image build). ``run``: grade, always writing results."""
    command = (argv if argv is not None else sys.argv[1:] or ["run"])[0]
    if command == "setup":
        print("\n".join(build_fixtures()))
        if os.geteuid() == 0:  # the user that runs the students' code, made once with the image
            print(f"the students' code runs as {student_user.ensure_user().pw_name}")
        return 0
    root, started = autograder_root(), time.monotonic()
    try:
        result = run(root, started)
    except Exception as exc:  # the kit's failure, not the student's: say so, keep the traceback for instructors
        traceback.print_exc(file=sys.stdout)
        cause = f"{type(exc).__name__}: {exc}".splitlines()[0]
        failed = results.failed_run(KIT_FAILED.format(cause=cause))
        result = results.with_summary(failed, execution_time=time.monotonic() - started)
    print(f"autograder: wrote {write(result, root)}: {result['score']:g} points")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
