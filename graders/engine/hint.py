"""``python -m graders hint LESSON [CHECK]``: a check's hint (the concept or the Ray API, not the answer)."""
from __future__ import annotations

import sys

from graders.engine import catalog


def main(*, lesson: str, check: str | None = None) -> int:
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
    for c in known:
        print(f"{c.qualified_name} ({c.points:g} points): {c.hint or 'no hint for this one.'}")
    return 0
