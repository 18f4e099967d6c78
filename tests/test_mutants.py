"""Every mutant of every lesson loses the points of the checks it breaks (tests/mutants/<lesson>/*.py).

A mutant is the reference solution with one mistake a student could make. Lessons are independent
modules, so one grading run takes one mutant of each lesson at once: a round costs one Ray start for
up to five mutants, and runs only the checks the round's mutants must break.
"""
from __future__ import annotations

import pytest

import kit
from graders.engine import course

LESSONS = [l.name for l in course.lessons().values()]


def rounds() -> list[list[tuple[str, object]]]:
    """Round i holds the i-th mutant of each lesson that has one."""
    per_lesson = {lesson: kit.mutants(lesson) for lesson in LESSONS}
    depth = max(map(len, per_lesson.values()), default=0)
    return [[(lesson, found[i]) for lesson, found in per_lesson.items() if i < len(found)] for i in range(depth)]


@pytest.mark.parametrize("mutants", rounds(), ids=lambda r: "+".join(m.stem for _, m in r))
def test_each_mutant_loses_the_points_it_breaks(mutants, tmp_path):
    breaks = {lesson: kit.make_mutant(lesson, mutant, tmp_path / "submission")[1] for lesson, mutant in mutants}
    result = kit.grade(tmp_path / "submission", lessons=",".join(breaks),
                       checks=sorted({c for checks in breaks.values() for c in checks}))
    scores = kit.scores(result)
    survivors = [f"{mutant.stem} ({lesson}::{check}: {scores.get(f'{lesson}::{check}')})"
                 for lesson, mutant in mutants for check in breaks[lesson]
                 if scores.get(f"{lesson}::{check}", (1, 1))[0] >= scores.get(f"{lesson}::{check}", (1, 1))[1]]
    assert not survivors, "mutants that kept their points (or checks that did not run): " + ", ".join(survivors)
