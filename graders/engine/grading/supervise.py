"""Grading that survives the death of its process: one implementation for ``grade``, ``batch`` and Ray Jobs.

A grading process streams each check's result as it ends (``stream``). When it dies inside a check
(``os._exit``, a crash), that check scores zero with the reason, and a new process grades the checks
not graded yet. Past a wall-clock limit, what ran counts and the rest scores zero.
"""
from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from dataclasses import replace
from pathlib import Path
from typing import Callable

from graders.engine.grading import catalog
from graders.engine import course
from graders.engine.reporting import results, stream

MAX_RESTARTS = 5
KILL_WAIT_S = 10.0  # how long a stopped run's processes may take to go
DIED_MSG = ("the grading process died while running this check (does your code call os._exit, "
            "or crash the interpreter?); it scores zero and the other checks were graded apart.")
LIMIT_MSG = "not graded: the submission ran past its wall-clock limit of {limit:g} s before this check ended."
GAVE_UP_MSG = f"not graded: the grading process died {MAX_RESTARTS} times before this check ran."
ENDED_MSG = "not graded: the grading run ended before this check ran."

# run(skip, timeout) grades once, leaving out the checks named in ``skip``, within ``timeout`` seconds
# (None: no limit); it returns True when it was stopped at the timeout.
Run = Callable[[list[str], "float | None"], bool]


def supervise(name: str, run: Run, stream_path: Path, *, lessons: list[course.Lesson],
              limit: float | None = None, skip: list[str] = ()) -> results.Report:
    """Grade with ``run`` until every check has a verdict; the report of every planned check, in order.

    A check a process died in gets its verdict appended to the stream, so whoever reads the stream
    next (a batch around a ``grade``) sees it graded.
    """
    deadline = None if limit is None else time.monotonic() + limit
    streamed, unfinished = stream.Stream(), GAVE_UP_MSG
    for _ in range(MAX_RESTARTS):
        left_out = sorted({*skip, *streamed.finished, *streamed.skipped})
        timeout = None if deadline is None else max(1.0, deadline - time.monotonic())
        timed_out = run(left_out, timeout)
        streamed = stream.read(stream_path)
        if timed_out or streamed.running is None:  # a process that ends normally finishes every check it starts
            unfinished = LIMIT_MSG.format(limit=limit) if timed_out else ENDED_MSG
            break
        dead = streamed.planned.get(streamed.running) or _declared(lessons).get(streamed.running)
        dead = dead or results.CheckResult(*streamed.running.split("::", 1), max_points=0.0)
        stream.finished(stream_path, replace(dead, status=results.ERROR, fraction=0.0, message=DIED_MSG))
        streamed = stream.read(stream_path)
        if streamed.planned and set(streamed.planned) <= {*skip, *streamed.finished, *streamed.skipped}:
            break
    return complete(name, streamed, lessons, unfinished, skip)


def descendants(pid: int) -> set[int]:
    """Every process started by ``pid``, or by one it started (Ray's workers run in their own groups)."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, ValueError, IndexError):
            fields = stat.read_text().rsplit(")", 1)[1].split()  # after the command's name: state, ppid, ...
            children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, todo = set(), [pid]
    while todo:
        for child in children.get(todo.pop(), ()):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


def kill_group(proc: subprocess.Popen) -> None:
    """Stop a grading process and everything it started (its embedded Ray included), its group and every
    process below it, then wait until they are gone."""
    started = descendants(proc.pid)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    for pid in started:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, signal.SIGKILL)
    proc.wait()
    deadline = time.monotonic() + KILL_WAIT_S
    while time.monotonic() < deadline and any(_alive(pid) for pid in started):
        time.sleep(0.1)


def _alive(pid: int) -> bool:
    """Running (not a zombie waiting for its parent to read its status)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return False


def _declared(lessons: list[course.Lesson]) -> dict[str, results.CheckResult]:
    """The lessons' checks as their graders declare them, unscored, in order."""
    return {info.qualified_name: results.CheckResult(info.lesson, info.name, info.points, hint=info.hint,
                                                     hidden=info.hidden)
            for lesson in lessons for info in catalog.checks(lesson.name)}


def complete(name: str, streamed: stream.Stream, lessons: list[course.Lesson], unfinished: str,
             skip: list[str]) -> results.Report:
    """Every check planned (else declared) that applies, in order; those never graded score zero with the reason."""
    planned = list((streamed.planned or _declared(lessons)).values())
    checks = []
    for check in planned:
        qualified = check.qualified_name
        if qualified in streamed.skipped or (qualified in skip and qualified not in streamed.finished):
            continue
        checks.append(streamed.finished.get(qualified)
                      or replace(check, status=results.ERROR, fraction=0.0, message=unfinished))
    return results.Report(name, checks)
