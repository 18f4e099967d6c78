"""Measure the spread of lesson 2's trained-model accuracy: the reference, every correct variant and the
mutants whose mistake changes what the model learns without being an accuracy mistake, each trained
with the grader's budget from several seeds of the grader's worker seeding.

    python bench/spread.py [--seeds 0,1,2] [--mutants no_prepare_model,same_shard_everywhere] [--json FILE]

The grader seeds every worker with one seed, so a run on one machine is repeatable; another machine (other
CPU kernels, other float rounding) draws as if from another seed. ``course.toml``'s accuracy bar must sit
below the lowest figure printed here, by a margin. Each submission is measured in a process of its own,
with one Ray start (about 40 s a fit on a 2-core laptop).
"""
from __future__ import annotations

import argparse
import importlib
import json
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

import kit  # noqa: E402

LESSON = "lesson2_train"


def measure(submission: Path, seeds: list[int]) -> list[float]:
    """Test accuracy of the student's trainer after the grader's budget, once per seed."""
    from graders import lesson2_train as grader
    from graders.engine import course
    from graders.engine.grading.datasets import DataSets
    from graders.engine.grading.raysession import RaySession
    from ray.util.queue import Queue

    budget = course.lessons()[LESSON].thresholds["training_budget"]
    root = DataSets().path("mnist", train_limit=budget["train_digits"])
    sys.path.insert(0, str(submission))  # this benchmark runs the student's code here, on purpose
    student = importlib.import_module(LESSON)
    storage = Path(tempfile.mkdtemp(prefix="spread-"))
    session = RaySession(submission=submission, storage_path=storage, use_gpu="no")
    session.start()
    figures = []
    try:
        for seed in seeds:
            grader.SEED = seed  # read when the observed loop is pickled for the workers
            config = {"lr": budget["lr"], "global_batch_size": budget["global_batch_size"],
                      "num_epochs": budget["num_epochs"], "data_root": root}
            trainer = student.build_trainer(train_loop_config=config, num_workers=grader.NUM_WORKERS, use_gpu=False,
                                            storage_path=str(storage), name=f"spread-{seed}")
            queue = Queue(actor_options={"num_cpus": 0})
            trainer.train_loop_per_worker = grader.observed(trainer.train_loop_per_worker, queue, grader.GRADER_STEPS)
            result = trainer.fit()
            for _ in range(grader.NUM_WORKERS):
                queue.get(timeout=30)
            model = grader.reference_model()
            with result.checkpoint.as_directory() as folder:
                import torch

                model.load_state_dict(torch.load(Path(folder) / grader.MODEL_FILE, map_location="cpu"))
            figures.append(round(grader.accuracy(model.eval(), root), 4))
            queue.shutdown()
    finally:
        session.stop()
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", default="0,1,2")
    parser.add_argument("--mutants", default="no_prepare_model,same_shard_everywhere",
                        help="mutants whose BREAKS leave the accuracy check alone")
    parser.add_argument("--no-reference", action="store_true", help="measure the mutants only")
    parser.add_argument("--json", default=str(Path(__file__).parent / "spread.json"))
    parser.add_argument("--one", help=argparse.SUPPRESS)  # a child: measure this submission folder
    args = parser.parse_args(argv)
    seeds = [int(s) for s in args.seeds.split(",")]
    if args.one:
        print(json.dumps(measure(Path(args.one), seeds)))
        return 0
    fragments = [] if args.no_reference else [("reference", [])] + [(f"variant {v.stem}", [v]) for v in kit.variants(LESSON)]
    fragments += [(f"mutant {m}", [kit.MUTANTS / LESSON / f"{m}.py"]) for m in filter(None, args.mutants.split(","))]
    rows = {}
    for label, parts in fragments:
        folder = kit.make_submission(LESSON, parts, Path(tempfile.mkdtemp(prefix="spread-")) / "submission")
        proc = subprocess.run([sys.executable, __file__, "--one", str(folder), "--seeds", args.seeds],
                              capture_output=True, text=True, cwd=kit.KIT)
        if proc.returncode:
            print(f"{label}: failed\n{proc.stderr[-2000:]}", flush=True)
            continue
        rows[label] = json.loads(proc.stdout.strip().splitlines()[-1])
        print(f"{label:45s} accuracy by seed {dict(zip(seeds, rows[label]))}", flush=True)
    everything = [a for figures in rows.values() for a in figures]
    if everything:
        print(f"lowest {min(everything):.4f}, highest {max(everything):.4f} over {len(everything)} fits")
    Path(args.json).write_text(json.dumps({"seeds": seeds, "accuracy": rows}, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
