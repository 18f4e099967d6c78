"""The grading engine as a pytest plugin: submissions, points, time budgets, Ray, feedback, reports.

``pytest exercises/`` (or any folder holding ``lessonN_*.py`` files) grades that folder: each
student module is collected as the lesson's grader module of the same name in ``graders/``, so
``pytest exercises/lesson1_taxi.py -k split`` runs just those checks. Run that way it is a
self-check: public checks only, and it says so. ``python -m graders grade DIR`` runs the same
plugin over every check, hidden ones included.

A check is a test function marked with ``@check(points=..., hint=...)``. It passes, fails, or earns
partial credit through the ``credit`` fixture; whatever it raises becomes feedback a student can act
on (see ``feedback``). Each check has the time budget of its lesson (``course.toml``); running out
fails that check alone. Ray is started once per run, lazily, by the first check that needs it.
"""
from __future__ import annotations

import contextlib
import importlib
import json
import os
import signal
import time
import uuid
from pathlib import Path

import pytest

from graders.engine import course, feedback, results, stream, terminal, watchdog
from graders.engine.datasets import DataSets
from graders.engine.raysession import (EXIT_RAY_UNAVAILABLE, LOGICAL_GPUS, RayCluster, RayUnavailable, free_port,
                                       join_from_side, logical_gpus, start_ray, stop_ray)
from graders.engine.student_side import Remote, StudentError, StudentSide
from graders.engine.submission import (LessonNotStarted, LessonUnavailable, lesson_file, load_lesson, untouched,
                                       untouched_file)

SUBMISSION_DESC = "folder holding the student's lessonN_*.py modules (default: the folder being collected)"
ALL_CHECKS_DESC = "run hidden checks too (instructor grading); a plain pytest run is a public self-check"
RAY_ADDRESS_DESC = "address of an existing Ray cluster (default: $RAY_ADDRESS, else an embedded local Ray)"
USE_GPU_DESC = "auto: use GPUs when the Ray cluster has some; yes: require them; no: CPU only"
STORAGE_DESC = ("where the run's checkpoints and the files the graders write for workers go: a local folder "
                "(default: a temporary one), or on a cluster of several nodes a folder every node mounts at the "
                "same path (NFS) or a URI (s3://...)")
DATA_DESC = "NAME=PATH: read data set NAME (taxi, mnist, mnist_png, mnist_model) from PATH"
JSON_DESC = "write Gradescope's results.json to this file"
REPORT_DESC = "write a markdown report to this file"
STREAM_DESC = "append each check's result to this JSON-lines file as soon as it is known (batch grading)"
ALL_FAILURES_DESC = "show every failing check in full (as -v does), not just the first of each lesson"
SKIP_CHECK_DESC = "LESSON::CHECK: leave this check out of the run (batch grading resumes after a crash with it)"

NOT_STARTED_MSG = "not started: {what} still raises NotImplementedError."
LESSON_NOT_STARTED_MSG = ("not started: every exercise of {lesson}.py still raises NotImplementedError "
                          "(this check ran nothing).")
TIMEOUT_MSG = ("took longer than this check's budget of {budget:g} s and was stopped "
               "(an endless loop, or waiting on something that never comes?).")
STATE = pytest.StashKey["GradingState"]()


class GradingState:
    """Everything the plugin knows during one run, kept in ``config.stash``."""

    def __init__(self, config: pytest.Config):
        opt = config.getoption
        given = opt("submission")
        self.submission: Path | None = Path(given).resolve() if given else None
        self.public_only = not opt("all_checks")
        self.checks: dict[str, results.CheckResult] = {}
        self.hidden_skipped: dict[str, float] = {}
        self.run_token = uuid.uuid4().hex[:8]
        self.restart_ray = None  # how this run started Ray (set once it did), to start it again
        self.ray_gcs: str | None = None  # the address of the run's Ray, as it started it
        self.serve_port: int | None = None  # the port of the run's Serve proxy, once started
        self.sides: dict[str, StudentSide] = {}  # a lesson graded on the student's side: its process
        self.side_modules: dict[str, Remote | LessonUnavailable] = {}  # and its module there, or why not
        try:
            self.data = DataSets(opt("data"))
        except ValueError as exc:
            raise pytest.UsageError(str(exc)) from None

    def claim(self, folder: Path) -> None:
        """Take ``folder`` as the submission, unless another one was named."""
        folder = folder.resolve()
        if self.submission is None:
            self.submission = folder
        elif self.submission != folder:
            raise pytest.UsageError(f"two submissions in one run: {self.submission} and {folder}; "
                                    "grade one folder at a time")

    def report(self) -> results.Report:
        return results.Report(str(self.submission), list(self.checks.values()), self.public_only,
                              dict(self.hidden_skipped))


MAX_HINT_STEPS = 3  # the concept, the Ray API to look at, the shape of the code (never the answer)


def check(points: float, *, hint: str | tuple[str, ...] = "", hidden: bool = False):
    """Declare a grader function a check worth ``points``, with hints that do not give the answer.

    ``hint`` is one sentence, or up to three steps, each more concrete: the concept, the Ray API to
    look at, the shape of the code. ``hint=`` in the marker is the first step, ``hints=`` all of them.
    """
    hints = (hint,) if isinstance(hint, str) else tuple(hint)
    if len(hints) > MAX_HINT_STEPS:
        raise ValueError(f"a check has at most {MAX_HINT_STEPS} hint steps, not {len(hints)}")
    return pytest.mark.check(points=points, hint=hints[0] if hints else "", hints=hints, hidden=hidden)


# -- options and configuration -------------------------------------------------------------------
def pytest_addoption(parser: pytest.Parser) -> None:
    """The grading options, shared by ``pytest`` and ``python -m graders grade``."""
    group = parser.getgroup("graders", "Ray AI Libraries kit grading")
    group.addoption("--submission", metavar="DIR", help=SUBMISSION_DESC)
    group.addoption("--all-checks", action="store_true", help=ALL_CHECKS_DESC)
    group.addoption("--ray-address", metavar="ADDR", help=RAY_ADDRESS_DESC)
    group.addoption("--use-gpu", choices=("auto", "yes", "no"), default="auto", help=USE_GPU_DESC)
    group.addoption("--storage", "--storage-path", dest="storage_path", metavar="URI", help=STORAGE_DESC)
    group.addoption("--data", metavar="NAME=PATH", action="append", default=[], help=DATA_DESC)
    group.addoption("--json", dest="json_path", metavar="FILE", help=JSON_DESC)
    group.addoption("--report", dest="report_path", metavar="FILE", help=REPORT_DESC)
    group.addoption("--results-stream", metavar="FILE", help=STREAM_DESC)
    group.addoption("--all", dest="all_failures", action="store_true", help=ALL_FAILURES_DESC)
    group.addoption("--skip-check", metavar="LESSON::CHECK", action="append", default=[], help=SKIP_CHECK_DESC)


@pytest.hookimpl(tryfirst=True)  # before pytest's tmp_path plugin reads --basetemp
def pytest_configure(config: pytest.Config) -> None:
    """Register the marker and the run's state."""
    config.addinivalue_line("markers", "check(points, hint='', hidden=False): a graded check")
    config.stash[STATE] = GradingState(config)
    config.pluginmanager.register(watchdog.GuardPlugin(_budget_message), "graders-watchdog")
    _temporary_files_in_storage(config)


STORAGE_TMP = "graders-tmp-"


def _temporary_files_in_storage(config: pytest.Config) -> None:
    """With ``--storage`` a folder, the graders' temporary files (``tmp_path``: model and checkpoint copies
    handed to the student's actors and replicas) go under it, where every node of a cluster reads them."""
    storage = config.getoption("storage_path")
    if storage and "://" not in storage and not config.getoption("basetemp"):
        config.option.basetemp = str(Path(storage).resolve() / f"{STORAGE_TMP}{uuid.uuid4().hex[:12]}")


def pytest_unconfigure(config: pytest.Config) -> None:
    """Remove the run's temporary folder from ``--storage`` (the checkpoints stay)."""
    import shutil

    for side in config.stash[STATE].sides.values():
        side.stop()
    base = str(config.getoption("basetemp") or "")
    if config.getoption("storage_path") and Path(base).name.startswith(STORAGE_TMP):
        shutil.rmtree(base, ignore_errors=True)


def _budget_message(item: pytest.Item) -> str | None:
    """What a check that ran out of its time budget reads (None for anything but a check)."""
    timeout = item.get_closest_marker("timeout")
    return TIMEOUT_MSG.format(budget=timeout.args[0]) if _check_name(item) and timeout else None


def pytest_report_header(config: pytest.Config) -> str | None:
    """Say which submission is graded, and whether hidden checks run."""
    state = config.stash[STATE]
    if state.submission is None:
        return None
    mode = "all checks" if not state.public_only else "self-check: public checks only"
    return f"grading: {state.submission} ({mode})"


# -- collection: a student's lesson file is collected as its grader ------------------------------
class GraderModule(pytest.Module):
    """The grader of a lesson, collected at the path of the student's module of the same name."""

    def _getobj(self):
        return importlib.import_module(f"{course.PACKAGE}.{self.path.stem}")


def _student_lesson_file(path: Path) -> bool:
    return path.suffix == ".py" and path.stem in course.lessons() and path.parent.resolve() != course.GRADERS_DIR


def pytest_collect_file(file_path: Path, parent: pytest.Collector):
    """Collect ``<submission>/lessonN_x.py`` found while walking a folder."""
    if _student_lesson_file(file_path) and not parent.session.isinitpath(file_path):
        parent.config.stash[STATE].claim(file_path.parent)
        return GraderModule.from_parent(parent, path=file_path)
    return None


@pytest.hookimpl(tryfirst=True)
def pytest_pycollect_makemodule(module_path: Path, parent: pytest.Collector):
    """Collect ``<submission>/lessonN_x.py`` named on the command line (never run it as tests)."""
    if _student_lesson_file(module_path):
        parent.config.stash[STATE].claim(module_path.parent)
        return GraderModule.from_parent(parent, path=module_path)
    return None


def _lesson_of(item: pytest.Item) -> course.Lesson | None:
    package, _, name = getattr(getattr(item, "module", None), "__name__", "").rpartition(".")
    return course.lessons().get(name) if package == course.PACKAGE else None


def _check_name(item: pytest.Item) -> str | None:
    """``lesson::check`` of a graded check, as reports name it (None for any other test)."""
    lesson = _lesson_of(item)
    if lesson is None or item.get_closest_marker("check") is None:
        return None
    return f"{lesson.name}::{item.name.removeprefix('test_')}"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Give each check its lesson's time budget; leave hidden checks out of a self-check."""
    state = config.stash[STATE]
    left_out = set(config.getoption("skip_check"))
    kept, hidden = [], []
    for item in items:
        lesson, mark = _lesson_of(item), item.get_closest_marker("check")
        if lesson is None or mark is None:
            kept.append(item)
            continue
        if _check_name(item) in left_out:
            hidden.append(item)
            continue
        if mark.kwargs.get("hidden") and state.public_only:
            hidden.append(item)
            state.hidden_skipped[lesson.name] = state.hidden_skipped.get(lesson.name, 0) + mark.kwargs["points"]
            continue
        if item.get_closest_marker("timeout") is None:
            item.add_marker(pytest.mark.timeout(lesson.check_timeout, method="signal"))
        kept.append(item)
    if hidden:
        config.hook.pytest_deselected(items=hidden)
        items[:] = kept


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
    lesson = _lesson_of(item)
    if lesson is not None and on_student_side(item.module):
        state = item.config.stash[STATE]
        if untouched_file(lesson_file(state.submission, lesson.name), lesson.name):
            raise LessonNotStarted(LESSON_NOT_STARTED_MSG.format(lesson=lesson.name))
        side_module(state, lesson.name)
    elif lesson is not None:
        state = item.config.stash[STATE]
        try:
            module = load_lesson(state.submission, lesson.name)
        finally:  # importing it may have stopped Ray or Serve
            restore_ray(state)
        if untouched(module, lesson.name):
            raise LessonNotStarted(LESSON_NOT_STARTED_MSG.format(lesson=lesson.name))


def on_student_side(module) -> bool:
    """Whether a lesson's grader calls the student's code on the student's side (``student_side``): its
    module is imported there, never in this process, and what comes back is plain data."""
    return bool(getattr(module, "STUDENT_SIDE", False))


def side_module(state: GradingState, lesson: str) -> Remote:
    """The student's module imported on its lesson's side (a process started here on first use)."""
    found = state.side_modules.get(lesson)
    if found is None:
        side = state.sides.setdefault(lesson, StudentSide(path=[state.submission],
                                                          env=dict(os.environ) if state.ray_gcs else None))
        if side.pid is None:
            with check_clock_paused():  # starting the process is the grader's overhead; importing is not
                side.start()
        try:
            found = side.import_module(lesson)
        except StudentError as exc:
            found = LessonUnavailable(f"{lesson}.py failed to import, so the lesson scores zero:\n"
                                      f"{feedback.describe(exc, state.submission)}")
        state.side_modules[lesson] = found
    if isinstance(found, LessonUnavailable):
        raise found
    return found


@pytest.fixture(scope="module")
def student(request: pytest.FixtureRequest, submission: Path):
    """The student's module for the lesson whose grader is running (on the student's side, joined to the
    run's Ray, where the grader asks for it)."""
    lesson = request.module.__name__.rpartition(".")[2]
    if not on_student_side(request.module):
        return load_lesson(submission, lesson)
    state = request.config.stash[STATE]
    module = side_module(state, lesson)
    request.getfixturevalue("ray_cluster")
    side = state.sides[lesson]
    with check_clock_paused():
        if side.env is None:  # started before Ray: again, in the environment Ray left (its authentication mode)
            side.env = dict(os.environ)
            side.restart()
        side.on_start(join_from_side, request.config.getoption("ray_address"), state.ray_gcs, str(submission),
                      then=lambda job: setattr(side, "ray_job", job))
    request.addfinalizer(side.stop)  # nothing of the lesson's code runs on once its checks are done
    return module


@pytest.fixture(scope="module")
def student_side(request: pytest.FixtureRequest, student) -> StudentSide:
    """The process that runs the student's code for this lesson (``STUDENT_SIDE`` graders)."""
    return request.config.stash[STATE].sides[request.module.__name__.rpartition(".")[2]]


@pytest.fixture(scope="module")
def thresholds(request: pytest.FixtureRequest) -> dict:
    """This lesson's row of the thresholds table (``course.toml``)."""
    return course.lessons()[request.module.__name__.rpartition(".")[2]].thresholds


@contextlib.contextmanager
def check_clock_paused():
    """Stop the running check's time budget (pytest-timeout's SIGALRM timer) for the duration.

    Starting Ray or Serve is the grader's overhead, not the student's: on a loaded machine it can take
    a minute, and a student's score must not depend on that.
    """
    remaining, interval = signal.getitimer(signal.ITIMER_REAL)
    signal.setitimer(signal.ITIMER_REAL, 0)
    try:
        yield
    finally:
        if remaining:
            signal.setitimer(signal.ITIMER_REAL, remaining, interval)


@pytest.fixture(scope="session")
def ray_cluster(pytestconfig: pytest.Config, submission: Path, tmp_path_factory):
    """One Ray instance for the whole run, started by the first check that needs it."""
    opt, state = pytestconfig.getoption, pytestconfig.stash[STATE]
    given = opt("storage_path")
    storage = given or str(tmp_path_factory.mktemp("ray-storage"))

    def start() -> RayCluster:
        try:
            with check_clock_paused():
                import ray

                cluster = start_ray(submission=submission, storage_path=storage, address=opt("ray_address"),
                                    use_gpu=opt("use_gpu"), shared_storage=bool(given))
                state.data.reach(cluster.nodes)  # several nodes: each data set is copied to each
        except RayUnavailable as exc:
            stream.write(opt("results_stream"), {"ray_unavailable": str(exc)})
            pytest.exit(f"grading could not run: {exc}", returncode=EXIT_RAY_UNAVAILABLE)
        state.ray_gcs = ray.get_runtime_context().gcs_address
        return cluster

    cluster = start()
    state.restart_ray = start
    yield cluster
    state.restart_ray = None
    for side in state.sides.values():  # their drivers first
        side.stop()
    stop_ray()


def restore_ray(state: GradingState) -> None:
    """Start the run's Ray (and Serve, on its port) again if a student's code stopped or replaced it:
    what one lesson does to Ray costs that lesson's checks, never a later lesson's."""
    if state.restart_ray is None:
        return
    import ray

    restarted = not (ray.is_initialized() and ray.get_runtime_context().gcs_address == state.ray_gcs)
    if restarted:
        if ray.is_initialized():  # an instance the student's code started on its own
            ray.shutdown()
        state.restart_ray()
    if state.serve_port is not None and (restarted or not port_answers(state.serve_port)):
        start_serve(state.serve_port)


@pytest.fixture(scope="session")
def use_gpu(ray_cluster) -> bool:
    """Whether the graders hand GPUs to the student's functions."""
    return ray_cluster.use_gpu


def skip_without_cuda(what: str) -> None:
    """Skip the running check when Ray's GPUs are logical ones (``GRADERS_LOGICAL_GPUS``): Ray placed the
    GPU request, but no CUDA exists to judge ``what``. The check then neither passes nor fails."""
    if logical_gpus():
        pytest.skip(f"{what} needs CUDA; this Ray's {logical_gpus()} GPUs are logical ({LOGICAL_GPUS}): "
                    "the GPU request was scheduled, the CUDA half was not run")


@pytest.fixture(scope="session")
def storage_path(ray_cluster) -> str:
    """Where Train and Tune write this run's checkpoints."""
    return str(ray_cluster.storage_path)


@pytest.fixture(scope="session", autouse=True)
def cluster_first(pytestconfig: pytest.Config, request: pytest.FixtureRequest) -> None:
    """A grading run on a cluster (``--ray-address``) joins it before its first check: one of several nodes
    without shared ``--storage`` stops before anything is graded, and every data path handed out is one
    that exists on each node. An embedded Ray is still started by the first check that needs it."""
    if pytestconfig.stash[STATE].submission is not None and (pytestconfig.getoption("ray_address")
                                                              or os.environ.get("RAY_ADDRESS")):
        with check_clock_paused():  # joining is the grader's overhead, never the first check's
            request.getfixturevalue("ray_cluster")


@pytest.fixture(scope="session")
def data(pytestconfig: pytest.Config) -> DataSets:
    """The data sets, with the instructor's ``--data`` overrides applied (``datasets.DataSets``)."""
    return pytestconfig.stash[STATE].data


class PartialCredit(AssertionError):
    """A measured value short of full points: the check earns ``share`` of its points.

    Only this failure keeps credit: a check that fails any other way, even after ``credit.scale``
    reached full points, scores zero.
    """

    def __init__(self, message: str, share: float):
        super().__init__(message)
        self.share = share


class Credit:
    """Partial credit: a measured value between a floor (nothing) and a target (full points)."""

    def scale(self, what: str, measured: float, *, floor: float, target: float) -> float:
        """Record the share earned; fail with the numbers when it is short of full points."""
        __tracebackhide__ = True
        span = target - floor
        share = 1.0 if span == 0 else min(1.0, max(0.0, (measured - floor) / span))
        if share < 1.0:
            direction = "at least" if span > 0 else "at most"
            raise PartialCredit(f"{what}: measured {measured:.4g}; full points need {direction} {target:.4g}, "
                                f"none at {floor:.4g}; earned {share:.0%} of the points", share)
        return share


@pytest.fixture
def credit() -> Credit:
    """Partial credit for measured quantities (accuracy, AUC, loss)."""
    return Credit()


class ServeApps:
    """Serve applications deployed by one lesson's grader, all deleted when the lesson ends."""

    def __init__(self, base_url: str, token: str):
        self.base_url, self.token, self.names = base_url, token, []

    def new(self, base: str) -> tuple[str, str]:
        """A unique (app name, route prefix), so graders of two submissions never collide."""
        name = f"{base}-{self.token}"
        self.names.append(name)
        return name, f"/{name}"

    def url(self, route_prefix: str, path: str = "") -> str:
        return f"{self.base_url}{route_prefix}{path}"

    def delete_all(self, *, but: str | None = None, wait: bool = True) -> None:
        """Delete every app named so far (``but`` one: its replicas get the CPUs the others held).

        ``wait=False`` returns while the replicas stop: the next lesson starts meanwhile.
        """
        from ray import serve

        for name in [n for n in self.names if n != but]:
            with contextlib.suppress(Exception):
                serve.delete(name, _blocking=wait)
            self.names.remove(name)


@pytest.fixture(scope="session")
def serve_url(ray_cluster, pytestconfig: pytest.Config) -> str:
    """Start Ray Serve's HTTP proxy on a free loopback port; its base URL.

    Serve already running on the cluster (a warm head in watch mode) keeps its own port: ask it.
    """
    from ray.serve.context import _get_global_client

    start_serve(free_port())
    http = _get_global_client().http_config
    pytestconfig.stash[STATE].serve_port = http.port
    yield f"http://{'127.0.0.1' if http.host in ('0.0.0.0', '::') else http.host}:{http.port}"
    pytestconfig.stash[STATE].serve_port = None
    # An embedded instance ends with the run, Serve with it; on a cluster, Serve is the cluster's.


def start_serve(port: int) -> None:
    """Start Ray Serve's HTTP proxy on loopback ``port`` (a Serve already running keeps its own)."""
    from ray import serve

    with check_clock_paused():
        serve.start(http_options={"host": "127.0.0.1", "port": port})


def port_answers(port: int) -> bool:
    """Whether something listens on loopback ``port``."""
    import socket

    with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=2):
        return True
    return False


@pytest.fixture(scope="module")
def serve_apps(serve_url: str, pytestconfig: pytest.Config):
    """Deploy through this; every app it named is deleted when the lesson's checks end."""
    apps = ServeApps(serve_url, pytestconfig.stash[STATE].run_token)
    yield apps
    apps.delete_all(wait=False)


def wait_for(condition, *, timeout: float, interval: float = 0.2, what: str = "condition"):
    """Poll ``condition()`` until it returns something truthy; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")
        time.sleep(interval)


# -- outcomes ------------------------------------------------------------------------------------
def _outcome(item: pytest.Item, excinfo: pytest.ExceptionInfo, submission: Path) -> tuple[str, str]:
    """(status, message) for a check that raised."""
    exc = excinfo.value
    if isinstance(exc, LessonUnavailable):
        return results.FAILED, str(exc)
    if isinstance(exc, LessonNotStarted):
        return results.NOT_STARTED, str(exc)
    if isinstance(exc, watchdog.Stopped):
        return results.FAILED, str(exc)
    if "Timeout" in str(exc) and type(exc).__name__ == "Failed":
        budget = item.get_closest_marker("timeout").args[0]
        return results.FAILED, TIMEOUT_MSG.format(budget=budget)
    stub = feedback.stub_raised(exc, submission)
    if stub is not None:
        return results.NOT_STARTED, NOT_STARTED_MSG.format(what=f"`{stub}`")
    return results.FAILED, feedback.describe(exc, submission)


def _unscored(item: pytest.Item) -> results.CheckResult:
    mark = item.get_closest_marker("check")
    return results.CheckResult(_lesson_of(item).name, item.name.removeprefix("test_"), float(mark.kwargs["points"]),
                               fraction=1.0, hint=mark.kwargs.get("hint", ""), hidden=bool(mark.kwargs.get("hidden")))


def pytest_collection_finish(session: pytest.Session) -> None:
    """Stream the checks this run will grade (a supervisor tells the unfinished ones apart); a grading
    run shows no warnings summary: warnings are not failures, and the student's next step is what the
    run's end is for (``graders grade`` says ``--disable-warnings`` too)."""
    stream.plan(session.config.getoption("results_stream"),
                [_unscored(item) for item in session.items if _check_name(item) is not None])
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None and _grading_run(session.config):
        reporter.reportchars = reporter.reportchars.replace("w", "")


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem) -> None:
    """Note which check is running, so a process that dies in it can be told apart."""
    name = _check_name(item)
    if name is not None:
        stream.started(item.config.getoption("results_stream"), name)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    """Score each check, and show the student a trimmed message instead of the grader's traceback."""
    outcome = yield
    rep = outcome.get_result()
    lesson, mark = _lesson_of(item), item.get_closest_marker("check")
    if lesson is None or mark is None:
        return
    state = item.config.stash[STATE]
    if rep.skipped and rep.when != "teardown":  # a check that does not apply here: neither scored nor counted
        state.checks.pop(item.nodeid, None)
        stream.skipped(item.config.getoption("results_stream"), _check_name(item))
        return
    if rep.when == "setup":
        state.checks[item.nodeid] = _unscored(item)
    result = state.checks.get(item.nodeid)
    if result is None:
        return
    result.seconds += rep.duration
    if rep.failed and call.excinfo is not None and result.status == results.PASSED and rep.when != "teardown":
        result.status, result.message = _outcome(item, call.excinfo, state.submission)
        result.fraction = call.excinfo.value.share if isinstance(call.excinfo.value, PartialCredit) else 0.0
        rep.longrepr = result.message + (f"\n{terminal.hint_command(result)}" if result.hint else "")
    if rep.when == "teardown":
        stream.finished(item.config.getoption("results_stream"), result)


def _grading_run(config: pytest.Config) -> bool:
    """A run that grades a submission (not the kit's own tests): the plugin renders its outcome."""
    return config.stash[STATE].submission is not None




def pytest_report_teststatus(report: pytest.TestReport, config: pytest.Config):
    """A check that lost points is counted as "not started" or "to fix", not as a pytest failure or
    error: pytest's own failure sections and short summary then leave it to the score section, which
    shows the first one in full and the others in one line each."""
    result = config.stash[STATE].checks.get(report.nodeid)
    if result is None or not report.failed or report.when == "teardown" or result.status == results.PASSED:
        return None
    if result.status == results.NOT_STARTED:
        return "not started", "n", ("NOT STARTED", {"yellow": True})
    return "to fix", "F", ("TO FIX", {"red": True})


def pytest_terminal_summary(terminalreporter, exitstatus: int, config: pytest.Config) -> None:
    """Each lesson's next step and the score table, after pytest's own summary (a supervised run's
    supervisor prints them, whole)."""
    state = config.stash[STATE]
    if not state.checks or config.getoption("results_stream"):
        return
    terminalreporter.section("score")
    everything = config.getoption("all_failures") or config.getoption("verbose") > 0
    terminalreporter.write_line(terminal.summary(state.report(), everything=everything))


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Write the reports asked for, and the student's progress after a self-check."""
    config = session.config
    state = config.stash[STATE]
    if not state.checks:
        return
    report = state.report()
    results.write(report, json_path=config.getoption("json_path"), markdown_path=config.getoption("report_path"))
    if state.public_only and state.submission is not None:
        record_progress(state.submission, report)


PROGRESS_FILE = ".graders/progress.json"


def record_progress(submission: Path, report: results.Report) -> None:
    """Merge this run's results into the submission's progress file (read by ``graders progress``)."""
    path = submission / PROGRESS_FILE
    try:
        known = json.loads(path.read_text()) if path.exists() else {}
        for c in report.checks:
            known[c.qualified_name] = {"status": c.status, "points": c.points, "max_points": c.max_points,
                                       "message": c.message, "at": time.time()}
        path.parent.mkdir(exist_ok=True)
        path.write_text(json.dumps(known, indent=1, sort_keys=True))
    except OSError:
        pass  # a read-only submission folder: progress is a convenience, never a failure
