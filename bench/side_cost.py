"""What grading a lesson costs at one commit against another: the same machine, back to back, in turn.

    python bench/side_cost.py BEFORE [AFTER] [--lessons 3|1,2|all] [--repeat 2] [--json bench/side_cost.json]

Each commit is checked out in a worktree of its own (``AFTER`` defaults to the working tree as it is)
and ``python -m graders grade solutions --lessons N`` runs there with this interpreter, the two commits
taking turns, so that a machine whose load drifts weighs on both alike. Prints each run's wall time
(Ray's start included) and score, and each lesson's ratio of medians, AFTER over BEFORE: issue #28
allows the student's side +15%. ``all`` grades the whole course in one run (one Ray start), as an
instructor does.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

KIT = Path(__file__).resolve().parent.parent
TOTAL = re.compile(r"^total\s+([\d.]+)\s*/\s*([\d.]+)", re.MULTILINE)


def worktree(commit: str, parent: Path) -> Path:
    path = parent / commit
    subprocess.run(["git", "-C", str(KIT), "worktree", "add", "--detach", "-q", str(path), commit], check=True)
    return path


def grade(tree: Path, lesson: str) -> tuple[float, str]:
    """Wall seconds and the score line of one grading of the reference at ``tree``."""
    env = {**os.environ, "PYTHONPATH": str(tree)}
    start = time.monotonic()
    chosen = [] if lesson == "all" else ["--lessons", lesson]
    done = subprocess.run([sys.executable, "-m", "graders", "grade", "solutions", *chosen], cwd=tree,
                          env=env, capture_output=True, text=True)
    seconds = time.monotonic() - start
    found = TOTAL.search(done.stdout)
    return seconds, f"{found[1]}/{found[2]}" if found else f"no score (exit {done.returncode})"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("before")
    parser.add_argument("after", nargs="?", help="a commit (default: the working tree)")
    parser.add_argument("--lessons", default="3")
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="side-cost-") as tmp:
        trees = {"before": worktree(args.before, Path(tmp)),
                 "after": worktree(args.after, Path(tmp)) if args.after else KIT}
        try:
            runs = []
            for round_ in range(args.repeat):
                for lesson in args.lessons.split(","):
                    order = ["before", "after"] if round_ % 2 == 0 else ["after", "before"]
                    for which in order:
                        seconds, score = grade(trees[which], lesson)
                        runs.append({"lesson": lesson, "commit": which, "seconds": round(seconds, 1), "score": score})
                        print(f"lesson {lesson} {which:<6} {seconds:7.1f} s  {score}", flush=True)
        finally:
            for which, tree in trees.items():
                if tree != KIT:
                    subprocess.run(["git", "-C", str(KIT), "worktree", "remove", "--force", str(tree)], check=False)
    summary = {}
    for lesson in args.lessons.split(","):
        medians = {w: statistics.median(r["seconds"] for r in runs if r["lesson"] == lesson and r["commit"] == w)
                   for w in ("before", "after")}
        summary[lesson] = {**medians, "ratio": round(medians["after"] / medians["before"], 3)}
        print(f"lesson {lesson}: before {medians['before']:.1f} s, after {medians['after']:.1f} s, "
              f"ratio {summary[lesson]['ratio']:.2f}")
    if args.json:
        args.json.write_text(json.dumps({"before": args.before, "after": args.after or "working tree",
                                         "runs": runs, "medians": summary}, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
