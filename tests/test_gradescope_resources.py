"""The embedded Ray is sized from what the process may use, not from the host: its affinity mask (taskset, a
container's cpuset), its cgroup's CPU quota and memory limit (v2 and v1), and at least the lessons' minimum.

The cgroup cases read cgroup files laid out as the kernel shows them, in a temporary folder; then a real
embedded Ray starts under ``taskset -c 0`` and, where this process may make one (root, cgroup v1), inside
a new memory cgroup with a limit of its own.
"""
from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import kit
from graders.engine.grading import raysession
from graders.engine.grading.raysession import LESSONS_MIN_CPUS

GIB = 2**30
UNLIMITED_V1 = "9223372036854771712"  # memory.limit_in_bytes of a cgroup v1 without a limit
PHYSICAL = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
AFFINITY = len(os.sched_getaffinity(0))


def cgroups(tmp_path: Path, proc: str, files: dict[str, str]) -> dict:
    """A cgroup file system holding ``files`` and a /proc/self/cgroup reading ``proc``: ``cgroup_files``' where."""
    for name, text in files.items():
        (tmp_path / "fs" / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / "fs" / name).write_text(text + "\n")
    (tmp_path / "fs").mkdir(exist_ok=True)
    (tmp_path / "cgroup").write_text(proc)
    return {"root": tmp_path / "fs", "proc_cgroup": tmp_path / "cgroup"}


def test_v2_limits_bind_from_any_ancestor(tmp_path):
    where = cgroups(tmp_path, "0::/grading.slice/run.scope\n", {
        "grading.slice/cpu.max": "50000 100000", "grading.slice/memory.max": str(3 * GIB),
        "grading.slice/run.scope/cpu.max": "max 100000", "grading.slice/run.scope/memory.max": "max",
        "cpu.max": "max 100000"})
    assert raysession.cgroup_cpus(**where) == 0.5
    assert raysession.usable_cpus(**where) == 1 and raysession.embedded_cpus(**where) == LESSONS_MIN_CPUS
    assert raysession.usable_memory(**where) == min(PHYSICAL, 3 * GIB)


def test_a_container_sees_its_own_cgroup_as_the_root(tmp_path):
    """cgroup v2 with a namespace (Docker, Gradescope): /proc/self/cgroup reads 0::/, the limits sit at the root."""
    where = cgroups(tmp_path, "0::/\n", {"cpu.max": "150000 100000", "memory.max": str(2 * GIB)})
    assert raysession.cgroup_cpus(**where) == 1.5 and raysession.usable_cpus(**where) == 1
    resources = raysession.embedded_resources(**where)
    memory = min(PHYSICAL, 2 * GIB)
    assert resources["num_cpus"] == LESSONS_MIN_CPUS
    assert resources["object_store_memory"] + resources["_memory"] == memory
    assert 0.2 * memory < resources["object_store_memory"] < 0.5 * memory  # Ray's own share of it


def test_v1_limits_found_above_a_path_the_container_does_not_show(tmp_path):
    """cgroup v1 without a namespace: /proc/self/cgroup names the host's path, the mount is the container's cgroup."""
    where = cgroups(tmp_path, "4:memory:/docker/abc\n2:cpu,cpuacct:/docker/abc\n", {
        "cpu,cpuacct/cpu.cfs_quota_us": "100000", "cpu,cpuacct/cpu.cfs_period_us": "100000",
        "memory/memory.limit_in_bytes": UNLIMITED_V1, "memory/docker/abc/memory.limit_in_bytes": str(GIB)})
    assert raysession.cgroup_cpus(**where) == 1.0
    assert raysession.usable_memory(**where) == min(PHYSICAL, GIB)


def test_no_limit_leaves_the_affinity_and_the_machines_memory(tmp_path):
    where = cgroups(tmp_path, "0::/\n1:cpu:/\n", {"unified/cpu.max": "max 100000", "cpu/cpu.cfs_quota_us": "-1",
                                                   "cpu/cpu.cfs_period_us": "100000", "memory.max": "max"})
    assert raysession.cgroup_cpus(**where) is None and raysession.usable_cpus(**where) == AFFINITY
    assert raysession.usable_memory(**where) == PHYSICAL
    assert raysession.cgroup_files("cpu.max", root=tmp_path, proc_cgroup=tmp_path / "absent") == []


SIZED = """
import json, sys, ray
from pathlib import Path
from graders.engine.grading import raysession
sized = raysession.embedded_resources()
with raysession.RaySession(submission=Path(sys.argv[1]), storage_path=Path(sys.argv[1])):
    print(json.dumps({"usable": raysession.usable_cpus(), "sized": sized, "ray": ray.cluster_resources()}))
"""
CGROUP_LIMIT = 4 * GIB


@contextlib.contextmanager
def memory_cgroup(limit: int):
    """A new cgroup v1 memory cgroup inside this process's own, limited to ``limit`` bytes: its folder, or None
    where this process may not make one. Removed afterwards, with whatever still runs in it."""
    own = raysession.cgroup_files("memory.limit_in_bytes")
    folder = own[0].parent / f"graders-test-{os.getpid()}" if own else None
    try:
        folder.mkdir()
        (folder / "memory.limit_in_bytes").write_text(str(limit))
    except (AttributeError, OSError):
        yield None
        return
    try:
        yield folder
    finally:
        for _ in range(60):
            for pid in (folder / "cgroup.procs").read_text().split():
                with contextlib.suppress(ProcessLookupError):
                    os.kill(int(pid), signal.SIGKILL)
            with contextlib.suppress(OSError):
                folder.rmdir()
                break
            time.sleep(1)


@pytest.mark.skipif(AFFINITY < 2 or not shutil.which("taskset"), reason="needs taskset and a machine of 2 CPUs or more")
def test_one_cpu_of_the_machine_plans_for_the_lessons_minimum(tmp_path):
    """``taskset -c 0`` on a machine with more cores: the embedded Ray has the lessons' minimum of logical CPUs
    (not the machine's cores); its object store and memory come from the memory cgroup's limit."""
    with memory_cgroup(CGROUP_LIMIT) as cgroup:
        def enter() -> None:
            if cgroup is not None:
                (cgroup / "cgroup.procs").write_text(str(os.getpid()))

        proc = subprocess.run(["taskset", "-c", "0", sys.executable, "-c", SIZED, str(tmp_path)], cwd=kit.KIT,
                              capture_output=True, text=True, timeout=600, preexec_fn=enter)
    assert proc.returncode == 0, proc.stderr[-3000:]
    got = json.loads(proc.stdout.strip().splitlines()[-1])
    assert got["usable"] == 1 < os.cpu_count()
    assert got["ray"]["CPU"] == got["sized"]["num_cpus"] == LESSONS_MIN_CPUS
    sized_memory = got["sized"]["object_store_memory"] + got["sized"]["_memory"]
    assert sized_memory == (min(PHYSICAL, CGROUP_LIMIT) if cgroup is not None else raysession.usable_memory())
    assert got["ray"]["object_store_memory"] == pytest.approx(got["sized"]["object_store_memory"], rel=0.01)
    assert got["ray"]["memory"] == pytest.approx(got["sized"]["_memory"], rel=0.01)
