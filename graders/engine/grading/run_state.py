"""What the plugin knows during one grading run, and the student's side of each lesson graded there."""
from __future__ import annotations

import contextlib
import os
import uuid
from pathlib import Path

import pytest

from graders.engine import course
from graders.engine.reporting import feedback, progress, results, stream, terminal
from graders.engine.grading import outcomes, student_user
from graders.engine.grading.catalog import CheckInfo
from graders.engine.grading.datasets import DataSets
from graders.engine.grading.raysession import (AUTH_MODE, EXIT_RAY_UNAVAILABLE, RayInstance, RayUnavailable, driver_env,
                                       RaySession, join_from_side)
from graders.engine.grading.student_side import Remote, StudentError, StudentSide
from graders.engine.grading.submission import LessonNotStarted, LessonUnavailable, lesson_file, is_stub
from graders.engine.grading.stopping import check_clock_paused

STORAGE_TMP = "graders-tmp-"


class GradingState:
    """Everything the plugin knows during one run, kept in ``config.stash``."""

    def __init__(self, config: pytest.Config):
        opt = config.getoption
        given = opt("submission")
        self.submission: Path | None = Path(given).resolve() if given else None
        self.public_only = not opt("all_checks")
        self.ray_address: str | None = opt("ray_address") or os.environ.get("RAY_ADDRESS")  # None: embedded
        self.left_out = set(opt("skip_check"))  # checks a resumed batch grading leaves out
        self.stream_path: str | None = opt("results_stream")
        self.checks: dict[str, results.CheckResult] = {}
        self.hidden_skipped: dict[str, float] = {}
        self.run_token = uuid.uuid4().hex[:8]
        self.ray: RaySession | None = None  # the run's Ray, once started
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

    def header(self) -> str | None:
        """The run's line in pytest's header: what is graded, and how."""
        if self.submission is None:
            return None
        return f"grading: {self.submission} ({'self-check: public checks only' if self.public_only else 'all checks'})"

    def select(self, items: list[pytest.Item], checks: list[CheckInfo | None]) -> list[pytest.Item]:
        """Give each check (``checks``: what each item is) its lesson's time budget; the items this run leaves out."""
        for item, check in zip(items, checks):
            if check and item.get_closest_marker("timeout") is None:
                item.add_marker(pytest.mark.timeout(course.lessons()[check.lesson].check_timeout, method="signal"))
        return [item for item, check in zip(items, checks) if check and self.leaves_out(check)]

    def leaves_out(self, check: CheckInfo) -> bool:
        """Whether this run leaves ``check`` out: named by ``--skip-check``, or hidden in a self-check (counted)."""
        if check.qualified_name in self.left_out:
            return True
        if check.hidden and self.public_only:
            self.hidden_skipped[check.lesson] = self.hidden_skipped.get(check.lesson, 0) + check.points
            return True
        return False

    def report(self) -> results.Report:
        return results.Report(str(self.submission), list(self.checks.values()), self.public_only,
                              dict(self.hidden_skipped))

    def record(self, nodeid: str, check: CheckInfo, rep: pytest.TestReport, exc: BaseException | None,
               budget: float | None) -> str | None:
        """Score one phase's report of ``check`` (``exc``: what it raised); the message to show for it, if any."""
        if rep.skipped and rep.when != "teardown":  # a check that does not apply here: neither scored nor counted
            self.checks.pop(nodeid, None)
            stream.skipped(self.stream_path, check.qualified_name)
            return None
        if rep.when == "setup":
            self.checks[nodeid] = outcomes.unscored(check)
        result, message = self.checks.get(nodeid), None
        if result is None:
            return None
        result.seconds += rep.duration
        if rep.failed and exc is not None and result.status == results.PASSED and rep.when != "teardown":
            outcomes.score(result, exc, self.submission, budget)
            message = result.message + (f"\n{terminal.hint_command(result)}" if result.hint else "")
        if rep.when == "teardown":
            stream.finished(self.stream_path, result)
        return message

    def finish(self, config: pytest.Config) -> None:
        """Write the reports asked for, and the student's progress after a self-check."""
        if self.checks:
            report, opt = self.report(), config.getoption
            results.write(report, json_path=opt("json_path"), markdown_path=opt("report_path"))
            if self.public_only and self.submission is not None:
                progress.record(self.submission, report)

    def prepare(self, lesson: str) -> None:
        """Before a check's fixtures: the run's Ray and Serve as they were (whatever the lesson before did to
        them), and the student's module imported on its side; a lesson still the untouched stub starts nothing."""
        self.restore_ray()
        if is_stub(lesson_file(self.submission, lesson), lesson):
            raise LessonNotStarted(outcomes.LESSON_NOT_STARTED_MSG.format(lesson=lesson))
        self.side_module(lesson)

    def side_module(self, lesson: str) -> Remote:
        """The student's module imported on its lesson's side (a process started here on first use, and again
        when a check stopped it: its budget ran out, or the student's code ended the process)."""
        found = self.side_modules.get(lesson)
        if isinstance(found, LessonUnavailable):
            raise found
        side = self.sides.get(lesson)
        if side is None:
            env = {**os.environ, **driver_env(self.submission, embedded=not self.ray_address)}
            side = self.sides[lesson] = StudentSide(path=[self.submission], env=env, user=student_user.current())
        if side.pid is None:
            with check_clock_paused():  # starting it (and joining Ray) is the grader's overhead; importing is not
                side.start().apply(os.getpid)  # answered once its interpreter is up
        if found is None:
            try:
                found = self.side_modules[lesson] = side.import_module(lesson)
            except StudentError as exc:
                found = self.side_modules[lesson] = LessonUnavailable(
                    f"{lesson}.py failed to import, so the lesson scores zero:\n{feedback.describe(exc, self.submission)}")
                raise found from None
        return found

    def join_side(self, lesson: str, address: str | None) -> StudentSide:
        """The lesson's side, joined to the run's Ray now and each time it is started again."""
        side = self.sides[lesson]
        with check_clock_paused():
            if not address and side.env.get(AUTH_MODE) != os.environ.get(AUTH_MODE):
                side.env = {**side.env, AUTH_MODE: os.environ.get(AUTH_MODE, "")}  # Ray chose another mode
                side.restart()
            side.on_start(join_from_side, address, self.ray.gcs, str(self.submission),
                          then=lambda job: setattr(side, "ray_job", job))
        return side

    def stop_sides(self) -> None:
        for side in self.sides.values():
            side.stop()

    # -- the run's Ray -----------------------------------------------------------------------------
    def start_ray(self, session: RaySession) -> RayInstance:
        """Start or join the run's Ray (``session``); a run that cannot stops here, saying why."""
        self.ray = session
        with self._or_exit(), check_clock_paused():  # importing Ray too: a check's budget is the student's
            cluster = session.start()
            self.data.reach(cluster.nodes)  # several nodes: each data set is copied to each
        return cluster

    def serve(self) -> str:
        """Start Serve's proxy on a free loopback port (a Serve already running keeps its own); its base URL."""
        with check_clock_paused():
            return self.ray.serve()

    def restore_ray(self) -> None:
        """Start the run's Ray (and Serve, on its port) again if a student's code stopped or replaced it:
        what one lesson does to Ray costs that lesson's checks, never a later lesson's."""
        if self.ray is not None:
            with self._or_exit(), check_clock_paused():
                self.ray.restore()

    def stop_ray(self) -> None:
        with check_clock_paused():  # in the last check's teardown: never its budget
            self.stop_sides()  # their drivers first
            if self.ray is not None:
                self.ray.stop()
        self.ray = None

    @contextlib.contextmanager
    def _or_exit(self):
        try:
            yield
        except RayUnavailable as exc:
            stream.write(self.stream_path, {"ray_unavailable": str(exc)})
            pytest.exit(f"grading could not run: {exc}", returncode=EXIT_RAY_UNAVAILABLE)


def temporary_files_in_storage(config: pytest.Config) -> None:
    """With ``--storage`` a folder, the graders' temporary files (``tmp_path``: model and checkpoint copies
    handed to the student's actors and replicas) go under it, where every node of a cluster reads them."""
    storage = config.getoption("storage_path")
    if storage and "://" not in storage and not config.getoption("basetemp"):
        config.option.basetemp = str(Path(storage).resolve() / f"{STORAGE_TMP}{uuid.uuid4().hex[:12]}")


def share_temporary_files(config: pytest.Config) -> None:
    """With the student's code run by another user (``student_user``), the graders' temporary folders (pytest
    makes them 0700) are opened as /tmp is (1777: anyone may add files, none may touch another's), so the
    files the graders hand to the student's functions and actors are readable by them, and stay root's."""
    factory = getattr(config, "_tmp_path_factory", None)
    if student_user.current() is None or factory is None:
        return
    mktemp = factory.mktemp

    def shared(basename: str, numbered: bool = True) -> Path:
        path = mktemp(basename, numbered)
        for folder in [path, *path.parents]:
            if folder == factory.getbasetemp().parent:
                break
            folder.chmod(0o1777)
        return path

    factory.mktemp = shared


def remove_temporary_files(config: pytest.Config) -> None:
    """Remove the run's temporary folder from ``--storage`` (the checkpoints stay)."""
    import shutil

    base = str(config.getoption("basetemp") or "")
    if config.getoption("storage_path") and Path(base).name.startswith(STORAGE_TMP):
        shutil.rmtree(base, ignore_errors=True)
