"""A lesson as a Jupyter notebook for nbgrader, and the runtime its test cells call.

Export: ``solutions/<lesson>.py`` becomes a notebook: the module docstring as the title cell; each
top-level function or class as a markdown cell (its docstring, the exercise text) followed by its code
cell, an nbgrader solution cell when it holds ``### BEGIN SOLUTION`` regions (``nbgrader
generate_assignment`` clears them) or a locked cell when it is given; runs of other statements
(imports, constants) as locked cells. Then one autograder test cell per check of the lesson's grader,
worth the check's points; the cells of hidden checks sit in ``### BEGIN HIDDEN TESTS`` regions.

Runtime: Ray pickles a student's functions by module name, so the graders need the code as a module
file. ``run_check`` rebuilds ``<lesson>.py`` from the notebook's solution and given cells, as saved on
disk (nbgrader executes a notebook in its own folder), grades it once per kernel with ``python -m
graders grade`` in a subprocess (a fresh Ray), and reports one check the way nbgrader scores a test
cell: no output for full points, the points as the cell's value for partial credit, an error for none.
Grading that cannot run at all is tried again, then fails the submission in ``nbgrader autograde``
(to grade again) rather than recording zeros.
"""
from __future__ import annotations

import ast
import contextlib
import hashlib
import json
import os
import shlex
import subprocess
import sys
import tempfile
import time
import warnings
from dataclasses import dataclass
from pathlib import Path

from graders.engine.grading import catalog
from graders.engine import course

SCHEMA_VERSION = 3
BEGIN_SOLUTION = "### BEGIN SOLUTION"
GIVEN_PREFIX, CODE_PREFIX = "given_", "code_"
GRADE_ARGS_ENV = "GRADERS_GRADE_ARGS"
"""Extra options for ``graders grade`` when a notebook is graded, e.g. ``--use-gpu no --data taxi=...``."""
GRADING_ATTEMPTS = 3
GRADING_DID_NOT_RUN = 3
"""Exit status of an autograding kernel whose lesson could not be graded at all."""
KERNELSPEC = {"name": "python3", "display_name": "Python 3", "language": "python"}

HOW_TO = """\
**How this notebook works.** Replace each `raise NotImplementedError()` with your code, keeping the
code inside its cell, then run the checks at the end. Only the code cells that came with the notebook
are graded (functions you add in new cells are not: put helpers inside an answer cell). The checks
grade this notebook **as saved on disk**: save it (Ctrl-S) before running them."""

CHECKS_INTRO = """\
## Checks
Each cell below is one check of the lesson's grader, worth the points it shows. The first one you run
grades the whole lesson in a fresh Ray (it can take a few minutes), the others show its results.
Your instructor's grading adds hidden checks on data you have not seen."""


# -- export: a solution module as notebook cells ----------------------------------------------------
@dataclass(frozen=True)
class Block:
    """A piece of a module that becomes one code cell: a function, a class, or a run of statements."""

    grade_id: str
    code: str
    doc: str | None = None
    """The docstring of a function or class, shown above its code as the exercise text."""
    name: str | None = None

    @property
    def is_answer(self) -> bool:
        return BEGIN_SOLUTION in self.code


def _without_docstring(node: ast.AST, lines: list[str], start: int, end: int) -> list[str]:
    """Lines ``start`` to ``end`` of a function or class without its docstring, when it has more."""
    body = node.body
    if ast.get_docstring(node) is None or len(body) < 2:
        return lines[start - 1:end]
    doc, after = body[0], body[0].end_lineno
    while not lines[after].strip():  # the blank line that parted the docstring from the code
        after += 1
    return lines[start - 1:doc.lineno - 1] + lines[after:end]


def _end_with_trailing_comments(node: ast.AST, lines: list[str]) -> int:
    """The node's last line, counting the indented comments after its last statement (``### END ...``)."""
    end = node.end_lineno
    while end < len(lines) and (not lines[end].strip() or lines[end][0] in " \t"):
        end += 1
    while end > node.end_lineno and not lines[end - 1].strip():
        end -= 1
    return end


def blocks(source: str) -> tuple[str | None, list[Block]]:
    """The module docstring and the blocks of ``source``, in order; comments go with what follows."""
    tree = ast.parse(source)
    lines = source.splitlines()
    module_doc = ast.get_docstring(tree)
    body = tree.body[1:] if module_doc is not None else tree.body
    found, pending, given_count = [], [], 0
    previous_end = tree.body[0].end_lineno if module_doc is not None else 0

    def flush_given():
        nonlocal given_count
        if pending:
            given_count += 1
            found.append(Block(f"{GIVEN_PREFIX}{given_count}", "\n".join(pending).strip("\n")))
            pending.clear()

    for node in body:
        start, end = previous_end + 1, _end_with_trailing_comments(node, lines)
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            flush_given()
            code = "\n".join(_without_docstring(node, lines, start, end)).strip("\n")
            found.append(Block(f"{CODE_PREFIX}{node.name}", code, ast.get_docstring(node), node.name))
        else:
            pending += lines[start - 1:end]
        previous_end = end
    flush_given()
    return module_doc, found


def _cell_metadata(grade_id: str, *, solution=False, grade=False, locked=False, points=None) -> dict:
    meta = {"grade_id": grade_id, "solution": solution, "grade": grade, "locked": locked,
            "schema_version": SCHEMA_VERSION}
    if points is not None:
        meta["points"] = points
    return {"nbgrader": meta}


def test_cell_source(check: catalog.CheckInfo) -> str:
    """The code of the autograder cell of ``check``; hidden checks sit in a hidden-tests region."""
    code = (f"# check {check.qualified_name}, points: {check.points:g}\n"
            f"from graders.engine.notebook import run_check\n"
            f"run_check({check.lesson!r}, {check.name!r})")
    return f"### BEGIN HIDDEN TESTS\n{code}\n### END HIDDEN TESTS" if check.hidden else code


def _title(doc: str) -> str:
    first, _, rest = doc.partition("\n")
    return f"# {first}\n{rest}"


def lesson_notebook(solution: Path, lesson: str):
    """The nbgrader source notebook of ``lesson`` from its reference ``solution`` module."""
    import nbformat

    new_md, new_code = nbformat.v4.new_markdown_cell, nbformat.v4.new_code_cell
    module_doc, found = blocks(solution.read_text())
    checks = catalog.checks(lesson)
    clash = {b.grade_id for b in found} & {c.name for c in checks}
    if clash:
        raise ValueError(f"{lesson}: cell ids used twice: {', '.join(sorted(clash))}")
    cells = [new_md(_title(module_doc))] if module_doc else []
    cells.append(new_md(HOW_TO))
    for block in found:
        if block.doc:
            cells.append(new_md(f"### `{block.name}`\n\n{block.doc}"))
        cells.append(new_code(block.code, metadata=_cell_metadata(
            block.grade_id, solution=block.is_answer, locked=not block.is_answer)))
    cells.append(new_md(CHECKS_INTRO))
    cells += [new_code(test_cell_source(c), metadata=_cell_metadata(c.name, grade=True, locked=True, points=c.points))
              for c in checks]
    notebook = nbformat.v4.new_notebook(cells=cells)
    notebook.metadata.update(kernelspec=KERNELSPEC, language_info={"name": "python"})
    return notebook


def fill_answers(notebook, source: str):
    """Put the functions and classes of module ``source`` into the answer cells of ``notebook``.

    The way a student's work reaches a notebook: each answer cell whose function or class ``source``
    defines gets that code (a later definition wins, as in a module); the other cells stay.
    """
    code = {b.grade_id: b.code for b in blocks(source)[1] if b.name}
    for cell in notebook.cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("solution") and meta.get("grade_id") in code:
            cell.source = code[meta["grade_id"]]
    return notebook


# -- runtime: what the test cells call ----------------------------------------------------------------
class CheckFailed(AssertionError):
    """A check earned no points: the notebook shows its message, without a traceback."""

    def _render_traceback_(self) -> list[str]:
        return [f"{type(self).__name__}: {self}"]


def module_source(notebook) -> str:
    """The lesson module a notebook holds: its answer and given cells, in order (test cells left out)."""
    parts = []
    for cell in notebook.cells:
        meta = cell.metadata.get("nbgrader", {})
        if cell.cell_type == "code" and meta and not meta.get("grade"):
            parts.append(f"# ---- cell {meta.get('grade_id', '?')} ----\n{cell.source}\n")
    return "\n\n".join(parts)


def find_notebook(lesson: str) -> Path:
    """The notebook file being run: nbgrader runs it in its own folder; Jupyter names it in the kernel."""
    candidates = [Path.cwd() / f"{lesson}.ipynb"]
    if "NBGRADER_EXECUTION" not in os.environ:  # autograde and validate: always the file in the cwd
        shell = _ipython()
        names = [os.environ.get("JPY_SESSION_NAME")] + [shell.user_ns.get(k) for k in ("__vsc_ipynb_file__",) if shell]
        candidates = [Path(n) for n in names if n and str(n).endswith(".ipynb")] + candidates
    for path in candidates:
        if path.is_file():
            return path
    raise FileNotFoundError(f"cannot find the notebook of {lesson}: looked for {', '.join(map(str, candidates))}. "
                            "Run the checks from the notebook's own folder.")


def _ipython():
    try:
        from IPython import get_ipython
    except ImportError:
        return None
    return get_ipython()


def _not_run_as_saved(notebook) -> list[str]:
    """Answer cells whose saved code this kernel has not run (unsaved edits), in an interactive kernel."""
    shell = _ipython()
    ran = {text.strip() for text in (shell.user_ns.get("In", []) if shell else [])}
    if not ran or "NBGRADER_EXECUTION" in os.environ:
        return []
    return [cell.metadata.nbgrader["grade_id"] for cell in notebook.cells
            if cell.metadata.get("nbgrader", {}).get("solution") and cell.source.strip() not in ran]


_RESULTS: dict[str, dict] = {}
"""Grading results per lesson module text: one grading run per kernel and version of the code."""


def _results_key(lesson: str, source: str) -> str:
    extra = os.environ.get(GRADE_ARGS_ENV, "")
    return hashlib.sha256(json.dumps([lesson, source, extra]).encode()).hexdigest()


def _grade_once(lesson: str, source: str) -> tuple[dict | None, str]:
    """One ``python -m graders grade`` run in a subprocess: (Gradescope's JSON or None, what went wrong)."""
    with tempfile.TemporaryDirectory(prefix=f"nbgrade-{lesson}-", ignore_cleanup_errors=True) as tmp:
        folder, out = Path(tmp) / "submission", Path(tmp) / "results.json"
        folder.mkdir()
        (folder / f"{lesson}.py").write_text(source)
        extra = shlex.split(os.environ.get(GRADE_ARGS_ENV, ""))
        proc = subprocess.run([sys.executable, "-m", "graders", "grade", str(folder), "--lessons", lesson,
                               "--json", str(out), *extra], cwd=course.KIT_ROOT, capture_output=True, text=True)
        if proc.returncode == 0 and out.exists():
            return json.loads(out.read_text()), ""
        return None, f"exit {proc.returncode}:\n{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}"


def grade_module(lesson: str, source: str) -> dict:
    """``python -m graders grade`` on ``source`` as ``<lesson>.py``: Gradescope's JSON, once per text.

    Grading that cannot run (Ray did not start on a crowded machine, ...) is tried again; when it
    never runs, an autograding kernel exits, so that nbgrader reports the submission as failed (to
    grade again) instead of recording zeros.
    """
    key = _results_key(lesson, source)
    if key in _RESULTS:
        return _RESULTS[key]
    started, why = time.monotonic(), ""
    for _ in range(GRADING_ATTEMPTS):
        result, why = _grade_once(lesson, source)
        if result is not None:
            print(f"graded {lesson} in {time.monotonic() - started:.0f} s: "
                  f"{result['score']:g} / {result['max_score']:g} points")
            _RESULTS[key] = result
            return result
    message = f"grading {lesson} did not run ({GRADING_ATTEMPTS} attempts); the last one: {why}"
    if os.environ.get("NBGRADER_EXECUTION") == "autograde":
        print(f"graders: {message}\nnbgrader autograde stops this submission: grade it again.",
              file=sys.__stderr__, flush=True)
        os._exit(GRADING_DID_NOT_RUN)
    raise RuntimeError(message)


def run_check(lesson: str, name: str) -> float | None:
    """Report check ``name`` of ``lesson`` for this notebook, the way nbgrader scores a test cell.

    Full points: no value (nbgrader gives the cell's points). Partial credit: the points earned, as
    the cell's value. No points: raises ``CheckFailed`` with the check's message. Nothing goes to
    stderr, which nbgrader would score as an error.
    """
    with contextlib.redirect_stderr(sys.stdout), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return _report_check(lesson, name)


def _report_check(lesson: str, name: str) -> float | None:
    notebook_path = find_notebook(lesson)
    import nbformat

    notebook = nbformat.read(notebook_path, as_version=4)
    source = module_source(notebook)
    stale = _results_key(lesson, source) not in _RESULTS and _not_run_as_saved(notebook)
    if stale:
        print(f"Note: grading {notebook_path.name} as saved; these cells there differ from what this kernel "
              f"ran: {', '.join(stale)}. Save the notebook to grade your latest code.")
    tests = {t["name"]: t for t in grade_module(lesson, source)["tests"]}
    test = tests.get(f"{lesson}::{name}")
    if test is None:
        raise RuntimeError(f"the grader of {lesson} has no check {name!r}; it has: {', '.join(tests)}")
    score, max_score = test["score"], test["max_score"]
    if score >= max_score:
        print(f"{name}: passed, {score:g} / {max_score:g} points")
        return None
    if score <= 0:
        raise CheckFailed(f"{name}: 0 / {max_score:g} points. {test['output']}")
    print(f"{name}: {score:g} / {max_score:g} points. {test['output']}")
    return score
