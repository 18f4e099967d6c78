"""What a check's end means for its score: a status and a message a student can act on."""
from __future__ import annotations

from pathlib import Path

from graders.engine.reporting import feedback, results
from graders.engine.grading import stopping
from graders.engine.grading.catalog import CheckInfo
from graders.engine.grading.credit import PartialCredit
from graders.engine.grading.student_side import SideGone
from graders.engine.grading.submission import LessonNotStarted, LessonUnavailable
from graders.engine.grading.supervise import DIED_MSG

NOT_STARTED_MSG = "not started: {what} still raises NotImplementedError."
LESSON_NOT_STARTED_MSG = ("not started: every exercise of {lesson}.py still raises NotImplementedError "
                          "(this check ran nothing).")
TIMEOUT_MSG = ("took longer than this check's budget of {budget:g} s and was stopped "
               "(an endless loop, or waiting on something that never comes?).")


def timeout_message(budget: float | None) -> str | None:
    """What a check that ran out of its time budget reads (None without a budget: not a check)."""
    return TIMEOUT_MSG.format(budget=budget) if budget else None


def unscored(info: CheckInfo) -> results.CheckResult:
    """The check's result before it ran: full, until something fails."""
    return results.CheckResult(info.lesson, info.name, info.points, fraction=1.0, hint=info.hint, hidden=info.hidden)


def score(result: results.CheckResult, exc: BaseException, submission: Path, budget: float | None) -> None:
    """``result`` of a check that raised ``exc`` (``budget``: its time budget): its status, message and share."""
    result.status, result.message, result.fraction = outcome(exc, submission, budget)


def outcome(exc: BaseException, submission: Path, budget: float | None) -> tuple[str, str, float]:
    """(status, message, share of the points kept) for a check that raised ``exc``."""
    if isinstance(exc, (LessonUnavailable, stopping.Stopped)):
        return results.FAILED, str(exc), 0.0
    if isinstance(exc, LessonNotStarted):
        return results.NOT_STARTED, str(exc), 0.0
    if isinstance(exc, SideGone):  # the process running the student's code ended: as if the grading process died
        return results.FAILED, DIED_MSG, 0.0
    if "Timeout" in str(exc) and type(exc).__name__ == "Failed" and budget is not None:
        return results.FAILED, TIMEOUT_MSG.format(budget=budget), 0.0
    stub = feedback.stub_raised(exc, submission)
    if stub is not None:
        return results.NOT_STARTED, NOT_STARTED_MSG.format(what=f"`{stub}`"), 0.0
    share = exc.share if isinstance(exc, PartialCredit) else 0.0
    return results.FAILED, feedback.describe(exc, submission), share


def teststatus(result: results.CheckResult | None, report) -> tuple | None:
    """How pytest shows a check's phase that lost points: "not started" or "to fix" (None: as pytest would)."""
    if result is None or not report.failed or report.when == "teardown" or result.status == results.PASSED:
        return None
    if result.status == results.NOT_STARTED:
        return "not started", "n", ("NOT STARTED", {"yellow": True})
    return "to fix", "F", ("TO FIX", {"red": True})
