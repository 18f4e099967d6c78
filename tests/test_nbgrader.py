"""nbgrader, for real: ``python -m graders nbgrader`` exports a lesson, ``nbgrader generate_assignment``
releases it, submitted notebooks (the reference, the stub, a mutant) go through ``nbgrader autograde``,
and the gradebook's points equal those of ``python -m graders grade`` on the same code as a module.

On the made-up course (tests/fakecourse), fast; and on lesson 5, with Ray Serve in the graders, when
``KIT_SLOW_TESTS=1`` (minutes). A student's ``nbgrader validate`` of a finished release notebook passes,
and a lesson that cannot be graded at all fails its submission in nbgrader instead of scoring zero.
"""
from __future__ import annotations

import math
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

import nbformat
import pytest

import kit
from graders.engine.commands import assign
from graders.engine import notebook

FAKECOURSE = Path(__file__).parent / "fakecourse"
FAKE = {"GRADERS_PACKAGE": "fakegraders", "PYTHONPATH": os.pathsep.join([str(kit.KIT), str(FAKECOURSE)])}
KIT_ON_PATH = {"PYTHONPATH": str(kit.KIT)}
COURSE_ID = "ray-ai-libraries"
POINTS_TOLERANCE = 1e-6  # the gradebook stores points as floats


@dataclass(frozen=True)
class Course:
    """A lesson to put through nbgrader: its solution, one mutant, where its graders live."""

    lesson: str
    solutions: Path
    mutant: Path
    env: dict
    lesson_number: str

    def code(self, student: str) -> str:
        """The student's module: the reference, the stub, or the reference with the mutant appended."""
        solution = self.solutions / f"{self.lesson}.py"
        if student == "stub":
            return assign.stub_for(solution)
        return solution.read_text() + (f"\n\n{self.mutant.read_text()}" if student == "mutant" else "")

    def notebook(self, release, student: str):
        """What the student submits: the release notebook with their code in its answer cells.

        A mutant's overrides sit at the end of the last answer cell, as a student's extra code would:
        the notebook's module is then the same code as the mutant's ``.py``.
        """
        submitted = nbformat.reads(nbformat.writes(release), as_version=4)
        if student == "stub":
            return submitted
        notebook.fill_answers(submitted, self.code("reference"))
        if student == "mutant":
            answers = [c for c in submitted.cells if c.metadata.get("nbgrader", {}).get("solution")]
            answers[-1].source += f"\n\n\n{self.mutant.read_text()}"
        return submitted


FAKE_COURSE = Course("lesson1_fake", FAKECOURSE / "solutions",
                     FAKECOURSE / "mutants" / "lesson1_fake" / "abs_and_first.py", FAKE, "1")
SERVE_COURSE = Course("lesson5_serve", kit.KIT / "solutions", kit.MUTANTS / "lesson5_serve" / "bad_body_500.py",
                      KIT_ON_PATH, "5")
STUDENTS = ["reference", "stub", "mutant"]


def nbgrader(folder: Path, env: dict, *args: str, ok: bool = True) -> subprocess.CompletedProcess:
    """Run ``nbgrader ARGS`` in ``folder``, as an instructor would (the kit importable by the kernel)."""
    proc = subprocess.run(["nbgrader", *args], cwd=folder, capture_output=True, text=True, timeout=1800,
                          env={**os.environ, **env})
    assert (proc.returncode == 0) == ok, (f"nbgrader {' '.join(args)}: exit {proc.returncode}\n"
                                          f"{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
    return proc


def submit(course_dir: Path, course: Course, student: str) -> None:
    """Place the student's notebook where nbgrader collects it: ``submitted/<student>/<lesson>/``."""
    folder = course_dir / "submitted" / student / course.lesson
    folder.mkdir(parents=True)
    nbformat.write(course.notebook(read(course_dir / "release", course.lesson), student),
                   folder / f"{course.lesson}.ipynb")


def autograded_course(out: Path, course: Course, students: list[str]) -> Path:
    """Export ``course`` to ``out``, generate its assignment, and autograde the students' notebooks."""
    proc = kit.run_graders("nbgrader", str(out), "--lessons", course.lesson_number, "--solutions",
                           str(course.solutions), env=course.env, timeout=600)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    nbgrader(out, course.env, "generate_assignment", course.lesson)
    for student in students:
        submit(out, course, student)
    nbgrader(out, course.env, "autograde", course.lesson)
    return out


def read(root: Path, lesson: str):
    return nbformat.read(root / lesson / f"{lesson}.ipynb", as_version=4)


def compare_points(course_dir: Path, course: Course, student: str, tmp_path: Path) -> dict[str, tuple[float, float]]:
    """Assert that nbgrader's points equal ``graders grade``'s on the same code; (points, max) per check."""
    from nbgrader.api import Gradebook

    (tmp_path / f"{course.lesson}.py").write_text(course.code(student))
    direct = {name.partition("::")[2]: points for name, points in
              kit.scores(kit.grade(tmp_path, lessons=course.lesson_number, env=course.env)).items()}
    with Gradebook(f"sqlite:///{course_dir / 'gradebook.db'}", COURSE_ID) as gb:
        graded = gb.find_submission_notebook(course.lesson, course.lesson, student)
        in_notebook = {grade.name: (grade.score, grade.max_score) for grade in graded.grades}
    assert in_notebook.keys() == direct.keys()
    differ = {name: (in_notebook[name], direct[name]) for name in direct
              if not all(math.isclose(a, b, rel_tol=0, abs_tol=POINTS_TOLERANCE)
                         for a, b in zip(in_notebook[name], direct[name]))}
    assert not differ, f"check: ((nbgrader points, max), (graders points, max)): {differ}"
    return in_notebook


@pytest.fixture(scope="module")
def fake_course(tmp_path_factory) -> Path:
    return autograded_course(tmp_path_factory.mktemp("nbgrader-fake"), FAKE_COURSE, STUDENTS)


def test_source_notebook_marks_cells_for_nbgrader(fake_course):
    cells = read(fake_course / "source", FAKE_COURSE.lesson).cells
    meta = {c.metadata["nbgrader"]["grade_id"]: c.metadata["nbgrader"] for c in cells if "nbgrader" in c.metadata}
    assert [k for k, m in meta.items() if m["solution"]] == ["code_add", "code_accuracy", "code_spin"]
    assert meta["given_1"]["locked"] and meta["code_mean"]["locked"] and not meta["code_mean"]["solution"]
    assert {k: m["points"] for k, m in meta.items() if m["grade"]} == {"add": 2, "accuracy": 4, "finishes": 1,
                                                                       "hidden_add": 1}
    assert cells[0].source.startswith("# Lesson 1 (made up)")
    assert any(c.source.startswith("### `accuracy`\n\nThe mean of ``SCORES``") for c in cells)
    assert "c.CourseDirectory.course_id" in (fake_course / "nbgrader_config.py").read_text()


def test_release_notebook_holds_stubs_and_no_hidden_check(fake_course):
    text = (fake_course / "release" / FAKE_COURSE.lesson / f"{FAKE_COURSE.lesson}.ipynb").read_text()
    assert "raise NotImplementedError()" in text and "mean(SCORES)" not in text
    assert "hidden_add')" not in text and "HIDDEN TESTS" not in text


@pytest.mark.parametrize("student, total", [("reference", 8), ("stub", 0), ("mutant", 6)])
def test_autograde_points_equal_graders_grade(fake_course, student, total, tmp_path):
    points = compare_points(fake_course, FAKE_COURSE, student, tmp_path)
    assert sum(score for score, _ in points.values()) == pytest.approx(total)  # mutant: accuracy 3/4, hidden_add 0


def test_autograded_notebook_shows_feedback(fake_course):
    cells = read(fake_course / "autograded" / "mutant", FAKE_COURSE.lesson).cells
    outputs = {c.metadata["nbgrader"]["grade_id"]: c.outputs for c in cells
               if c.metadata.get("nbgrader", {}).get("grade")}
    partial = outputs["accuracy"]
    assert "measured 0.8" in partial[0]["text"] and partial[-1]["data"]["text/plain"] == "3.0"
    failed = outputs["hidden_add"][-1]
    assert failed["ename"] == "CheckFailed" and failed["traceback"] == [f"CheckFailed: {failed['evalue']}"]


def test_student_validates_finished_release_notebook(fake_course, tmp_path):
    path = tmp_path / f"{FAKE_COURSE.lesson}.ipynb"
    nbformat.write(FAKE_COURSE.notebook(read(fake_course / "release", FAKE_COURSE.lesson), "reference"), path)
    proc = nbgrader(tmp_path, FAKE_COURSE.env, "validate", str(path))
    assert "Success! Your notebook passes all the tests." in proc.stdout


def test_grading_that_cannot_run_fails_the_submission_instead_of_scoring_zero(fake_course):
    submit(fake_course, FAKE_COURSE, "unlucky")
    broken = {**FAKE_COURSE.env, notebook.GRADE_ARGS_ENV: "--use-gpu maybe"}  # `graders grade` cannot run
    proc = nbgrader(fake_course, broken, "autograde", FAKE_COURSE.lesson, "--student", "unlucky", ok=False)
    assert "grading lesson1_fake did not run (3 attempts)" in proc.stderr
    assert "error processing assignment 'lesson1_fake' for student 'unlucky'" in proc.stderr
    assert not (fake_course / "autograded" / "unlucky" / FAKE_COURSE.lesson).exists()
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{fake_course / 'gradebook.db'}", COURSE_ID) as gb:
        graded = gb.find_submission_notebook(FAKE_COURSE.lesson, FAKE_COURSE.lesson, "unlucky")
        assert all(grade.auto_score is None for grade in graded.grades)  # not graded, rather than zero


@pytest.mark.skipif(os.environ.get("KIT_SLOW_TESTS") != "1", reason="minutes of Ray Serve: set KIT_SLOW_TESTS=1")
def test_lesson5_autograde_points_equal_graders_grade(tmp_path_factory, tmp_path):
    course_dir = autograded_course(tmp_path_factory.mktemp("nbgrader-lesson5"), SERVE_COURSE, ["mutant"])
    points = compare_points(course_dir, SERVE_COURSE, "mutant", tmp_path)
    assert 0 < sum(score for score, _ in points.values()) < sum(top for _, top in points.values())
