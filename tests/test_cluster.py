"""Grading on a real cluster of two Ray nodes, on this machine (issue #29).

The head runs with no CPU (``--num-cpus=0``): every task, actor, trial and replica runs on the worker node.
The worker node runs in a mount namespace of its own (``unshare -m``) with empty ``tmpfs`` mounts over
``/tmp`` and over the kit's fixture cache, so it sees none of the grading machine's temporary files, data
sets or submission copy, as another machine would; it has 4 CPUs and 2 logical GPUs. The "NFS" is a folder
of this machine bind-mounted at the same path into the worker's namespace: ``--storage``. Both nodes get
``--node-ip-address=127.0.0.1`` (Ray resolves it to this machine's own address, and both report that one),
token authentication is off (loopback), and both are stopped by their own process groups, whatever happens.

What it proves: the submission travels to the worker as the job's working directory, the data sets are
copied to each node (the same bytes), the checkpoints and the graders' temporary files reach the grader
through ``--storage``; ``graders grade --ray-address`` gives the reference full marks there, and ``graders
batch --ray-address`` (Ray Jobs) takes from a mutant of a lesson exactly its ``BREAKS``; without
``--storage``, or with one a node cannot read, grading on two nodes stops before it starts. Lessons 4 (Ray
Data) and 2 (Ray Train, its checkpoints in the storage) keep the suite's time small (about 2.5 minutes);
``KIT_SLOW_TESTS=1`` adds the whole reference (every lesson) and mutants of lessons 1, 3 and 5.
"""
from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

import kit
from graders.engine.grading.raysession import EXIT_RAY_UNAVAILABLE, FAST_RAY_ENV, STATE_API, free_port, worker_pythonpath

pytestmark = pytest.mark.xdist_group("cluster")  # the module runs whole on one xdist worker (tests/conftest.py)
NEEDS_ROOT = pytest.mark.skipif(os.geteuid() != 0 or not shutil.which("unshare"),
                                reason="the worker node's own mount namespace needs root and unshare")

STARTED = "Ray runtime started."
WORKER_CPUS, WORKER_GPUS = 4, 2
STORE = 600 * 2**20  # object store bytes per node
# The worker node's view: empty /tmp and fixture cache; the storage folder bound back at its own path.
# The worker node's view: an empty /tmp and fixture cache; the "NFS" bound back at its own path, and so is
# the kit's installation when it lives under /tmp (a clone there: every real node has the kit installed).
# Each kept folder is opened before /tmp is hidden and bound back from its descriptor; the cache last.
HIDE = ('kept=(); for path in "$GRADERS_NFS" $GRADERS_KEEP; do exec {fd}<"$path"; kept+=("$fd=$path"); done; '
        'mount -t tmpfs tmpfs /tmp && for k in "${kept[@]}"; do mkdir -p "${k#*=}" && '
        'mount --no-canonicalize --bind "/proc/self/fd/${k%%=*}" "${k#*=}" || exit 1; done && '
        'mkdir -p "$GRADERS_CACHE" && mount -t tmpfs tmpfs "$GRADERS_CACHE" && exec "$@"')


def installed_under_tmp() -> str:
    """The kit's clone and Python environment where they lie under /tmp (space-separated, outermost only)."""
    paths = sorted({p for p in (kit.KIT.resolve(), Path(sys.prefix).resolve()) if Path("/tmp") in p.parents})
    return " ".join(str(p) for p in paths if not any(q in p.parents for q in paths))


LESSON2_MUTANT, LESSON4_MUTANT = "ddp_wrapper_saved", "write_fixed_folder"

PROBE = r'''
import json, os, sys, time
import ray
from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

address, paths = sys.argv[1], json.loads(sys.argv[2])
ray.init(address=address, log_to_driver=False, logging_level="ERROR")
deadline = time.monotonic() + 180
while len([n for n in ray.nodes() if n["Alive"]]) < 2 and time.monotonic() < deadline:
    time.sleep(0.5)
nodes = [{k: n[k] for k in ("NodeID", "NodeManagerAddress", "Resources")} for n in ray.nodes() if n["Alive"]]

@ray.remote(num_cpus=0)
def look(paths):
    return ray.get_runtime_context().get_node_id(), {p: os.path.exists(p) for p in paths}

seen = [ray.get(look.options(scheduling_strategy=NodeAffinitySchedulingStrategy(n["NodeID"], soft=False)).remote(paths))
        for n in nodes]

@ray.remote(num_cpus=0, num_gpus=1)
def on_gpu():
    return ray.get_runtime_context().get_node_id()

print(json.dumps({"nodes": nodes, "seen": dict(seen), "gpu_node": ray.get(on_gpu.remote())}))
'''


@contextlib.contextmanager
def node(cmd: list[str], env: dict, log: Path, *, wait_for: str | None = STARTED, timeout: float = 180):
    """Start a Ray node (``ray start --block``) in its own process group; stop that group on the way out."""
    with open(log, "w") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, start_new_session=True, env=env)
    try:
        deadline = time.monotonic() + timeout
        while wait_for and wait_for not in log.read_text():
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"{cmd[:6]} did not start (exit {proc.poll()}):\n{log.read_text()[-3000:]}")
            time.sleep(0.5)
        yield proc
    finally:
        for sig in (signal.SIGTERM, signal.SIGKILL):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, sig)
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=5)
                break


def this_machines(ip: str) -> bool:
    """Whether ``ip`` is an address of this machine: a socket can be bound to it."""
    import socket

    with socket.socket() as s:
        try:
            s.bind((ip, 0))
            return True
        except OSError:
            return False


def ports(*names: str) -> list[str]:
    """Free loopback ports for what Ray would otherwise bind to fixed ones (two nodes share one host)."""
    return [f"--{name}={free_port()}" for name in names]


@pytest.mark.parametrize("command", [["grade", str(kit.KIT / "solutions")], ["batch", str(kit.KIT), "--out", "/tmp/never.csv"]])
def test_storage_that_is_no_folder_is_a_usage_error(command):
    proc = kit.run_graders(*command, "--storage", "/no/such/storage", timeout=60)
    assert proc.returncode == 2, proc.stderr
    assert "--storage: /no/such/storage is not a folder" in proc.stderr and "s3://BUCKET/PATH" in proc.stderr, proc.stderr


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    """Two Ray nodes on loopback; yields what the tests need, and the probe's view of the nodes."""
    import fixtures

    work = tmp_path_factory.mktemp("two-nodes")
    storage, submission = work / "nfs", work / "submission"
    storage.mkdir()
    shutil.copytree(kit.KIT / "solutions", submission, ignore=shutil.ignore_patterns("__pycache__"))
    cache = fixtures.cache_dir().resolve()
    model = fixtures.mnist_model()  # built here, on the grading machine, before the worker node hides the cache
    (storage / "marker").write_text("shared")
    temp = Path(tempfile.mkdtemp(prefix="g2n-"))  # short: Ray's socket paths live under it
    port, dashboard = free_port(), free_port()
    env = {k: v for k, v in os.environ.items() if k != "RAY_ADDRESS"}
    env.update(FAST_RAY_ENV, RAY_AUTH_MODE="disabled", PYTHONPATH=worker_pythonpath(),
               **{STATE_API: f"http://127.0.0.1:{dashboard}"})
    def ray_start(*more: str) -> list[str]:  # each node its own ports
        return [sys.executable, "-m", "ray.scripts.scripts", "start", "--block", "--node-ip-address=127.0.0.1",
                "--disable-usage-stats", f"--object-store-memory={STORE}", *more,
                *ports("dashboard-agent-listen-port", "dashboard-agent-grpc-port", "runtime-env-agent-port",
                       "metrics-export-port")]

    head = ray_start("--head", f"--port={port}", "--num-cpus=0", "--num-gpus=0", f"--temp-dir={temp}",
                     "--include-dashboard=true", "--dashboard-host=127.0.0.1", f"--dashboard-port={dashboard}",
                     *ports("ray-client-server-port"))
    worker = ["unshare", "-m", "--propagation", "private", "bash", "-c", HIDE, "hide",
              *ray_start(f"--address=127.0.0.1:{port}", f"--num-cpus={WORKER_CPUS}", f"--num-gpus={WORKER_GPUS}")]
    started = time.monotonic()
    try:
        with node(head, env, work / "head.log"), \
                node(worker, {**env, "GRADERS_NFS": str(storage), "GRADERS_CACHE": str(cache),
                                     "GRADERS_KEEP": installed_under_tmp()}, work / "worker.log"):
            looked = [str(model), str(submission / "lesson4_data.py"), str(storage / "marker")]
            proc = subprocess.run([sys.executable, "-c", PROBE, f"127.0.0.1:{port}", json.dumps(looked)],
                                  capture_output=True, text=True, timeout=300, env=env)
            assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-3000:]
            print(f"two nodes up and probed in {time.monotonic() - started:.1f} s")
            yield {"address": f"127.0.0.1:{port}", "dashboard": f"http://127.0.0.1:{dashboard}", "storage": storage,
                   "submission": submission, "work": work, "cache": cache, "looked": looked,
                   "probe": json.loads(proc.stdout.strip().splitlines()[-1])}
    finally:
        shutil.rmtree(temp, ignore_errors=True)


@NEEDS_ROOT
def test_two_nodes_on_loopback_and_the_worker_sees_none_of_this_machines_files(cluster):
    probe = cluster["probe"]
    nodes = {n["NodeID"]: n for n in probe["nodes"]}
    # Ray turns --node-ip-address=127.0.0.1 into this machine's own address (services.resolve_ip_for_localhost):
    # both nodes must report one address, and one of this machine's (only a local address can be bound).
    addresses = {n["NodeManagerAddress"] for n in nodes.values()}
    assert len(nodes) == 2 and len(addresses) == 1 and all(map(this_machines, addresses)), probe
    heads = [i for i, n in nodes.items() if n["Resources"].get("CPU", 0) == 0]
    workers = [i for i, n in nodes.items() if n["Resources"].get("CPU", 0) == WORKER_CPUS]
    assert len(heads) == len(workers) == 1 and nodes[workers[0]]["Resources"].get("GPU") == WORKER_GPUS, probe
    model, lesson, marker = cluster["looked"]
    assert probe["seen"][heads[0]] == {model: True, lesson: True, marker: True}, probe
    # The worker node: no fixture cache, no submission copy; the storage folder, as an NFS mount.
    assert probe["seen"][workers[0]] == {model: False, lesson: False, marker: True}, probe
    assert probe["gpu_node"] == workers[0], probe


@NEEDS_ROOT
def test_without_storage_grading_on_two_nodes_stops_before_it_starts(cluster, tmp_path):
    out = tmp_path / "results.json"
    proc = kit.run_graders("grade", str(cluster["submission"]), "--lessons", "4", "--json", str(out),
                           "--ray-address", cluster["address"], timeout=300)
    said = proc.stdout + proc.stderr
    assert proc.returncode == EXIT_RAY_UNAVAILABLE, said[-3000:]
    assert "this Ray cluster has 2 nodes" in said and "no --storage was given" in said, said[-3000:]
    assert "--storage s3://" in said and "NFS" in said, said[-3000:]
    assert not out.exists() and "lesson4_data::" not in proc.stdout, said[-3000:]  # nothing was graded


@NEEDS_ROOT
def test_storage_a_node_cannot_read_stops_before_grading(cluster, tmp_path):
    """A folder of this machine only (under /tmp, which the worker node does not see) is not shared storage."""
    local = tmp_path / "not-shared"
    local.mkdir()
    proc = kit.run_graders("grade", str(cluster["submission"]), "--lessons", "4", "--ray-address", cluster["address"],
                           "--storage", str(local), timeout=300)
    said = proc.stdout + proc.stderr
    assert proc.returncode == EXIT_RAY_UNAVAILABLE, said[-3000:]
    assert f"--storage {local} is not shared" in said and "Mount that folder at the same path on every node" in said, \
        said[-3000:]


@NEEDS_ROOT
def test_grade_gives_the_reference_full_marks_on_two_nodes(cluster):
    started = time.monotonic()
    result = kit.grade(cluster["submission"], lessons="4", timeout=900,
                       extra=["--ray-address", cluster["address"], "--storage", str(cluster["storage"]),
                              "--use-gpu", "no"])
    print(f"lesson 4 graded on two nodes in {time.monotonic() - started:.1f} s")
    lost = {t["name"]: t["output"][:400] for t in result["tests"] if t["score"] < t["max_score"]}
    assert not lost and result["score"] == result["max_score"] > 0, lost
    # The predictions the worker node wrote are in the storage; the graders' temporary folder is gone.
    storage = cluster["storage"]
    assert list(storage.glob("lesson4-predictions-*/*.parquet")), sorted(p.name for p in storage.iterdir())
    assert not list(storage.glob("graders-tmp-*")), sorted(p.name for p in storage.iterdir())


@NEEDS_ROOT
@pytest.mark.skipif(os.environ.get("KIT_SLOW_TESTS") != "1", reason="every lesson on two nodes, minutes: set KIT_SLOW_TESTS=1")
def test_grade_gives_the_whole_reference_full_marks_on_two_nodes(cluster):
    started = time.monotonic()
    result = kit.grade(cluster["submission"], timeout=2400,
                       extra=["--ray-address", cluster["address"], "--storage", str(cluster["storage"]),
                              "--use-gpu", "no"])
    print(f"five lessons graded on two nodes in {time.monotonic() - started:.1f} s: "
          f"{result['score']:g}/{result['max_score']:g}")
    lost = {t["name"]: t["output"][:400] for t in result["tests"] if t["score"] < t["max_score"]}
    assert not lost and result["score"] == result["max_score"] > 0, lost


def batch_of_mutants(cluster, mutants: dict[str, str]) -> tuple[list[dict], set[str], float]:
    """``graders batch --ray-address`` (Ray Jobs) on one submission holding a mutant of each lesson named in
    ``mutants`` (``{lesson: mutant}``); (its results' tests, the union of the mutants' BREAKS, seconds taken)."""
    root, breaks = cluster["work"] / f"class-{len(list(cluster['work'].glob('class-*')))}", set()
    for lesson, mutant in mutants.items():
        fragment = kit.MUTANTS / lesson / f"{mutant}.py"
        kit.make_submission(lesson, [fragment], root / "mutants")
        breaks |= {f"{lesson}::{check}" for check in kit.breaks_of(fragment)}
    out = root.parent / f"{root.name}.csv"
    started = time.monotonic()
    proc = kit.run_graders("batch", str(root), "--out", str(out), "--use-gpu", "no",
                           "--lessons", ",".join(lesson.split("_")[0].removeprefix("lesson") for lesson in mutants),
                           "--ray-address", cluster["dashboard"], "--storage", str(cluster["storage"]),
                           env={"RAY_AI_KIT_CACHE": str(cluster["cache"])}, timeout=2400)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-3000:]
    tests = json.loads((out.with_suffix("") / "mutants" / "results.json").read_text())["tests"]
    assert {t["name"].split("::")[0] for t in tests} == set(mutants), tests  # every lesson graded
    return tests, breaks, time.monotonic() - started


def lost(tests: list[dict]) -> dict[str, str]:
    return {t["name"]: t["output"][:300] for t in tests if t["score"] < t["max_score"]}


@NEEDS_ROOT
def test_batch_on_two_nodes_takes_from_each_mutant_exactly_its_breaks(cluster):
    """Lesson 2's mutant saves the DDP wrapper (its checkpoint, written by the worker into the storage, is
    judged here); lesson 4's writes its parquet under the worker's own /tmp (the grader finds nothing)."""
    tests, breaks, took = batch_of_mutants(cluster, {"lesson2_train": LESSON2_MUTANT, "lesson4_data": LESSON4_MUTANT})
    print(f"lessons 2 and 4 graded as a Ray Job on two nodes in {took:.1f} s")
    assert set(lost(tests)) == breaks, lost(tests)
    assert len(tests) > 30, tests  # hidden checks included
    # Lesson 2's checkpoints, written by the worker node, are in the storage.
    assert list(cluster["storage"].glob("lesson2-*/**/model.pt")), sorted(p.name for p in cluster["storage"].iterdir())


@NEEDS_ROOT
@pytest.mark.skipif(os.environ.get("KIT_SLOW_TESTS") != "1", reason="lessons 1, 3 and 5 on two nodes, minutes: set KIT_SLOW_TESTS=1")
def test_batch_on_two_nodes_mutants_of_the_other_lessons(cluster):
    """Lesson 1's predictor reloads the checkpoint copy per batch, lesson 3's tuner ignores storage_path,
    lesson 5's classifier reloads the model copy per request: the copies are the graders' files in --storage."""
    tests, breaks, took = batch_of_mutants(cluster, {"lesson1_taxi": "reload_per_batch", "lesson3_tune": "storage_ignored",
                                                     "lesson5_serve": "reload_per_request"})
    print(f"lessons 1, 3 and 5 graded as a Ray Job on two nodes in {took:.1f} s")
    assert set(lost(tests)) == breaks, lost(tests)
