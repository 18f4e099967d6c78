"""``python -m graders progress``: each lesson's checks passed, hint steps used and next step, from the
last self-checks; runs nothing. The next step reads as in the score table (``terminal.lesson_note``)."""
from __future__ import annotations

import json
import time
from pathlib import Path

from graders.engine.grading import catalog
from graders.engine import course
from graders.engine.commands import hint
from graders.engine.reporting import terminal
from graders.engine.reporting.results import CheckResult, PASSED, Report

PROGRESS_FILE = ".graders/progress.json"


def record(submission: Path, report: Report) -> None:
    """Merge a self-check's results into the submission's progress file (read by ``graders progress``)."""
    path = submission / PROGRESS_FILE
    try:
        known = json.loads(path.read_text()) if path.exists() else {}
        for c in report.checks:
            known[c.qualified_name] = {"status": c.status, "points": c.points, "max_points": c.max_points,
                                       "message": c.message, "at": time.time()}
        path.parent.mkdir(exist_ok=True)
        path.write_text(json.dumps(known, indent=1, sort_keys=True))
    except OSError:
        pass  # a read-only submission folder: progress is a convenience, never a failure


def main(*, submission: str = "exercises") -> int:
    folder = Path(submission)
    path = folder / PROGRESS_FILE
    last = json.loads(path.read_text()) if path.exists() else {}
    steps = hint.seen(folder)
    print(f"{'lesson':<15} {'passed':>9}  {'hints':>5}  next step")
    done = total = used_total = 0
    for lesson in course.lessons().values():
        public = [c for c in catalog.checks(lesson.name) if not c.hidden]
        ran = [CheckResult(lesson.name, c.name, c.points, status=last[c.qualified_name]["status"],
                           fraction=last[c.qualified_name]["points"] / (c.points or 1),
                           message=last[c.qualified_name].get("message", ""))
               for c in public if c.qualified_name in last]
        passed = sum(1 for r in ran if r.status == PASSED)
        used = sum(steps.get(c.qualified_name, 0) for c in public)
        note = (terminal.lesson_note(lesson.name, ran, folder) if ran
                else f"not run yet: pytest {folder / lesson.filename}")
        print(f"{lesson.name:<15} {passed:>4} / {len(public):<3}  {used:>5}  {note}")
        done, total, used_total = done + passed, total + len(public), used_total + used
    print(f"{'total':<15} {done:>4} / {total:<3}  {used_total:>5}")
    if not last:
        print(f"No self-check has run yet in {submission}/: run `pytest {submission}/`.")
    return 0
