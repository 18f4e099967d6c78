"""``python -m graders hint LESSON [CHECK] [--more]``: a check's hint, one step at a time.

A check has up to three hint steps, each more concrete: the concept, the Ray API to look at, the
shape of the code (never the answer). ``hint LESSON CHECK`` shows the first step; ``--more`` the next
step not yet seen. The steps each student has seen are kept beside their progress, in the
submission's ``.graders/hints.json``, and ``graders progress`` counts them per lesson.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

from graders.engine.grading import catalog

HINTS_FILE = ".graders/hints.json"


def seen(submission: Path) -> dict[str, int]:
    """Hint steps seen so far per check (``lesson::check``), from the submission's record."""
    try:
        return json.loads((submission / HINTS_FILE).read_text())
    except (OSError, ValueError):
        return {}


def _record(submission: Path, steps: dict[str, int]) -> None:
    path = submission / HINTS_FILE
    try:
        path.parent.mkdir(exist_ok=True)
        path.write_text(json.dumps(steps, indent=1, sort_keys=True))
    except OSError:
        pass  # a read-only folder: the record is a convenience, never a failure


def _show(check: catalog.CheckInfo, step: int) -> str:
    hints = check.hints or (check.hint,)
    text = hints[step - 1] if hints[0] else "no hint for this one."
    more = (f"  (step {step} of {len(hints)}; --more for the next)" if step < len(hints)
            else f"  (step {step} of {len(hints)}, the last)" if len(hints) > 1 else "")
    return f"{check.qualified_name} ({check.points:g} points), hint {step}: {text}{more}"


def main(*, lesson: str, check: str | None = None, more: bool = False, submission: str = "exercises") -> int:
    try:
        chosen = catalog.lesson_named(lesson)
    except ValueError as exc:
        print(f"graders hint: {exc}", file=sys.stderr)
        return 2
    known = [c for c in catalog.checks(chosen.name) if not c.hidden]
    if check is not None:
        match = [c for c in known if c.name == check.removeprefix("test_")]
        if not match:
            print(f"graders hint: {chosen.name} has no check {check!r}; its checks are: "
                  + ", ".join(c.name for c in known), file=sys.stderr)
            return 2
        known = match
    elif more:
        print("graders hint: --more needs a check: python -m graders hint LESSON CHECK --more", file=sys.stderr)
        return 2
    folder = Path(submission)
    steps = seen(folder)
    for c in known:
        count = len(c.hints) or 1
        step = min(steps.get(c.qualified_name, 0) + 1, count) if more else 1
        print(_show(c, step))
        if more and steps.get(c.qualified_name, 0) >= count:
            print("  every step of this hint has been shown.")
        steps[c.qualified_name] = max(steps.get(c.qualified_name, 0), step)
    if folder.is_dir():
        _record(folder, steps)
    return 0
