"""Which of the student's top-level names each check reads: a pytest plugin for the kit's own tests.

``python -m graders grade solutions -p graders.engine.grading.reach --record-reach reach.json`` writes, for every
check run, the names the grader read from the student's module (``student.build_trainer``,
``getattr(student, name)``) while the check ran, and those read in each fixture it uses (while it was
set up, or later in a function it made), whichever check ran first: a module fixture set up once and
shared counts for every check that uses it. What the student's own code reaches from those names
(``tune_max_depth`` calls ``build_trainer``) is for the reader to follow: the kit's tests follow it in
the reference's source.

The kit's tests grade a correct variant only on the checks that read what it redefines
(``tests/test_mutants.py``); ``bench/corpus.py`` still grades every check of every variant.
"""
from __future__ import annotations

import inspect
import json
import sys
from pathlib import Path

import pytest

from graders.engine.grading.student_side import Remote

_reads: dict[object, set[str]] = {}  # a check's node id, or a fixture's function (file, name) -> the names read
_check: list[str] = []  # the node id of the check running, if any
_fixtures: set[tuple[str, str]] = set()  # the fixtures' functions, as (file, name)


def _owner(code) -> tuple[str, str]:
    """The top-level function a code object belongs to (``aggregates.<locals>.run``: ``aggregates``)."""
    return code.co_filename, code.co_qualname.partition(".")[0]


def _read(name: str) -> None:
    """Note a read for the check running and for every fixture on the stack, closures a fixture made
    included: a fixture that hands out a cached function is read from by every check that calls it."""
    if name.startswith("__"):
        return
    owners = set(_check[-1:])
    frame = sys._getframe(2)
    while frame is not None:
        if _owner(frame.f_code) in _fixtures:
            owners.add(_owner(frame.f_code))
        frame = frame.f_back
    for owner in owners:
        _reads.setdefault(owner, set()).add(name)


def _function(fixturedef) -> tuple[str, str] | None:
    code = getattr(inspect.unwrap(fixturedef.func), "__code__", None)
    return None if code is None else _owner(code)


class _RecordingRemote(Remote):
    __slots__ = ()

    def __getattr__(self, name: str):
        _read(name)
        return super().__getattr__(name)


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.getgroup("graders").addoption("--record-reach", metavar="FILE",
                                         help="write the student's names each check reads to this JSON file")


@pytest.hookimpl(hookwrapper=True)
def pytest_fixture_setup(fixturedef, request):
    _fixtures.add(_function(fixturedef))
    outcome = yield
    if fixturedef.argname == "student" and outcome.excinfo is None:
        module = outcome.get_result()
        if type(module) is Remote:
            object.__setattr__(module, "__class__", _RecordingRemote)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item):
    _check.append(item.nodeid)
    try:
        yield
    finally:
        _check.pop()


def _check_reads(item) -> set[str]:
    names = set(_reads.get(item.nodeid, ()))
    info = getattr(item, "_fixtureinfo", None)
    for fixture in getattr(info, "names_closure", ()):
        for definition in info.name2fixturedefs.get(fixture, ()):
            names |= _reads.get(_function(definition), set())
    return names


def pytest_sessionfinish(session: pytest.Session) -> None:
    path = session.config.getoption("record_reach")
    if not path:
        return
    from graders.engine.grading.catalog import of_item

    found = json.loads(Path(path).read_text()) if Path(path).is_file() else {}  # a resumed run adds to it
    for item in session.items:
        info = of_item(item)
        if info is not None:
            found.setdefault(info.lesson, {})[info.name] = sorted(_check_reads(item))
    Path(path).write_text(json.dumps({lesson: dict(sorted(checks.items())) for lesson, checks in sorted(found.items())},
                                     indent=1) + "\n")
