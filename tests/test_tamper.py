"""The tamper corpus (#28): submissions that try to change their own grade instead of earning it.

Each fragment of ``tests/tamper/<lesson>/`` is the reference with one honest mistake (its ``BREAKS``)
plus tampering: rewriting pytest's reports, raising the kit's own ``PartialCredit``, replacing the
grader's assertions, answering with an object that runs code where it is unpickled, writing the run's
output files. Tampering that any lesson can use lives in ``tests/tamper/tampering/``; a fragment names
it in ``TAMPERING``, and it goes into the submission with the fragment. A lesson graded on the student's side (``STUDENT_SIDE``) must give each exactly what its
honest mistake costs: the fragments are stacked into one submission (they redefine different names),
every check of the lesson is run, and the checks lost must be the union of their ``BREAKS``.
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


def test_tamper_fragments_stack():
    for lesson in LESSONS:
        found = tampering(lesson)
        together = [(a.stem, b.stem) for a in found for b in found if a != b and test_mutants.clash(a, b)]
        assert found and not together, f"{lesson}: tamper fragments that redefine the same names: {together}"


@pytest.mark.parametrize("lesson", LESSONS)
def test_tampering_scores_what_the_honest_mistakes_score(lesson, tmp_path):
    found = tampering(lesson)
    expected = {name for fragment in found for name in kit.breaks_of(fragment)}
    folder = kit.make_submission(lesson, with_shared_tampering(found), tmp_path / "submission")
    result = kit.grade(folder, lessons=lesson)
    lost = test_mutants.lost_by_lesson(result).get(lesson, set())
    assert lost == expected, (f"{lesson} with {[f.stem for f in found]}: forged {sorted(expected - lost)}, "
                              f"lost besides {sorted(lost - expected)}")
    assert all(t["max_score"] for t in result["tests"]) and len(result["tests"]) > len(expected)
