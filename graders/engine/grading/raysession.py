"""One Ray instance per grading run (``RaySession``): the one place where Ray is started, configured and stopped.

Embedded by default (a local instance sized to what the process may use, no dashboard), or an existing cluster
given by ``--ray-address``/``RAY_ADDRESS``. Ray pickles a student's functions by module name, so
every Train worker, Data actor and Serve replica must be able to ``import lesson1_taxi``: an
embedded instance inherits ``PYTHONPATH`` from the grading process; on a cluster the submission
travels as the job's ``working_dir``. Each grading run is its own Ray job, so two submissions on one
cluster never share a worker process, and never import each other's modules.

On a 2-core laptop grading is CPU-bound, and most of the CPU goes into starting Ray's worker processes
(dozens per run, each importing Ray): ``FAST_RAY_ENV`` starts fewer of them and ``worker_site``
makes each start cheaper. ``bench/bench.py`` measures the result.
"""
from __future__ import annotations

import contextlib
import os
import re
import socket
import sys
from dataclasses import dataclass
from pathlib import Path

from graders.engine.grading import worker_site
from graders.engine.course import GRADERS_DIR, KIT_ROOT
from graders.engine.reporting.stream import RayUnavailable
from graders.engine.grading.worker_site import sitecustomize as _lean_imports  # noqa: F401  (this process too)

# Its sitecustomize.py runs first in every Python process of an embedded instance.
WORKER_SITE = Path(worker_site.__file__).parent

# Settings that cut Ray's polling and start-up latencies; measured in bench/. Every Ray worker is a new
# Python process that costs seconds of CPU on a 2-core laptop, so fewer of them is the biggest saving:
# Ray Data reads one parquet file's footer with 32 actors by default, Ray Train starts a preemption
# watcher actor per fit that a single machine never needs.
# And one that keeps a score from depending on the rest of the machine: a raylet the kit starts kills no
# worker for memory. Ray's memory monitor kills the newest task's worker once the whole machine's memory
# is 95% used, by whatever uses it (another grading, the student's browser); Ray Data retries its tasks
# without end, so a check would wait silently until its budget ran out (tests/test_batch.py shows
# it). A real shortage is the kernel's to settle.
FAST_RAY_ENV = {
    "RAY_memory_monitor_refresh_ms": "0",
    "RAY_TRAIN_HEALTH_CHECK_INTERVAL_S": "0.1",
    "RAY_DATA_PARQUET_FOOTER_NUM_ACTORS": "1",
    "RAY_TRAIN_ENABLE_PREEMPTION_WATCHER": "0",
    "RAY_TRAIN_ENABLE_V2_MIGRATION_WARNINGS": "0",
    "RAY_DEDUP_LOGS": "0",
    "RAY_USAGE_STATS_ENABLED": "0",
    "RAY_DATA_DISABLE_PROGRESS_BARS": "1",
    "TUNE_DISABLE_AUTO_CALLBACK_LOGGERS": "1",
    "PYTHONWARNINGS": "ignore::DeprecationWarning,ignore::FutureWarning",
}


# Ray's state API (``ray.util.state``) finds its server through the newest `ray start` head on the
# machine, not through the cluster its caller is in. Ray Train's placement-group cleaner asks it whether
# the fit's controller lives: beside another head it is told "no such actor" and removes the fit's
# placement group mid-fit ("Destroying worker since its placement group was removed"). So every Ray
# instance the kit starts names its own state API server to its processes, or one that refuses at once.
STATE_API = "RAY_API_SERVER_ADDRESS"
NO_STATE_API = "http://127.0.0.1:0"  # no dashboard: every state API call fails, as it does on its own

IN_RAY_JOB = "RAY_JOB_CONFIG_JSON_ENV_VAR"  # set by Ray for the driver of a submitted Ray Job
# Names the submission folder already on the PYTHONPATH of every worker of the cluster at --ray-address
# (watch's own head): jobs then need no runtime env, and start on the workers Ray keeps ready.
SUBMISSION_ON_WORKERS = "GRADERS_SUBMISSION_ON_WORKERS"
EXIT_RAY_UNAVAILABLE = 3  # the exit status of a grading run that could not start or reach Ray
# N: the embedded instance declares N GPUs the machine has not got (the kit's tests, on CPUs). Ray places
# every GPU request on them; CUDA cannot run there, so checks of the CUDA half skip (skip_without_cuda).
LOGICAL_GPUS = "GRADERS_LOGICAL_GPUS"


@dataclass(frozen=True)
class RayInstance:
    """What the graders need to know of the Ray instance they run on."""

    address: str | None
    """None for the embedded instance."""
    use_gpu: bool
    """Whether checks hand ``use_gpu=True`` / ``num_gpus`` to the student's functions."""
    num_cpus: int
    storage_path: str
    """Where the run's checkpoints go: a local folder, or on a cluster of several nodes the ``--storage``
    every node reaches (a folder mounted at the same path on each, or a URI such as ``s3://...``)."""
    nodes: tuple[str, ...] = ()
    """The ids of the cluster's nodes when it has several (data sets are copied to each); empty on one node."""


# -- the embedded instance's size: what this process may use (a container's share, not the host's) -----
LESSONS_MIN_CPUS = 4
"""Logical CPUs the lessons need at least. Logical CPUs are scheduling slots, not cores: a Tune trial that
fits a trainer holds one slot for the trial and one per worker, so 2 slots would run one trial at a time."""
CGROUP_FS, PROC_CGROUP = Path("/sys/fs/cgroup"), Path("/proc/self/cgroup")


def cgroup_files(name: str, *, root: Path = CGROUP_FS, proc_cgroup: Path = PROC_CGROUP) -> list[Path]:
    """Each file ``name`` (``cpu.max``, ``memory.limit_in_bytes``...) of the cgroups this process is in, and of
    their ancestors up to the hierarchy's mount: a limit anywhere on the way binds it. cgroup v2 (mounted at
    ``root``, or ``root/unified`` beside v1) and v1 (``root/<controllers>``); a container sees its own as root."""
    try:
        lines = proc_cgroup.read_text().splitlines()
    except OSError:
        return []
    found: dict[Path, Path] = {}
    for line in lines:
        _, controllers, path = line.split(":", 2)
        mounts = [root, root / "unified"] if not controllers else [root / c for c in [controllers, *controllers.split(",")]]
        for mount in (m for m in mounts if m.is_dir()):
            folder = mount / path.lstrip("/")
            for level in [folder, *folder.parents[:len(folder.parents) - len(mount.parents)]]:
                if (level / name).is_file():
                    found.setdefault((level / name).resolve(), level / name)
    return list(found.values())


def cgroup_cpus(**where) -> float | None:
    """The CPU time this process may use, in CPUs (cgroup v2 ``cpu.max``, v1 ``cpu.cfs_quota_us``); None: no quota."""
    quotas = [int(q) / int(p) for q, p in (f.read_text().split()[:2] for f in cgroup_files("cpu.max", **where)) if q != "max"]
    quotas += [int(f.read_text()) / int((f.parent / "cpu.cfs_period_us").read_text())
               for f in cgroup_files("cpu.cfs_quota_us", **where) if int(f.read_text()) > 0]
    return min(quotas, default=None)


def usable_cpus(**where) -> int:
    """The CPUs this process may use: its affinity mask (``taskset``, a container's cpuset) within its CPU quota."""
    cpus, quota = len(os.sched_getaffinity(0)), cgroup_cpus(**where)
    return min(cpus, max(1, int(quota))) if quota else cpus


def usable_memory(**where) -> int:
    """Bytes of memory this process may use: the machine's, within its cgroup's limit (v2 ``memory.max``, v1
    ``memory.limit_in_bytes``, a huge number when unlimited)."""
    limits = [int(t) for f in cgroup_files("memory.max", **where) if (t := f.read_text().strip()) != "max"]
    limits += [int(f.read_text()) for f in cgroup_files("memory.limit_in_bytes", **where)]
    return min([os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"), *limits])


def embedded_cpus(**where) -> int:
    """Logical CPUs for an embedded instance: what this process may use, and at least the lessons' minimum."""
    return max(LESSONS_MIN_CPUS, usable_cpus(**where))


def embedded_resources(num_cpus: int | None = None, **where) -> dict:
    """``ray.init`` sizes for an embedded instance: its CPUs (``embedded_cpus`` unless given), and its object
    store and memory from the memory this process may use, by Ray's own rule (a share of it, within /dev/shm).
    ``where``: another cgroup file system and process cgroup file than this machine's (``cgroup_files``)."""
    from ray._private.utils import resolve_object_store_memory

    memory = usable_memory(**where)
    store = resolve_object_store_memory(memory)
    return {"num_cpus": num_cpus or embedded_cpus(**where), "object_store_memory": store, "_memory": memory - store}


def logical_gpus() -> int:
    """The GPUs an embedded instance declares without having them (``GRADERS_LOGICAL_GPUS``); 0 if none."""
    return int(os.environ.get(LOGICAL_GPUS) or 0)


def skip_without_cuda(what: str) -> None:
    """Skip the running check when Ray's GPUs are logical ones (``GRADERS_LOGICAL_GPUS``): Ray placed the
    GPU request, but no CUDA exists to judge ``what``. The check then neither passes nor fails."""
    import pytest

    if logical_gpus():
        pytest.skip(f"{what} needs CUDA; this Ray's {logical_gpus()} GPUs are logical ({LOGICAL_GPUS}): "
                    "the GPU request was scheduled, the CUDA half was not run")


def resolve_use_gpu(choice: str, gpus: float) -> bool:
    """``auto`` uses GPUs when the cluster has some; ``yes`` insists; ``no`` never uses them."""
    if choice == "auto":
        return gpus > 0
    if choice == "yes":
        if gpus <= 0:
            raise RayUnavailable("--use-gpu yes, but the Ray cluster reports no GPU; use --use-gpu auto or no")
        return True
    if choice == "no":
        return False
    raise ValueError(f"--use-gpu must be auto, yes or no, not {choice!r}")


class RaySession:
    """The run's Ray: the one place where it is started or joined (``start``), started again with Serve on its
    port after a student's code stopped either (``restore``), and stopped (``stop``); ``with RaySession(...)``.

    ``shared_storage``: ``storage_path`` is the instructor's ``--storage``, meant for every node. A cluster of
    several nodes is graded only with it, and only once each node has read a file the grader wrote there.
    ``keep``: the connection outlives the session (watch's runner joins its head once, then runs one grading
    after another on it)."""

    def __init__(self, *, submission: Path, storage_path: str | Path, address: str | None = None,
                 use_gpu: str = "auto", num_cpus: int | None = None, shared_storage: bool = False, keep: bool = False):
        self.submission, self.storage_path = Path(submission), str(storage_path)
        self.address = address or os.environ.get("RAY_ADDRESS") or None
        self.use_gpu, self.num_cpus, self.shared_storage, self.keep = use_gpu, num_cpus, shared_storage, keep
        self.instance: RayInstance | None = None
        self.gcs: str | None = None
        """The address of the instance started or joined, to tell it from one a student's code started."""
        self.serve_port: int | None = None

    def start(self) -> RayInstance:
        import ray

        if not self.address and self.use_gpu == "yes":  # an embedded instance gets this machine's GPUs: say so first
            resolve_use_gpu(self.use_gpu, logical_gpus() or _machine_gpus())
        if not (self.keep and ray.is_initialized()):
            _connect(ray, self.submission, self.address, self.num_cpus)
        try:
            _first_worker(ray)
            nodes = alive_nodes(ray)
            if len(nodes) > 1:
                if not self.shared_storage:
                    raise RayUnavailable(NO_SHARED_STORAGE.format(n=len(nodes), ips=", ".join(sorted(set(nodes.values())))))
                check_shared_storage(ray, self.storage_path, nodes)
            resources = ray.cluster_resources()
            self.instance = RayInstance(self.address, resolve_use_gpu(self.use_gpu, resources.get("GPU", 0)),
                                       int(resources.get("CPU", 0)), self.storage_path, tuple(nodes) if len(nodes) > 1 else ())
        except RayUnavailable:
            self.stop()
            raise
        self.gcs = ray.get_runtime_context().gcs_address
        return self.instance

    def serve(self) -> str:
        """Start Ray Serve's HTTP proxy on a free loopback port (a Serve already running keeps its own); its base URL."""
        from graders.engine.grading.serving import serve_base_url, start_serve

        start_serve(free_port())
        url, self.serve_port = serve_base_url()
        return url

    def restore(self) -> None:
        """Start Ray (and Serve, on its port) again if a student's code stopped or replaced either: what one lesson
        does to Ray costs that lesson's checks, never a later lesson's."""
        import ray

        from graders.engine.grading.polling import port_answers
        from graders.engine.grading.serving import start_serve

        if self.gcs is None:
            return
        restarted = not (ray.is_initialized() and ray.get_runtime_context().gcs_address == self.gcs)
        if restarted:
            if ray.is_initialized():  # an instance the student's code started on its own
                ray.shutdown()
            self.start()
        if self.serve_port is not None and (restarted or not port_answers(self.serve_port)):
            start_serve(self.serve_port)

    def stop(self) -> None:
        """End the run's Ray: stop an embedded instance, leave a cluster; a kept connection stays open."""
        import ray

        self.gcs = self.serve_port = None
        if not self.keep:
            _stop_serve_handles()
            ray.shutdown()

    def __enter__(self) -> RaySession:
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


# -- a cluster of several nodes: storage every node reaches ----------------------------------------------
NO_SHARED_STORAGE = (
    "this Ray cluster has {n} nodes ({ips}), and no --storage was given. Ray Train and Tune write checkpoints "
    "on the nodes where their workers run, and the grader reads them here; the files the graders write for "
    "workers must reach every node too. Pass --storage with a folder mounted at the same path on every node "
    "(NFS), or a URI every node can write, e.g. --storage s3://BUCKET/grading")
STORAGE_NOT_SHARED = (
    "--storage {storage} is not shared: the node(s) {missing} could not read {marker}, which the grader had just "
    "written there ({why}). Mount that folder at the same path on every node (NFS), or give a URI every node "
    "can reach (s3://BUCKET/PATH)")


def alive_nodes(ray) -> dict[str, str]:
    """The cluster's live nodes: ``{node id: IP address}``."""
    return {n["NodeID"]: n["NodeManagerAddress"] for n in ray.nodes() if n.get("Alive")}


def storage_filesystem(storage: str):
    """(pyarrow file system, path within it) of ``storage``: a local folder or a URI (``s3://...``)."""
    import pyarrow.fs

    if "://" in storage:
        return pyarrow.fs.FileSystem.from_uri(storage)
    return pyarrow.fs.LocalFileSystem(), os.path.abspath(storage)


def _read_marker(storage: str, name: str) -> tuple[str, str]:
    """On a node: (what the marker file ``name`` under ``storage`` holds, or "", why not)."""
    try:
        filesystem, root = storage_filesystem(storage)
        with filesystem.open_input_stream(f"{root.rstrip('/')}/{name}") as f:
            return f.read().decode(), ""
    except Exception as exc:
        return "", f"{type(exc).__name__}: {exc}"


def check_shared_storage(ray, storage: str, nodes: dict[str, str]) -> None:
    """Write a marker file under ``storage`` here and read it on every node (one task pinned to each);
    a ``RayUnavailable`` naming the nodes that could not, and the fix."""
    import uuid

    from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

    token, name = uuid.uuid4().hex, f".graders-storage-check-{uuid.uuid4().hex[:12]}"
    filesystem, root = storage_filesystem(storage)
    marker = f"{root.rstrip('/')}/{name}"
    try:
        filesystem.create_dir(root, recursive=True)
        with filesystem.open_output_stream(marker) as f:
            f.write(token.encode())
    except Exception as exc:
        raise RayUnavailable(f"--storage {storage}: the grader cannot write there ({type(exc).__name__}: {exc}); "
                             "give a folder or URI it may write to") from exc
    read = ray.remote(num_cpus=0, max_retries=3)(_read_marker)
    try:
        seen = ray.get([read.options(scheduling_strategy=NodeAffinitySchedulingStrategy(node, soft=False))
                        .remote(storage, name) for node in nodes], timeout=WORKER_START_TIMEOUT_S)
    finally:
        with contextlib.suppress(Exception):
            filesystem.delete_file(marker)
    missing = [(f"{nodes[node]} (node {node[:12]})", why) for node, (got, why) in zip(nodes, seen) if got != token]
    if missing:
        raise RayUnavailable(STORAGE_NOT_SHARED.format(storage=storage, marker=marker,
                                                       missing=", ".join(who for who, _ in missing),
                                                       why="; ".join(why or "other contents" for _, why in missing)))


WORKER_START_TIMEOUT_S = 600


def _first_worker(ray) -> None:
    """Return once a worker of this run's job has run a task. A Ray Job's workers start only when asked
    (its runtime env, then a process at Ray's worker niceness: a minute and more on a loaded node), and an
    embedded instance's prestarted ones may still be starting: Ray's start-up, not the first check's time."""
    def ready() -> None:
        return None

    try:
        ray.get(ray.remote(num_cpus=0)(ready).remote(), timeout=WORKER_START_TIMEOUT_S)
    except Exception as exc:
        raise RayUnavailable(f"Ray is up, but no worker of this run started within {WORKER_START_TIMEOUT_S} s: {exc}") from exc


def _machine_gpus() -> int:
    """The GPUs Ray would find on this machine (nvidia-smi's, within CUDA_VISIBLE_DEVICES)."""
    from ray._private.accelerators import get_accelerator_manager_for_resource

    return get_accelerator_manager_for_resource("GPU").get_current_node_num_accelerators()


def _stop_serve_handles() -> None:
    """Stop the routers of this driver's Serve handles, before Ray stops.

    A handle's router pushes autoscaling metrics from a daemon thread; one that outlives
    ``ray.shutdown()`` calls ``ray.wait``, which starts a new local Ray whose start-up fails and logs
    a ``--- Logging error ---`` traceback (``'NoneType' object has no attribute 'internal_kv_get'``)
    into the run's closed output. Handles come from Serve's client (``serve.run``,
    ``serve.get_app_handle``), which shuts the routers of those it handed out; the cluster's Serve
    itself is left alone.
    """
    context = sys.modules.get("ray.serve.context")
    if context is None:
        return
    with contextlib.suppress(Exception):
        client = context._get_global_client(raise_if_no_controller_running=False)
        if client is not None:
            client.shutdown_cached_handles()


def join_from_side(address: str | None, gcs: str, submission: str) -> str:
    """On a student's side (``student_side``): join the run's Ray, leaving any instance the student's code
    started on its own; this driver's job id."""
    import ray

    if not (ray.is_initialized() and ray.get_runtime_context().gcs_address == gcs):
        if ray.is_initialized():
            ray.shutdown()
        if address:  # a cluster: the same runtime env as the grader's driver
            _connect(ray, Path(submission), address, None)
        else:  # the embedded instance: its workers already import the submission
            _init_with_retry(ray, {"address": gcs, "_node_ip_address": gcs.rpartition(":")[0]}, attempts=1)
    return ray.get_runtime_context().get_job_id()


def join(address: str, submission: Path) -> None:
    """Join the cluster at ``address`` for ``submission`` (watch's runner, before its first ``RaySession(keep=True)``)."""
    import ray

    _connect(ray, submission, address, None)


def _connect(ray, submission: Path, address: str | None, num_cpus: int | None) -> None:
    spawn_env = {k: v for k, v in FAST_RAY_ENV.items() if k not in os.environ}
    on_workers = IN_RAY_JOB in os.environ or os.environ.get(SUBMISSION_ON_WORKERS) == str(submission.resolve())
    if address and on_workers:
        kwargs = {"address": address}  # a batch's Ray Job, or watch's head: the workers import the submission
    elif address:
        # The graders' own functions (stand-ins, probes) reach the workers by module name, as the student's do.
        runtime_env = {"working_dir": str(submission.resolve()), "py_modules": kit_modules(),
                       "env_vars": dict(FAST_RAY_ENV), "excludes": UPLOAD_EXCLUDES}
        kwargs = {"address": address, "runtime_env": runtime_env}
        _probe(address)
    else:
        # Workers of an embedded instance inherit the environment of the process that starts it.
        spawn_env = embedded_env(submission)
        # "local": a new instance even when `ray start` left one running on this machine.
        kwargs = {"address": "local", **embedded_resources(num_cpus), "include_dashboard": False}
        if logical_gpus():
            kwargs["num_gpus"] = logical_gpus()
    if ray.is_initialized():
        ray.shutdown()
    with _environ_during(spawn_env):
        _init_with_retry(ray, kwargs, attempts=1 if address else START_ATTEMPTS)


@contextlib.contextmanager
def _environ_during(updates: dict[str, str]):
    """``updates`` in this process's environment while ``ray.init`` runs, and only then: Ray reads its settings
    there as it starts, and the processes it starts (raylet, GCS, workers) inherit them; ``ray.init`` takes no
    environment of its own. The grader's environment is as it was once Ray has started."""
    before = {key: os.environ.get(key) for key in updates}
    os.environ.update(updates)
    try:
        yield
    finally:
        for key, value in before.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


AUTH_MODE = "RAY_AUTH_MODE"  # Ray sets it to "token" as it starts a local instance, unless it was given


def embedded_env(submission: Path) -> dict[str, str]:
    """The environment an embedded instance's processes get beside the grader's: ``FAST_RAY_ENV`` where not set
    already, the submission and the kit on ``PYTHONPATH``, no state API."""
    return {**FAST_RAY_ENV, **{k: os.environ[k] for k in FAST_RAY_ENV if k in os.environ},
            "PYTHONPATH": worker_pythonpath(submission, KIT_ROOT), STATE_API: NO_STATE_API}


def driver_env(submission: Path, *, embedded: bool) -> dict[str, str]:
    """The environment of a driver of the run's Ray beside the grader (a student's side), whether it starts before
    the instance or after: ``FAST_RAY_ENV``; for the embedded instance also ``embedded_env`` and the authentication
    mode Ray will choose as it starts, which a process reads once, as it imports Ray."""
    fast = {**FAST_RAY_ENV, **{k: os.environ[k] for k in FAST_RAY_ENV if k in os.environ}}
    return {**embedded_env(submission), AUTH_MODE: os.environ.get(AUTH_MODE, "token")} if embedded else fast


# Left out of what a grading run on a cluster uploads for its workers: caches, progress records, and the fixture
# cache (``fixtures/.cache``, megabytes: each node gets the data sets it reads from the grader, ``datasets.on_every_node``).
UPLOAD_EXCLUDES = ["__pycache__", ".graders", "*.ipynb_checkpoints", ".cache"]


def kit_modules() -> list[str]:
    """The kit's packages (graders, the course's graders, fixtures) as a runtime env's ``py_modules``."""
    import fixtures
    import graders

    return sorted({str(Path(graders.__file__).parent), str(Path(fixtures.__file__).parent), str(GRADERS_DIR)})


def worker_pythonpath(*folders: Path, kit: Path = KIT_ROOT) -> str:
    """``PYTHONPATH`` for Ray's processes: ``folders`` (the submission, the kit), then ``worker_site`` as ``kit``
    holds it (a student's user reads its own copy of the kit: the grader's may be closed to it)."""
    paths = [str(f.resolve()) for f in folders] + [str(kit / WORKER_SITE.relative_to(KIT_ROOT))]
    return os.pathsep.join(paths + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p and p not in paths])


# Tries at starting Ray (embedded, or a `ray start` head): Ray waits a fixed 30 s for its raylet, and
# the raylet 15 s for its agents; a loaded machine can miss that once.
START_ATTEMPTS = 3


def _init_with_retry(ray, kwargs: dict, attempts: int) -> None:
    """``ray.init``, tried again when an embedded instance times out while starting."""
    for attempt in range(1, attempts + 1):
        try:
            ray.init(**kwargs, log_to_driver=False, logging_level="ERROR", configure_logging=True)
            return
        except Exception as exc:
            ray.shutdown()
            if attempt == attempts:
                where = kwargs.get("address") if kwargs.get("address") != "local" else "embedded"
                raise RayUnavailable(f"could not start or reach Ray ({where}): {exc}") from exc


def _probe(address: str, timeout: float = 5.0) -> None:
    """Fail fast when a cluster's address does not answer (``ray.init`` would retry for minutes)."""
    host, sep, port = address.removeprefix("ray://").rpartition(":")
    if not sep or not port.isdigit():
        return  # "auto", or a form Ray resolves itself
    try:
        socket.create_connection((host, int(port)), timeout=timeout).close()
    except OSError as exc:
        raise RayUnavailable(f"could not start or reach Ray at {address}: {exc}. "
                             "Is the cluster up (`ray start --head`), and is the address host:port?") from exc


def free_port() -> int:
    """A TCP port on the loopback interface that nothing listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# -- what Ray itself said while a check waited ----------------------------------------------------------
RAYLET_LINE = re.compile(r"^\[(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d),(\d{3}) ([WEF]) \d+ \d+\] \(raylet\) (.*)$")
RAYLET_SAID_MOST = 8  # lines: enough to name what went wrong, not a log
RAYLET_TAIL_BYTES = 4 << 20  # of raylet.out, read from its end: it grows by a state dump every few seconds


def raylet_said(since: float, logs: Path | None = None, most: int = RAYLET_SAID_MOST) -> list[str]:
    """The warnings and errors this machine's raylet of the run's Ray logged since ``since`` (``time.time()``),
    each once, the newest last: why a check that waited on Ray waited (a worker that never started, one killed).
    ``logs``: Ray's logs folder, by default that of the session this process joined; nothing without one."""
    import datetime

    if logs is None:
        node = getattr(sys.modules.get("ray._private.worker"), "_global_node", None)
        if node is None:
            return []
        logs = Path(node.get_logs_dir_path())
    try:
        with open(logs / "raylet.out", "rb") as f:
            f.seek(max(0, f.seek(0, os.SEEK_END) - RAYLET_TAIL_BYTES))
            lines = f.read().decode(errors="replace").splitlines()
    except OSError:
        return []
    said: dict[str, None] = {}
    for line in lines:
        found = RAYLET_LINE.match(line)
        if found and datetime.datetime.strptime(found[1], "%Y-%m-%d %H:%M:%S").timestamp() + int(found[2]) / 1000 >= since:
            # printable only: on Gradescope the student's user owns Ray's folder, and this goes to the grader's log
            text = "".join(c if c.isprintable() else "?" for c in found[4][:300])
            said.pop(text, None)  # kept once, where it was last said
            said[text] = None
    return list(said)[-most:]
