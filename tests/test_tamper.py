"""The tamper corpus (#28): submissions that try to change their own grade instead of earning it.

Each fragment of ``tests/tamper/<lesson>/`` is the reference with one honest mistake (its ``BREAKS``)
plus tampering: rewriting pytest's reports, raising the kit's own ``PartialCredit``, replacing the
grader's assertions, answering with an object that runs code where it is unpickled, writing the run's
output files. Tampering that any lesson can use lives in ``tests/tamper/tampering/``; a fragment names
it in ``TAMPERING``, and it goes into the submission with the fragment. Each lesson, graded on the
student's side, must give each exactly what its honest mistake costs: the fragments
are stacked as the mutants are, into layers where none can hide or cause another's mistake
(``test_mutants.layers``), a layer of each lesson graded together in one run, every check run, and the
checks each layer loses must be the union of its fragments' ``BREAKS``.
"""
from __future__ import annotations

from pathlib import Path

import pytest

import kit
import test_mutants

TAMPER = Path(__file__).parent / "tamper"
SHARED = TAMPER / "tampering"
LESSONS = sorted(p.name for p in TAMPER.iterdir() if p.is_dir() and p != SHARED)


def tampering(lesson: str) -> list[Path]:
    return sorted((TAMPER / lesson).glob("*.py"))


def with_shared_tampering(fragments: list[Path]) -> list[Path]:
    """Each fragment, after the shared tampering it names (``TAMPERING``)."""
    shared = [SHARED / f"{kit.assigned(f, 'TAMPERING')}.py" for f in fragments if kit.assigned(f, "TAMPERING")]
    missing = [p.name for p in shared if not p.is_file()]
    assert not missing, f"TAMPERING names no file of {SHARED}: {missing}"
    return shared + fragments


def tamper_layers(lesson: str) -> list[list[Path]]:
    return test_mutants.layers(lesson, tampering(lesson))


ROUNDS = test_mutants.rounds({lesson: tamper_layers(lesson) for lesson in LESSONS})  # one grading per round


def test_every_fragment_makes_a_mistake_and_names_real_tampering():
    for lesson in LESSONS:
        found = tampering(lesson)
        assert found and all(kit.breaks_of(f) for f in found), f"{lesson}: a tamper fragment without BREAKS"
        with_shared_tampering(found)


@pytest.mark.parametrize("graded", ROUNDS, ids=test_mutants.round_id)
def test_tampering_scores_what_the_honest_mistakes_score(graded, tmp_path):
    folder, expected = tmp_path / "submission", {}
    for lesson, layer in graded:
        kit.make_submission(lesson, with_shared_tampering(layer), folder)
        expected[lesson] = {name for fragment in layer for name in kit.breaks_of(fragment)}
    result = kit.grade(folder, lessons=",".join(expected))
    lost = test_mutants.lost_by_lesson(result)
    wrong = [f"{lesson} with {[f.stem for other, layer in graded if other == lesson for f in layer]}: forged "
             f"{sorted(names - lost.get(lesson, set()))}, lost besides {sorted(lost.get(lesson, set()) - names)}"
             for lesson, names in expected.items() if lost.get(lesson, set()) != names]
    assert not wrong, "\n".join(wrong)
    assert all(t["max_score"] for t in result["tests"]) and len(result["tests"]) > sum(map(len, expected.values()))
