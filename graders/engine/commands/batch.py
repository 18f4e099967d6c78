"""``python -m graders batch ROOT --out gradebook.csv [--jobs N]``: grade a whole class.

Every subdirectory of ROOT is one student's submission, graded by ``python -m graders grade`` in its
own process (its own process group, working directory and embedded Ray), ``--jobs`` at a time, each
under a wall-clock limit. A shared Ray instance is not safe here: a student's ``serve.shutdown()``
or ``ray.shutdown()`` would reach every submission graded beside it. With ``--ray-address`` the
submissions run as Ray Jobs on that cluster instead (``jobs.py``).

Run as root (without ``--ray-address``), each submission's code runs as an unprivileged user of its own
(``graders-batch-0``, ``-1``, ...: the first not held by another grading, ``student_user.free_user``), on a copy of the submission that only that user
and root may read, removed after (``Confined``), as on Gradescope. Meanwhile ROOT, the kit's graders
(hidden checks) and the gradebook's folder are root's only, so no submission reads another's files, the
hidden checks or the grades, or writes a result.

Nothing already graded is lost: each check's result is streamed to disk as it ends. When a grading
process dies inside a check (``os._exit``, a crash), that check scores zero with the reason and the
remaining checks are graded in a new process; past the wall-clock limit, what ran counts and the
rest scores zero. A student's finished grade is kept; a re-run skips it unless ``--force``.
"""
from __future__ import annotations

import contextlib
import csv
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path

from graders.engine import course
from graders.engine.grading import student_user
from graders.engine.reporting import results, stream
from graders.engine.reporting.stream import GradingFailed
from graders.engine.grading.submission import runs_student_code
from graders.engine.grading.supervise import kill_group, supervise

MEMORY_LIMIT = 8 * 2**30  # bytes of data per process: a runaway allocation fails with MemoryError
CANNOT_CONFINE = ("graders batch: run as root, a batch runs each submission's code as an unprivileged user, and "
                  "{user} cannot run this Python ({python}: {why}). Install the kit in a Python every user may run "
                  "(a virtual environment under /opt, say), or run the batch as a user other than root (the students' "
                  "code then runs as that user, unconfined).")


def grade_one(submission: Path, workdir: Path, *, limit: float, lessons: list[course.Lesson],
              use_gpu: str = "auto", storage: str | None = None, run=None) -> results.Report:
    """Grade one submission; survive the deaths of its grading processes; return its report.

    ``run(submission, grade_args, stream, log, timeout) -> timed_out`` runs ``python -m graders grade``
    once: a local process by default (``run_local``), a Ray Job on a cluster (``jobs.job_runner``).
    """
    workdir.mkdir(parents=True, exist_ok=True)
    stream_path, log = workdir / "stream.jsonl", workdir / "grading.log"
    stream_path.unlink(missing_ok=True)
    args = ["--lessons", ",".join(l.name for l in lessons), "--use-gpu", use_gpu] + (["--storage", storage] if storage else [])

    def once(skip: list[str], timeout: float) -> bool:
        skipping = [a for name in skip for a in ("--skip-check", name)]
        return (run or run_local)(submission, [*args, *skipping], stream_path, log, timeout)

    try:
        return supervise(submission.name, once, stream_path, lessons=lessons, limit=limit)
    except stream.RayUnavailable as exc:  # not the student's doing, whatever the exit status says
        raise GradingFailed(f"{submission.name}: {exc}; see {log}. Re-run the batch to retry.") from None


def run_local(submission: Path, args: list[str], stream: Path, log: Path, timeout: float,
              env: dict | None = None) -> bool:
    """``python -m graders grade`` in a child process group under a memory limit; True if it timed out.
    ``env``: its environment (default: this process's)."""
    env = dict(os.environ if env is None else env)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(course.KIT_ROOT), env.get("PYTHONPATH")]))
    with open(log, "a") as out:
        proc = subprocess.Popen([sys.executable, "-m", "graders", "grade", str(submission.resolve()),
                                 "--results-stream", str(stream), *args], cwd=log.parent, stdout=out,
                                stderr=subprocess.STDOUT, start_new_session=True, env=env)
    resource.prlimit(proc.pid, resource.RLIMIT_DATA, (MEMORY_LIMIT, MEMORY_LIMIT))  # inherited by Ray
    try:
        proc.wait(timeout=timeout)
        return False
    except subprocess.TimeoutExpired:
        kill_group(proc)
        return True


class Confined:
    """A ``run`` for ``grade_one`` as root: the submission's code runs as a user no other grading holds (one
    per concurrent grading), on a copy in ``areas/<user>/`` (``student_user.confined``) removed after."""

    def __init__(self, areas: Path, lessons: list[course.Lesson]):
        self.areas, self.lessons = areas, lessons
        self.taken, self.choosing = set(), threading.Lock()  # the users this batch's gradings hold
        self.kit = student_user.stripped_kit(areas / "kit", course.KIT_ROOT)  # one for every grading

    def __call__(self, submission: Path, args: list[str], stream: Path, log: Path, timeout: float) -> bool:
        if not runs_student_code(submission, self.lessons):  # stubs, syntax errors: no code of the student's runs
            return run_local(submission, args, stream, log, timeout)
        with self.choosing:
            user = student_user.free_user(taken=self.taken)
            self.taken.add(user)
        area = self.areas / user
        try:
            shutil.rmtree(area, ignore_errors=True)
            staged = area / submission.name
            shutil.copytree(submission, staged, symlinks=True)  # a link is read as the student's user, never as root
            with open(log, "a") as out:
                def say(line: str) -> None:
                    print(f"batch: {line}", file=out, flush=True)

                with student_user.confined(area, staged, user, say=say, kit=self.kit) as (options, env):
                    return run_local(staged, [*args, *options], stream, log, timeout, env=env)
        finally:
            shutil.rmtree(area, ignore_errors=True)
            with self.choosing:
                self.taken.discard(user)


class Gradebook:
    """The batch's outputs: per-student results and feedback, the CSV, the class summary; ``private``:
    root's only (a confined batch), the CSV too."""

    def __init__(self, csv_path: Path, private: bool = False):
        self.csv_path, self.private = csv_path, private
        self.folder = csv_path.with_suffix("")
        self.folder.mkdir(parents=True, exist_ok=True)
        if private:
            self.folder.chmod(0o700)
            self._close_csv()

    def _close_csv(self) -> None:
        if self.csv_path.exists():
            self.csv_path.chmod(0o600)

    def done(self, student: str) -> results.Report | None:
        path = self.folder / student / "report.json"
        return results.Report.from_dict(json.loads(path.read_text())) if path.exists() else None

    def save(self, report: results.Report) -> None:
        """Keep a student's grade (written last, so a half-written grade is never taken as done)."""
        folder = self.folder / report.submission
        results.write(report, json_path=str(folder / "results.json"), markdown_path=str(folder / "feedback.md"))
        tmp = folder / "report.json.tmp"
        tmp.write_text(json.dumps(report.to_dict(), indent=1))
        tmp.replace(folder / "report.json")

    def write_summary(self, reports: list[results.Report], lessons: list[course.Lesson]) -> None:
        """gradebook.csv, summary.md (pass rate per check) and histogram.png (total scores)."""
        names = [l.name for l in lessons]
        with open(self.csv_path, "w", newline="") as f:
            writer = csv.writer(f)
            writer.writerow(["student", *names, "total", "max_score"])
            for r in sorted(reports, key=lambda r: r.submission):
                totals = r.lesson_totals()
                writer.writerow([r.submission, *[totals.get(n, (0, 0))[0] for n in names], r.score, r.max_score])
        if self.private:
            self._close_csv()
        lines = ["# Class summary", "", f"{len(reports)} submissions.", "", "| check | pass rate |", "|---|---:|"]
        rows: dict[str, list[bool]] = {}
        for r in reports:
            for c in r.checks:
                rows.setdefault(c.qualified_name, []).append(c.status == results.PASSED)
        lines += [f"| {name} | {sum(v) / len(v):.0%} |" for name, v in rows.items()]
        (self.folder / "summary.md").write_text("\n".join(lines) + "\n")
        draw_histogram([r.score / r.max_score if r.max_score else 0 for r in reports], self.folder / "histogram.png")


def draw_histogram(shares: list[float], path: Path, bins: int = 10) -> None:
    """A bar chart of score shares (0 to 100%) in ``bins`` bins, as a PNG."""
    from PIL import Image, ImageDraw

    counts = [0] * bins
    for s in shares:
        counts[min(bins - 1, int(s * bins))] += 1
    width, height, margin = 520, 300, 40
    img = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(img)
    bar = (width - 2 * margin) / bins
    top = max(counts) or 1
    for i, n in enumerate(counts):
        x0, y1 = margin + i * bar, height - margin
        draw.rectangle([x0 + 2, y1 - (height - 2 * margin) * n / top, x0 + bar - 2, y1], fill=(70, 110, 180))
        draw.text((x0 + 4, y1 + 6), f"{i * 100 // bins}%", fill="black")
        if n:
            draw.text((x0 + bar / 2 - 3, y1 - (height - 2 * margin) * n / top - 14), str(n), fill="black")
    draw.text((margin, 10), f"Total scores of {len(shares)} submissions", fill="black")
    img.save(path)


def _progress(done: int, total: int, started: float) -> str:
    elapsed = time.monotonic() - started
    eta = elapsed / done * (total - done) if done else 0
    filled = int(30 * done / total) if total else 30
    return f"[{'#' * filled}{'.' * (30 - filled)}] {done}/{total} graded, {elapsed:.0f} s, ETA {eta:.0f} s"


def main(*, root: str, out: str, jobs: int = 1, force: bool = False, limit: float = 1800,
         lessons: str | None = None, use_gpu: str = "auto", ray_address: str | None = None,
         storage: str | None = None) -> int:
    """Grade every submission under ``root``; write the gradebook; 0 when the batch ran."""
    folder = Path(root)
    if not folder.is_dir():
        print(f"graders batch: {root} is not a folder of submissions", file=sys.stderr)
        return 2
    chosen = course.select(lessons)
    confine = os.geteuid() == 0 and not ray_address
    book = Gradebook(Path(out), private=confine)
    students = sorted(d for d in folder.iterdir() if d.is_dir() and not d.name.startswith("."))
    reports = {s.name: book.done(s.name) for s in students if not force}
    todo = [s for s in students if reports.get(s.name) is None]
    if len(todo) < len(students):
        print(f"{len(students) - len(todo)} already graded (kept; --force grades them again)")
    started, tty = time.monotonic(), sys.stderr.isatty()
    run, closed = None, contextlib.ExitStack()
    if ray_address:
        from graders.engine.commands.jobs import job_runner

        run = job_runner(ray_address)
    elif confine:
        first = student_user.ensure_user(student_user.free_user())
        why = student_user.cannot_run_python(first)  # the batch's other users are "others" to its files alike
        if why:
            print(CANNOT_CONFINE.format(user=first.pw_name, python=sys.executable, why=why), file=sys.stderr)
            return 2
        # The Ray heads started here for the students' users: their processes inherit the limit from this one.
        resource.setrlimit(resource.RLIMIT_DATA, (MEMORY_LIMIT, MEMORY_LIMIT))
        areas = Path(tempfile.mkdtemp(prefix="graders-batch-"))
        areas.chmod(0o711)
        closed.callback(shutil.rmtree, areas, ignore_errors=True)
        closed.enter_context(student_user.closed_to_others(folder, course.KIT_ROOT / "graders",
                                                           say=lambda line: print(f"graders batch: {line}", file=sys.stderr)))
        run = Confined(areas, chosen)
    with closed, ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        futures = {pool.submit(grade_one, s, book.folder / s.name, limit=limit, lessons=chosen,
                               use_gpu=use_gpu, storage=storage, run=run): s for s in todo}
        failed = []
        for n, future in enumerate(as_completed(futures), 1):
            try:
                report = future.result()
            except GradingFailed as exc:
                failed.append(str(exc))
                continue
            except Exception as exc:  # the kit's own fault: say so, and grade the others
                failed.append(f"{futures[future].name}: the batch failed to grade it ({exc!r}); re-run the batch")
                continue
            book.save(report)
            reports[report.submission] = report
            line = _progress(n, len(todo), started) + f"  {report.submission}: {report.score:g}/{report.max_score:g}"
            print(("\r" + line) if tty else line, end="" if tty and n < len(todo) else "\n", file=sys.stderr, flush=True)
    book.write_summary([r for r in reports.values() if r is not None], chosen)
    print(f"wrote {book.csv_path} and {book.folder}/ (results.json and feedback.md per student, summary.md, histogram.png)")
    for line in failed:
        print(f"not graded: {line}", file=sys.stderr)
    return 1 if failed else 0
