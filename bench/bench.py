"""The kit's benchmark: what grading costs, against what the work itself costs.

    python bench/bench.py [--copies 3] [--skip grade,floor,batch,nbgrader,impossible,watch] [--out bench/results.json]

Measures, in one run, on this machine:
  grade   grading solutions/ cold (a fresh process, Ray started once), every lesson, with a per-lesson
          breakdown (the seconds of each lesson's checks, their fixtures included; Ray's start counts
          in the first lesson that needs it);
  floor   the same reference calls as a plain script without the graders (bench/floor.py);
  batch   N copies of solutions/ with `graders batch --jobs 2`, against N times one grading;
  nbgrader  `nbgrader autograde` of the same lessons, where the nbgrader export exists;
  impossible  the seconds the cluster watch takes to stop each impossible request of the made-up
          lesson 8 (tests/fakecourse, submission `greedy`), against that lesson's budget of 60 s;
  watch   the time from saving a fixed function to its check's verdict in watch mode (the first
          save, 30 s after watch showed the stub, and the next save), against a cold
          `pytest exercises/... -k` of the same check.
Prints each figure and the ratios against the targets, and writes them as JSON. Targets are
reported, never asserted: a benchmark measures, tests decide.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

KIT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(KIT))

from graders.engine.reporting import stream as stream_module  # noqa: E402

TARGETS = {"grade_s": 120, "overhead_ratio": 1.10, "lesson_budget_s": {
    "lesson1_taxi": 90, "lesson2_train": 60, "lesson3_tune": 60, "lesson4_data": 45, "lesson5_serve": 60}}


def timed(cmd: list[str], cwd: Path = KIT, **kw) -> tuple[float, subprocess.CompletedProcess]:
    start = time.monotonic()
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, **kw)
    return time.monotonic() - start, proc


def bench_grade(tmp: Path) -> dict:
    """Grade solutions/ cold; total wall time and the seconds of each lesson's checks."""
    stream = tmp / "stream.jsonl"
    seconds, proc = timed([sys.executable, "-m", "graders", "grade", "solutions", "--json", str(tmp / "r.json"),
                           "--results-stream", str(stream)])
    finished = stream_module.read(stream).finished
    per_lesson = {}
    for r in finished.values():
        per_lesson[r.lesson] = round(per_lesson.get(r.lesson, 0) + r.seconds, 1)
    score = json.loads((tmp / "r.json").read_text())
    return {"grade_s": round(seconds, 1), "per_lesson_s": per_lesson,
            "score": f"{score['score']:g}/{score['max_score']:g}", "exit": proc.returncode}


def bench_floor() -> dict:
    """The reference calls alone, as a plain script (bench/floor.py), per lesson."""
    seconds, proc = timed([sys.executable, str(KIT / "bench" / "floor.py")])
    lines = [l for l in proc.stdout.splitlines() if l.startswith("{")]
    detail = json.loads(lines[-1]) if lines else {"error": proc.stderr[-2000:]}
    return {"floor_s": round(seconds, 1), "floor_per_lesson_s": detail}


def bench_batch(copies: int, single_s: float, tmp: Path) -> dict:
    """``copies`` copies of solutions/ graded with --jobs 2, against copies x one grading."""
    root = tmp / "class"
    for i in range(copies):
        shutil.copytree(KIT / "solutions", root / f"student{i}", ignore=shutil.ignore_patterns("__pycache__"))
    seconds, proc = timed([sys.executable, "-m", "graders", "batch", str(root), "--out", str(tmp / "book.csv"),
                           "--jobs", "2"])
    return {"batch_copies": copies, "batch_jobs2_s": round(seconds, 1), "batch_serial_estimate_s": round(copies * single_s, 1),
            "batch_speedup": round(copies * single_s / seconds, 2), "batch_exit": proc.returncode}


def bench_nbgrader(tmp: Path) -> dict:
    """``nbgrader autograde`` of every lesson's reference notebook: export, release, submit, autograde."""
    import nbformat

    from graders.engine import notebook

    course_dir = tmp / "course"
    proc = subprocess.run([sys.executable, "-m", "graders", "nbgrader", str(course_dir)], cwd=KIT,
                          capture_output=True, text=True)
    if proc.returncode:
        return {"nbgrader": f"export failed: {proc.stderr[-500:]}"}
    lessons = sorted(p.name for p in (course_dir / "source").iterdir())
    for lesson in lessons:
        subprocess.run(["nbgrader", "generate_assignment", lesson], cwd=course_dir, capture_output=True, check=True)
        release = nbformat.read(course_dir / "release" / lesson / f"{lesson}.ipynb", as_version=4)
        notebook.fill_answers(release, (KIT / "solutions" / f"{lesson}.py").read_text())
        (course_dir / "submitted" / "reference" / lesson).mkdir(parents=True)
        nbformat.write(release, course_dir / "submitted" / "reference" / lesson / f"{lesson}.ipynb")
    seconds = 0.0
    for lesson in lessons:
        took, proc = timed(["nbgrader", "autograde", lesson], cwd=course_dir)
        seconds += took
        if proc.returncode:
            return {"nbgrader": f"autograde {lesson} failed: {proc.stderr[-500:]}"}
    return {"nbgrader_autograde_s": round(seconds, 1), "nbgrader_lessons": len(lessons)}


def bench_watch(tmp: Path, lesson: str = "lesson4_data", done: tuple[str, ...] = ("read_mnist_images",),
                check: str = "read_every_file_once", editing_s: float = 30) -> dict:
    """Seconds from saving a fixed function to its check's verdict: watch mode (Ray warm) vs a cold ``pytest -k``.

    The student works in the file's order: watch shows the untouched stub; ``editing_s`` later (the
    student writing the function) the stub with ``done`` filled in from the solution is saved, and
    its verdict shows ``done``'s checks passed and the next function's check first failing. Then the
    same file is saved again with an edit elsewhere: the next save's verdict. The cold run is the
    student's ``pytest <lesson file> -k <check>`` on the saved file: it starts Ray for itself.
    """
    from graders.engine import notebook

    folder = tmp / "student"
    shutil.copytree(KIT / "exercises", folder, ignore=shutil.ignore_patterns("__pycache__", ".graders"))
    solved = {b.name: b.code for b in notebook.blocks((KIT / "solutions" / f"{lesson}.py").read_text())[1] if b.name}
    saved_text = (folder / f"{lesson}.py").read_text() + "\n\n" + "\n\n\n".join(solved[name] for name in done) + "\n"
    watch = subprocess.Popen([sys.executable, "-m", "graders", "watch", lesson, "--submission", str(folder)],
                             cwd=KIT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    seconds, screens = [], []
    try:
        _wait_for_line(watch, "watching")  # the first round, on the untouched stub
        time.sleep(editing_s)
        for text in (saved_text, saved_text + "\n# an edit elsewhere\n"):
            saved = time.monotonic()
            (folder / f"{lesson}.py").write_text(text)
            screens.append(_wait_for_line(watch, "watching"))
            seconds.append(time.monotonic() - saved)
            time.sleep(2)
    finally:
        watch.send_signal(2)
        watch.wait(timeout=60)
    cold_s, proc = timed([sys.executable, "-m", "pytest", "-p", "graders.engine.grading.plugin", str(folder / f"{lesson}.py"),
                          "-k", check, "-q", "-p", "no:cacheprovider"])
    return {"watch_save_to_verdict_s": round(seconds[0], 1), "watch_next_save_s": round(seconds[1], 1),
            "watch_editing_s": editing_s, "watch_screen": screens[0][-300:], "watch_screens_agree": len({x.rpartition("(")[0] for x in screens}) == 1,
            "cold_pytest_k_s": round(cold_s, 1), "cold_pytest_k_passed": proc.returncode == 0,
            "watch_speedup": round(cold_s / seconds[0], 2)}


def bench_impossible(tmp: Path, budget_s: float = 60) -> dict:
    """Seconds from an impossible request to its check's end, for each such check of the made-up lesson 8."""
    tests = KIT / "tests"
    stream = tmp / "greedy.jsonl"
    env = {**os.environ, "GRADERS_PACKAGE": "fakegraders", "PYTHONPATH": str(tests / "fakecourse")}
    timed([sys.executable, "-m", "graders", "grade", str(tests / "submissions" / "engine" / "greedy"), "--lessons", "8",
           "--use-gpu", "no", "--results-stream", str(stream), "--json", str(tmp / "greedy.json")], env=env)
    stopped = {r.name: r.seconds for r in stream_module.read(stream).finished.values() if "asked for" in r.message}
    worst = max(stopped.values(), default=0.0)
    return {"impossible_s": {name: round(s, 1) for name, s in sorted(stopped.items())},
            "impossible_worst_ratio": round(worst / budget_s, 2)}


def _wait_for_line(proc: subprocess.Popen, text: str, timeout: float = 600) -> str:
    """Read ``proc``'s output up to a line holding ``text``; what it printed meanwhile."""
    deadline, seen = time.monotonic() + timeout, []
    for line in proc.stdout:
        seen.append(line)
        if text in line:
            return "".join(seen)
        if time.monotonic() > deadline:
            break
    raise RuntimeError(f"watch printed no {text!r}: {''.join(seen)[-1000:]}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--copies", type=int, default=3)
    parser.add_argument("--skip", default="", help="comma-separated: grade,floor,batch,nbgrader,impossible,watch")
    parser.add_argument("--out", default=str(KIT / "bench" / "results.json"))
    args = parser.parse_args()
    skip = set(filter(None, args.skip.split(",")))
    figures: dict = {"machine": f"{os.cpu_count()} cores", "when": time.strftime("%Y-%m-%d %H:%M")}
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        if "grade" in skip:  # the other figures alone (batch and nbgrader need the grade's)
            skip |= {"batch", "nbgrader"}
        else:
            figures.update(bench_grade(tmp))
            print(f"grade solutions/ cold: {figures['grade_s']} s (target {TARGETS['grade_s']} s), score {figures['score']}")
            for lesson, s in figures["per_lesson_s"].items():
                print(f"  {lesson}: {s} s (budget {TARGETS['lesson_budget_s'].get(lesson)} s)")
        if "floor" not in skip:
            figures.update(bench_floor())
            print(f"plain-script floor: {figures['floor_s']} s")
            if "grade_s" in figures:
                figures["overhead_ratio"] = round(figures["grade_s"] / figures["floor_s"], 2)
                print(f"graders/floor = {figures['overhead_ratio']} (target at most {TARGETS['overhead_ratio']})")
        if "batch" not in skip:
            figures.update(bench_batch(args.copies, figures["grade_s"], tmp))
            print(f"batch of {args.copies} with --jobs 2: {figures['batch_jobs2_s']} s vs {figures['batch_serial_estimate_s']} s "
                  f"one at a time: {figures['batch_speedup']}x")
        if "nbgrader" not in skip:
            figures.update(bench_nbgrader(tmp))
            if "nbgrader_autograde_s" in figures:
                figures["nbgrader_ratio"] = round(figures["nbgrader_autograde_s"] / figures["grade_s"], 2)
                print(f"nbgrader autograde: {figures['nbgrader_autograde_s']} s; nbgrader/graders = {figures['nbgrader_ratio']}")
        if "impossible" not in skip:
            figures.update(bench_impossible(tmp))
            print(f"impossible requests stopped by the watch after {figures['impossible_s']} s; the slowest is "
                  f"{figures['impossible_worst_ratio']} of the lesson's budget")
        if "watch" not in skip:
            figures.update(bench_watch(tmp))
            print(f"watch: save to verdict {figures['watch_save_to_verdict_s']} s (next save "
                  f"{figures['watch_next_save_s']} s) vs cold pytest -k {figures['cold_pytest_k_s']} s "
                  f"({figures['watch_speedup']}x)")
    Path(args.out).write_text(json.dumps(figures, indent=1) + "\n")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
