"""The grading engine as a pytest plugin: hooks and fixtures only, over the modules that do the work.

``pytest exercises/`` (or any folder holding ``lessonN_*.py`` files) grades that folder: each
student module is collected as the lesson's grader module of the same name in ``graders/``, so
``pytest exercises/lesson1_taxi.py -k split`` runs just those checks. Run that way it is a
self-check: public checks only, and it says so. ``python -m graders grade DIR`` runs the same
plugin over every check, hidden ones included.

A check is a test function marked with ``@check(points=..., hint=...)`` (``catalog``). It passes,
fails, or earns partial credit through the ``credit`` fixture; whatever it raises becomes feedback a
student can act on (``outcomes``). Each check has the time budget of its lesson (``course.toml``);
running out fails that check alone (``watchdog``). Ray is started once per run, lazily, by the first
check that needs it.
"""
from __future__ import annotations

import importlib
from pathlib import Path

import pytest

from graders.engine import catalog, course, outcomes, progress, results, run_state, stream, terminal, watchdog
from graders.engine.credit import Credit
from graders.engine.raysession import free_port
from graders.engine.serving import ServeApps, serve_base_url, start_serve
from graders.engine.student_side import StudentSide
from graders.engine.submission import LessonNotStarted, lesson_file, load_lesson, untouched, untouched_file
from graders.engine.watchdog import check_clock_paused

STATE = pytest.StashKey[run_state.GradingState]()
INFO = pytest.StashKey[catalog.CheckInfo | None]()


def pytest_addoption(parser: pytest.Parser) -> None:
    from graders.engine.options import add_options

    add_options(parser)


@pytest.hookimpl(tryfirst=True)  # before pytest's tmp_path plugin reads --basetemp
def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "check(points, hint='', hidden=False): a graded check")
    config.stash[STATE] = run_state.GradingState(config)
    config.pluginmanager.register(watchdog.GuardPlugin(_budget_message), "graders-watchdog")
    run_state.temporary_files_in_storage(config)


def pytest_sessionstart(session: pytest.Session) -> None:
    run_state.share_temporary_files(session.config)  # pytest's tmp_path factory exists by now


def pytest_unconfigure(config: pytest.Config) -> None:
    config.stash[STATE].stop_sides()
    run_state.remove_temporary_files(config)


def info(item: pytest.Item) -> catalog.CheckInfo | None:
    """The check ``item`` is, its marker read once (None for any other test)."""
    if INFO not in item.stash:
        item.stash[INFO] = catalog.of_item(item)
    return item.stash[INFO]


def _budget(item: pytest.Item) -> float | None:
    timeout = item.get_closest_marker("timeout")
    return timeout.args[0] if timeout else None


def _budget_message(item: pytest.Item) -> str | None:
    """What a check that ran out of its time budget reads (None for anything but a check)."""
    budget = _budget(item)
    return outcomes.TIMEOUT_MSG.format(budget=budget) if info(item) and budget else None


def pytest_report_header(config: pytest.Config) -> str | None:
    state = config.stash[STATE]
    if state.submission is not None:
        mode = "all checks" if not state.public_only else "self-check: public checks only"
        return f"grading: {state.submission} ({mode})"
    return None


# -- collection: a student's lesson file is collected as its grader ------------------------------
class GraderModule(pytest.Module):
    """The grader of a lesson, collected at the path of the student's module of the same name."""

    def _getobj(self):
        return importlib.import_module(f"{course.PACKAGE}.{self.path.stem}")


def _grader_module(path: Path, parent: pytest.Collector) -> GraderModule | None:
    if path.suffix == ".py" and path.stem in course.lessons() and path.parent.resolve() != course.GRADERS_DIR:
        parent.config.stash[STATE].claim(path.parent)
        return GraderModule.from_parent(parent, path=path)
    return None


def pytest_collect_file(file_path: Path, parent: pytest.Collector):
    """Collect ``<submission>/lessonN_x.py`` found while walking a folder."""
    return None if parent.session.isinitpath(file_path) else _grader_module(file_path, parent)


@pytest.hookimpl(tryfirst=True)
def pytest_pycollect_makemodule(module_path: Path, parent: pytest.Collector):
    """Collect ``<submission>/lessonN_x.py`` named on the command line (never run it as tests)."""
    return _grader_module(module_path, parent)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Give each check its lesson's time budget; leave hidden checks (and ``--skip-check``) out."""
    hidden = [item for item in items if info(item) and config.stash[STATE].leaves_out(info(item))]
    for item in items:
        if info(item) and item.get_closest_marker("timeout") is None:
            item.add_marker(pytest.mark.timeout(course.lessons()[info(item).lesson].check_timeout, method="signal"))
    if hidden:
        config.hook.pytest_deselected(items=hidden)
        items[:] = [item for item in items if item not in hidden]


def pytest_collection_finish(session: pytest.Session) -> None:
    """Stream the checks this run will grade; a grading run shows no warnings summary (warnings are not failures)."""
    stream.plan(session.config.stash[STATE].stream_path, [outcomes.unscored(info(i)) for i in session.items if info(i)])
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None and session.config.stash[STATE].submission is not None:
        reporter.reportchars = reporter.reportchars.replace("w", "")


# -- fixtures the lesson graders use -------------------------------------------------------------
@pytest.fixture(scope="session")
def submission(pytestconfig: pytest.Config) -> Path:
    """The folder being graded."""
    state = pytestconfig.stash[STATE]
    if state.submission is None:
        raise pytest.UsageError("no submission: pass --submission DIR or collect a folder of lessonN_*.py files")
    return state.submission


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    """Import the student's module before any fixture: a lesson that cannot import, or that is still
    the untouched stub, starts no Ray and trains nothing."""
    if info(item) is None:
        return
    state, lesson = item.config.stash[STATE], info(item).lesson
    if on_student_side(item.module):
        if untouched_file(lesson_file(state.submission, lesson), lesson):
            raise LessonNotStarted(outcomes.LESSON_NOT_STARTED_MSG.format(lesson=lesson))
        state.side_module(lesson)
        return
    try:
        module = load_lesson(state.submission, lesson)
    finally:  # importing it may have stopped Ray or Serve
        state.restore_ray()
    if untouched(module, lesson):
        raise LessonNotStarted(outcomes.LESSON_NOT_STARTED_MSG.format(lesson=lesson))


def on_student_side(module) -> bool:
    """Whether a lesson's grader runs the student's code on the student's side (``STUDENT_SIDE``)."""
    return bool(getattr(module, "STUDENT_SIDE", False))


@pytest.fixture(scope="module")
def student(request: pytest.FixtureRequest, submission: Path):
    """The student's module for the lesson whose grader is running (on the student's side, joined to the
    run's Ray, where the grader asks for it)."""
    lesson = request.module.__name__.rpartition(".")[2]
    if not on_student_side(request.module):
        return load_lesson(submission, lesson)
    state = request.config.stash[STATE]
    module = state.side_module(lesson)
    request.getfixturevalue("ray_cluster")
    request.addfinalizer(state.join_side(lesson, state.ray_address).stop)
    return module  # nothing of the lesson's code runs on once its checks are done


@pytest.fixture(scope="module")
def student_side(request: pytest.FixtureRequest, student) -> StudentSide:
    """The process that runs the student's code for this lesson (``STUDENT_SIDE`` graders)."""
    return request.config.stash[STATE].sides[request.module.__name__.rpartition(".")[2]]


@pytest.fixture(scope="module")
def thresholds(request: pytest.FixtureRequest) -> dict:
    """This lesson's row of the thresholds table (``course.toml``)."""
    return course.lessons()[request.module.__name__.rpartition(".")[2]].thresholds


@pytest.fixture(scope="session")
def ray_cluster(pytestconfig: pytest.Config, submission: Path, tmp_path_factory):
    """One Ray instance for the whole run, started by the first check that needs it."""
    opt, state = pytestconfig.getoption, pytestconfig.stash[STATE]
    yield state.start_ray(address=state.ray_address, use_gpu=opt("use_gpu"), given_storage=opt("storage_path"),
                          storage=opt("storage_path") or str(tmp_path_factory.mktemp("ray-storage")))
    state.stop_ray()


@pytest.fixture(scope="session")
def use_gpu(ray_cluster) -> bool:
    """Whether the graders hand GPUs to the student's functions."""
    return ray_cluster.use_gpu


@pytest.fixture(scope="session")
def storage_path(ray_cluster) -> str:
    """Where Train and Tune write this run's checkpoints."""
    return str(ray_cluster.storage_path)


@pytest.fixture(scope="session", autouse=True)
def cluster_first(pytestconfig: pytest.Config, request: pytest.FixtureRequest) -> None:
    """A grading run on a cluster (``--ray-address``) joins it before its first check: one of several nodes
    without shared ``--storage`` stops before anything is graded, and every data path handed out is one
    that exists on each node. An embedded Ray is still started by the first check that needs it."""
    if pytestconfig.stash[STATE].submission is not None and pytestconfig.stash[STATE].ray_address:
        with check_clock_paused():  # joining is the grader's overhead, never the first check's
            request.getfixturevalue("ray_cluster")


@pytest.fixture(scope="session")
def data(pytestconfig: pytest.Config):
    """The data sets, with the instructor's ``--data`` overrides applied (``datasets.DataSets``)."""
    return pytestconfig.stash[STATE].data


@pytest.fixture
def credit() -> Credit:
    """Partial credit for measured quantities (accuracy, AUC, loss)."""
    return Credit()


@pytest.fixture(scope="session")
def serve_url(ray_cluster, pytestconfig: pytest.Config) -> str:
    """Ray Serve's HTTP proxy on a free loopback port (a Serve already running keeps its own); its base URL."""
    with check_clock_paused():
        start_serve(free_port())
    url, pytestconfig.stash[STATE].serve_port = serve_base_url()
    yield url
    pytestconfig.stash[STATE].serve_port = None  # an embedded instance ends with the run, Serve with it


@pytest.fixture(scope="module")
def serve_apps(serve_url: str, pytestconfig: pytest.Config):
    """Deploy through this; every app it named is deleted when the lesson's checks end."""
    apps = ServeApps(serve_url, pytestconfig.stash[STATE].run_token)
    yield apps
    apps.delete_all(wait=False)


# -- scoring -------------------------------------------------------------------------------------
@pytest.hookimpl(tryfirst=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem) -> None:
    """Note which check is running, so a process that dies in it can be told apart."""
    if info(item):
        stream.started(item.config.stash[STATE].stream_path, info(item).qualified_name)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    """Score each check, and show the student a trimmed message instead of the grader's traceback."""
    rep = (yield).get_result()
    if info(item) is None:
        return
    state = item.config.stash[STATE]
    if rep.skipped and rep.when != "teardown":  # a check that does not apply here: neither scored nor counted
        state.checks.pop(item.nodeid, None)
        stream.skipped(state.stream_path, info(item).qualified_name)
        return
    if rep.when == "setup":
        state.checks[item.nodeid] = outcomes.unscored(info(item))
    result = state.checks.get(item.nodeid)
    if result is None:
        return
    result.seconds += rep.duration
    if rep.failed and call.excinfo is not None and result.status == results.PASSED and rep.when != "teardown":
        outcomes.score(result, call.excinfo.value, state.submission, _budget(item))
        rep.longrepr = result.message + (f"\n{terminal.hint_command(result)}" if result.hint else "")
    if rep.when == "teardown":
        stream.finished(state.stream_path, result)


def pytest_report_teststatus(report: pytest.TestReport, config: pytest.Config):
    """A check that lost points reads "not started" or "to fix", not as a pytest failure: the score
    section shows the first in full and the others in one line each."""
    result = config.stash[STATE].checks.get(report.nodeid)
    if result is None or not report.failed or report.when == "teardown" or result.status == results.PASSED:
        return None
    if result.status == results.NOT_STARTED:
        return "not started", "n", ("NOT STARTED", {"yellow": True})
    return "to fix", "F", ("TO FIX", {"red": True})


def pytest_terminal_summary(terminalreporter, exitstatus: int, config: pytest.Config) -> None:
    """Each lesson's next step and the score table (a supervised run's supervisor prints them, whole)."""
    state = config.stash[STATE]
    if state.checks and not state.stream_path:
        terminalreporter.section("score")
        everything = config.getoption("all_failures") or config.getoption("verbose") > 0
        terminalreporter.write_line(terminal.summary(state.report(), everything=everything))


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Write the reports asked for, and the student's progress after a self-check."""
    config, state = session.config, session.config.stash[STATE]
    if state.checks:
        report = state.report()
        results.write(report, json_path=config.getoption("json_path"), markdown_path=config.getoption("report_path"))
        if state.public_only and state.submission is not None:
            progress.record(state.submission, report)
