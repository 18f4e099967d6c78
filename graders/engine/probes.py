"""Look inside Ray while grading: which actors a student's code really started, where it wrote.

Uses the GCS's actor table, which works without the dashboard (``ray.util.state`` needs it).
"""
from __future__ import annotations

from pathlib import PurePosixPath


def actor_ids(class_fragment: str) -> set[str]:
    """Ids of this job's actors whose class name contains ``class_fragment``, alive or dead.

    A Ray Data actor pool running ``map_batches(OfflinePredictor, ...)`` shows up as actors of class
    ``MapWorker(MapBatches(OfflinePredictor))``; compare the sets before and after a run to count the
    pool's actors.
    """
    import ray
    from ray._private import state

    job = ray.get_runtime_context().get_job_id()
    return {actor_id for actor_id, info in state.actors().items()
            if class_fragment in str(info.get("ActorClassName", "")) and info.get("JobID") == job}


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
