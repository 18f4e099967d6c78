"""A check's marker: written by ``@check``, read here once into a ``CheckInfo``, for a collected test
(``of_item``) or for every check a grader module declares, without running them (``checks``)."""
from __future__ import annotations

import importlib
import inspect
from dataclasses import dataclass

from graders.engine import course

MAX_HINT_STEPS = 3  # the concept, the Ray API to look at, the shape of the code (never the answer)


def check(points: float, *, hint: str | tuple[str, ...] = "", hidden: bool = False):
    """Declare a grader function a check worth ``points``, with hints that do not give the answer.

    ``hint`` is one sentence, or up to three steps, each more concrete: the concept, the Ray API to
    look at, the shape of the code. ``hint=`` in the marker is the first step, ``hints=`` all of them.
    """
    import pytest

    hints = (hint,) if isinstance(hint, str) else tuple(hint)
    if len(hints) > MAX_HINT_STEPS:
        raise ValueError(f"a check has at most {MAX_HINT_STEPS} hint steps, not {len(hints)}")
    return pytest.mark.check(points=points, hint=hints[0] if hints else "", hints=hints, hidden=hidden)


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


def _info(lesson: str, function: str, mark) -> CheckInfo:
    kw = mark.kwargs
    return CheckInfo(lesson, function.removeprefix("test_"), float(kw["points"]), kw.get("hint", ""),
                     bool(kw.get("hidden")), tuple(kw.get("hints", ())))


def of_item(item) -> CheckInfo | None:
    """The check a collected pytest item is (None for any other test: not in a lesson's grader, or unmarked)."""
    package, _, lesson = getattr(getattr(item, "module", None), "__name__", "").rpartition(".")
    mark = item.get_closest_marker("check")
    if package != course.PACKAGE or lesson not in course.lessons() or mark is None:
        return None
    return _info(lesson, item.name, mark)


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
            found.append((inspect.getsourcelines(func)[1], _info(lesson, name, marks[0])))
    return [info for _, info in sorted(found, key=lambda pair: pair[0])]


def lesson_named(spec: str) -> course.Lesson:
    """A lesson from its number or module name, or a ValueError listing the lessons."""
    return course.select(spec)[0]
