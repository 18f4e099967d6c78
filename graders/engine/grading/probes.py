"""Look inside Ray while grading: which actors a student's code really started, where it wrote, and
what a student's function built without running it (a ``Tuner``'s arguments, a ``Dataset``'s plan),
so that an argument can be judged with a second value at no cost.

Uses the GCS's actor table, which works without the dashboard (``ray.util.state`` needs it).
"""
from __future__ import annotations

import contextlib
import inspect
from pathlib import PurePosixPath
from unittest import mock


def actor_ids(class_fragment: str) -> set[str]:
    """Ids of the actors (of this job, or of a student side's) whose class name contains ``class_fragment``, alive or dead.

    A Ray Data actor pool running ``map_batches(OfflinePredictor, ...)`` shows up as actors of class
    ``MapWorker(MapBatches(OfflinePredictor))``; compare the sets before and after a run to count the
    pool's actors.
    """
    import ray
    from ray._private import state

    from graders.engine.grading.student_side import ray_jobs

    jobs = {ray.get_runtime_context().get_job_id(), *ray_jobs()}
    return {actor_id for actor_id, info in state.actors().items()
            if class_fragment in str(info.get("ActorClassName", "")) and info.get("JobID") in jobs}


def stored_under(path, storage_path: str) -> bool:
    """Whether a run's results (``ResultGrid.experiment_path``, ``Result.path``) lie under ``storage_path``.

    Local paths and URIs alike (``s3://bucket/runs`` holds ``bucket/runs/exp``): the student's code must
    write where the grader said, not to ``~/ray_results`` or a folder of its choosing.
    """
    def parts(p) -> tuple[str, ...]:
        return PurePosixPath(str(p).split("://", 1)[-1]).parts

    root = parts(storage_path)
    return parts(path)[:len(root)] == root


def assert_stored_under(path, storage_path: str, what: str) -> None:
    """Fail with a message a student can act on when ``what`` wrote its results elsewhere."""
    __tracebackhide__ = True
    assert stored_under(path, storage_path), (
        f"{what} wrote its results to {path}; expected them under the storage_path given, {storage_path} "
        "(RunConfig(storage_path=storage_path)): the grader chooses where runs are kept")


class _NotFitted(BaseException):
    """Raised by ``Tuner.fit`` while ``tuner_built`` runs; not an ``Exception``, so a student's handler lets it by."""


def tuner_built(call, what: str) -> dict:
    """``call()`` with ``ray.tune.Tuner.fit`` stopped: the arguments (``trainable``, ``param_space``,
    ``tune_config``, ``run_config``) of the last ``Tuner`` it built, returned or fitted; no trial runs.
    ``what`` names the call in the message when it builds none."""
    __tracebackhide__ = True
    from ray import tune

    init, built = tune.Tuner.__init__, []
    signature = inspect.signature(init)

    def recording(self, *args, **kwargs):
        bound = signature.bind(self, *args, **kwargs)
        bound.apply_defaults()
        built.append(dict(bound.arguments))
        init(self, *args, **kwargs)

    def not_fitted(self, *args, **kwargs):
        raise _NotFitted

    with mock.patch.object(tune.Tuner, "__init__", recording), mock.patch.object(tune.Tuner, "fit", not_fitted):
        with contextlib.suppress(_NotFitted):
            call()
    if not built:
        raise AssertionError(f"{what} built no ray.tune.Tuner; expected one")
    return built[-1]


def map_batches_ops(ds) -> list:
    """The ``map_batches`` steps of a dataset's plan, first to last, as built (nothing is run): each has
    ``fn``, ``batch_size``, ``compute`` (``min_size``/``max_size`` of an actor pool), ``ray_remote_args``."""
    from ray.data._internal.logical.operators.map_operator import MapBatches

    ops, todo = [], [ds._logical_plan.dag]
    while todo:
        op = todo.pop()
        if isinstance(op, MapBatches):
            ops.append(op)
        todo += list(op.input_dependencies)
    return ops[::-1]
