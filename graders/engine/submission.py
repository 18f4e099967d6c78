"""Import a student's lesson module from a submission directory, with errors that say why not."""
from __future__ import annotations

import importlib
import sys
from pathlib import Path
from types import ModuleType

from graders.engine.feedback import describe


class LessonUnavailable(Exception):
    """The lesson's module is missing or does not import: every check of the lesson scores zero."""


def load_lesson(submission: Path, lesson: str) -> ModuleType:
    """Import ``<submission>/<lesson>.py`` as the top-level module ``lesson`` (as Ray's workers will)."""
    path = (submission / f"{lesson}.py").resolve()
    if not path.is_file():
        raise LessonUnavailable(
            f"{lesson}.py is missing from {submission}: the lesson scores zero. "
            f"Put your {lesson}.py in that folder (start from exercises/{lesson}.py).")
    root = str(path.parent)
    if root not in sys.path:
        sys.path.insert(0, root)
    loaded = sys.modules.get(lesson)
    if loaded is not None and Path(getattr(loaded, "__file__", "") or "").resolve() == path:
        return loaded
    sys.modules.pop(lesson, None)
    try:
        return importlib.import_module(lesson)
    except KeyboardInterrupt:
        raise
    except BaseException as exc:  # SyntaxError, SystemExit, anything a module may raise on import
        sys.modules.pop(lesson, None)
        raise LessonUnavailable(f"{lesson}.py failed to import, so the lesson scores zero:\n"
                                f"{describe(exc, submission)}") from None
