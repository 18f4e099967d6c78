"""The kit checks itself, as rustlings does: one file per lesson in each place, stubs generated from the
solutions, every solution at full marks, every untouched stub at zero with "not started", and a
student release that holds no solution and no hidden check and runs its self-check on its own.
"""
from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import kit
from graders.engine.commands import assign, release
from graders.engine.grading import catalog
from graders.engine import course
from graders.engine.grading.catalog import MAX_HINT_STEPS

LESSONS = list(course.lessons().values())


def test_one_file_per_lesson_in_each_place_and_no_strays():
    for folder in ("exercises", "solutions", "graders"):
        names = {p.name for p in (kit.KIT / folder).glob("*.py") if p.name not in {"__init__.py", "__main__.py"}}
        assert names == {l.filename for l in LESSONS}, f"{folder}/ holds {sorted(names)}"


def test_exercises_are_generated_from_the_solutions():
    stale = assign.stale()
    assert not stale, f"exercises/ disagree with solutions/ for {stale}: run `python -m graders assign`"


def test_every_check_has_points_and_a_hint():
    """Points, and hint steps (the concept, the Ray API, the shape of the code): a first step that
    says something, no empty step, no more than three."""
    for lesson in LESSONS:
        checks = catalog.checks(lesson.name)
        assert checks, f"{lesson.name} has no checks"
        for c in checks:
            assert c.points > 0, f"{c.qualified_name}: give it points"
            assert c.hints and c.hints[0] == c.hint and len(c.hint) > 10, f"{c.qualified_name}: give it a hint"
            assert len(c.hints) <= MAX_HINT_STEPS, f"{c.qualified_name}: {len(c.hints)} hint steps"
            assert all(len(step.strip()) > 10 for step in c.hints), f"{c.qualified_name}: an empty hint step"


def test_hidden_checks_sit_in_hidden_regions():
    for lesson in LESSONS:
        public_source = assign.clear_hidden_tests((course.GRADERS_DIR / lesson.filename).read_text())
        assert not release.HIDDEN.search(public_source), f"{lesson.name}: a hidden check outside a hidden region"


@pytest.fixture(scope="module")
def reference(tmp_path_factory) -> dict:
    """The reference solutions, graded once, every lesson, with the student's names each check reads."""
    reach = tmp_path_factory.mktemp("reach") / "reach.json"
    result = kit.grade(kit.KIT / "solutions", extra=["-p", "graders.engine.grading.reach", "--record-reach", str(reach)])
    result["reach"] = json.loads(reach.read_text())
    return result


@pytest.fixture(scope="module")
def stubs(tmp_path_factory) -> dict:
    """The untouched stubs, graded once, every lesson."""
    return kit.grade(kit.KIT / "exercises")


@pytest.mark.parametrize("lesson", [l.name for l in LESSONS])
def test_reference_scores_full_marks(reference, lesson):
    lost = [f"{t['name']}: {t['output']}" for t in reference["tests"]
            if t["name"].startswith(lesson) and t["score"] < t["max_score"]]
    assert not lost, "\n".join(lost)


def test_every_check_of_every_lesson_was_graded(reference):
    graded = {t["name"] for t in reference["tests"]}
    declared = {c.qualified_name for l in LESSONS for c in catalog.checks(l.name)}
    assert graded == declared


def test_recorded_reach_is_current(reference):
    """Variants are graded on the checks that read what they redefine (``tests/test_mutants.py``), as
    ``tests/reach.json`` records: a check reading a name it does not list could miss a variant's mistake."""
    kept = kit.recorded_reach()
    unlisted = {f"{lesson}::{check}": sorted(set(names) - set(kept.get(lesson, {}).get(check, ())))
                for lesson, checks in reference["reach"].items() for check, names in checks.items()}
    unlisted = {check: names for check, names in unlisted.items() if names}
    assert reference["reach"] and not unlisted, f"{kit.REACH.name} is out of date: {unlisted}. {kit.REACH_REFRESH}"


def test_stubs_score_zero_and_read_not_started(stubs):
    assert stubs["score"] == 0
    wrong = [f"{t['name']}: {t['output'][:200]}" for t in stubs["tests"] if not t["output"].startswith("not started")]
    assert not wrong, "\n".join(wrong)


@pytest.fixture(scope="module")
def bundle(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("release") / "bundle"
    proc = kit.run_graders("release", str(out))
    assert proc.returncode == 0, proc.stderr
    return out


def test_release_holds_stubs_and_public_checks_only(bundle):
    assert not (bundle / "solutions").exists() and not (bundle / "tests").exists()
    assert {p.name for p in (bundle / "exercises").glob("*.py")} == {l.filename for l in LESSONS}
    assert release.leaks(bundle) == []
    for lesson in LESSONS:
        text = (bundle / "graders" / lesson.filename).read_text()
        assert "BEGIN HIDDEN TESTS" not in text and not re.search(r"hidden=True", text)


def test_release_refuses_a_bundle_that_leaks(bundle, tmp_path):
    solution = kit.KIT / "solutions" / "lesson1_taxi.py"
    lines, bodies = release.answers(solution)
    leaky = shutil.copytree(bundle, tmp_path / "leaky")
    stub = leaky / "exercises" / solution.name
    stub.write_text(stub.read_text() + f"# {sorted(lines)[0]}\n")
    (leaky / "graders" / "notes.py").write_text(solution.read_text())
    found = release.leaks(leaky)
    assert any(f.startswith("exercises/lesson1_taxi.py: answer line") for f in found), found
    assert any(f.startswith("graders/notes.py: an answer") for f in found), found


def test_release_self_checks_on_its_own(bundle, tmp_path):
    """Unpacked alone (its own graders package first on the path), the bundle's self-check runs."""
    copy = shutil.copytree(bundle, tmp_path / "unpacked")
    proc = subprocess.run([sys.executable, "-m", "pytest", "exercises/lesson4_data.py", "-p", "no:cacheprovider"],
                          cwd=copy, capture_output=True, text=True, timeout=900,
                          env={**kit.os.environ, "PYTHONPATH": str(copy)})
    assert "not started" in proc.stdout and "public checks only" in proc.stdout, proc.stdout[-3000:]
    assert proc.returncode == 1  # checks ran and failed: nothing to collect-error or crash
