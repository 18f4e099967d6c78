"""``python -m graders watch [LESSON]``: re-run a lesson's self-check each time a file is saved.

Ray stays warm between runs (a local head started once), so a check that does no training answers
in seconds. Each run is its own short-lived process and Ray job: Ray's workers import the code as it
is now, and a file that fails to import, or hangs, costs that run only. The screen shows the
lesson's progress and its first failing check, with the message and the hint. Ctrl-C stops Ray.
"""
from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from graders.engine import batch, catalog, course, grade, results
from graders.engine.raysession import SUBMISSION_ON_WORKERS

RUN_LIMIT_S = 600


def _lesson_files(folder: Path) -> dict[Path, float]:
    return {p: p.stat().st_mtime for p in folder.glob("lesson*.py") if p.stem in course.lessons()}


def check_once(folder: Path, lesson: course.Lesson, address: str | None) -> str:
    """Run the lesson's public checks, stopping at the first failure; the screen to show."""
    with tempfile.TemporaryDirectory() as tmp:
        stream, log = Path(tmp) / "stream.jsonl", Path(tmp) / "run.log"
        args = grade.pytest_args(directory=folder, lessons=[lesson], ray_address=address, all_checks=False,
                                 extra=["-x", "--results-stream", str(stream)])
        with open(log, "w") as out:
            proc = subprocess.Popen([sys.executable, "-m", "pytest", *args], cwd=course.KIT_ROOT, stdout=out,
                                    stderr=subprocess.STDOUT, start_new_session=True,
                                    env={**os.environ, grade.ONLY_ENGINE_PLUGINS: "1", SUBMISSION_ON_WORKERS: str(folder)})
            try:
                proc.wait(timeout=RUN_LIMIT_S)
            except subprocess.TimeoutExpired:
                batch.kill_group(proc)
        streamed = batch.read_stream(stream)
    public = [c for c in catalog.checks(lesson.name) if not c.hidden and c.qualified_name not in streamed.skipped]
    verdicts = [streamed.finished[c.qualified_name] for c in public if c.qualified_name in streamed.finished]
    passed = sum(1 for v in verdicts if v.status == results.PASSED)
    lines = [f"{lesson.name}: {passed}/{len(public)} public checks passed"]
    first = next((v for v in verdicts if v.status != results.PASSED), None)
    if first is not None:
        lines += [f"first failing check: {first.name} ({first.status})", results.truncate(first.message, 1500)]
        if first.hint:
            lines.append(f"hint: {first.hint}")
    elif streamed.running is not None:
        lines.append(f"the run stopped inside {streamed.running} (a crash, or over {RUN_LIMIT_S} s)")
    elif passed == len(public):
        lines.append("every public check passes.")
    return "\n".join(lines)


def main(*, lesson: str | None = None, submission: str = "exercises", once: bool = False, poll: float = 0.3) -> int:
    """Watch ``submission``; re-check the lesson named, or else the lesson whose file was saved last."""
    from graders.engine.cluster import local_head

    folder = Path(submission).resolve()
    if not folder.is_dir():
        print(f"graders watch: {submission} is not a folder", file=sys.stderr)
        return 2
    fixed = catalog.lesson_named(lesson) if lesson else None
    print("starting Ray once for the whole session ...", flush=True)
    with local_head(submission=folder) as head:
        print(f"Ray is up at {head.address}, kept warm between checks; Ctrl-C stops it.", flush=True)
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
                        screen = check_once(folder, target, head.address)
                        print("\033[2J\033[H" if sys.stdout.isatty() else "", end="")
                        print(f"{screen}\n({time.monotonic() - started:.1f} s) watching {folder} ... "
                              "save a file to check again, Ctrl-C to quit", flush=True)
                    if once:
                        return 0
                time.sleep(poll)
        except KeyboardInterrupt:
            print("\nstopping Ray.")
    return 0
