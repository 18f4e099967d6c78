"""The results stream: each event of a grading run, one JSON line, appended as soon as it is known.

A grading process writes it (``--results-stream FILE``: the plan, each check as it starts and as it
ends); whoever supervises the process reads it back after the process ended, died or was stopped, so
nothing already graded is lost (``supervise``). ``python -m graders.engine.reporting.stream FILE -- CMD ...``
runs CMD and prints each line of FILE, as it is written, after ``MARKER`` on stdout: a Ray Job's
logs then hold every finished check even when the job is stopped past its time limit.
"""
from __future__ import annotations

import json
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from graders.engine.reporting import results

MARKER = "=====graders-results-stream===== "
ECHO_POLL_S = 0.2


class GradingFailed(RuntimeError):
    """The grading infrastructure failed for a submission: it is left ungraded, to retry later."""


class RayUnavailable(GradingFailed):
    """Ray could not be started or reached, so grading cannot run at all: raised where Ray is started, and
    again by whoever reads the stream in which the grading process said so (its message says why)."""


@dataclass
class Stream:
    """What a grading process streamed: read back after it ended or died."""

    finished: dict[str, results.CheckResult] = field(default_factory=dict)
    """Graded checks by name (``lesson::check``)."""
    running: str | None = None
    """The check that started last without finishing: where a dead process died."""
    skipped: set[str] = field(default_factory=set)
    """Checks that do not apply here (a GPU check without GPUs): neither scored nor counted."""
    planned: dict[str, results.CheckResult] = field(default_factory=dict)
    """The checks the processes set out to run, in order, each unscored (empty if none collected)."""


def write(path: str | Path | None, entry: dict) -> None:
    """Append one entry to the stream at ``path`` (nothing without a path)."""
    if path:
        with open(path, "a") as f:
            f.write(json.dumps(entry) + "\n")


def plan(path, checks: list[results.CheckResult]) -> None:
    """The checks this process will run, in order (unscored)."""
    write(path, {"planned": [asdict(c) for c in checks]})


def started(path, name: str) -> None:
    write(path, {"started": name})


def finished(path, result: results.CheckResult) -> None:
    write(path, {"check": result.qualified_name, **asdict(result)})


def skipped(path, name: str) -> None:
    write(path, {"check": name, "skipped": True})


def parse(lines) -> Stream:
    """The stream whose lines are ``lines`` (a line cut short by a dying writer is ignored)."""
    stream = Stream()
    for line in lines:
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        if "ray_unavailable" in entry:  # not the student's doing, whatever the exit status says
            raise RayUnavailable(entry["ray_unavailable"])
        if "planned" in entry:
            for fields in entry["planned"]:
                check = results.CheckResult(**fields)
                stream.planned.setdefault(check.qualified_name, check)
            continue
        if "started" in entry:
            stream.running = entry["started"]
            continue
        name = entry.pop("check")
        if entry.get("skipped"):
            stream.skipped.add(name)
        else:
            stream.finished[name] = results.CheckResult(**entry)
        stream.running = None if stream.running == name else stream.running
    return stream


def read(path: Path) -> Stream:
    """The results streamed to ``path`` so far."""
    path = Path(path)
    return parse(path.read_text().splitlines() if path.exists() else [])


def from_output(text: str) -> list[str]:
    """The stream lines echoed (``MARKER``-prefixed) in a process's output."""
    return [line.partition(MARKER)[2] for line in text.splitlines() if MARKER in line]


def echo(path: Path, cmd: list[str]) -> int:
    """Run ``cmd``; meanwhile print each new line of the stream at ``path`` after ``MARKER``."""
    proc = subprocess.Popen(cmd)
    done = 0
    while True:
        ended = proc.poll() is not None
        text = path.read_text() if path.exists() else ""
        complete = text[done:].rpartition("\n")[0]
        if complete:
            for line in complete.split("\n"):
                print(MARKER + line, flush=True)
            done += len(complete) + 1
        if ended:
            return proc.returncode
        time.sleep(ECHO_POLL_S)


if __name__ == "__main__":  # python -m graders.engine.reporting.stream FILE -- CMD ...
    file, _, command = sys.argv[1], sys.argv[2], sys.argv[3:]
    raise SystemExit(echo(Path(file), command))
