"""``python -m graders release OUT``: the bundle handed to students.

It holds the stubs (``exercises/``), the grading engine and the public checks (``graders/``, each
lesson's hidden regions removed by nbgrader's ``ClearHiddenTests``), the code that builds the data
fixtures, and a README for students. No solution and no hidden check: ``leaks`` says what would leak.
"""
from __future__ import annotations

import ast
import contextlib
import keyword
import re
import shutil
import sys
from pathlib import Path

from graders.engine.commands import assign
from graders.engine import course

SOLUTION_REGION = re.compile(r"### BEGIN SOLUTION\n(.*?)### END SOLUTION", re.S)
HIDDEN = re.compile(r"^\s*### (BEGIN|END) HIDDEN TESTS|@check\([^)]*hidden=True", re.M)
COPIED = ["conftest.py", "pyproject.toml", "graders/engine", "graders/course.toml", "fixtures"]
IGNORED = shutil.ignore_patterns("__pycache__", "*.pyc", ".cache", ".graders")

STUDENT_README = """\
# Ray AI Libraries: exercises

Fill in the functions in `exercises/` (one file per lesson), then check your work:

    pip install -e .
    pytest exercises/                      # every lesson
    pytest exercises/lesson4_data.py       # one lesson
    pytest exercises/lesson4_data.py -k normalize   # one check
    python -m graders hint lesson4_data normalize_values          # a hint for a check
    python -m graders hint lesson4_data normalize_values --more   # its next step
    python -m graders progress             # checks passed, hint steps used, next step per lesson

A function you have not written yet reads "not started"; a started lesson shows its first check to
fix in full (add --all to see every one). The self-check runs the public checks only;
your instructor's grading adds hidden checks on data you have not seen, so make your code general.
The data sets are built on first use by the code in `fixtures/` (no download; see fixtures/README.md).
"""


def _long_lines(text: str) -> list[str]:
    return [l.strip() for l in text.splitlines() if len(l.strip()) > 25]


# A code line is trivial, and may appear anywhere, when it names fewer than MIN_NAMES distinct
# identifiers and literals besides Python's keywords: `return batch`, `pass`, `model.eval()`,
# `self.model = model`, `import numpy as np`, lone brackets. Such lines are words any description
# uses; a line naming three or more (`return ds.random_shuffle(seed=seed)`) is a piece of the answer.
MIN_NAMES = 3
_WORDS = re.compile(r"[A-Za-z_]\w*|\d[\w.]*|'[^']*'|\"[^\"]*\"")


def trivial(line: str) -> bool:
    """Whether a code line is too generic to count as quoting an answer (see ``MIN_NAMES``)."""
    code = re.sub(r"(^|\s)#.*$", "", line).strip()
    return len(set(_WORDS.findall(code)) - set(keyword.kwlist)) < MIN_NAMES


def code_lines(text: str) -> set[str]:
    """The stripped code lines of a module, docstrings and comments left out."""
    lines = text.splitlines()
    prose = set()
    with contextlib.suppress(SyntaxError):
        for node in ast.walk(ast.parse(text)):
            body = getattr(node, "body", None)
            if (isinstance(body, list) and body and isinstance(body[0], ast.Expr)
                    and isinstance(body[0].value, ast.Constant) and isinstance(body[0].value.value, str)):
                prose |= set(range(body[0].lineno - 1, body[0].end_lineno))
    return {l.strip() for i, l in enumerate(lines) if i not in prose and l.strip() and not l.strip().startswith("#")}


def answers(solution: Path) -> tuple[set[str], list[str]]:
    """A solution's answer lines (the non-trivial code lines of its answer regions that its given code
    does not hold too), and its multi-line answer bodies."""
    text = solution.read_text()
    given = code_lines(SOLUTION_REGION.sub("", text))  # code the stub shows anyway; docstrings are no excuse
    regions = SOLUTION_REGION.findall(text)
    lines = {l for region in regions for l in code_lines(region) if not trivial(l) and l not in given}
    bodies = ["\n".join(_long_lines(r)) for r in regions if len(_long_lines(r)) >= 2]
    return lines, bodies


def leaks(bundle: Path, kit_root: Path = course.KIT_ROOT, *, hidden_checks: bool = False) -> list[str]:
    """What of the solutions or hidden checks a bundle gives away ("file: text"), ideally nothing.

    A stub holds none of its lesson's answer lines, not even quoted in a docstring; no file holds a whole answer body (a grader may
    share a line with an answer, such as loading a checkpoint, but not an answer), unless the course
    gives that code in another lesson (lesson 3 gives lesson 2's model, as the course notebook does);
    no file holds a hidden check, unless ``hidden_checks`` (an instructor's bundle, which grades them).
    """
    files = sorted(p for p in bundle.rglob("*") if p.is_file() and p.suffix in {".py", ".md", ".toml", ".ipynb"})
    flat = {p: "\n".join(_long_lines(p.read_text(errors="replace"))) for p in files}
    solutions = sorted((kit_root / "solutions").glob("lesson*.py"))
    given = {p: "\n".join(_long_lines(SOLUTION_REGION.sub("", p.read_text()))) for p in solutions}
    found = []
    for solution in solutions:
        lines, bodies = answers(solution)
        bodies = [b for b in bodies if not any(b in text for other, text in given.items() if other != solution)]
        stub = bundle / "exercises" / solution.name
        if stub.exists():
            found += [f"exercises/{solution.name}: answer line {l!r}" for l in sorted(lines) if l in stub.read_text()]
        found += [f"{p.relative_to(bundle)}: an answer of solutions/{solution.name}" for p in files
                  for body in bodies if body in flat[p]]
    for path in [] if hidden_checks else files:
        found += [f"{path.relative_to(bundle)}: hidden check {m.group(0).strip()!r}"
                  for m in HIDDEN.finditer(path.read_text(errors="replace"))]
    return found


def build(out: Path, kit_root: Path = course.KIT_ROOT, *, hidden_checks: bool = False,
          readme: str = STUDENT_README) -> Path:
    """Write the bundle to ``out`` (which must not exist yet); ``hidden_checks`` keeps them in the graders."""
    if out.exists():
        raise FileExistsError(f"{out} exists; choose a new folder for the release")
    out.mkdir(parents=True)
    for rel in COPIED:
        src = kit_root / rel
        (shutil.copytree(src, out / rel, ignore=IGNORED) if src.is_dir() else shutil.copy2(src, out / rel))
    (out / "graders" / "__init__.py").write_text((kit_root / "graders" / "__init__.py").read_text())
    (out / "graders" / "__main__.py").write_text((kit_root / "graders" / "__main__.py").read_text())
    (out / "exercises").mkdir()
    for lesson in course.lessons().values():
        solution, grader = kit_root / "solutions" / lesson.filename, kit_root / "graders" / lesson.filename
        if solution.exists():
            (out / "exercises" / lesson.filename).write_text(assign.stub_for(solution))
        if grader.exists():
            text = grader.read_text()
            (out / "graders" / lesson.filename).write_text(text if hidden_checks else assign.clear_hidden_tests(text))
    (out / "README.md").write_text(readme)
    return out


def main(*, out: str) -> int:
    """Build the student bundle and refuse to leave one that leaks."""
    try:
        bundle = build(Path(out))
    except FileExistsError as exc:
        print(f"graders release: {exc}", file=sys.stderr)
        return 2
    found = leaks(bundle)
    if found:
        shutil.rmtree(bundle)
        print("graders release: the bundle would leak, so it was removed:\n  " + "\n  ".join(found), file=sys.stderr)
        return 1
    print(f"wrote the student release to {bundle}: exercises/, graders/ (public checks), fixtures/, README.md")
    return 0
