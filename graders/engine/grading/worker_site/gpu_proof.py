"""Proof of where the GPU paths ran, recorded from inside Ray's worker processes.

With ``GRADERS_GPU_PROOF=DIR`` set for an embedded grading Ray, ``sitecustomize`` starts ``record`` in each
of its Python processes: a thread that notes, as JSON lines in ``DIR/<pid>.jsonl``, what the worker holds
whenever it changes: its process title (``ray::ServeReplica:app:OnlineMNISTClassifier``...), the GPU ids
Ray gave it, and whether CUDA is initialised in it, on which device, with how much memory allocated.
Nothing is recorded for a worker that holds no GPU and never touched CUDA. ``summary(DIR)`` then says, per
GPU path of the course, whether Ray placed it on a GPU and whether it ran CUDA there.
``python -m graders.engine.grading.worker_site.gpu_proof DIR`` prints that summary as JSON.
"""
from __future__ import annotations

import json
import os
import re
import sys
import threading
import time

PROOF_DIR = "GRADERS_GPU_PROOF"
POLL_S = 0.2
# The GPU paths of the course, by the process title Ray gives the worker that runs each one.
PATHS = {
    "train_worker": ("Train worker (lesson 2)", r"RayTrainWorker"),
    "tune_trial": ("Tune trial (lesson 3)", r"ImplicitFunc|train_pytorch"),
    "data_actor": ("Data actor (lesson 4)", r"MapBatches\(MNISTClassifier\)"),
    "serve_replica": ("Serve replica (lesson 5)", r"ServeReplica:.*OnlineMNISTClassifier"),
}


def _state() -> dict | None:
    """What this worker holds now; None before it joins Ray. Raises LookupError in a driver."""
    ray = sys.modules.get("ray")
    if ray is None or not ray.is_initialized():
        return None
    if ray._private.worker.global_worker.mode != ray.WORKER_MODE:
        raise LookupError("not a worker")
    with open("/proc/self/cmdline", "rb") as f:  # Ray's setproctitle rewrites it
        title = f.read().replace(b"\0", b" ").decode(errors="replace").strip()
    torch = sys.modules.get("torch")
    cuda = bool(torch is not None and torch.cuda.is_initialized())
    state = {"title": title, "gpu_ids": [str(i) for i in ray.get_gpu_ids()], "cuda": cuda,
             "cuda_visible_devices": os.environ.get("CUDA_VISIBLE_DEVICES")}
    if cuda:
        state |= {"device": torch.cuda.get_device_name(), "cuda_memory": torch.cuda.max_memory_allocated() > 0}
    return state


def record(folder: str) -> None:
    """Poll this process's state; append it to ``folder/<pid>.jsonl`` each time it changes."""
    last = None
    while True:
        try:
            state = _state()
        except LookupError:
            return
        except Exception:  # noqa: BLE001  (a worker shutting down; never disturb it)
            state = None
        if state and (state["gpu_ids"] or state["cuda"]) and state != last:
            with open(os.path.join(folder, f"{os.getpid()}.jsonl"), "a") as f:
                f.write(json.dumps({**state, "pid": os.getpid(), "at": time.time()}) + "\n")
            last = state
        time.sleep(POLL_S)


def start() -> None:
    """Start ``record`` in a daemon thread when ``GRADERS_GPU_PROOF`` names a folder."""
    folder = os.environ.get(PROOF_DIR)
    if folder:
        os.makedirs(folder, exist_ok=True)
        threading.Thread(target=record, args=(folder,), name="graders-gpu-proof", daemon=True).start()


def read(folder) -> list[dict]:
    """Every state recorded under ``folder``."""
    states = []
    for name in sorted(os.listdir(folder)) if os.path.isdir(folder) else []:
        with open(os.path.join(folder, name)) as f:
            states += [json.loads(line) for line in f if line.strip()]
    return states


def summary(folder) -> dict[str, dict]:
    """Per GPU path: ``placed`` (a worker of that path held a GPU from Ray), ``cuda`` (one ran CUDA
    there and allocated memory), ``devices`` (the CUDA device names seen), ``titles`` (the workers)."""
    states = read(folder)
    out = {}
    for key, (label, pattern) in PATHS.items():
        mine = [s for s in states if re.search(pattern, s["title"])]
        out[key] = {"label": label, "placed": any(s["gpu_ids"] for s in mine),
                    "cuda": any(s["cuda"] and s.get("cuda_memory") for s in mine),
                    "devices": sorted({s["device"] for s in mine if s.get("device")}),
                    "titles": sorted({s["title"] for s in mine})[:5]}
    return out


if __name__ == "__main__":
    print(json.dumps(summary(sys.argv[1]), indent=1))
