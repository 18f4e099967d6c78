"""The student's self-check, through the command line: one next step per lesson, one message for a
failure whichever way it is graded, hints in steps, and a release that refuses to quote the answer.

Golden runs on the student release (lessons "not started" start no Ray), a half-done lesson 4 (the
reference with ``normalize`` reverted to its stub), and the fake course for the hints.
"""
from __future__ import annotations

import ast
import json
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import nbformat

import kit
from graders.engine import course, notebook
from graders.engine.commands import release
from graders.engine.commands import watch as watch_command

FAKE = {"GRADERS_PACKAGE": "fakegraders", "PYTHONPATH": str(Path(__file__).parent / "fakecourse")}
FULL = re.compile(r"^(lesson\d_\w+)::(\w+): [\d.]+ / [\d.]+ points \(", re.M)  # terminal.in_full's first line
ONE_LINE = re.compile(r"^- lesson\d_\w+::\w+ \(", re.M)  # terminal.one_line
MAX_LINES_BEFORE_SCORE = 15


def self_check(*args: str, cwd: Path = kit.KIT, env: dict | None = None, timeout: float = 900):
    """``python -m pytest ARGS`` as a student runs it, the engine's plugin loaded."""
    return subprocess.run([sys.executable, "-m", "pytest", "-p", "graders.engine.grading.plugin", "-p", "no:cacheprovider",
                           *args], cwd=cwd, capture_output=True, text=True, timeout=timeout,
                          env={**kit.os.environ, **(env or {})})


def before_score(out: str) -> list[str]:
    lines = out.splitlines()
    start = next(i for i, line in enumerate(lines) if re.fullmatch(r"=+ score =+", line))
    return lines[:start]


def stub_of(lesson: str, name: str) -> str:
    """The exercise's stub of function ``name``, as its source."""
    source = (kit.KIT / "exercises" / f"{lesson}.py").read_text()
    node = next(n for n in ast.parse(source).body if getattr(n, "name", None) == name)
    return ast.get_source_segment(source, node)


def half_done(dest: Path, lesson: str = "lesson4_data", reverted: tuple[str, ...] = ("normalize",)) -> Path:
    """The reference solution with functions put back to their stubs (a later definition wins)."""
    dest.mkdir(parents=True, exist_ok=True)
    reference = (kit.KIT / "solutions" / f"{lesson}.py").read_text()
    stubs = "\n\n".join(stub_of(lesson, name) for name in reverted)
    (dest / f"{lesson}.py").write_text(f"{reference}\n\n{stubs}\n")
    return dest


def test_untouched_release_prints_one_line_per_lesson(tmp_path):
    bundle = tmp_path / "bundle"
    made = kit.run_graders("release", str(bundle))
    assert made.returncode == 0, made.stderr
    proc = self_check("exercises/", cwd=bundle, env={"PYTHONPATH": str(bundle)})
    head, out = before_score(proc.stdout), proc.stdout
    assert len(head) <= MAX_LINES_BEFORE_SCORE, "\n".join(head)
    for lesson in course.lessons():
        (row,) = [line for line in out.splitlines() if line.startswith(f"{lesson} ")]
        assert re.search(r"0 / \d+ +not started: write \w+(\.\w+)?\(\) first", row), row
    assert "This self-check runs the public checks only" in out, out  # the release holds no hidden check
    assert out.count("not started") <= len(course.lessons()) + 1, out  # the rows, and pytest's count
    assert not FULL.search(out) and not ONE_LINE.search(out) and "ERROR" not in out, out
    assert proc.returncode == 1


def test_half_done_lesson_shows_one_failure_in_full(tmp_path):
    folder = half_done(tmp_path / "student", reverted=("normalize", "add_label"))  # two checks lost
    proc = self_check(str(folder / "lesson4_data.py"))
    out = proc.stdout
    full = FULL.findall(out)
    assert full == [("lesson4_data", "normalize_values")], out[-4000:]
    assert ONE_LINE.search(out), out[-4000:]  # the other checks that lost points, one line each
    assert "python -m graders hint lesson4_data normalize_values" in out
    assert "`normalize` still raises NotImplementedError" in out
    assert "= FAILURES =" not in out and "= ERRORS =" not in out and "short test summary" not in out, out
    table = out[out.index("= score ="):]
    assert re.search(r"lesson4_data +[\d.]+ / \d+ +2 to fix, first: normalize_values", table), table
    assert proc.returncode == 1


def test_a_hints_steps_come_out_in_order_and_are_recorded(tmp_path):
    folder = tmp_path / "student"
    folder.mkdir()
    steps = list(next(c for c in catalog_checks_of_fake() if c["name"] == "add")["hints"])
    assert len(steps) == 3

    def hint(*more: str) -> str:
        proc = kit.run_graders("hint", "1", "add", "--submission", str(folder), *more, env=FAKE)
        assert proc.returncode == 0, proc.stderr
        return proc.stdout

    assert steps[0] in hint() and steps[1] not in hint()
    shown = [hint("--more") for _ in range(4)]
    assert [steps.index(next(s for s in steps if s in out)) for out in shown] == [1, 2, 2, 2], shown
    assert "every step" in shown[-1]
    assert json.loads((folder / ".graders" / "hints.json").read_text()) == {"lesson1_fake::add": 3}
    progress = kit.run_graders("progress", "--submission", str(folder), env=FAKE).stdout
    row = next(line for line in progress.splitlines() if line.startswith("lesson1_fake"))
    assert re.search(r"\d+ / \d+ +3 ", row), progress


def catalog_checks_of_fake() -> list[dict]:
    """The fake course's checks, read in a process that imports it (the catalog is per package)."""
    code = ("import json; from graders.engine.grading import catalog; "
            "print(json.dumps([{'name': c.name, 'hints': c.hints} for c in catalog.checks('lesson1_fake')]))")
    proc = subprocess.run([sys.executable, "-c", code], cwd=kit.KIT, capture_output=True, text=True,
                          env={**kit.os.environ, **FAKE}, timeout=120)
    return json.loads(proc.stdout)


def test_release_refuses_a_stub_that_quotes_an_answer_line(tmp_path):
    """A docstring quoting an answer's line word for word leaks it; a trivial line does not."""
    copy = tmp_path / "kit"
    for rel in ("graders", "solutions", "exercises", "fixtures", "conftest.py", "pyproject.toml"):
        src = kit.KIT / rel
        ignore = shutil.ignore_patterns("__pycache__", ".cache", ".graders")
        shutil.copytree(src, copy / rel, ignore=ignore) if src.is_dir() else shutil.copy2(src, copy / rel)
    solution = copy / "solutions" / "lesson3_tune.py"
    text = solution.read_text()
    quoted = sorted(release.answers(solution)[0])[0]
    assert not release.trivial(quoted) and release.trivial("return batch") and release.trivial(")")
    func = ast.parse(text).body
    target = next(n for n in func if isinstance(n, ast.FunctionDef) and ast.get_docstring(n))
    doc = target.body[0]
    lines = text.splitlines()
    lines.insert(doc.end_lineno - 1, f"    For example: {quoted}")
    solution.write_text("\n".join(lines) + "\n")
    proc = subprocess.run([sys.executable, "-m", "graders", "release", str(tmp_path / "out")], cwd=copy,
                          capture_output=True, text=True, timeout=300, env={**kit.os.environ, "PYTHONPATH": str(copy)})
    assert proc.returncode == 1 and not (tmp_path / "out").exists()
    assert f"exercises/lesson3_tune.py: answer line {quoted!r}" in proc.stderr, proc.stderr


def test_one_failure_one_message_in_all_four_ways(tmp_path):
    """One failing submission (``normalize`` that stops at [0, 1]), one check, graded four ways: the
    self-check, ``graders grade --json``, ``graders watch --once``, nbgrader's test cell. The message
    is the grader's own sentence every time, never pytest's introspection of an assert; the checks before it
    (Ray Data reads) pass in each."""
    lesson, check = "lesson4_data", "normalize_values"
    folder, _ = kit.make_mutant(lesson, kit.MUTANTS / lesson / "normalize_zero_one.py", tmp_path / "student")

    self_check(str(folder / f"{lesson}.py"), "-k", check)
    message = json.loads((folder / ".graders" / "progress.json").read_text())[f"{lesson}::{check}"]["message"]
    assert message and not re.search(r"(^|\n)(assert |\s*\+\s+where )", message), message

    graded = kit.grade(folder, lessons="4", checks=[check])
    (test,) = [t for t in graded["tests"] if t["name"] == f"{lesson}::{check}"]
    assert re.split(r"\n+(?:\*\*)?Hint:(?:\*\*)? ", test["output"])[0] == message, test["output"]

    # A shell that names Ray's token authentication, as Ray leaves it in a process that started a local instance
    # (this xdist worker, after tests/test_fixtures.py): watch's head has none, and its drivers must not expect one.
    watch = kit.run_graders("watch", "4", "--submission", str(folder), "--once", timeout=900,
                            env={"RAY_AUTH_MODE": "token"})
    kept = folder / watch_command.RUN_LOG
    assert textwrap.indent(message, "  ") in watch.stdout, \
        watch.stdout[-3000:] + "\nthe run's log ends:\n" + (kept.read_text()[-12000:] if kept.exists() else "(none)")

    cells = tmp_path / "notebook"
    cells.mkdir()
    nb = notebook.fill_answers(notebook.lesson_notebook(kit.KIT / "solutions" / f"{lesson}.py", lesson),
                               (folder / f"{lesson}.py").read_text())
    nbformat.write(nb, cells / f"{lesson}.ipynb")
    cell = next(c.source for c in nb.cells if c.cell_type == "code" and f"run_check({lesson!r}, {check!r})" in c.source)
    ran = subprocess.run([sys.executable, "-c", cell], cwd=cells, capture_output=True, text=True, timeout=900,
                         env={**kit.os.environ, "PYTHONPATH": str(kit.KIT), "NBGRADER_EXECUTION": "autograde",
                              notebook.GRADE_ARGS_ENV: f"-k {check}"})
    assert ran.returncode == 1 and "CheckFailed" in ran.stderr, ran.stderr[-3000:]
    assert message in ran.stderr, ran.stderr[-3000:]


def test_every_grader_assert_says_why():
    """Without pytest's introspection, a bare ``assert`` would tell the student nothing."""
    for lesson in course.lessons().values():
        tree = ast.parse((course.GRADERS_DIR / lesson.filename).read_text())
        bare = [n.lineno for n in ast.walk(tree) if isinstance(n, ast.Assert) and n.msg is None]
        assert not bare, f"{lesson.filename}: asserts without a message on lines {bare}"
