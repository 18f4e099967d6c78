"""``python -m graders watch [LESSON]``: re-run a lesson's self-check each time a file is saved.

Ray stays warm between runs: a local head started once, and a runner process that has imported
pytest, Ray and the graders and joined the head once. Each run is a pytest session inside the
runner: the saved file is imported afresh on the lesson's student side, a process (and Ray job) of
its own, so Ray's workers run the code as it is now. A file that fails to import costs that
run only; a run that hangs, kills the runner, or leaves a timed-out check's work behind ends the
runner, and a fresh one starts for the next save. The screen shows the lesson's progress
and its next step, worded as in the self-check (``terminal``). Ctrl-C stops Ray.
"""
from __future__ import annotations

import json
import os
import select
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from graders.engine.grading import catalog, outcomes
from graders.engine import course
from graders.engine.commands import grade
from graders.engine.reporting import results, stream, terminal
from graders.engine.grading.raysession import SUBMISSION_ON_WORKERS
from graders.engine.grading.supervise import kill_group

RUN_LIMIT_S = 600
RUN_LOG = ".graders/watch.log"  # the last run's whole output (the student's prints, pytest's, a stopped side's stacks)
TIMED_OUT = outcomes.TIMEOUT_MSG.partition("{")[0]  # how a check that ran out of its budget reads


class Runner:
    """The warm process that runs the self-checks (``python -m graders.engine.commands.watch FOLDER ADDRESS``)."""

    def __init__(self, folder: Path, address: str, drivers_env: dict[str, str]):
        self.folder, self.address, self.drivers_env, self.proc = folder, address, drivers_env, None
        self.log = tempfile.TemporaryFile()  # what the runner prints outside runs (a crash at start-up)
        self.start()

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "graders.engine.commands.watch", str(self.folder), self.address], cwd=course.KIT_ROOT,
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.log, start_new_session=True,
            # Each run's side compiles a saved file again, even when it was saved within the same second.
            env={**os.environ, **self.drivers_env, SUBMISSION_ON_WORKERS: str(self.folder), "PYTHONDONTWRITEBYTECODE": "1"})

    def stop(self) -> None:
        kill_group(self.proc)

    def restart(self) -> None:
        """A fresh runner (and Ray job): whatever the last run left running on Ray's workers ends."""
        self.stop()
        self.start()

    def last_words(self) -> str:
        self.log.seek(0)
        return self.log.read().decode(errors="replace")

    def run(self, args: list[str], log: Path) -> bool:
        """Run pytest with ``args`` in the runner, its output to ``log``; False if it did not finish."""
        if self.proc.poll() is not None:
            self.start()
        try:
            self.proc.stdin.write(json.dumps({"args": args, "log": str(log)}).encode() + b"\n")
            self.proc.stdin.flush()
        except OSError:
            return False
        ready, _, _ = select.select([self.proc.stdout], [], [], RUN_LIMIT_S)
        return bool(ready) and self.proc.stdout.readline().startswith(b"done")


def serve_runs(folder: Path, address: str) -> None:
    """The runner's loop: join Ray once, then one pytest session per request on stdin."""
    import pytest

    from graders.engine.grading import raysession

    answer = os.fdopen(os.dup(1), "w", buffering=1)  # pytest and Ray write to fds 1 and 2: the run's log
    between_runs = os.dup(2)  # the runner's log
    raysession.join(address, folder)
    for lesson in course.lessons():
        __import__(f"{course.PACKAGE}.{lesson}")
    while True:
        line = sys.stdin.readline()
        if not line:
            return
        request = json.loads(line)
        with open(request["log"], "w") as log:
            os.dup2(log.fileno(), 1)
            os.dup2(log.fileno(), 2)
            try:
                code = pytest.main(request["args"])
            finally:
                sys.stdout.flush()
                sys.stderr.flush()
                os.dup2(between_runs, 1)
                os.dup2(between_runs, 2)
        answer.write(f"done {int(code)}\n")


def _lesson_files(folder: Path) -> dict[Path, float]:
    return {p: p.stat().st_mtime for p in folder.glob("lesson*.py") if p.stem in course.lessons()}


def check_once(folder: Path, lesson: course.Lesson, runner: Runner) -> str:
    """Run the lesson's public checks, stopping at the first failure; the screen to show."""
    with tempfile.TemporaryDirectory() as tmp:
        stream_path, log = Path(tmp) / "stream.jsonl", Path(tmp) / "run.log"
        args = grade.pytest_args(directory=folder, lessons=[lesson], ray_address=runner.address, all_checks=False,
                                 extra=["-x", "--keep-ray", "--results-stream", str(stream_path),
                                        # What the side and the student's code write goes to the run's log.
                                        "--capture=sys"])
        finished = runner.run(args, log)
        streamed = stream.read(stream_path)
        said = log.read_text(errors="replace") if log.exists() else ""
    kept = _keep_log(folder, said)
    public = [c for c in catalog.checks(lesson.name) if not c.hidden and c.qualified_name not in streamed.skipped]
    verdicts = [streamed.finished[c.qualified_name] for c in public if c.qualified_name in streamed.finished]
    stopped = not finished or any(v.message.startswith(TIMED_OUT) for v in verdicts)
    if stopped:
        runner.restart()
    passed = sum(1 for v in verdicts if v.status == results.PASSED)
    lines = [f"{lesson.name}: {passed}/{len(public)} public checks passed"]
    if terminal.none_started(verdicts):
        lines[0] += f"; {terminal.lesson_note(lesson.name, verdicts, folder)}"
    elif any(v.status != results.PASSED for v in verdicts):  # the run stops at the first (-x)
        lines += terminal.lesson_steps(verdicts)
    elif streamed.running is not None or not finished:
        lines.append(f"the run stopped inside {streamed.running or 'the self-check'} (a crash, or over {RUN_LIMIT_S} s); "
                     f"its last words:\n{(said or runner.last_words())[-1500:]}")
    elif passed == len(public):
        lines.append("every public check passes.")
    if stopped and kept is not None:
        lines.append(f"this run's whole output, with where the stopped code waited: {kept}")
    return "\n".join(lines)


def _keep_log(folder: Path, said: str) -> Path | None:
    """Keep the run's output in the submission's ``RUN_LOG`` (None if the folder cannot be written)."""
    path = folder / RUN_LOG
    try:
        path.parent.mkdir(exist_ok=True)
        path.write_text(said)
    except OSError:
        return None
    return path


def main(*, lesson: str | None = None, submission: str = "exercises", once: bool = False, poll: float = 0.3) -> int:
    """Watch ``submission``; re-check the lesson named, or else the lesson whose file was saved last."""
    from graders.engine.grading.local_head import local_head

    folder = Path(submission).resolve()
    if not folder.is_dir():
        print(f"graders watch: {submission} is not a folder", file=sys.stderr)
        return 2
    fixed = catalog.lesson_named(lesson) if lesson else None
    print("starting Ray once for the whole session ...", flush=True)
    with local_head(submission=folder) as head:
        print(f"Ray is up at {head.address}, kept warm between checks; Ctrl-C stops it.", flush=True)
        runner = Runner(folder, head.address, head.drivers_env)
        seen: dict[Path, float] = {}
        try:
            while True:
                now = _lesson_files(folder)
                changed = [p for p, t in now.items() if seen.get(p) != t]
                if changed or not seen:
                    saved = max(changed or now, key=lambda p: now[p], default=None)
                    target = fixed or (course.lessons()[saved.stem] if saved else None)
                    seen = now
                    if target is not None:
                        started = time.monotonic()
                        screen = check_once(folder, target, runner)
                        print("\033[2J\033[H" if sys.stdout.isatty() else "", end="")
                        print(f"{screen}\n({time.monotonic() - started:.1f} s) watching {folder} ... "
                              "save a file to check again, Ctrl-C to quit", flush=True)
                    if once:
                        return 0
                time.sleep(poll)
        except KeyboardInterrupt:
            print("\nstopping Ray.")
        finally:
            runner.stop()
    return 0


if __name__ == "__main__":
    serve_runs(Path(sys.argv[1]), sys.argv[2])
