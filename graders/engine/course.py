"""The course table (``graders/course.toml``) as read-only objects, and the kit's paths."""
from __future__ import annotations

import functools
import importlib.util
import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

KIT_ROOT = Path(__file__).resolve().parents[2]
# The package holding course.toml and one grader module per lesson. The kit's own tests point this
# at a tiny made-up course to test the engine apart from the lessons.
PACKAGE = os.environ.get("GRADERS_PACKAGE", "graders")
GRADERS_DIR = Path(importlib.util.find_spec(PACKAGE).submodule_search_locations[0]).resolve()


@dataclass(frozen=True)
class Lesson:
    """One lesson: its module name (the same in exercises/, solutions/ and graders/)."""

    name: str
    """Module name, e.g. ``lesson1_taxi``."""
    title: str
    check_timeout: float
    """Seconds one check (its fixtures included) may take before it alone fails."""
    thresholds: dict = field(default_factory=dict)

    @property
    def number(self) -> int:
        """The lesson's number, from its name (``lesson3_tune`` is 3)."""
        return int(self.name.split("_")[0].removeprefix("lesson"))

    @property
    def filename(self) -> str:
        return f"{self.name}.py"


@functools.cache
def lessons() -> dict[str, Lesson]:
    """All lessons by module name, in course order."""
    table = tomllib.loads((GRADERS_DIR / "course.toml").read_text())["lessons"]
    return {
        name: Lesson(name, row["title"], float(row["check_timeout"]), row.get("thresholds", {}))
        for name, row in table.items()
    }


def select(spec: str | None) -> list[Lesson]:
    """Lessons named by a ``--lessons`` value such as ``1,4`` or ``lesson2_train``; all when empty."""
    every = list(lessons().values())
    if not spec:
        return every
    chosen = []
    for part in (p.strip() for p in spec.split(",") if p.strip()):
        match = [l for l in every if part in (str(l.number), l.name)]
        if not match:
            known = ", ".join(f"{l.number} ({l.name})" for l in every)
            raise ValueError(f"--lessons: no lesson {part!r}; the lessons are {known}")
        chosen += [l for l in match if l not in chosen]
    return chosen
