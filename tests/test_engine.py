"""The grading engine on a tiny made-up course (tests/fakecourse): points, partial credit, time budgets,
import errors, missing modules, "not started" (also inside a Ray worker), the JSON schema, exit codes.

Every test runs the real command line, ``python -m graders grade``, or a real ``pytest`` self-check.
"""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import kit

HERE = Path(__file__).parent
CORPUS = HERE / "submissions" / "engine"
FAKE = {"GRADERS_PACKAGE": "fakegraders", "PYTHONPATH": str(HERE / "fakecourse")}
GRADESCOPE_TEST_KEYS = {"name", "number", "score", "max_score", "status", "output", "output_format", "visibility"}


def grade(name: str, lessons: str = "1", **kw) -> dict:
    return kit.grade(CORPUS / name, lessons=lessons, env=FAKE, **kw)


def by_name(result: dict) -> dict[str, dict]:
    return {t["name"]: t for t in result["tests"]}


@pytest.fixture(scope="module")
def good() -> dict:
    """The made-up good submission, both lessons (the second one starts Ray)."""
    return grade("good", lessons="1,2")


def test_points_and_partial_credit(good):
    tests = by_name(good)
    assert tests["lesson1_fake::add"]["score"] == 2
    # accuracy 0.7 between floor 0.5 and target 0.9: half of 4 points
    assert tests["lesson1_fake::accuracy"]["score"] == pytest.approx(2)
    assert "0.7" in tests["lesson1_fake::accuracy"]["output"] and "0.9" in tests["lesson1_fake::accuracy"]["output"]
    assert tests["lesson1_fake::hidden_add"]["visibility"] == "after_published"
    assert good["score"] == pytest.approx(7) and good["max_score"] == 9


def test_gradescope_schema(good):
    assert set(good) >= {"score", "max_score", "tests"}
    for t in good["tests"]:
        assert set(t) == GRADESCOPE_TEST_KEYS
        assert t["status"] in {"passed", "failed"} and t["visibility"] in {"visible", "after_published"}
        assert 0 <= t["score"] <= t["max_score"]
    assert good["score"] == pytest.approx(sum(t["score"] for t in good["tests"]))


def test_submission_importable_in_ray_workers(good):
    assert by_name(good)["lesson2_remote::remote_double"]["status"] == "passed"


def test_score_table_printed(good):
    out = good["stdout"]
    assert "lesson1_fake" in out and "total" in out and "7 / 9" in out


def test_stub_reads_not_started_also_inside_ray():
    result = grade("stub", lessons="1,2")
    assert result["score"] == 0
    for t in result["tests"]:
        assert t["output"].startswith("not started"), t
    assert "`double`" in by_name(result)["lesson2_remote::remote_double"]["output"]


def test_serve_replica_error_is_dug_out():
    """Serve reports a replica that fails to start only as a failed deployment; the student sees why."""
    output = by_name(grade("serve_broken", lessons="3"))["lesson3_serve::deploys"]["output"]
    assert "TypeError" in output and "lesson3_serve.py" in output and "__init__" in output, output


def test_broken_lesson_scores_zero_and_others_still_graded(tmp_path):
    folder = tmp_path / "sub"
    folder.mkdir()
    (folder / "lesson1_fake.py").write_text((CORPUS / "broken" / "lesson1_fake.py").read_text())
    result = grade("broken", lessons="1,2")
    tests = by_name(result)
    assert all(t["score"] == 0 for t in result["tests"])
    assert "SyntaxError" in tests["lesson1_fake::add"]["output"] and "line 1" in tests["lesson1_fake::add"]["output"]
    assert "`lesson2_remote.py` is missing" in tests["lesson2_remote::remote_double"]["output"]


def test_hang_fails_only_that_check():
    result = grade("hang")
    tests = by_name(result)
    assert tests["lesson1_fake::finishes"]["score"] == 0
    assert "budget of 3 s" in tests["lesson1_fake::finishes"]["output"]
    assert tests["lesson1_fake::add"]["score"] == 2 and tests["lesson1_fake::hidden_add"]["score"] == 1


def test_self_check_runs_public_checks_only(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "pytest", str(CORPUS / "good" / "lesson1_fake.py"), "-p", "no:cacheprovider"],
                          cwd=kit.KIT, capture_output=True, text=True, env={**kit.os.environ, **FAKE}, timeout=300)
    assert "hidden_add" not in proc.stdout.split("score")[-1]
    assert "public checks only" in proc.stdout and "1 more points" in proc.stdout
    assert "1 deselected" in proc.stdout
    progress = CORPUS / "good" / ".graders" / "progress.json"
    assert json.loads(progress.read_text())["lesson1_fake::add"]["status"] == "passed"
    progress.unlink()
    progress.parent.rmdir()


def test_markdown_report(tmp_path):
    report = tmp_path / "report.md"
    grade("good", extra=["--report", str(report)])
    text = report.read_text()
    assert "| `lesson1_fake` |" in text and "`lesson1_fake::accuracy`" in text, text  # names quoted as code
    assert "Hint" not in text.split("accuracy")[0], text


GOOD = str(CORPUS / "good")


@pytest.mark.parametrize("args, message", [
    (["grade", "/no/such/folder"], "/no/such/folder is not a folder"),
    (["grade", GOOD, "--lessons", "99"], "no lesson '99'"),
    (["grade", GOOD, "--data", "taxi"], "expected NAME=PATH"),
    (["grade", GOOD, "--data", "trips=/tmp"], "no data set 'trips'; the data sets are taxi"),
    (["grade", GOOD, "--data", "taxi=/no/such/file.parquet"], "/no/such/file.parquet does not exist"),
    (["batch", str(CORPUS), "--out", "/tmp/never.csv", "--lessons", "99"], "no lesson '99'"),
    (["batch", "/no/such/class", "--out", "/tmp/never.csv"], "/no/such/class is not a folder"),
    (["batch", str(CORPUS), "--out", "/tmp/never.csv", "--limit", "0"], "--limit: '0': give a float above 0"),
    (["batch", str(CORPUS), "--out", "/tmp/never.csv", "--jobs", "0"], "--jobs: '0': give a int above 0"),
    (["watch", "99"], "no lesson '99'"),
    (["watch", "--submission", "/no/such/folder"], "/no/such/folder is not a folder"),
    (["hint", "99"], "no lesson '99'"),
    (["hint", "1", "nope"], "has no check 'nope'"),
    (["progress", "--submission", "/no/such/folder"], "/no/such/folder is not a folder"),
    (["nbgrader", "/tmp/never", "--lessons", "99"], "no lesson '99'"),
    (["nbgrader", "/tmp/never", "--solutions", "/no/such/folder"], "/no/such/folder is not a folder"),
    (["release", str(CORPUS)], "already exists; name a new folder"),
])
def test_usage_errors_exit_2_with_the_problem_and_the_fix(args, message):
    proc = kit.run_graders(*args, env=FAKE, timeout=120)
    assert proc.returncode == 2 and message in proc.stderr and "Traceback" not in proc.stderr, proc.stderr


def test_use_gpu_yes_without_gpus_stops_at_once():
    proc = kit.run_graders("grade", GOOD, "--lessons", "2", "--use-gpu", "yes", env=FAKE, timeout=300)
    assert proc.returncode == 3 and "--use-gpu yes, but the Ray cluster reports no GPU" in proc.stderr, proc.stderr


def test_unreachable_ray_exits_non_zero():
    proc = kit.run_graders("grade", str(CORPUS / "good"), "--lessons", "2", "--ray-address", "127.0.0.1:9",
                           env=FAKE, timeout=600)
    assert proc.returncode not in (0, 1)
    assert "could not start or reach Ray" in proc.stdout + proc.stderr


@pytest.fixture(scope="module")
def edge() -> dict[str, dict]:
    return by_name(grade("edge", lessons="4"))


def test_a_check_failing_after_full_credit_scores_zero(edge):
    check = edge["lesson4_edge::credit_then_fails"]
    assert check["score"] == 0 and "confirm(): expected 'ok', got 'wrong'" in check["output"], check


@pytest.mark.parametrize("check, words", [("cast", "ArrowNotImplementedError: Unsupported cast"),
                                          ("handler", "NotImplementedError: emit must be implemented")])
def test_a_library_not_implemented_error_in_started_code_is_a_failure(edge, check, words):
    """Only a function still the stub reads "not started"; a started one shows the library's error."""
    result = edge[f"lesson4_edge::{check}"]
    assert result["score"] == 0 and not result["output"].startswith("not started"), result
    assert words in result["output"] and "lesson4_edge.py" in result["output"], result


def test_a_stub_reads_not_started_with_its_name(edge):
    assert edge["lesson4_edge::todo"]["output"].startswith("not started: `todo` still raises"), edge


def test_grade_survives_a_check_that_kills_its_process(tmp_path):
    """erin's add calls os._exit(3): that check (and hidden_add, which calls add) scores zero with the
    reason; the others count; results.json, the report and the score table are still written."""
    report = tmp_path / "report.md"
    result = kit.grade(HERE / "submissions" / "batch" / "erin", lessons="1", env=FAKE, extra=["--report", str(report)])
    tests = by_name(result)
    assert result["score"] == pytest.approx(3) and result["max_score"] == 8
    for died in ("add", "hidden_add"):
        assert tests[f"lesson1_fake::{died}"]["score"] == 0
        assert "grading process died" in tests[f"lesson1_fake::{died}"]["output"]
    assert tests["lesson1_fake::finishes"]["score"] == 1
    assert "3 / 8" in result["stdout"] and "lesson1_fake::add" in report.read_text()


def test_data_given_with_the_data_option_feeds_every_public_read(tmp_path):
    """Files other than the kit's (other rows, another size, another folder) are what every seed-0 read
    gets, options included; hidden seeds stay the kit's."""
    import fixtures
    from graders.engine.grading.datasets import DataSets

    given = kit.other_data(tmp_path)
    data = DataSets(kit.data_args(given)[1::2])
    trips, mnist = given["taxi"], given["mnist"]

    for name, path in given.items():
        assert data.path(name) == data.public(name) == str(path)
    assert data.path("taxi", with_index=True) == str(trips)
    raw = Path(data.path("mnist", train_limit=100)) / "MNIST" / "raw"
    given_raw = mnist / "MNIST" / "raw"
    images = (given_raw / "train-images-idx3-ubyte").read_bytes()
    assert (raw / "train-images-idx3-ubyte").read_bytes()[16:] == images[16:16 + 100 * 28 * 28]
    assert (raw / "train-labels-idx1-ubyte").read_bytes()[8:] == (given_raw / "train-labels-idx1-ubyte").read_bytes()[8:108]
    assert (raw / "t10k-images-idx3-ubyte").read_bytes() == (given_raw / "t10k-images-idx3-ubyte").read_bytes()
    assert data.path("taxi", seed=1) == str(fixtures.taxi(1)) and data.path("mnist_png", seed=1) == str(fixtures.mnist_png(1))


def test_a_lesson_that_stops_ray_and_serve_costs_no_other_lesson():
    """lesson6 stops Serve and Ray inside its check, on its side: the run's Ray and Serve (on its port) are
    started again before the next check, so lesson 7 after it is graded whole, without timeouts."""
    result = grade("shutdown", lessons="3,6,7")
    assert result["score"] == result["max_score"] == 4, result["stdout"][-3000:]


def test_a_budget_stop_tells_what_the_raylet_warned_of_while_it_waited(tmp_path):
    """Ray's own warnings of a wait (a worker killed, none registered) are in its raylet's log, in local time:
    those of the stopped check's time are told once each, the newest last, printable only; older ones and plain
    news are not."""
    import time

    from graders.engine.grading.raysession import raylet_said

    def at(seconds: float) -> str:
        return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(seconds)) + ",500"

    now = time.time()
    (tmp_path / "raylet.out").write_text("\n".join([
        f"[{at(now - 60)} W 7 7] (raylet) node_manager.cc:3147: an earlier check's warning",
        f"[{at(now)} I 7 7] (raylet) worker_pool.cc:195: news, not a warning",
        f"[{at(now + 1)} W 7 7] (raylet) node_manager.cc:3147: Memory usage above threshold",
        f"[{at(now + 2)} E 7 7] (raylet) worker_pool.cc:600: a worker failed to register",
        f"[{at(now + 3)} W 7 7] (raylet) node_manager.cc:3147: Memory usage above threshold",
        f"[{at(now + 4)} W 7 7] (raylet) written by the student's user: \x1b[2J",
        "[state-dump] not a line of the raylet's own",
    ]) + "\n")
    assert raylet_said(now - 1, logs=tmp_path) == ["worker_pool.cc:600: a worker failed to register",
                                                    "node_manager.cc:3147: Memory usage above threshold",
                                                    "written by the student's user: ?[2J"]
    assert raylet_said(now - 1, logs=tmp_path, most=1) == ["written by the student's user: ?[2J"]
    assert raylet_said(now + 10, logs=tmp_path) == [] and raylet_said(now, logs=tmp_path / "none") == []
