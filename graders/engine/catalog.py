"""The checks of each lesson, read from the grader modules without running them."""
from __future__ import annotations

import importlib
import inspect
from dataclasses import dataclass

from graders.engine import course


@dataclass(frozen=True)
class CheckInfo:
    """A check as declared by ``@check`` in ``graders/<lesson>.py``."""

    lesson: str
    name: str
    """Without the ``test_`` prefix, as reports name it."""
    points: float
    hint: str
    """The first hint step."""
    hidden: bool
    hints: tuple[str, ...] = ()
    """Every hint step, in order (``@check(hint=...)``)."""

    @property
    def qualified_name(self) -> str:
        return f"{self.lesson}::{self.name}"


def checks(lesson: str) -> list[CheckInfo]:
    """The lesson's checks in the order the grader declares them (an empty list without a grader)."""
    try:
        module = importlib.import_module(f"{course.PACKAGE}.{lesson}")
    except ModuleNotFoundError:
        return []
    found = []
    for name, func in vars(module).items():
        marks = [m for m in getattr(func, "pytestmark", []) if m.name == "check"]
        if name.startswith("test_") and marks:
            kw = marks[0].kwargs
            found.append((inspect.getsourcelines(func)[1], CheckInfo(
                lesson, name.removeprefix("test_"), float(kw["points"]), kw.get("hint", ""), bool(kw.get("hidden")),
                tuple(kw.get("hints", ())))))
    return [info for _, info in sorted(found, key=lambda pair: pair[0])]


def lesson_named(spec: str) -> course.Lesson:
    """A lesson from its number or module name, or a ValueError listing the lessons."""
    return course.select(spec)[0]
