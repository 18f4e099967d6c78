"""Lesson 2's GPU path on a machine with fewer than two GPUs: one Ray Train worker with ``use_gpu=True``.

The lesson 2 grader trains on GPUs only when the cluster has one for each of its two DDP workers; on a
one-GPU machine ``bench/gpu_check.sh`` runs this instead: the reference's ``build_trainer`` fitted for
one epoch on 512 digits with one GPU worker, under the embedded Ray the graders use. With
``GRADERS_GPU_PROOF`` set, the Train worker records the CUDA device it used (``gpu_proof``).

    python bench/gpu_train_probe.py SUBMISSION_DIR
"""
from __future__ import annotations

import importlib
import sys
import tempfile
import time
from pathlib import Path

KIT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(KIT))

import fixtures  # noqa: E402
from graders.engine.grading.raysession import RaySession  # noqa: E402


def main(submission: Path) -> int:
    started = time.monotonic()
    storage = Path(tempfile.mkdtemp(prefix="gpu-train-probe-"))
    session = RaySession(submission=submission, storage_path=storage, use_gpu="yes")
    cluster = session.start()
    try:
        sys.path.insert(0, str(submission))  # this probe runs the student's code here, on purpose
        lesson = importlib.import_module("lesson2_train")
        config = {"lr": 1e-3, "batch_size": 64, "global_batch_size": 64, "num_epochs": 1,
                  "data_root": str(fixtures.mnist_root(train_limit=512))}
        result = lesson.build_trainer(train_loop_config=config, num_workers=1, use_gpu=cluster.use_gpu,
                                      storage_path=str(storage), name="gpu-train-probe").fit()
        print(f"train probe: one GPU worker, metrics {result.metrics}, {time.monotonic() - started:.1f} s")
        return 0 if result.error is None else 1
    finally:
        session.stop()


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]).resolve()))
