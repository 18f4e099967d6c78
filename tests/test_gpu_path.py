"""The GPU path on a machine without GPUs.

An embedded Ray with logical GPUs (``GRADERS_LOGICAL_GPUS=2``) exercises the scheduling half: graded with
``--use-gpu yes``, the graders hand GPU requests to the student's functions, Ray places them on the logical
GPUs (each worker's own record of the GPU ids it held: ``gpu_proof``), and the checks grade them without
CUDA. A check of the CUDA half skips and says why. Without GPUs, ``--use-gpu yes`` stops at once.
The CUDA half itself is ``bench/gpu_check.sh``, on a machine with a GPU.
"""
from __future__ import annotations

import time
from pathlib import Path

import pytest

import kit
from graders.engine.grading.raysession import EXIT_RAY_UNAVAILABLE, LOGICAL_GPUS
from graders.engine.grading.worker_site import gpu_proof

HERE = Path(__file__).parent
FAKE = {"GRADERS_PACKAGE": "fakegraders", "PYTHONPATH": str(HERE / "fakecourse")}
GOOD = HERE / "submissions" / "engine" / "good"


@pytest.fixture(scope="module")
def lessons_4_and_5(tmp_path_factory) -> tuple[dict, dict]:
    """The reference of lessons 4 and 5 graded on two logical GPUs; (results, gpu_proof summary)."""
    proof = tmp_path_factory.mktemp("gpu-proof")
    result = kit.grade(kit.KIT / "solutions", lessons="4,5", extra=["--use-gpu", "yes"],
                       env={LOGICAL_GPUS: "2", gpu_proof.PROOF_DIR: str(proof)})
    return result, gpu_proof.summary(proof)


def test_reference_gets_full_marks_on_logical_gpus(lessons_4_and_5):
    result, _ = lessons_4_and_5
    lost = {t["name"]: t["output"][:300] for t in result["tests"] if t["score"] < t["max_score"]}
    assert not lost and result["score"] == result["max_score"] > 0


@pytest.mark.parametrize("path", ["data_actor", "serve_replica"])
def test_gpu_requests_reach_ray_as_resources(lessons_4_and_5, path):
    """The Data actor pool and the Serve replica ran in workers that held a GPU from Ray, and ran no CUDA."""
    _, proof = lessons_4_and_5
    assert proof[path]["placed"] and not proof[path]["cuda"], proof


def test_a_check_of_the_cuda_half_skips_and_says_why():
    """The made-up GPU check: its task got half a logical GPU (asserted first), then CUDA is out of reach."""
    proc = kit.run_graders("grade", str(GOOD), "--lessons", "9", "--use-gpu", "yes", "-rs",
                           env={**FAKE, LOGICAL_GPUS: "2"}, timeout=300)
    assert proc.returncode == 0 and "1 skipped" in proc.stdout, proc.stdout + proc.stderr  # neither failed nor passed
    assert "whether device() ran on the GPU needs CUDA" in proc.stdout, proc.stdout
    assert f"GPUs are logical ({LOGICAL_GPUS})" in proc.stdout


def test_use_gpu_yes_without_gpus_stops_at_once():
    started = time.monotonic()
    proc = kit.run_graders("grade", str(GOOD), "--lessons", "2", "--use-gpu", "yes", env=FAKE, timeout=300)
    took = time.monotonic() - started
    out = proc.stdout + proc.stderr
    assert proc.returncode == EXIT_RAY_UNAVAILABLE, out
    assert "--use-gpu yes, but the Ray cluster reports no GPU" in out and "--use-gpu auto or no" in out, out
    print(f"--use-gpu yes without GPUs: exit {proc.returncode} after {took:.1f} s")
