"""Check results and their presentations: the terminal table, markdown, Gradescope's JSON.

The data (``CheckResult``, ``Report``) knows nothing of pytest; the renderers know nothing of how
results were produced. Gradescope's ``results.json`` fields are documented at
https://gradescope-autograders.readthedocs.io/en/latest/specs/ .
"""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

from graders.engine.grading import catalog
from graders.engine.reporting import feedback
from graders.engine.course import lessons

PASSED, FAILED, NOT_STARTED, ERROR = "passed", "failed", "not started", "error"
MAX_OUTPUT_CHARS = 2000


@dataclass
class CheckResult:
    """The outcome of one check of one lesson."""

    lesson: str
    """Module name of the lesson, e.g. ``lesson1_taxi``."""
    name: str
    """The check's name, e.g. ``split_sizes``."""
    max_points: float
    fraction: float = 0.0
    """Share of the points earned, 0 to 1 (partial credit lies between)."""
    status: str = PASSED
    """passed, failed, not started, or error (the grader itself could not run the check)."""
    message: str = ""
    """What a student reads: expected, got, threshold; student frames only."""
    hint: str = ""
    hidden: bool = False
    """Hidden checks run only when an instructor grades; the self-check leaves them out."""
    seconds: float = 0.0

    @property
    def points(self) -> float:
        return round(self.max_points * self.fraction, 2)

    @property
    def qualified_name(self) -> str:
        return f"{self.lesson}::{self.name}"


@dataclass
class Report:
    """Every check's result for one submission, plus lesson-wide problems."""

    submission: str
    checks: list[CheckResult] = field(default_factory=list)
    public_only: bool = False
    """True for a student's self-check: hidden checks were not run."""
    hidden_skipped: dict[str, float] = field(default_factory=dict)
    """Per lesson, points of the hidden checks left out of a self-check."""
    version: int = 1

    def lesson_totals(self) -> dict[str, tuple[float, float]]:
        """(points, max points) per lesson, in course order, for lessons that ran."""
        totals = {}
        for name in lessons():
            rows = [c for c in self.checks if c.lesson == name]
            if rows:
                totals[name] = (round(sum(c.points for c in rows), 2), sum(c.max_points for c in rows))
        return totals

    @property
    def score(self) -> float:
        return round(sum(c.points for c in self.checks), 2)

    @property
    def max_score(self) -> float:
        return sum(c.max_points for c in self.checks)

    def to_dict(self) -> dict:
        return {"version": self.version, "submission": self.submission, "public_only": self.public_only,
                "hidden_skipped": self.hidden_skipped, "checks": [asdict(c) for c in self.checks]}

    @classmethod
    def from_dict(cls, data: dict) -> Report:
        checks = [CheckResult(**c) for c in data["checks"]]
        return cls(data["submission"], checks, data.get("public_only", False), data.get("hidden_skipped", {}))


def truncate(text: str, limit: int = MAX_OUTPUT_CHARS) -> str:
    """Cut long feedback, saying so."""
    return text if len(text) <= limit else text[:limit] + f"\n... ({len(text) - limit} more characters cut)"


def check_numbers(report: Report) -> dict[str, str]:
    """Gradescope's test ``number`` of each check: "lesson.position", e.g. ``4.3`` for lesson 4's third check.

    The position is the check's place in its grader (the same whichever checks ran); a check the
    grader does not declare counts on from the checks of its lesson in the report.
    """
    declared = {lesson: [info.name for info in catalog.checks(lesson)] for lesson in {c.lesson for c in report.checks}}
    numbers, seen = {}, {}
    for c in report.checks:
        lesson = lessons().get(c.lesson)
        prefix = lesson.number if lesson else c.lesson.split("_")[0].removeprefix("lesson")
        seen[c.lesson] = seen.get(c.lesson, 0) + 1
        names = declared[c.lesson]
        position = names.index(c.name) + 1 if c.name in names else len(names) + seen[c.lesson]
        numbers[c.qualified_name] = f"{prefix}.{position}"
    return numbers


def markdown_output(check: CheckResult) -> str:
    """A check's feedback as markdown that renders as written: the message's first line as text, the rest
    verbatim in a code block, then the hint (``feedback.md_text``: names in code, markup escaped, no ANSI)."""
    first, _, rest = (check.message or ("Passed." if check.status == PASSED else check.status)).partition("\n")
    text = feedback.md_text(first)
    if rest.strip():
        text += "\n\n" + feedback.md_block(truncate(rest.rstrip()))
    if check.hint and check.status != PASSED:
        text += f"\n\n**Hint:** {feedback.md_text(check.hint)}"
    return text


def to_gradescope(report: Report) -> dict:
    """Gradescope's results.json, every field of its spec that applies: one test per check.

    Hidden checks show once grades are published; feedback is markdown; the run's stdout (Ray's and
    pytest's logs) is for instructors only. ``execution_time`` is the checks' own seconds here; the
    Gradescope autograder sets it to the whole run's (``with_summary``).
    """
    numbers = check_numbers(report)
    tests = [{
        "name": c.qualified_name, "number": numbers[c.qualified_name], "score": c.points, "max_score": c.max_points,
        "status": "passed" if c.status == PASSED else "failed", "output": markdown_output(c), "output_format": "md",
        "visibility": "after_published" if c.hidden else "visible",
    } for c in report.checks]
    return {"score": report.score, "max_score": report.max_score,
            "execution_time": round(sum(c.seconds for c in report.checks)), "stdout_visibility": "hidden", "tests": tests}


SUMMARY_TEST = "Summary"


def summary_test(report: Report) -> dict:
    """A visible test, as otter-grader gives: the public checks passed, and that the hidden ones are graded
    and shown once the grades are published (they stay ``after_published``)."""
    public, hidden = [c for c in report.checks if not c.hidden], [c for c in report.checks if c.hidden]
    passed = sum(c.status == PASSED for c in public)
    text = f"{passed} of {len(public)} public checks passed."
    if hidden:
        text += (f" {len(hidden)} hidden checks, worth {sum(c.max_points for c in hidden):g} points, are graded too: "
                 "they show once the grades are published.")
    return {"name": SUMMARY_TEST, "score": 0.0, "max_score": 0.0, "status": "passed" if passed == len(public) else "failed",
            "output": text, "output_format": "md", "visibility": "visible"}


def failed_run(cause: str) -> dict:
    """results.json when the kit itself failed: score 0 and one visible "Autograder failed" test saying why."""
    test = {"name": "Autograder failed", "score": 0.0, "max_score": 0.0, "status": "failed",
            "output": cause, "output_format": "md", "visibility": "visible"}
    return {"score": 0.0, "execution_time": 0, "stdout_visibility": "hidden", "tests": [test]}


def with_summary(result: dict, *, execution_time: float, output: str | None = None) -> dict:
    """``result`` with the whole run's seconds and a markdown note about the submission as a whole."""
    result = {**result, "execution_time": round(execution_time)}
    if output:
        result |= {"output": output, "output_format": "md"}
    return result


def score_table(report: Report, notes: dict[str, str] | None = None) -> str:
    """The per-lesson score table printed at the end of every run; ``notes`` (each lesson's next step)
    replaces the lessons' titles in the last column."""
    titles, notes = lessons(), notes or {}
    rows = [(name, notes.get(name, titles[name].title), pts, mx) for name, (pts, mx) in report.lesson_totals().items()]
    width = max([len(r[0]) for r in rows] + [5])
    lines = [f"{'lesson'.ljust(width)}  {'points':>13}  {'next step' if notes else 'title'}"]
    for name, note, pts, mx in rows:
        lines.append(f"{name.ljust(width)}  {pts:>6g} / {mx:<4g}  {note}")
    lines.append(f"{'total'.ljust(width)}  {report.score:>6g} / {report.max_score:<4g}")
    if report.public_only:
        hidden = sum(report.hidden_skipped.values())
        lines.append("This self-check runs the public checks only"
                     + (f"; hidden checks worth {hidden:g} more points run when your work is graded."
                        if hidden else "."))
    return "\n".join(lines)


def to_markdown(report: Report) -> str:
    """A readable report (feedback.md): the table and each lost point's feedback, as Gradescope shows it."""
    lines = [f"# Grading report: {feedback.md_text(report.submission)}", "", "| lesson | points | max |", "|---|---:|---:|"]
    for name, (pts, mx) in report.lesson_totals().items():
        lines.append(f"| {feedback.md_text(name)} | {pts:g} | {mx:g} |")
    lines += [f"| **total** | **{report.score:g}** | **{report.max_score:g}** |", ""]
    lost = [c for c in report.checks if c.status != PASSED]
    if lost:
        lines += ["## Checks that lost points", ""]
        for c in lost:
            lines += [f"### {feedback.md_text(c.qualified_name)}: {c.points:g}/{c.max_points:g} ({c.status})", "",
                      markdown_output(c), ""]
    else:
        lines.append("Every check passed.")
    return "\n".join(lines) + "\n"


def write(report: Report, *, json_path: str | None = None, markdown_path: str | None = None) -> None:
    """Write the requested files (Gradescope JSON, markdown)."""
    if json_path:
        Path(json_path).parent.mkdir(parents=True, exist_ok=True)
        Path(json_path).write_text(json.dumps(to_gradescope(report), indent=2) + "\n")
    if markdown_path:
        Path(markdown_path).parent.mkdir(parents=True, exist_ok=True)
        Path(markdown_path).write_text(to_markdown(report))
