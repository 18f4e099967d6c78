"""Import a student's lesson module from a submission directory, with errors that say why not."""
from __future__ import annotations

import ast
import importlib
import sys
from pathlib import Path
from types import ModuleType

from graders.engine import course
from graders.engine.feedback import describe


# Set by watch's runner, which imports each saved version of a lesson into one long-lived Ray job: the
# job's workers are reused from run to run and would keep the version they imported first, so the
# student's functions and classes travel to them by value instead of by module name.
PICKLE_BY_VALUE = False


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


def untouched(module: ModuleType, lesson: str) -> bool:
    """True when every function the lesson's exercise leaves to the student is still its stub."""
    return untouched_file(getattr(module, "__file__", None), lesson)


def untouched_file(path, lesson: str) -> bool:
    """``untouched``, read from the module's file without importing it."""
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


def load_lesson(submission: Path, lesson: str) -> ModuleType:
    """Import ``<submission>/<lesson>.py`` as the top-level module ``lesson`` (as Ray's workers will)."""
    path = lesson_file(submission, lesson)
    root = str(path.parent)
    if root not in sys.path:
        sys.path.insert(0, root)
    loaded = sys.modules.get(lesson)
    if loaded is not None and Path(getattr(loaded, "__file__", "") or "").resolve() == path:
        return loaded
    sys.modules.pop(lesson, None)
    try:
        module = importlib.import_module(lesson)
    except KeyboardInterrupt:
        raise
    except BaseException as exc:  # SyntaxError, SystemExit, anything a module may raise on import
        sys.modules.pop(lesson, None)
        raise LessonUnavailable(f"{lesson}.py failed to import, so the lesson scores zero:\n"
                                f"{describe(exc, submission)}") from None
    if PICKLE_BY_VALUE:
        import ray.cloudpickle

        ray.cloudpickle.register_pickle_by_value(module)
    return module


def forget_submission(submission: Path) -> None:
    """Drop every module imported from ``submission``: the next ``load_lesson`` reads the files again."""
    folder = submission.resolve()
    for name, module in list(sys.modules.items()):
        file = getattr(module, "__file__", None)
        if file and Path(file).resolve().parent == folder:
            del sys.modules[name]
