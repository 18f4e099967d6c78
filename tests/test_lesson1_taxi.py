"""Lesson 1's mutants: each broken variant of the reference must lose the points of the checks it breaks."""
import pytest

import kit

LESSON = "lesson1_taxi"


@pytest.mark.parametrize("mutant", kit.mutants(LESSON), ids=lambda path: path.stem)
def test_mutant_loses_points(mutant, tmp_path):
    folder, breaks = kit.make_mutant(LESSON, mutant, tmp_path / mutant.stem)
    scores = kit.scores(kit.grade(folder, lessons="1", checks=breaks))
    for name in breaks:
        score, max_score = scores[f"{LESSON}::{name}"]
        assert score < max_score, f"mutant {mutant.stem}: check {name} kept {score}/{max_score}"
