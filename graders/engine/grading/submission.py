"""A student's lesson file in a submission directory, read without importing it (the student's side
imports it): missing, or every exercise still its stub."""
from __future__ import annotations

import ast
from pathlib import Path

from graders.engine import course


class LessonUnavailable(Exception):
    """The lesson's module is missing or does not import: every check of the lesson scores zero."""


class LessonNotStarted(NotImplementedError):
    """Every exercise of the lesson is still the stub: its checks read "not started" before starting Ray."""


def stub_functions(source: str) -> set[str]:
    """Functions and methods (``name`` or ``Class.name``) whose body only raises NotImplementedError."""
    def is_stub(node) -> bool:
        body = node.body[1:] if ast.get_docstring(node) is not None else node.body
        raised = body[0].exc if len(body) == 1 and isinstance(body[0], ast.Raise) else None
        target = raised.func if isinstance(raised, ast.Call) else raised
        return isinstance(target, ast.Name) and target.id == "NotImplementedError"

    latest, functions = {}, (ast.FunctionDef, ast.AsyncFunctionDef)
    for node in ast.parse(source).body:  # a later definition replaces an earlier one, as when the module runs
        if isinstance(node, ast.ClassDef):
            latest = {k: v for k, v in latest.items() if not k.startswith(f"{node.name}.")}
            latest |= {f"{node.name}.{m.name}": is_stub(m) for m in node.body if isinstance(m, functions)}
        elif isinstance(node, functions):
            latest[node.name] = is_stub(node)
    return {name for name, stub in latest.items() if stub}


def is_stub(path, lesson: str) -> bool:
    """True when every function the lesson's exercise leaves to the student is still its stub in the file at
    ``path`` (read, never imported)."""
    exercise = course.KIT_ROOT / "exercises" / f"{lesson}.py"
    try:
        todo = stub_functions(exercise.read_text())
        return bool(todo) and todo <= stub_functions(Path(path).read_text())
    except (OSError, SyntaxError, TypeError):  # no exercise to compare with: check as usual
        return False


def lesson_file(submission: Path, lesson: str) -> Path:
    """``<submission>/<lesson>.py``; the lesson scores zero when it is missing."""
    path = (submission / f"{lesson}.py").resolve()
    if not path.is_file():
        raise LessonUnavailable(
            f"{lesson}.py is missing from {submission}: the lesson scores zero. "
            f"Put your {lesson}.py in that folder (start from exercises/{lesson}.py).")
    return path


def runs_student_code(folder: Path, lessons) -> bool:
    """Whether grading ``folder`` for ``lessons`` (``course.Lesson``) runs any of the student's code: a lesson
    file that compiles and is not the stub. Without one (stubs, syntax errors), nothing needs confining."""
    for lesson in lessons:
        path = Path(folder) / f"{lesson.name}.py"
        if not path.is_file() or is_stub(path, lesson.name):
            continue
        try:
            compile(path.read_bytes(), str(path), "exec")
        except (SyntaxError, ValueError):
            continue
        return True
    return False
