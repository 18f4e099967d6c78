"""Stopping a check that cannot end by itself: when its time budget runs out, or when it asks Ray for
resources the cluster can never give (a trainer hard-coding ``ScalingConfig(num_workers=16)`` on 4 CPUs).

Ray's blocking calls (``ray.get``, ``trainer.fit()``) check for signals, but let only a
``KeyboardInterrupt`` through: pytest-timeout's exception, raised in its SIGALRM handler, is swallowed
there and the check waits forever. So while a check runs (its fixtures included) the budget's alarm
raises a ``KeyboardInterrupt``, and a daemon thread that watches the cluster interrupts the main thread
the same way; either is turned into ``Stopped``, a failure of that check alone, with the reason.
"""
from __future__ import annotations

import _thread
import contextlib
import signal
import sys
import threading

import pytest

POLL_S = 1.0
INFEASIBLE_MSG = ("asked for {asked}; the grader's cluster offers {offered}: use the num_workers argument "
                  "you were given (and hard-code no resources).")


class Stopped(Exception):
    """The check was stopped: its budget ran out, or it asked for what the cluster can never give."""


class _Interrupt(KeyboardInterrupt):
    """Breaks out of whatever the check waits on (a KeyboardInterrupt: the one exception Ray lets through)."""


class Guard:
    """While a check's phase runs: its budget's alarm and the cluster watch interrupt it with a reason."""

    def __init__(self, timeout_message: str):
        self.reason: str | None = None
        self.timeout_message = timeout_message
        self._done, self._lock = threading.Event(), threading.Lock()
        self._alarm = self._sigint = None

    def __enter__(self) -> Guard:
        if threading.current_thread() is threading.main_thread():
            self._alarm = signal.signal(signal.SIGALRM, self._on_alarm)
            if not callable(signal.getsignal(signal.SIGINT)):
                # Started in the background (`cmd &` in a script), SIGINT is ignored, and the cluster
                # watch's interrupt_main would do nothing: give it Python's handler for the phase.
                self._sigint = signal.signal(signal.SIGINT, signal.default_int_handler)
        threading.Thread(target=self._watch, name="graders-cluster-watch", daemon=True).start()
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        with self._lock:  # no interrupt after this
            self._done.set()
        if self._alarm is not None:
            signal.signal(signal.SIGALRM, self._alarm)
        if self._sigint is not None:
            signal.signal(signal.SIGINT, self._sigint)
        if self.reason is not None:  # whatever the interrupted code raised (or returned) after it
            raise Stopped(self.reason) from None

    def _on_alarm(self, signum, frame):
        self.reason = self.timeout_message
        raise _Interrupt()

    def _watch(self) -> None:
        while not self._done.wait(POLL_S):
            try:
                found = infeasible_request()
            except Exception:  # Ray going down under the check: not this watch's business
                continue
            with self._lock:
                if found and not self._done.is_set():
                    # The reason first: removing the group wakes the code waiting on it, whose error
                    # must read as this reason, however soon the phase then ends.
                    self.reason, remove = found
                    with contextlib.suppress(Exception):
                        remove()
                    _thread.interrupt_main()  # SIGINT's handler: a KeyboardInterrupt, or Ray Train's graceful abort
                    return


def infeasible_request() -> tuple[str, object] | None:
    """A pending placement group of this Ray job that no node set of the cluster can ever hold: what it
    asked for and what the cluster offers, and a function that removes it (None when every request
    can be met)."""
    ray = sys.modules.get("ray")  # a run without Ray (yet) has nothing to watch
    if ray is None or not ray.is_initialized():
        return None
    from ray._common.utils import hex_to_binary
    from ray._raylet import PlacementGroupID
    from ray.util import placement_group_table, remove_placement_group
    from ray.util.placement_group import PlacementGroup

    job = ray.get_runtime_context().get_job_id()
    nodes = [node["Resources"] for node in ray.nodes() if node["Alive"]]
    for pg_id, pg in placement_group_table().items():
        if pg["state"] not in ("PENDING", "RESCHEDULING") or not pg_id.endswith(job):
            continue
        bundles = [dict(b) for b in pg["bundles"].values()]
        if _fits(bundles, pg["strategy"], nodes):
            continue
        group = PlacementGroup(PlacementGroupID(hex_to_binary(pg_id)))
        return (INFEASIBLE_MSG.format(asked=_asked(bundles), offered=_offered(bundles, nodes)),
                lambda: remove_placement_group(group))
    return None


def _fits(bundles: list[dict], strategy: str, nodes: list[dict]) -> bool:
    """False only when the bundles can never be placed on these nodes (a necessary condition fails)."""
    def holds(node: dict, need: dict) -> bool:
        return all(node.get(r, 0) >= amount for r, amount in need.items())

    def total(items: list[dict]) -> dict:
        out: dict[str, float] = {}
        for item in items:
            for r, amount in item.items():
                out[r] = out.get(r, 0) + amount
        return out

    if strategy == "STRICT_PACK":
        return any(holds(node, total(bundles)) for node in nodes)
    if not all(any(holds(node, b) for node in nodes) for b in bundles):
        return False
    if strategy == "STRICT_SPREAD":
        return len(bundles) <= len(nodes)
    return holds(total(nodes), total(bundles))


def _fmt(bundle: dict) -> str:
    return "{" + ", ".join(f"{r}: {amount:g}" for r, amount in sorted(bundle.items())) + "}"


def _asked(bundles: list[dict]) -> str:
    if all(b == bundles[0] for b in bundles):
        return f"{len(bundles)} workers x {_fmt(bundles[0])}"
    return "bundles " + ", ".join(_fmt(b) for b in bundles)


def _offered(bundles: list[dict], nodes: list[dict]) -> str:
    kinds = sorted({r for b in bundles for r in b})
    return ", ".join(f"{sum(node.get(r, 0) for node in nodes):g} {r}s" for r in kinds)


class GuardPlugin:
    """Runs each phase of each check (setup, call, teardown) under a ``Guard``."""

    def __init__(self, budget_message):
        self.budget_message = budget_message  # item -> the timeout message of its check (None: not a check)

    def _guarded(self, item: pytest.Item):
        message = self.budget_message(item)
        if message is None:
            return (yield)
        guard = Guard(message)
        try:
            with guard:
                return (yield)
        except KeyboardInterrupt:  # one that arrived as the phase ended
            if guard.reason is None:
                raise
            raise Stopped(guard.reason) from None

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_setup(self, item):
        return (yield from self._guarded(item))

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_call(self, item):
        return (yield from self._guarded(item))

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_teardown(self, item):
        return (yield from self._guarded(item))
