"""Turn an exception raised while grading into feedback a student can act on.

Ray wraps a student's error several times over (a Data actor's ``RayTaskError``, Train's
``WorkerGroupError``, Tune's ``TuneError``, Serve's "Failed to update the deployments"). This module
walks those wrappers to the underlying exception, keeps only the student's own frames, and asks Serve
for the replica's real error where Serve reports only that a deployment failed.
"""
from __future__ import annotations

import re
import traceback
from pathlib import Path

# Attributes under which Ray's wrappers keep the exception they wrap.
_WRAPPED = ("__cause__", "__context__", "cause", "controller_failure", "error")
_FRAME = re.compile(r'^\s*File "(?P<file>[^"]+)", line (?P<line>\d+), in (?P<func>\S+)')
_SERVE_HIDDEN = ("Failed to update the deployments", "DEPLOY_FAILED", "DeploymentUnavailable",
                 "failed to start", "Deploying application")


def exception_chain(exc: BaseException) -> list[BaseException]:
    """The exception and every exception it wraps, outermost first, each once."""
    seen, order, todo = set(), [], [exc]
    while todo:
        e = todo.pop(0)
        if e is None or id(e) in seen or not isinstance(e, BaseException):
            continue
        seen.add(id(e))
        order.append(e)
        todo += [getattr(e, a, None) for a in _WRAPPED]
        todo += list(getattr(e, "worker_failures", {}).values() or [])
    return order


def stub_raised(exc: BaseException, submission: Path) -> str | None:
    """The student's function, still its stub, whose NotImplementedError failed the check; else None.

    Decided from the code, not the message: the innermost frame of the submission must be a function
    whose body only raises NotImplementedError. A started function that hits a library's
    NotImplementedError (torch's "Could not run 'aten::...'", pyarrow's ArrowNotImplementedError) fails
    with that message instead.
    """
    from graders.engine.grading.submission import stub_functions

    frames = _student_frames(exc, submission)
    if not frames or not any(isinstance(e, NotImplementedError) or "NotImplementedError" in _text(e)
                             for e in exception_chain(exc)):
        return None
    file, _, func, _ = frames[-1]
    try:
        stubs = stub_functions((submission / file).read_text())
    except (OSError, SyntaxError, ValueError):
        return None
    return next((name for name in stubs if func in (name, name.rpartition(".")[2])), None)


# What pytest's assertion rewriting appends to an assertion's own message (``assert (False)``,
# ``+  where False = isinstance(...)``): the message alone is the same in every way of grading.
_ASSERT_EXPLANATION = re.compile(r"(?:^|\n)assert .*", re.S)


def _text(exc: BaseException) -> str:
    try:
        text = str(exc)
    except Exception:  # a student's exception whose __str__ fails
        return repr(exc)
    return _ASSERT_EXPLANATION.sub("", text) if isinstance(exc, AssertionError) else text


def first_line(exc: BaseException, limit: int = 300) -> str:
    """The first line of an exception's message, cut to ``limit`` characters."""
    text = _text(exc).strip()
    return text.splitlines()[0][:limit] if text else ""


def _student_frames(exc: BaseException, submission: Path) -> list[tuple[str, int, str, str]]:
    """(file name, line, function, code) for each frame in the submission, innermost last."""
    root = str(submission.resolve())
    frames = []
    for e in exception_chain(exc):
        for fs in traceback.extract_tb(e.__traceback__):
            if fs.filename.startswith(root):
                frames.append((Path(fs.filename).name, fs.lineno, fs.name, (fs.line or "").strip()))
        # Remote errors, and those of the student's side, carry their traceback as text only.
        lines = (_text(e) + "\n" + (getattr(e, "trace", "") if _from_student_side(e) else "")).splitlines()
        for i, line in enumerate(lines):
            m = _FRAME.match(line)
            if m and _lesson_file(m["file"], root):
                code = lines[i + 1].strip() if i + 1 < len(lines) and not _FRAME.match(lines[i + 1]) else ""
                frames.append((Path(m["file"]).name, int(m["line"]), m["func"], code))
    unique = []
    for f in frames:
        if f not in unique:
            unique.append(f)
    return unique


def _lesson_file(file: str, root: str) -> bool:
    """A file of the submission, wherever a worker keeps its copy: a ``lesson*.py`` outside the course's
    graders package (``graders``, or the one ``GRADERS_PACKAGE`` names), whose side functions run beside
    the student's."""
    from graders.engine import course

    path = Path(file)
    return file.startswith(root) or (path.name.startswith("lesson") and path.suffix == ".py"
                                     and path.parent.name not in ("graders", course.GRADERS_DIR.name))


def _from_student_side(exc: BaseException) -> bool:
    from graders.engine.grading.student_side import StudentError

    return isinstance(exc, StudentError)


def _kind(exc: BaseException) -> tuple[str, str]:
    """(module, name) of an exception's class; on the student's side, of the class it had there."""
    if _from_student_side(exc):
        return exc.type_module, exc.type_name
    return type(exc).__module__, type(exc).__name__


def _root_cause(exc: BaseException) -> BaseException:
    """The innermost exception that is not one of Ray's wrappers."""
    chain = exception_chain(exc)
    plain = [e for e in chain if not _kind(e)[0].startswith("ray.")]
    return plain[-1] if plain else chain[-1]


def _last_line(text: str) -> str:
    lines = [l for l in text.strip().splitlines() if l.strip()]
    return lines[-1].strip() if lines else ""


def describe(exc: BaseException, submission: Path) -> str:
    """What went wrong, in the student's terms: the error, their frames, and Serve's hidden cause."""
    if isinstance(exc, AssertionError) and not _student_frames(exc, submission):
        return _text(exc).strip() or "the check's condition did not hold"  # the grader's own sentence
    root = _root_cause(exc)
    head = f"{_kind(root)[1]}: {_last_line(_text(root)) or _text(root)}"
    if _kind(root)[0].startswith("ray.") or "Traceback" in _text(root):
        head = _last_line(_text(root)) or head
    parts = [head]
    frames = _student_frames(exc, submission)
    if frames:
        parts.append("in your code:")
        parts += [f"  {f}, line {n}, in {func}" + (f"\n      {code}" if code else "")
                  for f, n, func, code in frames[-4:]]
    if any(s in _text(e) for e in exception_chain(exc) for s in _SERVE_HIDDEN):
        detail = serve_failure_detail()
        if detail:
            parts.append("Ray Serve's replica reported:\n" + detail)
    return "\n".join(parts)


def serve_failure_detail(limit: int = 1500) -> str:
    """The messages of failed Serve deployments (the replica's constructor traceback)."""
    try:
        from ray import serve

        status = serve.status()
    except Exception:
        return ""
    out = []
    for app_name, app in status.applications.items():
        for dep_name, dep in app.deployments.items():
            if str(dep.status).endswith(("UNHEALTHY", "DEPLOY_FAILED")) and dep.message:
                out.append(f"[{app_name}/{dep_name}] {_trim_traceback(dep.message)}")
        if not out and str(app.status).endswith("DEPLOY_FAILED") and app.message:
            out.append(f"[{app_name}] {_trim_traceback(app.message)}")
    return "\n".join(out)[-limit:]


def _trim_traceback(text: str) -> str:
    """Keep a traceback's student frames and its last line."""
    lines = text.splitlines()
    keep = [l for i, l in enumerate(lines) if (m := _FRAME.match(l)) and Path(m["file"]).name.startswith("lesson")]
    return "\n".join(keep + [_last_line(text)]) if keep else text.strip()[-800:]


# -- markdown: feedback that renders as written (Gradescope's "md" output, feedback.md) --------------
_ANSI = re.compile(r"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)?|[@-Z\\-_])")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")  # tabs and newlines stay
_CODE_SPAN = re.compile(r"(?<!`)(`+)(?!`)(.+?)(?<!`)\1(?!`)")
_NAME = re.compile(r"[\w.:/]*_(?:[\w.:/]*\w)?")  # __init__, lesson4_data.py, ds.map_batches (no trailing dot)
# Characters markdown may read as markup anywhere in a line (CommonMark, GFM's ~ and |, $ for math).
_INLINE = re.compile(r"([\\`*_<>&~|$])")
# A line start that would open a block: heading, list item, thematic break, setext underline, link
# reference definition, ordered list item (1. or 1)); > and ~ are escaped everywhere.
_BLOCK_START = re.compile(r"^(\d+(?=[.)])|)([#+=\-\[.)])")


def plain(text: str) -> str:
    """``text`` without ANSI colour codes (Ray colours its errors) or other control characters."""
    return _CONTROL.sub("", _ANSI.sub("", text))


def _longest_backticks(text: str) -> int:
    return max((len(run) for run in re.findall(r"`+", text)), default=0)


def md_code(text: str) -> str:
    """``text`` as an inline code span, whatever backticks it holds."""
    ticks = "`" * (1 + _longest_backticks(text))
    pad = " " if text.startswith("`") or text.endswith("`") or (text[:1] == text[-1:] == " ") else ""
    return f"{ticks}{pad}{text}{pad}{ticks}"


def md_block(text: str) -> str:
    """``text`` verbatim, as a fenced code block."""
    fence = "`" * max(3, 1 + _longest_backticks(text))
    return f"{fence}\n{plain(text)}\n{fence}"


def _around(pattern: re.Pattern, text: str, outside, inside) -> str:
    """``text`` with ``inside`` applied to each match of ``pattern`` and ``outside`` to the text between."""
    out, at = [], 0
    for m in pattern.finditer(text):
        out += [outside(text[at:m.start()]), inside(m.group())]
        at = m.end()
    return "".join(out) + outside(text[at:])


def _escape_markup(text: str) -> str:
    return _INLINE.sub(r"\\\1", text).replace("](", "]\\(")  # ]( would open an inline link


def md_text(text: str) -> str:
    """``text`` as a markdown paragraph a reader sees as written: its code spans (```x```) kept, names with
    underscores put in code spans, every other markdown character escaped, ANSI codes dropped."""
    lines = []
    for line in plain(text).strip().splitlines():
        line = _around(_CODE_SPAN, line.strip(), lambda run: _around(_NAME, run, _escape_markup, md_code), str)
        lines.append(_BLOCK_START.sub(r"\1\\\2", line, 1))
    return "\n".join(lines)
