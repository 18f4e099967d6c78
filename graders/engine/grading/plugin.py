"""The grading engine as a pytest plugin: hooks and fixtures only, over the modules that do the work.

``pytest exercises/`` (or any folder of ``lessonN_*.py`` files) grades that folder: each student module is
collected as the lesson's grader of the same name (``pytest exercises/lesson1_taxi.py -k split`` runs those
checks), a self-check of the public checks only; ``python -m graders grade DIR`` runs every check.

A check is a test function marked ``@check(points=..., hint=...)`` (``catalog``); it passes, fails, or earns
partial credit (``credit``), and whatever it raises becomes feedback a student can act on (``outcomes``).
The student's module is imported only on the student's side, a process of its own (``run_state``,
``student_side``). Each check has its lesson's time budget (``course.toml``), past which it alone fails
(``stopping``). Ray is started once per run, by the first check that needs it.
"""
from __future__ import annotations

import importlib
from pathlib import Path

import pytest

from graders.engine.grading import catalog, outcomes, run_state, stopping
from graders.engine import course, options
from graders.engine.reporting import stream, terminal
from graders.engine.grading.credit import Credit
from graders.engine.grading.raysession import RaySession
from graders.engine.grading.serving import ServeApps
from graders.engine.grading.student_side import StudentSide
from graders.engine.grading.stopping import check_clock_paused

STATE = pytest.StashKey[run_state.GradingState]()
INFO = pytest.StashKey[catalog.CheckInfo | None]()


def pytest_addoption(parser: pytest.Parser) -> None:
    options.add_options(parser)


@pytest.hookimpl(tryfirst=True)  # before pytest's tmp_path plugin reads --basetemp
def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "check(points, hint='', hidden=False): a graded check")
    config.stash[STATE] = run_state.GradingState(config)
    config.pluginmanager.register(stopping.GuardPlugin(lambda item: outcomes.timeout_message(_budget(item))),
                                  "graders-watchdog")
    run_state.temporary_files_in_storage(config)


def pytest_unconfigure(config: pytest.Config) -> None:
    config.stash[STATE].stop_sides()
    run_state.remove_temporary_files(config)


def info(item: pytest.Item) -> catalog.CheckInfo | None:
    """The check ``item`` is, its marker read once (None for any other test)."""
    if INFO not in item.stash:
        item.stash[INFO] = catalog.of_item(item)
    return item.stash[INFO]


def _budget(item: pytest.Item) -> float | None:
    """A check's time budget (None for anything but a check)."""
    timeout = item.get_closest_marker("timeout")
    return timeout.args[0] if timeout and info(item) else None


def pytest_report_header(config: pytest.Config) -> str | None:
    return config.stash[STATE].header()


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
    left_out = config.stash[STATE].select(items, [info(item) for item in items])
    if left_out:
        config.hook.pytest_deselected(items=left_out)
        items[:] = [item for item in items if item not in left_out]


def pytest_collection_finish(session: pytest.Session) -> None:
    """Stream the checks this run will grade; a grading run shows no warnings summary (warnings are not failures)."""
    run_state.share_temporary_files(session.config)  # pytest's tmp_path factory exists by now
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
    """Before any fixture: Ray and Serve as the run had them (whatever the lesson before did), the student's module
    imported on its side. A lesson that cannot import, or is still the untouched stub, starts no Ray."""
    if info(item) is not None:
        item.config.stash[STATE].prepare(info(item).lesson)


def _lesson(request: pytest.FixtureRequest) -> str:
    return request.module.__name__.rpartition(".")[2]


@pytest.fixture(scope="module")
def student(request: pytest.FixtureRequest, submission: Path):
    """The student's module for the lesson whose grader is running: a ``Remote`` of it on the student's side,
    a process of its own joined to the run's Ray."""
    state, lesson = request.config.stash[STATE], _lesson(request)
    request.getfixturevalue("ray_instance")
    request.addfinalizer(state.join_side(lesson, state.ray_address).stop)
    return state.side_module(lesson)  # imported as the first check was set up; stopped when the lesson ends


@pytest.fixture(scope="module")
def student_side(request: pytest.FixtureRequest, student) -> StudentSide:
    """The process that runs the student's code for this lesson (``apply`` runs a grader's function there)."""
    return request.config.stash[STATE].sides[_lesson(request)]


@pytest.fixture(scope="module")
def thresholds(request: pytest.FixtureRequest) -> dict:
    """This lesson's row of the thresholds table (``course.toml``)."""
    return course.lessons()[_lesson(request)].thresholds


@pytest.fixture(scope="session")
def ray_instance(pytestconfig: pytest.Config, submission: Path, tmp_path_factory):
    """One Ray instance for the whole run, started by the first check that needs it."""
    opt, state = pytestconfig.getoption, pytestconfig.stash[STATE]
    yield state.start_ray(RaySession(submission=submission, address=state.ray_address, use_gpu=opt("use_gpu"),
                                     storage_path=opt("storage_path") or str(tmp_path_factory.mktemp("ray-storage")),
                                     shared_storage=bool(opt("storage_path")), keep=opt("keep_ray")))
    state.stop_ray()


@pytest.fixture(scope="session")
def use_gpu(ray_instance) -> bool:
    """Whether the graders hand GPUs to the student's functions."""
    return ray_instance.use_gpu


@pytest.fixture(scope="session")
def storage_path(ray_instance) -> str:
    """Where Train and Tune write this run's checkpoints."""
    return str(ray_instance.storage_path)


@pytest.fixture(scope="session", autouse=True)
def cluster_first(pytestconfig: pytest.Config, request: pytest.FixtureRequest) -> None:
    """A grading run on a cluster (``--ray-address``) joins it before its first check: several nodes without a shared
    ``--storage`` stop it before anything is graded, and each data path handed out exists on every node."""
    if pytestconfig.stash[STATE].submission is not None and pytestconfig.stash[STATE].ray_address:
        with check_clock_paused():  # joining is the grader's overhead, never the first check's
            request.getfixturevalue("ray_instance")


@pytest.fixture(scope="session")
def data(pytestconfig: pytest.Config):
    """The data sets, with the instructor's ``--data`` overrides applied (``datasets.DataSets``)."""
    return pytestconfig.stash[STATE].data


@pytest.fixture
def credit() -> Credit:
    """Partial credit for measured quantities (accuracy, AUC, loss)."""
    return Credit()


@pytest.fixture(scope="session")
def serve_url(ray_instance, pytestconfig: pytest.Config) -> str:
    """Ray Serve's HTTP proxy on a free loopback port (a Serve already running keeps its own); its base URL."""
    return pytestconfig.stash[STATE].serve()  # an embedded instance ends with the run, Serve with it


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
    if info(item) is not None:
        message = item.config.stash[STATE].record(item.nodeid, info(item), rep, call.excinfo and call.excinfo.value,
                                                  _budget(item))
        rep.longrepr = message or rep.longrepr


def pytest_report_teststatus(report: pytest.TestReport, config: pytest.Config):
    """A check that lost points reads "not started" or "to fix", not as a pytest failure: the score
    section shows the first in full and the others in one line each."""
    return outcomes.teststatus(config.stash[STATE].checks.get(report.nodeid), report)


def pytest_terminal_summary(terminalreporter, exitstatus: int, config: pytest.Config) -> None:
    """Each lesson's next step and the score table (a supervised run's supervisor prints them, whole)."""
    state = config.stash[STATE]
    if state.checks and not state.stream_path:
        terminalreporter.section("score")
        everything = config.getoption("all_failures") or config.getoption("verbose") > 0
        terminalreporter.write_line(terminal.summary(state.report(), everything=everything))


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Write the reports asked for, and the student's progress after a self-check."""
    session.config.stash[STATE].finish(session.config)
