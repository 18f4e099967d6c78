"""The student's side: a process that imports a submission and answers the grader's calls.

A grader that uses a ``StudentSide`` never imports a student's module and never unpickles what student
code made: the side imports the module, keeps every object it makes, and answers each request
(get an attribute, call, set an attribute, index, list, run one of the grader's own functions there)
with plain data (``plain``), or with a ``Remote`` that names an object it keeps. A ``Remote`` behaves
like the object for the requests above, each a round trip. So whatever the student's code patches,
raises or prints, it does so in its own process: an exception comes back as a ``StudentError`` (of
the builtin class it had, so ``except NotImplementedError`` still works; the grader's own
``PartialCredit`` is not among them), a value as data the grader judges.

The grader pickles what it sends (its own functions by reference, its data, ``Remote``s by name): the
side runs student code anyway. When a request is interrupted (a check's time ran out) or the side dies,
the side is started again; ``Remote``s of the old one are then stale. An interrupted side first writes
where each of its threads was to the grader's standard error (``STACKS_SIGNAL``): the run's log says
where the student's code (or Ray under it) waited.
"""
from __future__ import annotations

import builtins
import faulthandler
import importlib
import io
import os
import pickle
import signal
import socket
import struct
import subprocess
import sys
import time
import traceback
import weakref
from pathlib import Path
from typing import Any

from graders.engine.grading import plain

HEADER = struct.Struct("!Q")
STACKS_SIGNAL = signal.SIGUSR2  # the side writes its threads' stacks to its standard error (the grader's)
STACKS_WAIT_S = 1.0


class StudentError(Exception):
    """An exception raised by code on the student's side: its class name, message and traceback (text)."""

    type_name, type_module, trace = "StudentError", "builtins", ""


class SideGone(StudentError):
    """The student's process ended (its code exited or killed it) or stopped answering."""


class StaleRemote(StudentError):
    """A reference to an object of a student's process that has since been started again."""


_classes: dict[str, type] = {}


def error_class(module: str, name: str) -> type:
    """``StudentError`` with the builtin exception class of that name mixed in (a student's own classes,
    and the kit's, are plain ``StudentError``s)."""
    base = getattr(builtins, name, None) if module == "builtins" else None
    if not (isinstance(base, type) and issubclass(base, Exception)) or issubclass(base, StudentError):
        return StudentError
    if name not in _classes:
        _classes[name] = type(name, (StudentError, base), {"__module__": __name__})
    return _classes[name]


def _frames(sock: socket.socket):
    while True:
        head = _read(sock, HEADER.size)
        if head is None:
            return
        body = _read(sock, HEADER.unpack(head)[0])
        if body is None:
            return
        yield body


def _read(sock: socket.socket, size: int) -> bytes | None:
    chunks, left = [], size
    while left:
        chunk = sock.recv(min(left, 1 << 20))
        if not chunk:
            return None
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def _send(sock: socket.socket, body: bytes) -> None:
    sock.sendall(HEADER.pack(len(body)) + body)


class Remote:
    """An object kept on the student's side."""

    __slots__ = ("_side", "_key", "_type", "_recipe", "__weakref__")

    def __init__(self, side: StudentSide, key: tuple, type_name: str, recipe: tuple | None = None):
        object.__setattr__(self, "_side", side)
        object.__setattr__(self, "_key", key)
        object.__setattr__(self, "_type", type_name)
        object.__setattr__(self, "_recipe", recipe)  # (fn, args): how to make it again on a new side

    def __getattr__(self, name: str):
        if name.startswith("__") and name.endswith("__"):
            raise AttributeError(name)
        value = self._side.request("getattr", self, name)
        if isinstance(value, Remote) and self._recipe is not None:  # a module's function: found again by name
            object.__setattr__(value, "_recipe", (getattr, (self, name)))
        return value

    def __setattr__(self, name: str, value) -> None:
        self._side.request("setattr", self, name, value)

    def __delattr__(self, name: str) -> None:
        self._side.request("delattr", self, name)

    def __call__(self, *args, **kwargs):
        return self._side.request("call", self, args, kwargs)

    def __getitem__(self, key):
        return self._side.request("getitem", self, key)

    def __len__(self) -> int:
        return int(self._side.request("len", self))

    def __iter__(self):
        return iter(self._side.request("list", self))

    def __contains__(self, item) -> bool:
        return bool(self._side.request("contains", self, item))

    def __bool__(self) -> bool:
        return bool(self._side.request("bool", self))

    def __str__(self) -> str:
        return str(self._side.request("str", self))

    def __repr__(self) -> str:
        return f"<{self._type} on the student's side>"

    def __del__(self) -> None:
        side = self._side
        if side is not None and side._generation == self._key[0]:
            side._released.append(self._key[1])


_sides: weakref.WeakSet = weakref.WeakSet()


def ray_jobs() -> set[str]:
    """The Ray jobs (hex ids) of this process's student sides: whose actors and requests are the student's."""
    return {side.ray_job for side in list(_sides) if side.ray_job}


class StudentSide:
    """A process that imports the student's modules from ``path`` (folders put first on its ``sys.path``)
    and answers requests; ``env`` is its environment (default: this process's). With ``user`` (a
    ``student_user.StudentUser``: root's grading on Gradescope) it runs as that user, in its home, and
    imports the kit from the user's copy, which holds no hidden check."""

    def __init__(self, path: list[str] | None = None, env: dict | None = None, user=None):
        self.path, self.env, self.user = [str(p) for p in (path or [])], env, user
        self._process: subprocess.Popen | None = None
        self._sock: socket.socket | None = None
        self._generation, self._released = 0, []
        self._on_start: list[tuple] = []
        self.ray_job: str | None = None  # set by whoever joins the side to Ray (``on_start``'s ``then``)
        _sides.add(self)

    # -- the process -------------------------------------------------------------------------------
    def start(self) -> StudentSide:
        ours, theirs = socket.socketpair()
        env = dict(os.environ if self.env is None else self.env)
        kit = str(Path(__file__).resolve().parents[3] if self.user is None else self.user.kit)
        env["PYTHONPATH"] = os.pathsep.join([*self.path, kit, env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
        # What the student's code prints, and what Ray tells its driver (a worker killed, an error of a task),
        # reach the run's log as they are written: a side stopped for its time keeps nothing in a buffer.
        env["PYTHONUNBUFFERED"] = "1"
        as_user = {} if self.user is None else self.user.popen_kwargs()
        if self.user is not None:
            env = self.user.env(env)
        self._process = subprocess.Popen([sys.executable, "-m", "graders.engine.grading.student_side", str(theirs.fileno())],
                                         pass_fds=[theirs.fileno()], env=env, stdin=subprocess.DEVNULL, **as_user)
        theirs.close()
        self._sock, self._generation, self._released = ours, self._generation + 1, []
        for step in self._on_start:
            self._run_step(*step)
        return self

    def on_start(self, fn, *args, then=None) -> None:
        """Run ``fn(*args)`` on the side now, and again each time it is started again; ``then(result)`` after."""
        self._on_start.append((fn, args, then))
        if self._sock is not None:
            self._run_step(fn, args, then)

    def _run_step(self, fn, args, then) -> None:
        result = self.apply(fn, *args)
        if then is not None:
            then(result)

    def stop(self) -> None:
        """End the process (and anything it left in its process group's way: its children are its own)."""
        process, sock, self._process, self._sock = self._process, self._sock, None, None
        self.ray_job = None
        if sock is not None:
            sock.close()
        if process is not None and process.poll() is None:
            process.kill()
            process.wait()

    def restart(self) -> None:
        self.stop()
        self.start()

    def dump_stacks(self, why: str) -> None:
        """Have the side write where each of its threads is to its standard error (the grader's), under a line
        that says ``why``: what the run's log keeps of a side stopped for taking too long."""
        process = self._process
        if process is None or process.poll() is not None:
            return
        sys.stderr.flush()  # the side writes to file descriptor 2, whatever sys.stderr is now
        os.write(2, f"graders: the student's side (pid {process.pid}) was {why}; its threads:\n".encode())
        try:
            os.kill(process.pid, STACKS_SIGNAL)
        except OSError:
            return
        time.sleep(STACKS_WAIT_S)  # faulthandler writes from the signal handler itself, whatever the side does

    @property
    def pid(self) -> int | None:
        return None if self._process is None else self._process.pid

    def __enter__(self) -> StudentSide:
        return self if self._process is not None else self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    # -- requests ----------------------------------------------------------------------------------
    def request(self, op: str, *args) -> Any:
        if self._sock is None:
            self.start()
        released, self._released = self._released, []
        body = io.BytesIO()
        pickler = pickle.Pickler(body, protocol=pickle.HIGHEST_PROTOCOL)
        pickler.persistent_id = self._name_of
        pickler.dump((op, args, released))
        try:
            _send(self._sock, body.getvalue())
            reply = next(_frames(self._sock), None)
        except BaseException:  # interrupted (a check's budget ran out): its answer would come too late
            self.dump_stacks(f"interrupted during {op}")
            self.stop()
            raise
        if reply is None:
            code = self._process.wait() if self._process is not None else None
            self.stop()
            raise SideGone(f"the process running the student's code ended (exit code {code}) during {op}")
        answer = plain.loads(reply, remote=self._remote)
        if "error" in answer:
            raise rebuilt(answer["error"])
        return answer["ok"]

    def _name_of(self, obj):
        if isinstance(obj, Remote):
            if obj._side is not self:
                raise StaleRemote(f"{obj!r} belongs to another student's process")
            if obj._key[0] != self._generation:
                if obj._recipe is None:
                    raise StaleRemote(f"{obj!r} was made before the student's process was started again")
                fresh = self.apply(obj._recipe[0], *obj._recipe[1])
                object.__setattr__(obj, "_key", fresh._key)
                object.__setattr__(fresh, "_side", None)  # obj now holds its key
            return ("remote", obj._key[1])
        return None

    def _remote(self, name: list) -> Remote:
        key, type_name = name
        return Remote(self, (self._generation, key), type_name)

    def import_module(self, name: str) -> Remote:
        """The module ``name`` on the side (imported there once; again on a new side)."""
        return self.make(importlib.import_module, name)

    def make(self, fn, *args) -> Remote:
        """``fn(*args)`` kept on the side, made again by the same call when the side is started again."""
        made = self.apply(fn, *args)
        if isinstance(made, Remote):
            object.__setattr__(made, "_recipe", (fn, args))
        return made

    def apply(self, fn, *args, **kwargs) -> Any:
        """``fn(*args, **kwargs)`` run on the student's side: ``fn`` is one of the grader's functions
        (sent by reference), the arguments may hold ``Remote``s; returns what it returns."""
        return self.request("apply", fn, args, kwargs)


def type_name(value) -> str:
    """The class name of ``value``, or of the object a ``Remote`` names (for messages)."""
    return value._type.rpartition(".")[2] if isinstance(value, Remote) else type(value).__name__


def rebuilt(description: dict) -> StudentError:
    """The ``StudentError`` that ``described`` describes (on the grader's side)."""
    exc = error_class(description["module"], description["type"])(description["message"])
    exc.type_name, exc.type_module, exc.trace = description["type"], description["module"], description["trace"]
    return exc


# -- the side ------------------------------------------------------------------------------------
def described(exc: BaseException) -> dict:
    """An exception as plain data (on the student's side): ``rebuilt`` makes it a ``StudentError`` again."""
    kind = type(exc)
    try:
        message = str(exc)
    except Exception:  # noqa: BLE001 - a student's __str__ that raises
        message = "(its message could not be read)"
    return {"type": kind.__name__, "module": kind.__module__, "message": message,
            "trace": "".join(traceback.format_exception(exc))}


def serve(sock: socket.socket) -> None:
    """Answer requests until the grader closes the socket."""
    kept: dict[int, Any] = {}
    ids = iter(range(1, 1 << 62))

    def keep(obj) -> tuple:
        key = next(ids)
        kept[key] = obj
        return (key, f"{type(obj).__module__}.{type(obj).__qualname__}")

    class Unpickler(pickle.Unpickler):
        def persistent_load(self, name):
            return kept[name[1]]

    operations = {
        "getattr": getattr,
        "setattr": setattr,
        "delattr": delattr,
        "call": lambda fn, args, kwargs: fn(*args, **kwargs),
        "apply": lambda fn, args, kwargs: fn(*args, **kwargs),
        "getitem": lambda obj, key: obj[key],
        "len": len,
        "list": list,
        "contains": lambda obj, item: item in obj,
        "bool": bool,
        "str": str,
    }
    for frame in _frames(sock):
        try:
            op, args, released = Unpickler(io.BytesIO(frame)).load()
            for key in released:
                kept.pop(key, None)
            answer = {"ok": operations[op](*args)}
        except BaseException as exc:  # noqa: BLE001 - everything the student's code raises goes back
            answer = {"error": described(exc)}
        try:
            body = plain.dumps(answer, remote=keep)
        except BaseException as exc:  # noqa: BLE001
            body = plain.dumps({"error": described(exc)})
        _send(sock, body)


if __name__ == "__main__":
    faulthandler.register(STACKS_SIGNAL, all_threads=True)
    serve(socket.socket(fileno=int(sys.argv[1])))
