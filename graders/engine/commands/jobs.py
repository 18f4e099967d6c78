"""Batch grading on a Ray cluster: each submission runs as a Ray Job (the job submission API).

The job's working directory is the submission; the kit's packages travel as ``py_modules``, so the
cluster needs only the course's dependencies (Ray, torch, xgboost, ...) installed. The job runs
``python -m graders grade .`` and prints each line of its result stream as it is written
(``stream.echo``), which the batch reads back from the job's logs however the job ended: a job
stopped past its time limit keeps its finished checks. Jobs run in parallel across the cluster,
``--jobs`` at a time.
"""
from __future__ import annotations

import os
import shlex
import time
import uuid
from pathlib import Path

from graders.engine.reporting import stream
from graders.engine.grading.raysession import kit_modules
from graders.engine.reporting.stream import GradingFailed

POLL_S = 1.0
SUBMIT_TIMEOUT_S = 120


def dashboard_url(address: str) -> str:
    """The job API's URL: the cluster's dashboard (``http://HEAD:8265``)."""
    return address if "://" in address else f"http://{address}"


def transient(exc: Exception) -> bool:
    """An error worth retrying: no job agent ready yet (a head that just started), a busy dashboard."""
    import requests

    return isinstance(exc, requests.ConnectionError) or "No available agent" in str(exc)


def patiently(student: str, what: str, call, *args, timeout: float = SUBMIT_TIMEOUT_S):
    """``call(*args)``, retried while the cluster's errors are transient; else the student is left ungraded."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return call(*args)
        except Exception as exc:  # the job API raises RuntimeError, requests' errors, ...
            if not transient(exc) or time.monotonic() > deadline:
                raise GradingFailed(f"{student}: the cluster failed to {what}: {exc}. "
                                    "Re-run the batch to retry.") from exc
            time.sleep(POLL_S)


def job_runner(address: str):
    """A ``run`` for ``batch.grade_one`` that submits each grading as a Ray Job at ``address``."""
    from ray.job_submission import JobStatus, JobSubmissionClient

    client = JobSubmissionClient(dashboard_url(address))
    modules = kit_modules()
    # RAY_AI_KIT_CACHE: the head's fixture cache, where the job's grading finds the data sets already built.
    env_vars = {k: os.environ[k] for k in ("GRADERS_PACKAGE", "RAY_AI_KIT_CACHE") if k in os.environ}

    def run(submission: Path, args: list[str], stream_path: Path, log: Path, timeout: float) -> bool:
        # The stream goes to a file of its own: jobs of the same submission share one working_dir copy.
        entry = (f'stream=$(mktemp); python -m graders.engine.reporting.stream "$stream" -- '
                 f'python -m graders grade . --results-stream "$stream" {shlex.join(args)}; rm -f "$stream"')
        student, job = submission.name, f"graders-{submission.name}-{uuid.uuid4().hex[:8]}"

        def submit() -> None:  # idempotent: a retry after a lost answer finds the job already there
            try:
                client.submit_job(submission_id=job, entrypoint=entry, runtime_env={
                    "working_dir": str(submission.resolve()), "py_modules": modules, "env_vars": env_vars,
                    "excludes": ["__pycache__", ".graders"]})
            except RuntimeError as exc:
                if "already exists" not in str(exc):
                    raise

        patiently(student, "accept the grading job", submit)
        deadline = time.monotonic() + timeout
        ended = {JobStatus.SUCCEEDED, JobStatus.FAILED, JobStatus.STOPPED}
        while patiently(student, "report the job's status", client.get_job_status, job) not in ended:
            if time.monotonic() > deadline:
                patiently(student, "stop the job", client.stop_job, job)
                break
            time.sleep(POLL_S)
        logs = patiently(student, "return the job's logs", client.get_job_logs, job)
        with open(log, "a") as f:
            f.write(logs)
        with open(stream_path, "a") as f:
            f.writelines(line + "\n" for line in stream.from_output(logs))
        return time.monotonic() > deadline

    return run
