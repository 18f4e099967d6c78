"""``python -m graders progress``: checks passed per lesson, from the last self-checks; runs nothing."""
from __future__ import annotations

import json
from pathlib import Path

from graders.engine import catalog, course
from graders.engine.plugin import PROGRESS_FILE


def main(*, submission: str = "exercises") -> int:
    path = Path(submission) / PROGRESS_FILE
    last = json.loads(path.read_text()) if path.exists() else {}
    print(f"{'lesson':<15} {'passed':>9}  next check to fix")
    done = total = 0
    for lesson in course.lessons().values():
        public = [c for c in catalog.checks(lesson.name) if not c.hidden]
        passed = [c for c in public if last.get(c.qualified_name, {}).get("status") == "passed"]
        todo = next((c.name for c in public if c not in passed), "")
        status = last.get(f"{lesson.name}::{todo}", {}).get("status", "not run yet") if todo else "all passed"
        print(f"{lesson.name:<15} {len(passed):>4} / {len(public):<3}  {todo}{' (' + status + ')' if todo else status}")
        done, total = done + len(passed), total + len(public)
    print(f"{'total':<15} {done:>4} / {total:<3}")
    if not last:
        print(f"No self-check has run yet in {submission}/: run `pytest {submission}/`.")
    return 0
