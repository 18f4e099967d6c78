"""A real Ray head on loopback, kept warm across grading runs (watch mode, the kit's tests).

``ray start --head --block`` runs in its own process group, so stopping it ends exactly its
processes: ``ray stop`` would end every Ray instance on the machine, other graders' included.
"""
from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from graders.engine.grading.polling import port_answers, wait_for
from graders.engine.course import KIT_ROOT
from graders.engine.grading.raysession import (AUTH_MODE, FAST_RAY_ENV, NO_STATE_API, START_ATTEMPTS, STATE_API, embedded_cpus,
                                       free_port, worker_pythonpath)


# The head's authentication mode, which every process that joins it must share: Ray's raylet calls back the
# driver that owns a task (its result, its objects), and a driver that expects a token (RAY_AUTH_MODE=token in
# the environment it inherited, as Ray leaves it after starting a local instance) refuses those calls, so its
# tasks never finish (a Ray Data read waited out its check's budget).
DRIVERS_ENV = {AUTH_MODE: "disabled"}  # loopback only


@dataclass(frozen=True)
class Head:
    address: str
    """What ``ray.init`` and ``--ray-address`` take (GCS host:port)."""
    dashboard: str
    """The job API's URL (``http://127.0.0.1:PORT``), or empty without a dashboard."""

    @property
    def drivers_env(self) -> dict[str, str]:
        """What the environment of a process that joins the head as a driver must hold."""
        return dict(DRIVERS_ENV)


STARTED = "Ray runtime started."  # what `ray start` prints once its raylet has registered


@contextlib.contextmanager
def local_head(*, dashboard: bool = False, num_cpus: int | None = None, timeout: float = 120,
               submission: Path | None = None, user=None, temp_dir: Path | None = None):
    """Start a Ray head on loopback; yield its ``Head``; stop it and all its processes.

    With ``submission``, the head's workers import it (and the kit) from their ``PYTHONPATH``, as those
    of an embedded instance do: a grading run then joins with ``SUBMISSION_ON_WORKERS`` set to it.
    A head counts as started once `ray start` says so (its raylet registered, after its agents), not when
    its ports answer: on a loaded machine Ray's raylet gives up on an agent slower than 15 s to start
    (ray-project/ray#65983) and the head dies; it is started again, up to ``START_ATTEMPTS`` times.

    With ``user`` (a ``student_user.StudentUser``, root's grading on Gradescope) the head and every worker
    run as that user, in its home, importing the kit from its copy without hidden checks; ``temp_dir``
    (Ray's ``--temp-dir``, the user's own: its sockets' paths must stay short) is where Ray writes.
    """
    env = {**os.environ, **FAST_RAY_ENV, **DRIVERS_ENV}
    kit = KIT_ROOT if user is None else user.kit
    # worker_site on every head: its agents start in time on a loaded machine (see below).
    env["PYTHONPATH"] = worker_pythonpath(*([submission, kit] if submission is not None else []), kit=kit)
    as_user = {} if user is None else user.popen_kwargs()
    if user is not None:
        env = user.env(env)
    # A job's `python` is this one, venv activated or not.
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    for attempt in range(1, START_ATTEMPTS + 1):
        port, dash_port = free_port(), free_port()
        cmd = [sys.executable, "-m", "ray.scripts.scripts", "start", "--head", "--block", f"--port={port}",
               "--node-ip-address=127.0.0.1", f"--num-cpus={num_cpus or embedded_cpus()}", "--disable-usage-stats",
               # Free ports for what Ray otherwise binds to fixed ones (52365, 10001): two heads on one
               # machine would leave the second without a job agent ("No available agent to submit job").
               f"--dashboard-agent-listen-port={free_port()}", f"--ray-client-server-port={free_port()}"]
        cmd += ["--include-dashboard=true", "--dashboard-host=127.0.0.1", f"--dashboard-port={dash_port}"] \
            if dashboard else ["--include-dashboard=false"]
        cmd += [f"--temp-dir={temp_dir}"] if temp_dir is not None else []
        env[STATE_API] = f"http://127.0.0.1:{dash_port}" if dashboard else NO_STATE_API  # see STATE_API
        with tempfile.TemporaryFile("w+") as log:
            proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, start_new_session=True, env=env,
                                    **as_user)

            def said() -> str:
                log.seek(0)
                return log.read()

            try:
                wait_for(lambda: proc.poll() is not None or STARTED in said() and (not dashboard or port_answers(dash_port)),
                         timeout=timeout, what="the Ray head to start")
            except BaseException:
                _stop(proc, port)
                raise
            if proc.poll() is None:
                break
            _stop(proc, port)
            if attempt == START_ATTEMPTS:
                raise RuntimeError(f"`ray start --head` exited with status {proc.returncode}: {said()[-2000:]}")
    try:
        yield Head(f"127.0.0.1:{port}", f"http://127.0.0.1:{dash_port}" if dashboard else "")
    finally:
        _stop(proc, port)


STOP_GRACE_S = 5  # a head given SIGTERM drains for 30 s and more; what it holds dies with it anyway


def _stop(proc: subprocess.Popen, port: int) -> None:
    """End the head's process group, and forget its address."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, sig)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=STOP_GRACE_S)
            break
    _forget_address(port)


def _forget_address(port: int) -> None:
    """Remove the address file `ray start` wrote, if it still names this head (as `ray stop` would).

    Left behind, it makes a later ``ray.init()`` on this machine try to join the stopped head.
    """
    from ray._common.utils import get_ray_address_file

    path = get_ray_address_file(None)
    with contextlib.suppress(OSError):
        with open(path) as f:
            named = f.read().strip()
        if named.rpartition(":")[2] == str(port):
            os.remove(path)
