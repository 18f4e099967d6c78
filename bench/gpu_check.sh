#!/usr/bin/env bash
# The GPU path, checked on a machine with a GPU, in one command (under 8 minutes on one GPU):
#   bench/gpu_check.sh [--no-install]
# 1. installs the kit from this checkout as the README says (`pip install -e .`, in .venv-gpu, which sees
#    the machine's packages: a CUDA torch already there is reused when it is the pinned version);
#    --no-install grades with the python on PATH as it is;
# 2. grades solutions/ with --use-gpu yes, and prints the score per lesson and the wall time;
# 3. proves that each GPU path ran on the GPU: every Ray worker records the GPU ids Ray gave it and the
#    CUDA device it used (GRADERS_GPU_PROOF, graders/engine/grading/worker_site/gpu_proof.py). With fewer than two
#    GPUs the lesson 2 grader trains on the CPU (DDP needs a device per worker), so its Train worker is
#    proved by bench/gpu_train_probe.py (one GPU worker) instead.
# Writes results.json, report.md, gpu_proof.json, gpu_check.json and the logs under $OUT when it is set.
# Exits non-zero when the kit does not install, a lesson loses a point, or a GPU path did not run CUDA.
set -uo pipefail
cd "$(dirname "$0")/.."
out=${OUT:-$(mktemp -d)}
mkdir -p "$out"
proof=$(mktemp -d)
fail() { echo "gpu_check: FAILED: $*" | tee -a "$out/gpu_check.log"; exit 1; }
say() { echo "gpu_check: $*" | tee -a "$out/gpu_check.log"; }
start=$SECONDS

gpus=$(nvidia-smi -L 2>/dev/null | grep -c '^GPU' || true)
[ "$gpus" -gt 0 ] || fail "nvidia-smi sees no GPU on this machine"
say "$(nvidia-smi -L | head -4 | tr '\n' ' ')"

if [ "${1:-}" != "--no-install" ]; then
    python3 -m venv --system-site-packages .venv-gpu || fail "python3 -m venv"
    source .venv-gpu/bin/activate
    t=$SECONDS
    pip install -e . > "$out/install.log" 2>&1 || { tail -20 "$out/install.log"; fail "pip install -e . (see install.log)"; }
    say "installed the kit in $((SECONDS - t)) s"
fi
python -c 'import torch, sys; print(f"torch {torch.__version__}, CUDA {torch.version.cuda}, available: {torch.cuda.is_available()}"); sys.exit(0 if torch.cuda.is_available() else 1)' \
    | tee -a "$out/gpu_check.log" || fail "torch sees no CUDA device: a CPU-only torch wheel?"

t=$SECONDS
GRADERS_GPU_PROOF=$proof timeout 420 python -m graders grade solutions --use-gpu yes \
    --json "$out/results.json" --report "$out/report.md" > "$out/grade.log" 2>&1
status=$?
grade_s=$((SECONDS - t))
tail -12 "$out/grade.log"
say "graded solutions/ with --use-gpu yes in $grade_s s (exit $status)"

probe_s=0
if [ "$gpus" -lt 2 ]; then
    t=$SECONDS
    GRADERS_GPU_PROOF=$proof timeout 240 python bench/gpu_train_probe.py solutions > "$out/train_probe.log" 2>&1 \
        || { tail -20 "$out/train_probe.log"; say "the Train probe failed (see train_probe.log)"; }
    probe_s=$((SECONDS - t))
    say "lesson 2 on one GPU: the Train probe took $probe_s s"
fi

GPUS=$gpus GRADE_S=$grade_s PROBE_S=$probe_s TOTAL_S=$((SECONDS - start)) GRADE_EXIT=$status \
python - "$out" "$proof" <<'PY'
"""Score per lesson, each GPU path's proof; gpu_check.json; exit 1 when anything falls short."""
import json, os, sys
from pathlib import Path

from graders.engine.grading.worker_site import gpu_proof

out, proof = Path(sys.argv[1]), sys.argv[2]
short = []
try:
    tests = json.loads((out / "results.json").read_text())["tests"]
except (OSError, ValueError, KeyError):
    tests, short = [], ["grading wrote no results.json"]
lessons = {}
for t in tests:
    lesson = t["name"].split("::")[0]
    got, top = lessons.get(lesson, (0.0, 0.0))
    lessons[lesson] = (got + t["score"], top + t["max_score"])
    if t["score"] < t["max_score"]:
        short.append(f"{t['name']}: {t['score']}/{t['max_score']}: {t['output'][:200]}")
for lesson, (got, top) in lessons.items():
    print(f"  {lesson:15} {got:g} / {top:g}")
paths = gpu_proof.summary(proof)
for key, p in paths.items():
    ran = "CUDA on " + ", ".join(p["devices"]) if p["cuda"] else ("placed on a GPU, no CUDA" if p["placed"] else "no GPU")
    print(f"  {p['label']:26} {ran}")
    if not p["cuda"]:
        short.append(f"{p['label']}: no CUDA device used inside it ({p['titles'] or 'no worker of it held a GPU'})")
env = os.environ
figures = {"gpus": int(env["GPUS"]), "grade_s": int(env["GRADE_S"]), "train_probe_s": int(env["PROBE_S"]),
           "total_s": int(env["TOTAL_S"]), "grade_exit": int(env["GRADE_EXIT"]),
           "score_per_lesson": {k: list(v) for k, v in lessons.items()}, "gpu_paths": paths, "short": short}
(out / "gpu_check.json").write_text(json.dumps(figures, indent=1))
(out / "gpu_proof.json").write_text(json.dumps(gpu_proof.read(proof), indent=1))
for line in short:
    print(f"gpu_check: SHORT: {line}")
sys.exit(1 if short or int(env["GRADE_EXIT"]) else 0)
PY
verdict=$?
say "total $((SECONDS - start)) s; $([ $verdict = 0 ] && echo 'every GPU path ran on the GPU, full marks' || echo FAILED); figures in $out"
exit $verdict
