"""Stopping a check that cannot end by itself: when its time budget runs out, or when it asks Ray for
resources the cluster can never give (a trainer hard-coding ``ScalingConfig(num_workers=16)`` on 4 CPUs).

Ray's blocking calls (``ray.get``, ``trainer.fit()``) check for signals, but let only a
``KeyboardInterrupt`` through: pytest-timeout's exception, raised in its SIGALRM handler, is swallowed
there and the check waits forever. So while a check runs (its fixtures included) the budget's alarm
raises a ``KeyboardInterrupt``, and a daemon thread that watches the cluster interrupts the main thread
through the same handler (never through SIGINT's: Ray Train's, installed by ``fit()``, waits for its
controller to abort, which it does not while it waits for its workers' placement group); either is
turned into ``Stopped``, a failure of that check alone, with the reason.

An impossible request is one that no node (for a placement group: no set of nodes) could ever hold,
whatever else runs: a pending placement group of this job (Ray Train's workers, a Tune trial), a pending
actor (a Ray Data actor pool's, a Serve replica), a task Ray queues as infeasible. A request waiting for
resources that something else holds is not one. The watch withdraws each impossible request it finds
(kills the actor that made the group, then removes the group; kills the actor, and deletes the Serve
application of a replica; cancels the task) as long as the check runs, and once more as it ends; one
that outlives the check (a Serve application takes a while to go) is withdrawn again, never blamed on
the next check.
"""
from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass
from typing import Callable

import pytest

POLL_S = 1.0
LOOKS = 5  # how often the watch looks in vain for this job's task of a shape Ray queues as infeasible
HANDLED_WAIT_S = 3.0  # how long the watch waits for the check to stop (ray.get looks for signals each second)
KILL_WAIT_S = 5.0  # how long withdrawing a placement group waits for its creator to die
INFEASIBLE_MSG = ("asked for {asked}; the grader's cluster offers {offered}: ask for what the grader gives you "
                  "(the num_workers argument, use_gpu) and hard-code no resources.")
SERVE_REPLICA = "SERVE_REPLICA::"  # a Serve replica's actor name: SERVE_REPLICA::<app>#<deployment>#<id>


class Stopped(Exception):
    """The check was stopped: its budget ran out, or it asked for what the cluster can never give."""


class _Interrupt(KeyboardInterrupt):
    """Breaks out of whatever the check waits on (a KeyboardInterrupt: the one exception Ray lets through)."""


class Guard:
    """While a check's phase runs: its budget's alarm and the cluster watch interrupt it with a reason."""

    def __init__(self, timeout_message: str, withdrawn: set[str] | None = None):
        self.reason: str | None = None
        self.timeout_message = timeout_message
        self.withdrawn = set() if withdrawn is None else withdrawn  # the run's: what earlier checks left is not this one's
        self._done, self._lock, self._handled = threading.Event(), threading.Lock(), threading.Event()
        self._main = threading.current_thread() is threading.main_thread()
        self._alarm = self._before = None  # the handler the phase replaced; what the cluster held as it began

    def __enter__(self) -> Guard:
        self._started = time.time()
        if self._main:
            self._alarm = signal.signal(signal.SIGALRM, self._on_alarm)
        threading.Thread(target=self._watch, name="graders-cluster-watch", daemon=True).start()
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        with self._lock:  # no interrupt after this
            self._done.set()
        if self._main:
            signal.signal(signal.SIGALRM, self._alarm)
        if self.reason is not None:  # whatever the interrupted code raised (or returned) after it
            with contextlib.suppress(Exception):  # what it asked for since the watch last looked, what it made
                withdraw(impossible_requests(Counter()), self.withdrawn)
                _cluster().undo(self._before)
            if self.reason == self.timeout_message:
                _tell_what_ray_said(self._started)
            raise Stopped(self.reason) from None

    def _on_alarm(self, signum, frame):
        self.reason = self.reason or self.timeout_message
        self._handled.set()
        if not _inside(frame, Guard.__exit__):  # one that arrives as the phase ends only leaves its reason
            raise _Interrupt()

    def _watch(self) -> None:
        looks = Counter()
        with contextlib.suppress(Exception):
            self._before = _cluster().made()
        while not self._done.wait(POLL_S):
            with contextlib.suppress(Exception):  # Ray going down under the check: not this watch's business
                found = impossible_requests(looks)
                new = [r.reason for r in found if r.key not in self.withdrawn]  # an earlier check's: not this one's
                with self._lock:
                    if found and not self._done.is_set():
                        if new and self.reason is None:
                            # The check stops first: withdrawing a request fails the code waiting on it with
                            # an error of its own, which a module fixture would keep for the next checks.
                            self.reason = new[0]
                            if self._main:
                                # A real signal, not _thread.interrupt_main: it also ends a blocking read (the
                                # reply of the student's side) that a simulated one waits out.
                                signal.pthread_kill(threading.main_thread().ident, signal.SIGALRM)
                                self._handled.wait(HANDLED_WAIT_S)
                        withdraw(found, self.withdrawn)  # as often as asked again (Tune's trials, Serve's replicas)


def _tell_what_ray_said(since: float) -> None:
    """Write to the grader's standard error (the run's log, beside the student's side's stacks) the warnings and
    errors Ray's raylet logged while a check waited out its budget: a wait on Ray often has its reason there."""
    from graders.engine.grading.raysession import raylet_said

    with contextlib.suppress(Exception):
        said = raylet_said(since)
        if said:
            sys.stderr.flush()
            os.write(2, ("graders: while the stopped check waited, Ray's raylet logged:\n"
                         + "".join(f"  {line}\n" for line in said)).encode())


def _inside(frame, function) -> bool:
    while frame is not None and frame.f_code is not function.__code__:
        frame = frame.f_back
    return frame is not None


@dataclass
class Request:
    """A pending request of this Ray job that the cluster can never meet."""

    key: str
    """Whose request: a placement group's, an actor's or a task's id, a Serve application's name."""
    reason: str
    withdraw: Callable[[], None]


def withdraw(requests: list[Request], withdrawn: set[str]) -> None:
    """Withdraw each request, adding its key to ``withdrawn``."""
    for request in requests:
        withdrawn.add(request.key)
        with contextlib.suppress(Exception):
            request.withdraw()


def impossible_requests(looks: Counter | None = None) -> list[Request]:
    """This job's pending requests that no node of the cluster can ever hold: placement groups, actors,
    and, given ``looks`` (see ``_Cluster.tasks``), tasks."""
    cluster = _cluster()
    if cluster is None:
        return []
    return [*cluster.groups(), *cluster.actors(), *(cluster.tasks(looks) if looks is not None else [])]


def _cluster() -> _Cluster | None:
    ray = sys.modules.get("ray")  # a run without Ray (yet) has nothing to watch
    return _Cluster(ray) if ray is not None and ray.is_initialized() else None


class _Cluster:
    """One look at the cluster (Ray's GCS tables): its alive nodes, this job's pending requests."""

    def __init__(self, ray):
        from ray._private.state import state

        self.ray, self.gcs = ray, state._connect_and_get_accessor()
        from graders.engine.grading.student_side import ray_jobs

        self.jobs = [ray._private.worker.global_worker.current_job_id, *map(ray.JobID.from_hex, ray_jobs())]
        self.job_ids = {job.binary() for job in self.jobs}
        self.nodes = [node["Resources"] for node in ray.nodes() if node["Alive"]]

    def made(self) -> set[bytes]:
        """The ids of this job's placement groups and actors that are not gone."""
        return {pg.placement_group_id for pg in self._groups()} | {a.actor_id for a in self._actors()}

    def undo(self, before: set[bytes] | None) -> None:
        """Kill this job's actors made since ``before`` (not the detached: Serve's, Ray Data's, Ray Train's
        own) and remove its placement groups made since: a stopped check's Tune trials and their groups."""
        if before is None:  # Ray started in the phase
            return
        for actor in self._actors():
            if actor.actor_id not in before and not actor.is_detached:
                self._kill(actor.actor_id)
        for pg in self._groups():
            if pg.placement_group_id not in before:
                self._remove(pg.placement_group_id)

    def _groups(self) -> list:
        from ray.core.generated.gcs_pb2 import PlacementGroupTableData as Group

        return [pg for pg in map(Group.FromString, self.gcs.get_placement_group_table())
                if pg.creator_job_id in self.job_ids and pg.state != Group.REMOVED]

    def _actors(self, state: str | None = None) -> list:
        from ray.core.generated.gcs_pb2 import ActorTableData

        actors = [ActorTableData.FromString(a) for job in self.jobs for a in self.gcs.get_actor_table(job, state)]
        return [a for a in actors if a.state != a.DEAD]

    def groups(self) -> list[Request]:
        from ray.core.generated.common_pb2 import PlacementStrategy
        from ray.core.generated.gcs_pb2 import PlacementGroupTableData as Group

        found = []
        for pg in self._groups():
            if pg.state not in (Group.PENDING, Group.RESCHEDULING):
                continue
            bundles = [dict(b.unit_resources) for b in pg.bundles]
            if not _fits(bundles, PlacementStrategy.Name(pg.strategy), self.nodes):
                found.append(Request(pg.placement_group_id.hex(), self._reason(_asked(bundles), _total(bundles)),
                                     lambda pg=pg: self._remove_group(pg)))
        return found

    def actors(self) -> list[Request]:
        found = []
        for actor in self._actors("PENDING_CREATION"):
            need = dict(actor.required_resources)
            if _set(actor.placement_group_id) or self._holds(need):  # a group's actor: the group is judged
                continue
            app = _serve_app(actor.name)
            asked = f"an actor {actor.class_name} with {_fmt(need)}"
            found.append(Request(app or actor.actor_id.hex(), self._reason(asked, need),
                                 lambda actor_id=actor.actor_id, app=app: self._stop_actor(actor_id, app)))
        return found

    def tasks(self, looks: Counter) -> list[Request]:
        """This job's pending tasks of the shapes (resources asked) the raylets queue as infeasible. Ray
        says which shapes, and how many of each, not whose: only then are the task events read, and for a
        shape and count looked up ``LOOKS`` times in vain (``looks``), no more."""
        from ray.core.generated.common_pb2 import TaskStatus, TaskType
        from ray.core.generated.gcs_pb2 import ResourceUsageBatchData, TaskEvents

        load = ResourceUsageBatchData.FromString(self.gcs.get_all_resource_usage()).resource_load_by_shape
        shapes = {frozenset(d.shape.items()): d.num_infeasible_requests_queued for d in load.resource_demands}
        shapes = {s: n for s, n in shapes.items() if n and looks[s, n] < LOOKS and not self._holds(dict(s))
                  and not any("_group_" in r for r, _ in s)}  # a task waiting for its placement group: not one
        if not shapes:
            return []
        found, matched = [], set()
        ended = {TaskStatus.SUBMITTED_TO_WORKER, TaskStatus.FINISHED, TaskStatus.FAILED}
        for raw in self.gcs.get_task_events():
            task = TaskEvents.FromString(raw)
            shape, info = frozenset(task.task_info.required_resources.items()), task.task_info
            if (task.job_id in self.job_ids and info.type == TaskType.NORMAL_TASK and shape in shapes
                    and not ended & set(task.state_updates.state_ts_ns)):
                matched.add(shape)
                asked = f"a task {info.name} with {_fmt(dict(shape))}"
                found.append(Request(task.task_id.hex(), self._reason(asked, dict(shape)),
                                     lambda task=task: self._cancel(task)))
        # Looked up in vain: its task events may come later; or it is another job's, or an actor's.
        looks.update((s, n) for s, n in shapes.items() if s not in matched)
        return found

    def _holds(self, need: dict) -> bool:
        return any(_holds(node, need) for node in self.nodes)

    def _reason(self, asked: str, need: dict) -> str:
        return INFEASIBLE_MSG.format(asked=asked, offered=_offered(need, self.nodes))

    def _remove_group(self, pg) -> None:
        """Kill the actor that made the group, then remove it: a group outlives its creator while the job
        lives, and Ray Train's controller, left alive, makes a new one at once."""
        creator = None if pg.creator_actor_dead else self._actor(pg.creator_actor_id)
        if creator is not None and not creator.is_detached:  # never Serve's controller
            self._kill(creator.actor_id)
            deadline = time.monotonic() + KILL_WAIT_S
            while not self._dead(creator.actor_id) and time.monotonic() < deadline:
                time.sleep(0.05)
        self._remove(pg.placement_group_id)

    def _remove(self, pg_id: bytes) -> None:
        from ray.util import remove_placement_group
        from ray.util.placement_group import PlacementGroup

        remove_placement_group(PlacementGroup(self.ray.PlacementGroupID(pg_id)))

    def _stop_actor(self, actor_id: bytes, app: str | None) -> None:
        """Kill the actor; a Serve replica's application goes too (Serve would start the replica again)."""
        if app is not None:
            from ray import serve

            serve.delete(app, _blocking=False)
        self._kill(actor_id)

    def _actor(self, actor_id: bytes):
        from ray.core.generated.gcs_pb2 import ActorTableData

        raw = self.gcs.get_actor_info(self.ray.ActorID(actor_id)) if _set(actor_id) else None
        return None if raw is None else ActorTableData.FromString(raw)

    def _dead(self, actor_id: bytes) -> bool:
        actor = self._actor(actor_id)
        return actor is None or actor.state == actor.DEAD

    def _kill(self, actor_id: bytes) -> None:
        """Kill an actor this process may hold no handle of (``ray.kill`` needs one): through the GCS."""
        from ray._private.grpc_utils import init_grpc_channel
        from ray.core.generated import gcs_service_pb2, gcs_service_pb2_grpc

        request = gcs_service_pb2.KillActorViaGcsRequest(actor_id=actor_id, force_kill=True, no_restart=True)
        with init_grpc_channel(self.ray.get_runtime_context().gcs_address) as channel:
            gcs_service_pb2_grpc.ActorInfoGcsServiceStub(channel).KillActorViaGcs(request, timeout=10)

    def _cancel(self, task) -> None:
        """Cancel a task this process submitted (named by its first return value); another's stays queued."""
        if task.task_info.parent_task_id == self.ray._private.worker.global_worker.current_task_id.binary():
            self.ray.cancel(self.ray.ObjectRef(task.task_id + (1).to_bytes(4, "little")))


def _serve_app(actor_name: str) -> str | None:
    """The application of a Serve replica (None for any other actor)."""
    return actor_name.removeprefix(SERVE_REPLICA).split("#")[0] if actor_name.startswith(SERVE_REPLICA) else None


def _set(ray_id: bytes) -> bool:
    return bool(ray_id.strip(b"\xff"))  # neither unset (empty) nor nil (all 0xff)


def _holds(node: dict, need: dict) -> bool:
    return all(node.get(r, 0) >= amount for r, amount in need.items())


def _total(items: list[dict]) -> dict:
    out: dict[str, float] = {}
    for item in items:
        for r, amount in item.items():
            out[r] = out.get(r, 0) + amount
    return out


def _fits(bundles: list[dict], strategy: str, nodes: list[dict]) -> bool:
    """False only when the bundles can never be placed on these nodes (a necessary condition fails)."""
    if strategy == "STRICT_PACK":
        return any(_holds(node, _total(bundles)) for node in nodes)
    if not all(any(_holds(node, b) for node in nodes) for b in bundles):
        return False
    if strategy == "STRICT_SPREAD":
        return len(bundles) <= len(nodes)
    return _holds(_total(nodes), _total(bundles))


def _fmt(bundle: dict) -> str:
    return "{" + ", ".join(f"{r}: {amount:g}" for r, amount in sorted(bundle.items())) + "}"


def _asked(bundles: list[dict]) -> str:
    if all(b == bundles[0] for b in bundles):
        return f"{len(bundles)} worker{'s' * (len(bundles) != 1)} x {_fmt(bundles[0])}"
    return "bundles " + ", ".join(_fmt(b) for b in bundles)


def _offered(need: dict, nodes: list[dict]) -> str:
    """The cluster's total of each resource asked for (and, on several nodes, the most one has)."""
    def offer(r: str) -> str:
        amounts = [node.get(r, 0) for node in nodes]
        largest = f" (at most {max(amounts):g} on one node)" if len(nodes) > 1 else ""
        return f"{sum(amounts):g} {r}s{largest}"

    return ", ".join(offer(r) for r in sorted(need))


class GuardPlugin:
    """Runs each phase of each check (setup, call, teardown) under a ``Guard``."""

    def __init__(self, budget_message):
        self.budget_message = budget_message  # item -> the timeout message of its check (None: not a check)
        self.guard: Guard | None = None  # the running phase's
        self.withdrawn: set[str] = set()  # the keys of the requests withdrawn in this run

    def _guarded(self, item: pytest.Item):
        message = self.budget_message(item)
        if message is None:
            return (yield)
        guard = self.guard = Guard(message, self.withdrawn)
        try:
            with guard:
                return (yield)
        except KeyboardInterrupt:  # one that arrived as the phase ended
            if guard.reason is None:
                raise
            raise Stopped(guard.reason) from None
        finally:
            self.guard = None

    @pytest.hookimpl(wrapper=True)
    def pytest_fixture_setup(self, fixturedef, request):
        """A fixture stopped fails with ``Stopped``, kept for the checks that share it as pytest keeps a
        fixture's error (a KeyboardInterrupt it keeps not, and leaves the fixture half set up: its next use
        fails on an assert of pytest's own)."""
        try:
            return (yield)
        except KeyboardInterrupt:  # the guard's, or one Ray raised for it
            if self.guard is None or self.guard.reason is None:  # Ctrl-C
                raise
            stopped = Stopped(self.guard.reason)
            fixturedef.cached_result = (None, fixturedef.cache_key(request), (stopped, None))  # as pytest 9 does
            raise stopped from None

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_setup(self, item):
        return (yield from self._guarded(item))

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_call(self, item):
        return (yield from self._guarded(item))

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_teardown(self, item):
        return (yield from self._guarded(item))


@contextlib.contextmanager
def check_clock_paused():
    """Stop the running check's time budget (pytest-timeout's SIGALRM timer) for the duration.

    Starting Ray or Serve is the grader's overhead, not the student's: on a loaded machine it can take
    a minute, and a student's score must not depend on that.
    """
    remaining, interval = signal.getitimer(signal.ITIMER_REAL)
    signal.setitimer(signal.ITIMER_REAL, 0)
    try:
        yield
    finally:
        if remaining:
            signal.setitimer(signal.ITIMER_REAL, remaining, interval)
