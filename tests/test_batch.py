"""Batch grading of a class with hostile submissions (tests/submissions/batch), on the made-up course.

alice is honest; bob has a syntax error; carol crashes on import; dave loops forever in one check;
erin calls os._exit inside a check; frank calls ray.shutdown() and serve.shutdown(); grace allocates
64 GiB; mallory answers wrong if it can read another submission or the hidden checks, or write the
gradebook. Each gets a clear message and the points it earned, and alice's grade is what she gets alone.
Run as root (as CI runs), the batch runs each submission's code as a user of its own.
"""
from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

import kit

CLASS = Path(__file__).parent / "submissions" / "batch"
FAKE = {"GRADERS_PACKAGE": "fakegraders", "PYTHONPATH": str(Path(__file__).parent / "fakecourse")}
AS_ROOT = os.geteuid() == 0
CLASS_MODE = CLASS.stat().st_mode & 0o777  # before any batch


@pytest.fixture(scope="module")
def python() -> tuple[Path, dict]:
    """A Python the students' users may run (a confined batch's children run as them), and its environment."""
    shared = Path(tempfile.mkdtemp(prefix="batch-python-"))
    shared.chmod(0o755)
    try:
        yield kit.venv_for_everyone(shared)
    finally:
        shutil.rmtree(shared, ignore_errors=True)


def run_batch(python: tuple[Path, dict], *args: str) -> subprocess.CompletedProcess:
    return kit.run_graders("batch", *args, env={**FAKE, **python[1]}, python=python[0])


@pytest.fixture(scope="module")
def batch(tmp_path_factory, python) -> Path:
    out = tmp_path_factory.mktemp("batch") / "gradebook.csv"
    proc = run_batch(python, str(CLASS), "--out", str(out), "--jobs", "2", "--lessons", "1,2", "--limit", "240")
    assert proc.returncode == 0, proc.stderr[-3000:]
    return out


def feedback(batch: Path, student: str) -> dict[str, dict]:
    data = json.loads((batch.with_suffix("") / student / "results.json").read_text())
    return {t["name"]: t for t in data["tests"]}


def lost_points(batch: Path, student: str) -> str:
    """Why ``student`` got less than full marks: each such check's message, then the end of the grading log."""
    lost = {name: t["output"][:300] for name, t in feedback(batch, student).items() if t["score"] < t["max_score"]}
    return f"{student} lost points in {lost}\n{(batch.with_suffix('') / student / 'grading.log').read_text()[-3000:]}"


def gradebook(batch: Path) -> dict[str, dict]:
    with open(batch) as f:
        return {row["student"]: row for row in csv.DictReader(f)}


def test_gradebook_has_every_student_and_the_honest_grade(batch):
    book = gradebook(batch)
    assert set(book) == {p.name for p in CLASS.iterdir() if p.is_dir()}
    assert float(book["alice"]["total"]) == pytest.approx(7) and float(book["alice"]["max_score"]) == 9
    assert all(float(row["max_score"]) == 9 for row in book.values())


@pytest.mark.parametrize("student, check, words", [
    ("bob", "lesson1_fake::add", "SyntaxError"),
    ("carol", "lesson1_fake::add", "crashed while importing"),
    ("dave", "lesson1_fake::finishes", "budget of 3 s"),
    ("erin", "lesson1_fake::add", "grading process died"),
    ("grace", "lesson1_fake::finishes", "MemoryError"),
    ("bob", "lesson2_remote::remote_double", "`lesson2_remote.py` is missing"),
])
def test_hostile_submissions_get_a_clear_message(batch, student, check, words):
    result = feedback(batch, student)[check]
    assert result["score"] == 0 and words in result["output"], result


# Without lesson 2, a good lesson 1 earns 6; erin's os._exit kills two checks (hidden_add calls add too).
# mallory: honest when confined; else it reads what is not its own and loses add and hidden_add.
@pytest.mark.parametrize("student, earned", [("dave", 6 - 1), ("erin", 6 - 2 - 1), ("frank", 7), ("grace", 6 - 1),
                                             ("mallory", 6 if AS_ROOT else 6 - 2 - 1)])
def test_hostile_submissions_keep_the_points_they_earned(batch, student, earned):
    assert float(gradebook(batch)[student]["total"]) == pytest.approx(earned)


def test_outputs_and_resume(batch, python):
    folder = batch.with_suffix("")
    assert (folder / "histogram.png").read_bytes()[:4] == b"\x89PNG"
    assert "| lesson1_fake::add |" in (folder / "summary.md").read_text()
    assert "# Grading report" in (folder / "alice" / "feedback.md").read_text()
    proc = run_batch(python, str(CLASS), "--out", str(batch), "--lessons", "1,2")
    assert proc.returncode == 0 and "8 already graded" in proc.stdout


@pytest.mark.skipif(not AS_ROOT, reason="a batch confines the students' code only when it runs as root")
def test_as_root_each_submission_runs_as_its_own_user_and_reaches_nothing_else(batch):
    folder = batch.with_suffix("")
    log = (folder / "mallory" / "grading.log").read_text()
    assert "the student's code runs as graders-batch-" in log, log[-2000:]
    assert not list(folder.rglob("mallory-was-here")) and not list(CLASS.rglob("mallory-was-here"))
    assert folder.stat().st_mode & 0o777 == 0o700 and batch.stat().st_mode & 0o777 == 0o600  # the grades: root's
    assert CLASS.stat().st_mode & 0o777 == CLASS_MODE  # the class folder's mode, back as it was


def test_a_user_another_grading_holds_is_never_chosen():
    """A grading holds its user machine-wide (its end kills every process of that user): another process's
    hold is seen, and it is gone when that process is."""
    from graders.engine.grading.student_user import free_user

    holder = subprocess.Popen([sys.executable, "-c", "import time\nfrom graders.engine.grading.student_user import held\n"
                               "with held('graders-kit-test-0'):\n    print('held', flush=True)\n    time.sleep(120)"],
                              stdout=subprocess.PIPE, text=True, env={**os.environ, "PYTHONPATH": str(kit.KIT)})
    try:
        assert holder.stdout.readline().strip() == "held"
        assert free_user("graders-kit-test") == "graders-kit-test-1"
        assert free_user("graders-kit-test", taken={"graders-kit-test-1"}) == "graders-kit-test-2"
    finally:
        holder.kill()
        holder.wait()
    assert free_user("graders-kit-test") == "graders-kit-test-0"


def test_batch_on_a_cluster_runs_each_submission_as_a_ray_job(tmp_path):
    """A real head on loopback (`ray start --head`), submissions graded through its job API."""
    from graders.engine.grading.local_head import local_head

    root = tmp_path / "class"
    for student in ("alice", "erin"):
        shutil.copytree(CLASS / student, root / student)
    out = tmp_path / "gradebook.csv"
    with local_head(dashboard=True) as head:
        proc = kit.run_graders("batch", str(root), "--out", str(out), "--jobs", "2", "--lessons", "1,2",
                               "--ray-address", head.dashboard, env=FAKE)
    assert proc.returncode == 0, proc.stderr[-3000:]
    book = gradebook(out)
    assert float(book["alice"]["total"]) == pytest.approx(7), lost_points(out, "alice")
    assert float(book["erin"]["total"]) == pytest.approx(3), lost_points(out, "erin")
    assert "grading process died" in feedback(out, "erin")["lesson1_fake::add"]["output"]


def test_a_ray_job_past_its_limit_keeps_its_finished_checks(tmp_path):
    """The job prints each result as it is written: stopping it at the limit loses only what was running."""
    from graders.engine.grading.local_head import local_head

    out = tmp_path / "gradebook.csv"
    with local_head(dashboard=True) as head:
        proc = kit.run_graders("batch", str(CLASS.parent / "slow"), "--out", str(out), "--lessons", "5",
                               "--limit", "45", "--ray-address", head.dashboard, env=FAKE)
    assert proc.returncode == 0, proc.stderr[-3000:]
    result = feedback(out, "hangs_last")
    assert result["lesson5_slow::quick"]["score"] == 1, result
    assert result["lesson5_slow::last"]["score"] == 0 and "wall-clock limit of 45 s" in result["lesson5_slow::last"]["output"]


def test_cluster_calls_are_retried_while_the_dashboard_is_not_answering():
    """A dashboard that drops connections (busy, restarting) is retried; one that never answers leaves
    the student ungraded with the reason, never the batch crashed."""
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    import requests

    from graders.engine.reporting.stream import GradingFailed
    from graders.engine.commands.jobs import patiently
    from graders.engine.grading.raysession import free_port

    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    with pytest.raises(GradingFailed, match="alice: the cluster failed to report the job's status: .*Re-run the batch"):
        patiently("alice", "report the job's status", requests.get, url, timeout=1)

    class Ok(BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args):
            pass

    def serve_later():
        server = ThreadingHTTPServer(("127.0.0.1", port), Ok)
        threading.Thread(target=server.serve_forever, daemon=True).start()

    threading.Timer(1.5, serve_later).start()
    assert patiently("alice", "report the job's status", requests.get, url, timeout=30).status_code == 200


# From inside a Ray worker, asks the state API about a live actor of the worker's own cluster, as Ray
# Train's placement-group cleaner asks about each fit's controller (and removes the fit's placement
# group on "no such actor"). Its driver is a Ray Job's (no argument), joins a head as watch's runner
# does (its address), or starts the kit's embedded Ray ("embedded").
STATE_API_PROBE = """
import sys
from pathlib import Path

import ray
from ray.util.state import get_actor
from ray.util.state.exception import RayStateApiException

if sys.argv[1:] == ["embedded"]:
    from graders.engine.grading import raysession
    raysession.RaySession(submission=Path.cwd(), storage_path=Path.cwd()).start()
else:
    ray.init(address=sys.argv[1] if sys.argv[1:] else None)


@ray.remote
class Live:
    def actor_id(self):
        return ray.get_runtime_context().get_actor_id()


@ray.remote
def state_api_says(actor_id):
    try:
        return "alive" if get_actor(actor_id, timeout=10) else "no such actor"
    except RayStateApiException:
        return "no state API"


print("state API:", ray.get(state_api_says.remote(ray.get(Live.remote().actor_id.remote()))))
"""


def test_two_heads_and_an_embedded_ray_on_one_machine_each_keep_to_themselves(tmp_path):
    """Ray binds its job agent to a fixed port by default: a second head would have none. And Ray's
    state API answers for the newest head on the machine unless told otherwise: a lesson 1 fit graded on
    an embedded Ray beside a head heard that its controller was gone, and lost its workers mid-fit; so
    would a fit of watch's runner, which joins its own (older) head as a plain driver."""
    import subprocess
    import sys
    import time

    from ray.job_submission import JobSubmissionClient

    from graders.engine.grading.local_head import local_head

    probe = tmp_path / "probe.py"
    probe.write_text(STATE_API_PROBE)

    def state_api_says(*args: str, env: dict | None = None) -> str:
        proc = subprocess.run([sys.executable, str(probe), *args], capture_output=True, text=True, timeout=300,
                              cwd=tmp_path, env={**os.environ, **(env or {})})
        return proc.stdout + proc.stderr[-2000:]

    with local_head(dashboard=True) as first, local_head(dashboard=True) as second:
        for head in (first, second):
            client = JobSubmissionClient(head.dashboard)
            job = client.submit_job(entrypoint=f"{sys.executable} {probe}")
            deadline = time.monotonic() + 120
            while not client.get_job_status(job).is_terminal() and time.monotonic() < deadline:
                time.sleep(0.5)
            logs = client.get_job_logs(job)
            assert "state API: alive" in logs, f"{head.dashboard}: {client.get_job_status(job)}\n{logs[-2000:]}"
        joined_older = state_api_says(first.address, env=first.drivers_env)
        assert "state API: alive" in joined_older, joined_older
        embedded = state_api_says("embedded")
        assert "state API: no state API" in embedded, embedded


# A Ray Data read from a driver that joins a head (as watch's runner does), or from the kit's embedded Ray.
DATA_READ = """
import sys
from pathlib import Path

import ray

if sys.argv[1] == "embedded":
    from graders.engine.grading import raysession
    raysession.RaySession(submission=Path.cwd(), storage_path=Path.cwd()).start()
else:
    ray.init(address=sys.argv[1])
print("rows:", ray.data.range(8, override_num_blocks=4).map_batches(lambda batch: batch).count())
"""


def test_memory_used_elsewhere_on_the_machine_stops_no_worker_of_the_kits_ray(tmp_path, monkeypatch):
    """Ray's memory monitor kills the newest task's worker once the machine's memory is 95% used, by anyone;
    Ray Data retries the task without end, so a check would wait until its budget ran out. A threshold of 2%
    stands for a machine that another program fills: every Ray the kit starts must read all the same."""
    from graders.engine.grading.local_head import local_head

    monkeypatch.setenv("RAY_memory_usage_threshold", "0.02")

    def read(where: str, env: dict | None = None) -> str:
        try:
            proc = subprocess.run([sys.executable, "-c", DATA_READ, where], capture_output=True, text=True,
                                  timeout=120, cwd=tmp_path, env={**os.environ, **(env or {}), "PYTHONPATH": str(kit.KIT)})
        except subprocess.TimeoutExpired as e:
            return f"still waiting after {e.timeout} s: {(e.stderr or b'')[-2000:]!r}"
        return proc.stdout + proc.stderr[-2000:]

    with local_head() as head:
        joined = read(head.address, head.drivers_env)
    assert "rows: 8" in joined, joined
    embedded = read("embedded")
    assert "rows: 8" in embedded, embedded
