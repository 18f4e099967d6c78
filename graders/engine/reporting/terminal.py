"""What a student reads after a run: one next step per lesson, in the manner of rustlings and Exercism.

A lesson whose checks all read "not started" takes one line, its row of the score table: its points
and the first function to write. In a started lesson the first check to fix is shown in full (what
was expected, what was measured, the threshold, and how to get a hint); every other check it lost
takes one line. ``everything`` (``-v`` or ``--all``) shows every failure in full. ``pytest
exercises/``, ``graders grade``, ``graders watch`` and ``graders progress`` all speak through here.
"""
from __future__ import annotations

import ast
from pathlib import Path

from graders.engine.reporting import results
from graders.engine.reporting.results import CheckResult
from graders.engine.grading.submission import stub_functions

LINE_WIDTH = 110
FULL_MESSAGE_CHARS = 1500


def hint_command(check: CheckResult) -> str:
    """How to get a check's hint, one step at a time (``graders hint`` records the steps seen)."""
    return f"hint: python -m graders hint {check.lesson} {check.name}  (add --more for the next step)"


def first_stub(submission: Path | None, lesson: str) -> str | None:
    """The first function or method of the student's lesson file, in file order, that is still a stub."""
    try:
        source = (Path(submission) / f"{lesson}.py").read_text()
        stubs = stub_functions(source)
    except (OSError, SyntaxError, TypeError, ValueError):
        return None
    functions = (ast.FunctionDef, ast.AsyncFunctionDef)
    for node in ast.parse(source).body:
        names = ([node.name] if isinstance(node, functions) else
                 [f"{node.name}.{m.name}" for m in node.body if isinstance(m, functions)]
                 if isinstance(node, ast.ClassDef) else [])
        found = next((n for n in names if n in stubs), None)
        if found:
            return found
    return None


def _lost(checks: list[CheckResult]) -> list[CheckResult]:
    return [c for c in checks if c.status != results.PASSED]


def none_started(checks: list[CheckResult]) -> bool:
    """Every check of the lesson reads "not started": nothing of it is written yet."""
    return bool(checks) and all(c.status == results.NOT_STARTED for c in checks)


def first_to_fix(checks: list[CheckResult]) -> CheckResult | None:
    """The check to work on next: the first that failed on code the student wrote, else the first lost."""
    lost = _lost(checks)
    return next((c for c in lost if c.status != results.NOT_STARTED), lost[0] if lost else None)


def _lesson_wide(lost: list[CheckResult], checks: list[CheckResult]) -> bool:
    """One reason for every check of the lesson (a missing module, one that does not import)."""
    return len(lost) == len(checks) > 1 and len({c.message for c in lost}) == 1


def lesson_note(lesson: str, checks: list[CheckResult], submission: Path | None) -> str:
    """A lesson's next step in a few words: the last column of the score table and of ``progress``."""
    lost = _lost(checks)
    if none_started(checks):
        func = first_stub(submission, lesson)
        return f"not started: write {func}() first" if func else "not started"
    if not lost:
        return "every check passes"
    if _lesson_wide(lost, checks):
        return f"no check ran: {results.truncate(lost[0].message, 60).splitlines()[0]}"
    first = first_to_fix(checks)
    return f"{len(lost)} to fix, first: {first.name}"


def in_full(check: CheckResult) -> str:
    """A lost check with its whole message and how to get a hint."""
    lines = [f"{check.qualified_name}: {check.points:g} / {check.max_points:g} points ({check.status})",
             *("  " + line for line in results.truncate(check.message, FULL_MESSAGE_CHARS).splitlines())]
    if check.hint:
        lines.append(f"  {hint_command(check)}")
    return "\n".join(lines)


def one_line(check: CheckResult) -> str:
    """A lost check in one line: its name, points and the first line of its message."""
    first = next((line.strip() for line in check.message.splitlines() if line.strip()), check.status)
    line = f"- {check.qualified_name} ({check.points:g} / {check.max_points:g}): {first}"
    return line if len(line) <= LINE_WIDTH else line[:LINE_WIDTH - 3] + "..."


def lesson_steps(checks: list[CheckResult], *, everything: bool = False) -> list[str]:
    """The lesson's lost checks: the first to fix in full, the others one line each (all in full when
    ``everything``); nothing for a lesson not started, whose table row says it all."""
    lost = _lost(checks)
    if not lost or (none_started(checks) and not everything):
        return []
    if _lesson_wide(lost, checks):
        return [in_full(lost[0]), f"  (the same for all {len(checks)} checks of {lost[0].lesson})"]
    if everything:
        return [in_full(c) for c in lost]
    first = first_to_fix(checks)
    return [in_full(first)] + ([f"also to fix in {first.lesson}:"] + [one_line(c) for c in lost if c is not first]
                               if len(lost) > 1 else [])


def by_lesson(report: results.Report) -> dict[str, list[CheckResult]]:
    """The report's checks per lesson, in course order."""
    return {name: [c for c in report.checks if c.lesson == name] for name in report.lesson_totals()}


def summary(report: results.Report, *, everything: bool = False) -> str:
    """What a run prints at its end: each lesson's next steps, then the score table with each lesson's note."""
    grouped = by_lesson(report)
    steps = [block for checks in grouped.values() for block in ["\n".join(lesson_steps(checks, everything=everything))]
             if block]
    notes = {name: lesson_note(name, checks, Path(report.submission)) for name, checks in grouped.items()}
    table = results.score_table(report, notes=notes)
    return "\n\n".join(steps + [table])
