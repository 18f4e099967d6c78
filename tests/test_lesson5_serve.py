"""Lesson 5's grader catches each known mistake: every mutant loses the points of the checks it breaks."""
import pytest

import kit

LESSON = "lesson5_serve"


@pytest.mark.parametrize("mutant", kit.mutants(LESSON), ids=lambda path: path.stem)
def test_mutant_loses_points(mutant, tmp_path):
    folder, breaks = kit.make_mutant(LESSON, mutant, tmp_path / "submission")
    scores = kit.scores(kit.grade(folder, lessons="5", checks=breaks))
    for name in breaks:
        score, max_score = scores[f"{LESSON}::{name}"]
        assert score < max_score, f"mutant {mutant.stem}: {name} scored {score}/{max_score}; expected fewer points"
