"""The student's loop, for real: ``graders hint``, ``graders progress`` after a self-check, and ``graders
watch`` re-checking on every save, on a warm Ray, through a file that fails to import and one that hangs,
each saved version reaching Ray's workers.

Hints and progress on the course's own lessons; watch on the made-up course (tests/fakecourse), whose
checks take no time, so what is measured is the loop itself.
"""
from __future__ import annotations

import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import kit
from graders.engine.commands import watch as watch_command
from graders.engine.grading import catalog

HERE = Path(__file__).parent
FAKE = {"GRADERS_PACKAGE": "fakegraders", "PYTHONPATH": str(HERE / "fakecourse")}
ENGINE_CORPUS = HERE / "submissions" / "engine"


def test_hint_prints_a_checks_hint_and_hides_hidden_checks():
    proc = kit.run_graders("hint", "4", "normalize_values")
    (info,) = [c for c in catalog.checks("lesson4_data") if c.name == "normalize_values"]
    assert proc.returncode == 0 and info.hint in proc.stdout
    everything = kit.run_graders("hint", "lesson4_data").stdout
    hidden = [c.name for c in catalog.checks("lesson4_data") if c.hidden]
    assert hidden and not any(name in everything for name in hidden)
    unknown = kit.run_graders("hint", "4", "no_such_check")
    assert unknown.returncode == 2 and "normalize_values" in unknown.stderr


def test_progress_reads_the_last_self_checks(tmp_path):
    """In the student release, as a student works: self-check a lesson, then ask for progress."""
    bundle = tmp_path / "bundle"
    assert kit.run_graders("release", str(bundle)).returncode == 0
    student = {**kit.os.environ, "PYTHONPATH": str(bundle)}

    def run(*args: str) -> str:
        return subprocess.run([sys.executable, "-m", *args], cwd=bundle, capture_output=True, text=True,
                              timeout=300, env=student).stdout

    assert "No self-check has run yet" in run("graders", "progress")
    run("pytest", "exercises/lesson4_data.py", "-q", "-p", "no:cacheprovider")
    after = run("graders", "progress")
    public = [c for c in catalog.checks("lesson4_data") if not c.hidden]
    row = next(line for line in after.splitlines() if line.startswith("lesson4_data"))
    assert f"0 / {len(public)}" in row and "not started: write read_mnist_images() first" in row, after
    assert "not run yet" in next(line for line in after.splitlines() if line.startswith("lesson1_taxi"))


class Watch:
    """``graders watch`` running in the background; ``screen()`` waits for the next verdict."""

    def __init__(self, folder: Path, lesson: str = "lesson1_fake"):
        # Ctrl-C as a terminal sends it: a suite started in the background (`cmd &` in a script) ignores
        # SIGINT, which a child inherits, while a handler of ours is reset to the default across exec.
        previous = signal.signal(signal.SIGINT, signal.default_int_handler)
        try:
            self.proc = subprocess.Popen([sys.executable, "-m", "graders", "watch", lesson, "--submission",
                                          str(folder)], cwd=kit.KIT, stdout=subprocess.PIPE,
                                         stderr=subprocess.STDOUT, text=True, env={**kit.os.environ, **FAKE})
        finally:
            signal.signal(signal.SIGINT, previous)
        self.address = ""

    def screen(self, timeout: float = 240) -> str:
        """Everything printed up to the next "watching" line."""
        deadline, lines = time.monotonic() + timeout, []
        for line in self.proc.stdout:
            lines.append(line)
            if line.startswith("Ray is up at "):
                self.address = line.split()[4].rstrip(",")
            if "watching" in line or time.monotonic() > deadline:
                break
        return "".join(lines)


def answers(address: str) -> bool:
    host, _, port = address.rpartition(":")
    try:
        socket.create_connection((host, int(port)), timeout=2).close()
        return True
    except OSError:
        return False


def save(path: Path, text: str) -> None:
    """Write ``text`` so that its modification time surely changes."""
    time.sleep(1.1)
    path.write_text(text)


def test_watch_rechecks_on_save_survives_broken_files_and_stops_ray(tmp_path):
    folder = tmp_path / "student"
    folder.mkdir()
    module = folder / "lesson1_fake.py"
    module.write_text((ENGINE_CORPUS / "stub" / "lesson1_fake.py").read_text())
    watch = Watch(folder)
    try:
        first = watch.screen()
        assert "0/3 public checks passed" in first and "not started" in first, first
        assert answers(watch.address), "the warm Ray head is not listening"
        save(module, "def add(a, b:\n")
        broken = watch.screen()
        assert "SyntaxError" in broken and "lesson1_fake::add: 0 / " in broken, broken
        solution = (HERE / "fakecourse" / "solutions" / "lesson1_fake.py").read_text()
        save(module, solution + "\n\ndef spin():\n    while True:\n        pass\n")
        hung = watch.screen()
        assert "2/3 public checks passed" in hung and "budget of 3 s" in hung, hung
        assert f"whole output, with where the stopped code waited: {folder / watch_command.RUN_LOG}" in hung, hung
        log = (folder / watch_command.RUN_LOG).read_text()
        assert re.search(r'lesson1_fake\.py", line \d+ in spin', log), log[-3000:]
        save(module, solution)
        fixed = watch.screen()
        assert "3/3 public checks passed" in fixed and "every public check passes" in fixed, fixed
    finally:
        watch.proc.send_signal(signal.SIGINT)
        out, _ = watch.proc.communicate(timeout=120)
    assert watch.proc.returncode == 0 and "stopping Ray" in out
    assert not answers(watch.address), "Ray still listens after watch stopped"


def test_watch_runs_each_saved_version_in_rays_workers(tmp_path):
    """Watch's runs share one warm Ray job, whose workers outlive a run: each save must still reach them."""
    folder = tmp_path / "student"
    folder.mkdir()
    module = folder / "lesson2_remote.py"
    right_here_only = "def double(x):\n    return x + x if x < 2 else 0\n"  # double(1) is right, double(2) not
    module.write_text(right_here_only)
    watch = Watch(folder, "lesson2_remote")
    try:
        assert "double(2) in a Ray worker" in watch.screen()
        save(module, "def double(x):\n    return x + x\n")
        assert "1/1 public checks passed" in watch.screen()
        save(module, right_here_only)
        assert "double(2) in a Ray worker" in watch.screen()
    finally:
        watch.proc.send_signal(signal.SIGINT)
        watch.proc.communicate(timeout=120)
