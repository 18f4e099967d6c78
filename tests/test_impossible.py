"""A request the cluster can never meet fails its check by the cluster watch (not at its time budget),
wherever it is made, with what it asked for and what the cluster offers; a request that waits its turn is
not one; the next check runs.

One grading of the made-up lesson 8 (tests/fakecourse) holds every case. How many seconds the watch takes
is a figure, not an assertion: ``bench/bench.py`` reports it (``impossible``).
"""
from __future__ import annotations

import fnmatch

import pytest

import kit
from graders.engine.grading.raysession import embedded_cpus
from graders.engine.reporting import stream
from test_engine import CORPUS, FAKE

BUDGET_S = 60  # lesson8_greedy's check_timeout (tests/fakecourse/fakegraders/course.toml)

IMPOSSIBLE = {  # check -> what its message says was asked (a glob)
    "reserve": "64 workers x {CPU: 1}",
    "fit_many_workers": "16 workers x {CPU: 1}",  # XGBoostTrainer, ScalingConfig(num_workers=16)
    "fit_big_workers": "2 workers x {CPU: 64}",  # TorchTrainer, resources_per_worker={"CPU": 64}
    "tune_trial": "1 worker x {CPU: 64}",  # tune.with_resources(..., {"cpu": 64})
    "tune_fit": "16 workers x {CPU: 1}",  # a trial fitting the trainer above
    "data_actor": "an actor MapWorker(MapBatches(Double)) with {CPU: 64}",  # ActorPoolStrategy(size=1), num_cpus=64
    "serve_replica": "an actor ServeReplica:big-*:Echo with {CPU: 64}",  # ray_actor_options={"num_cpus": 64}
    "task": "a task _nap with {CPU: 64}",
    "actor": "an actor Counter with {CPU: 64}",
}


@pytest.fixture(scope="module")
def graded(tmp_path_factory) -> dict[str, dict]:
    """Each check of lesson 8 on the greedy submission: its Gradescope test, and its seconds (the results stream)."""
    streamed = tmp_path_factory.mktemp("impossible") / "stream.jsonl"
    result = kit.grade(CORPUS / "greedy", lessons="8", env=FAKE,
                       extra=["--use-gpu", "no", "--results-stream", str(streamed)])
    seconds = {name: check.seconds for name, check in stream.read(streamed).finished.items()}
    return {t["name"].removeprefix("lesson8_greedy::"): {**t, "seconds": seconds.get(t["name"])} for t in result["tests"]}


@pytest.mark.parametrize("name", IMPOSSIBLE)
def test_an_impossible_request_fails_its_check_by_the_watch(graded, name):
    check, offer = graded[name], f"the grader's cluster offers {embedded_cpus()} CPUs"
    said = check["output"].replace("`", "")  # the feedback's markdown quotes names
    assert check["score"] == 0 and fnmatch.fnmatchcase(said, f"*asked for {IMPOSSIBLE[name]}; {offer}: *"), check
    assert "num_workers" in said and "budget" not in said, check  # the watch's words, not the time limit's
    # Stopped by the watch, not when its budget ran out with the watch's reason kept (an interrupt that did not
    # end the wait for the side's reply did that): a property of the stop, not a speed target.
    assert check["seconds"] < BUDGET_S, check


def test_a_stopped_fixture_fails_the_next_check_that_shares_it(graded):
    """The fixture's own error, not a second wait: the check that shares it gets the same message."""
    assert graded["reserved_again"]["score"] == 0, graded["reserved_again"]
    assert graded["reserved_again"]["output"] == graded["reserve"]["output"], graded["reserved_again"]


def test_requests_that_wait_their_turn_are_not_impossible(graded):
    """A group, an actor and a task asking for every CPU while a task holds them; a pool larger than the cluster."""
    for name in ("waits_its_turn", "pool_larger_than_cluster"):
        assert graded[name]["score"] == 1, graded[name]


def test_a_wait_on_ray_ends_at_its_budget(graded):
    """A ray.get that never returns ends at the check's budget (Ray's signal check used to swallow it)."""
    assert graded["waits"]["score"] == 0 and "budget of 20 s" in graded["waits"]["output"], graded["waits"]


def test_the_next_check_finds_the_cluster_as_it_was(graded):
    """Every CPU free again: no worker group, trial, actor or replica of a stopped check holds one."""
    assert graded["ready"]["score"] == graded["after"]["score"] == 1, (graded["ready"], graded["after"])


def test_the_cluster_watch_interrupts_a_grader_started_in_the_background(monkeypatch):
    """A background job (`cmd &` in a script) starts with SIGINT ignored: the watch interrupts the check
    through the phase's own handler (SIGALRM's), so it still ends the wait, and leaves SIGINT as it was."""
    import signal
    import time

    from graders.engine.grading import stopping

    withdrawn = []
    request = stopping.Request("a group", "asked for too much", lambda: withdrawn.append(True))
    monkeypatch.setattr(stopping, "impossible_requests", lambda looks=None: [] if withdrawn else [request])
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        started = time.monotonic()
        with pytest.raises(stopping.Stopped, match="asked for too much"):
            with stopping.Guard("over budget"):
                while time.monotonic() - started < 10:  # a wait that checks for signals, as ray.get's does
                    time.sleep(0.05)
        assert withdrawn, "the watch did not withdraw the request"  # the wait itself would end without Stopped
        assert signal.getsignal(signal.SIGINT) == signal.SIG_IGN, "the phase changed SIGINT"
    finally:
        signal.signal(signal.SIGINT, previous)
