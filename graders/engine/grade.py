"""``python -m graders grade DIR``: grade one submission, every check, hidden ones included."""
from __future__ import annotations

import os
import sys
from pathlib import Path

from graders.engine import course

EXIT_RAN, EXIT_USAGE = 0, 2
# Only the engine's plugins in a grading run: whatever else is installed (hypothesis, xdist, randomly,
# benchmark...) stays out of it; the command line names the two it needs.
ONLY_ENGINE_PLUGINS = "PYTEST_DISABLE_PLUGIN_AUTOLOAD"


def pytest_args(*, directory: Path, lessons: list[course.Lesson], json_path=None, report_path=None,
                ray_address=None, use_gpu="auto", data=(), all_checks=True, extra=()) -> list[str]:
    """The pytest command line that grades ``directory``: the graders' files, the plugin's options."""
    args = [str(course.GRADERS_DIR / l.filename) for l in lessons if (course.GRADERS_DIR / l.filename).exists()]
    args += ["--submission", str(directory), "--use-gpu", use_gpu, "-p", "graders.engine.plugin", "-p", "pytest_timeout",
             "--rootdir", str(course.KIT_ROOT), "-p", "no:cacheprovider", "-q", "-rN", "--disable-warnings",
             # pytest collects garbage five times at the end of a session to report unraisable exceptions:
             # over a second with Ray and torch loaded, for warnings a grade never shows.
             "-p", "no:unraisableexception",
             # The grader's own sentence, never pytest's introspection of a rewritten assert (see
             # feedback._text): the graders' modules are not rewritten, as in a self-check.
             "--assert=plain"]
    if all_checks:
        args.append("--all-checks")
    for flag, value in (("--json", json_path), ("--report", report_path), ("--ray-address", ray_address)):
        if value:
            args += [flag, str(value)]
    for spec in data:
        args += ["--data", spec]
    return args + list(extra)


def main(*, directory: str, lessons: str | None = None, json_path: str | None = None,
         report_path: str | None = None, ray_address: str | None = None, use_gpu: str = "auto",
         data: list[str] = (), extra: list[str] = ()) -> int:
    """Grade ``directory``; 0 whenever grading ran, whatever the score."""
    import pytest

    folder = Path(directory)
    if not folder.is_dir():
        print(f"graders grade: {directory} is not a folder; pass the folder that holds lesson1_taxi.py ...",
              file=sys.stderr)
        return EXIT_USAGE
    try:
        chosen = course.select(lessons)
    except ValueError as exc:
        print(f"graders grade: {exc}", file=sys.stderr)
        return EXIT_USAGE
    os.environ[ONLY_ENGINE_PLUGINS] = "1"
    code = pytest.main(pytest_args(directory=folder.resolve(), lessons=chosen, json_path=json_path,
                                   report_path=report_path, ray_address=ray_address, use_gpu=use_gpu,
                                   data=data, extra=extra))
    if code in (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED):
        return EXIT_RAN
    print(f"graders grade: grading did not run to the end (pytest exit code {int(code)})", file=sys.stderr)
    return int(code) or 1
