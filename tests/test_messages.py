"""No message without its reason: whatever fails a check, the student reads what was expected.

- every ``assert`` of the lesson graders and of the engine helpers they call (``shapes``, ``probes``),
  and every ``AssertionError`` they raise, carries a message that says what was expected ("... is X;
  expected Y"): a bare ``assert`` would read "the check's condition did not hold" (``feedback``);
- graded: mistakes that fail lesson 4's checks run in this process (no Ray) each read as the grader's
  sentence with what was expected, and an error raised in the student's code as that error and the
  line of their code it came from.
"""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

import kit

FALLBACK = "the check's condition did not hold"  # feedback.describe's words for an assert without message
SOURCES = sorted((kit.KIT / "graders").glob("lesson*.py")) + [kit.KIT / "graders" / "engine" / "grading" / name
                                                              for name in ("shapes.py", "probes.py")]


def texts(node: ast.expr | None) -> list[str] | None:
    """Every text a message expression can read as (``{}`` for a value it formats), or None when its text
    cannot be read from the code (a variable holding a message made elsewhere)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.JoinedStr):
        return ["".join(v.value if isinstance(v, ast.Constant) else "{}" for v in node.values)]
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = texts(node.left), texts(node.right)
        return None if left is None or right is None else [a + b for a in left for b in right]
    if isinstance(node, ast.IfExp):
        body, orelse = texts(node.body), texts(node.orelse)
        return None if body is None or orelse is None else body + orelse
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "join":
        return ["{}"]
    return None


def messages(source: Path):
    """(line, message expression) of each ``assert`` and each ``raise AssertionError(...)`` of ``source``."""
    for node in ast.walk(ast.parse(source.read_text())):
        if isinstance(node, ast.Assert):
            yield node.lineno, node.msg
        elif (isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call)
              and getattr(node.exc.func, "id", None) == "AssertionError"):
            yield node.lineno, node.exc.args[0] if node.exc.args else None


def reasonless(source: Path) -> list[str]:
    found = []
    for line, message in messages(source):
        read = texts(message)
        if message is None:
            found.append(f"line {line}: no message (the student would read {FALLBACK!r})")
        elif read is None:
            found.append(f"line {line}: a message made elsewhere ({ast.unparse(message)}): write it here")
        elif not all("expect" in text.lower() for text in read):
            found.append(f"line {line}: says nothing of what was expected: {read[0][:100]!r}")
    return found


@pytest.mark.parametrize("source", SOURCES, ids=[path.name for path in SOURCES])
def test_every_assertion_says_what_was_expected(source):
    found = reasonless(source)
    assert not found, f"{source.relative_to(kit.KIT)}:\n" + "\n".join(found)


def test_the_rule_catches_what_it_should(tmp_path):
    code = tmp_path / "grader.py"
    code.write_text("assert a\nassert a, why\nassert a, 'no reason'\nassert a, f'got {a}'\n"
                    "assert a, f'got {a}; expected 1' if b else 'none'\nraise AssertionError(f'got {a}')\n"
                    "assert a, f'got {a}; expected 1'\nraise AssertionError('expected ' + ', '.join(b))\n")
    assert [line.split(":")[0] for line in reasonless(code)] == [f"line {n}" for n in range(1, 7)]


# A student's own error: their exception and the line of their code it came from.
OWN_ERROR = '''
def compute_accuracy(group):
    assert len(group["predicted_label"]) > 100
    return {"accuracy": [0.0], "ground_truth_label": group["ground_truth_label"][:1]}
'''


def test_lost_checks_read_with_their_reason(tmp_path):
    """Lesson 4's checks that run in this process, each failed by one mistake (one by the student's own
    bare ``assert``): every lost check says what was expected, or shows the student's error and line."""
    own = tmp_path / "own_error.py"
    own.write_text(OWN_ERROR)
    fragments = [kit.MUTANTS / "lesson4_data" / f"{name}.py" for name in ("normalize_zero_one", "label_from_file_name",
                                                                        "classifier_max_not_argmax")] + [own]
    folder = kit.make_submission("lesson4_data", fragments, tmp_path / "submission")
    checks = ["normalize_values", "add_label_from_folder", "classifier_predicts", "compute_accuracy_one_row"]
    result = kit.grade(folder, lessons="4", checks=checks)
    outputs = {t["name"].split("::")[1]: t["output"] for t in result["tests"] if t["score"] < t["max_score"]}
    assert set(outputs) == set(checks), f"lost {sorted(outputs)}; expected {checks}"
    unexplained = {name: text for name, text in outputs.items()
                   if FALLBACK in text or not ("expected" in text or "in your code" in text)}
    assert not unexplained, f"lost checks whose feedback gives no reason: {unexplained}"
    assert "lesson4_data.py, line" in outputs["compute_accuracy_one_row"], outputs["compute_accuracy_one_row"]
