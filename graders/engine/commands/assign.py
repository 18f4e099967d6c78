"""``python -m graders assign``: write ``exercises/`` from ``solutions/``, the single source.

Each solution marks its answers with nbgrader's ``### BEGIN SOLUTION`` / ``### END SOLUTION``;
nbgrader's own ``ClearSolutions`` preprocessor turns them into stubs (a ``.py`` text passes through it
as a one-cell notebook). ``--check`` only reports whether ``exercises/`` is up to date.
"""
from __future__ import annotations

import sys
from pathlib import Path

from graders.engine import course

def _run_preprocessor(preprocessor, source: str) -> str:
    """Pass a Python text through an nbgrader preprocessor as a one-cell notebook."""
    import nbformat

    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_code_cell(source)]
    notebook.metadata["kernelspec"] = {"name": "python3", "language": "python", "display_name": "Python 3"}
    notebook, _ = preprocessor.preprocess(notebook, {})
    text = notebook.cells[0].source
    return text if text.endswith("\n") else text + "\n"


def clear_solutions(source: str) -> str:
    """The stub of a solution: every solution region becomes ``raise NotImplementedError()``."""
    from nbgrader.preprocessors import ClearSolutions

    return _run_preprocessor(ClearSolutions(enforce_metadata=False), source)


def clear_hidden_tests(source: str) -> str:
    """A grader without its hidden checks (``### BEGIN HIDDEN TESTS`` regions removed)."""
    from nbgrader.preprocessors import ClearHiddenTests

    return _run_preprocessor(ClearHiddenTests(enforce_metadata=False), source)


def stub_for(solution: Path) -> str:
    """The exercise file that ``solution`` generates."""
    return clear_solutions(solution.read_text())


def stale(kit_root: Path = course.KIT_ROOT) -> list[str]:
    """Lesson files whose exercise differs from what its solution generates."""
    out = []
    for lesson in course.lessons().values():
        solution, exercise = kit_root / "solutions" / lesson.filename, kit_root / "exercises" / lesson.filename
        if solution.exists() and (not exercise.exists() or exercise.read_text() != stub_for(solution)):
            out.append(lesson.filename)
    return out


def main(*, check: bool = False) -> int:
    """Regenerate ``exercises/`` (or, with ``check``, only say which files are stale)."""
    root = course.KIT_ROOT
    todo = stale(root)
    if check:
        for name in todo:
            print(f"exercises/{name} is stale: run `python -m graders assign`", file=sys.stderr)
        return 1 if todo else 0
    for name in todo:
        (root / "exercises" / name).write_text(stub_for(root / "solutions" / name))
        print(f"wrote exercises/{name}")
    if not todo:
        print("exercises/ is up to date")
    return 0
