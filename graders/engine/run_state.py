"""What the plugin knows during one grading run, and the student's side of each lesson graded there."""
from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest

from graders.engine import feedback, results, stream, student_user
from graders.engine.catalog import CheckInfo
from graders.engine.datasets import DataSets
from graders.engine.polling import port_answers
from graders.engine.raysession import (AUTH_MODE, EXIT_RAY_UNAVAILABLE, STATE_API, RayCluster, RayUnavailable, driver_env,
                                       join_from_side, start_ray, stop_ray)
from graders.engine.serving import start_serve
from graders.engine.student_side import Remote, StudentError, StudentSide
from graders.engine.submission import LessonUnavailable
from graders.engine.watchdog import check_clock_paused

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

    def side_module(self, lesson: str) -> Remote:
        """The student's module imported on its lesson's side (a process started here on first use)."""
        found = self.side_modules.get(lesson)
        if found is None:
            env = dict(os.environ) if self.ray_gcs or self.ray_address else {**os.environ, **driver_env(self.submission)}
            side = self.sides.setdefault(lesson, StudentSide(path=[self.submission], env=env, user=student_user.current()))
            if side.pid is None:
                with check_clock_paused():  # starting the process is the grader's overhead; importing is not
                    side.start()
            try:
                found = side.import_module(lesson)
            except StudentError as exc:
                found = LessonUnavailable(f"{lesson}.py failed to import, so the lesson scores zero:\n"
                                          f"{feedback.describe(exc, self.submission)}")
            self.side_modules[lesson] = found
        if isinstance(found, LessonUnavailable):
            raise found
        return found

    def join_side(self, lesson: str, address: str | None) -> StudentSide:
        """The lesson's side, joined to the run's Ray now and each time it is started again."""
        side = self.sides[lesson]
        with check_clock_paused():
            if any(side.env.get(key) != os.environ.get(key) for key in (AUTH_MODE, STATE_API)):
                side.env = dict(os.environ)  # started before Ray, which then took another environment
                side.restart()
            side.on_start(join_from_side, address, self.ray_gcs, str(self.submission),
                          then=lambda job: setattr(side, "ray_job", job))
        return side

    def stop_sides(self) -> None:
        for side in self.sides.values():
            side.stop()

    # -- the run's Ray -----------------------------------------------------------------------------
    def start_ray(self, *, address: str | None, use_gpu: str, storage: str, given_storage: str | None) -> RayCluster:
        """Start or join the run's Ray (again, after a student's code stopped it: ``restore_ray``)."""
        import ray

        try:
            with check_clock_paused():
                cluster = start_ray(submission=self.submission, storage_path=storage, address=address,
                                    use_gpu=use_gpu, shared_storage=bool(given_storage))
                self.data.reach(cluster.nodes)  # several nodes: each data set is copied to each
        except RayUnavailable as exc:
            stream.write(self.stream_path, {"ray_unavailable": str(exc)})
            pytest.exit(f"grading could not run: {exc}", returncode=EXIT_RAY_UNAVAILABLE)
        self.ray_gcs = ray.get_runtime_context().gcs_address
        self.restart_ray = lambda: self.start_ray(address=address, use_gpu=use_gpu, storage=storage,
                                                  given_storage=given_storage)
        return cluster

    def restore_ray(self) -> None:
        """Start the run's Ray (and Serve, on its port) again if a student's code stopped or replaced it:
        what one lesson does to Ray costs that lesson's checks, never a later lesson's."""
        if self.restart_ray is None:
            return
        import ray

        restarted = not (ray.is_initialized() and ray.get_runtime_context().gcs_address == self.ray_gcs)
        if restarted:
            if ray.is_initialized():  # an instance the student's code started on its own
                ray.shutdown()
            self.restart_ray()
        if self.serve_port is not None and (restarted or not port_answers(self.serve_port)):
            with check_clock_paused():
                start_serve(self.serve_port)

    def stop_ray(self) -> None:
        self.restart_ray = None
        self.stop_sides()  # their drivers first
        stop_ray()


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
