"""``python -m graders nbgrader OUT``: an nbgrader course directory made from ``solutions/``.

``OUT/source/<lesson>/<lesson>.ipynb`` for each lesson that has a solution and a grader (see
``notebook``), and ``OUT/nbgrader_config.py`` (written once: an instructor may edit it). From there it
is nbgrader's usual course: ``nbgrader generate_assignment``, release, collect, ``nbgrader autograde``.
"""
from __future__ import annotations

import sys
from pathlib import Path

from graders.engine.grading import catalog
from graders.engine import course, notebook

COURSE_ID = "ray-ai-libraries"
STARTUP_S = 300
"""Seconds a grading run may take beyond its checks' budgets (starting Python, Ray, fixtures)."""

CONFIG = '''\
"""nbgrader configuration of the Ray AI Libraries course, written by `python -m graders nbgrader`."""
c = get_config()  # noqa: F821 (nbgrader defines it)
c.CourseDirectory.course_id = {course_id!r}
# The first test cell of a notebook grades the whole lesson in a fresh Ray: each check has its
# lesson's time budget (graders/course.toml); this bounds a cell by the longest lesson's budgets.
c.ExecutePreprocessor.timeout = {timeout}
'''


def grading_budget(lesson: course.Lesson) -> int:
    """Seconds the first test cell of a lesson's notebook may take: every check's budget, plus start-up."""
    return int(len(catalog.checks(lesson.name)) * lesson.check_timeout) + STARTUP_S


def export(out: Path, *, solutions: Path, lessons: list[course.Lesson]) -> list[Path]:
    """Write the source notebooks of ``lessons`` (those with a solution and checks), and the config once."""
    import nbformat

    written = []
    for lesson in lessons:
        solution = solutions / lesson.filename
        if not solution.exists() or not catalog.checks(lesson.name):
            print(f"skipped {lesson.name}: no {'solution' if not solution.exists() else 'grader'} yet")
            continue
        path = out / "source" / lesson.name / f"{lesson.name}.ipynb"
        path.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(notebook.lesson_notebook(solution, lesson.name), path)
        written.append(path)
    config = out / "nbgrader_config.py"
    if not config.exists():  # the longest lesson's budget, so that later exports of other lessons fit
        timeout = max(grading_budget(lesson) for lesson in course.lessons().values())
        config.write_text(CONFIG.format(course_id=COURSE_ID, timeout=timeout))
        written.append(config)
    return written


def main(*, out: str, solutions: str | None = None, lessons: str | None = None) -> int:
    """Export the course to ``out`` for nbgrader."""
    try:
        chosen = course.select(lessons)
    except ValueError as exc:
        print(f"graders nbgrader: {exc}", file=sys.stderr)
        return 2
    folder = Path(solutions) if solutions else course.KIT_ROOT / "solutions"
    written = export(Path(out), solutions=folder, lessons=chosen)
    for path in written:
        print(f"wrote {path}")
    if not any(p.suffix == ".ipynb" for p in written):
        print(f"graders nbgrader: no lesson exported from {folder}", file=sys.stderr)
        return 1
    print(f"next: cd {out} && nbgrader generate_assignment LESSON  (see README, 'Grading with nbgrader')")
    return 0
