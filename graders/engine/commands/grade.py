"""``python -m graders grade DIR``: grade one submission, every check, hidden ones included.

The command supervises: the pytest session runs in a child process (forked, so no second interpreter
start) that streams each check's result; a child that dies inside a check (``os._exit``, a crash)
costs that check only, and a new child grades the rest (``supervise``). The supervisor then writes
results.json, the report and the score table from every child's results.
"""
from __future__ import annotations

import contextlib
import os
import signal
import sys
import tempfile
from pathlib import Path

from graders.engine import course
from graders.engine.reporting import results, stream, terminal
from graders.engine.grading.raysession import EXIT_RAY_UNAVAILABLE
from graders.engine.grading.supervise import supervise

EXIT_RAN, EXIT_USAGE = 0, 2
PYTEST_RAN = (0, 1)  # pytest's exit codes when every check ran: all passed, some failed
PYTEST_INTERRUPTED = 2


def pytest_args(*, directory: Path, lessons: list[course.Lesson], json_path=None, report_path=None,
                ray_address=None, use_gpu="auto", data=(), storage=None, all_checks=True, extra=()) -> list[str]:
    """The pytest command line that grades ``directory``: the graders' files, the plugin's options."""
    args = [str(course.GRADERS_DIR / l.filename) for l in lessons if (course.GRADERS_DIR / l.filename).exists()]
    args += ["--submission", str(directory), "--use-gpu", use_gpu, "-p", "graders.engine.grading.plugin", "-p", "pytest_timeout",
             "--rootdir", str(course.KIT_ROOT), "-p", "no:cacheprovider", "-q", "-rN", "--disable-warnings",
             # Only the engine's plugins: whatever else is installed (hypothesis, xdist, randomly...) stays out.
             "--disable-plugin-autoload",
             # pytest collects garbage five times at the end of a session to report unraisable exceptions:
             # over a second with Ray and torch loaded, for warnings a grade never shows.
             "-p", "no:unraisableexception",
             # The grader's own sentence, never pytest's introspection of a rewritten assert (see
             # feedback._text): the graders' modules are not rewritten, as in a self-check.
             "--assert=plain"]
    if all_checks:
        args.append("--all-checks")
    for flag, value in (("--json", json_path), ("--report", report_path), ("--ray-address", ray_address),
                        ("--storage", storage)):
        if value:
            args += [flag, str(value)]
    for spec in data:
        args += ["--data", spec]
    return args + list(extra)


def run_pytest_child(args: list[str]) -> int:
    """``pytest.main(args)`` in a forked child; its exit status (negative: the signal that killed it)."""
    import pytest

    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:  # the child: grade, then leave without running the parent's exit handlers
        code = 1
        try:
            _die_with_parent()
            code = int(pytest.main(args))
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(code)
    def stop(signum, frame):  # a `kill` of the supervisor alone ends the grading, not just the supervisor
        os.kill(pid, signum)
        raise SystemExit(128 + signum)

    previous = signal.signal(signal.SIGTERM, stop)
    try:
        while True:
            try:
                return os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])
            except KeyboardInterrupt:  # Ctrl-C reached the child too: it ends its session, then we do
                continue
    finally:
        signal.signal(signal.SIGTERM, previous)


def _die_with_parent() -> None:
    """Linux: the child is killed when the supervisor is, even by SIGKILL (its Ray dies with it)."""
    with contextlib.suppress(Exception):
        import ctypes

        ctypes.CDLL(None).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


def main(*, directory: str, lessons: str | None = None, json_path: str | None = None,
         report_path: str | None = None, ray_address: str | None = None, use_gpu: str = "auto",
         data: list[str] = (), storage: str | None = None, results_stream: str | None = None,
         skip_check: list[str] = (), extra: list[str] = ()) -> int:
    """Grade ``directory``; 0 whenever grading ran, whatever the score."""
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
    with tempfile.TemporaryDirectory(prefix="graders-grade-") as tmp:
        stream_path = Path(results_stream or Path(tmp) / "stream.jsonl")
        args = pytest_args(directory=folder.resolve(), lessons=chosen, ray_address=ray_address, use_gpu=use_gpu,
                           data=data, storage=storage, extra=["--results-stream", str(stream_path), *extra])
        codes = []

        def once(skip: list[str], timeout: float | None) -> bool:
            codes.append(run_pytest_child([*args, *[a for name in skip for a in ("--skip-check", name)]]))
            if codes[-1] in (PYTEST_INTERRUPTED, -signal.SIGINT):
                raise KeyboardInterrupt
            return False

        try:
            report = supervise(str(folder.resolve()), once, stream_path, lessons=chosen, skip=list(skip_check))
            collected = bool(stream.read(stream_path).planned)
        except stream.RayUnavailable as exc:
            print(f"graders grade: grading could not run: {exc}", file=sys.stderr)
            return EXIT_RAY_UNAVAILABLE
        except KeyboardInterrupt:
            print("graders grade: interrupted", file=sys.stderr)
            return PYTEST_INTERRUPTED
    if codes[-1] not in PYTEST_RAN and not collected:  # a usage error, no check collected ...
        print(f"graders grade: grading did not run to the end (pytest exit code {codes[-1]})", file=sys.stderr)
        return codes[-1] or 1
    results.write(report, json_path=json_path, markdown_path=report_path)
    if report.checks:
        print(f"\n{' score ':=^80}")
        print(terminal.summary(report, everything=True))
    return EXIT_RAN
