"""Every mutant of lesson2_train loses points on each check it lists in BREAKS."""
import pytest

import kit

LESSON = "lesson2_train"


@pytest.mark.parametrize("mutant", kit.mutants(LESSON), ids=lambda path: path.stem)
def test_mutant_loses_points(mutant, tmp_path):
    """Grade only the checks the mutant breaks; each must score below its maximum."""
    folder, breaks = kit.make_mutant(LESSON, mutant, tmp_path)
    scores = kit.scores(kit.grade(folder, lessons=LESSON, checks=breaks))
    kept = [name for name in breaks if scores[f"{LESSON}::{name}"][0] >= scores[f"{LESSON}::{name}"][1]]
    assert not kept, f"{mutant.stem} kept full points on {kept}"
