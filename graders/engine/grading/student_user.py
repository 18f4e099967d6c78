"""The unprivileged user that runs a submission's code when grading runs as root (Gradescope; ``batch``).

``confined`` (as root) prepares it for one grading: the user (``USER``, made at image build, and at run
time when missing; a batch's concurrent gradings each have their own, ``free_user``), a copy of the kit
without hidden checks (``release.build``) that the student's processes import, a private home and
temporary folder it owns, the submission readable by it and root only, and a Ray head started as it. The
grading run (root) learns of it from ``USER_ENV``, ``KIT_ENV`` and ``HOME_ENV`` (``current``) and starts
each lesson's student side as it (``StudentSide(user=...)``); the head's workers run as it too. What the
user may not read or write is root's and mode 0700 (``lock_down``; the caller's): the graders with their
hidden checks, the results, the results stream. At the end every process of the user is killed
(``kill_all``) before results are written the last time. A user is held by one grading at a time on the
machine (``held``), since that grading's end kills every process of it.

On a laptop (not root) nothing of this happens: ``current()`` is None and grading runs as it always has.
"""
from __future__ import annotations

import contextlib
import fcntl
import itertools
import os
import pwd
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

USER = "graders-student"
"""The name of the user that runs a submission's code (its uid and gid are the system's choice)."""
USER_ENV, KIT_ENV, HOME_ENV = "GRADERS_STUDENT_USER", "GRADERS_STUDENT_KIT", "GRADERS_STUDENT_HOME"
KILL_ROUNDS = 50  # rounds of SIGKILL over the user's processes: a fork in flight can add one per round


@dataclass(frozen=True)
class StudentUser:
    """Who runs the student's code, and with what: ``kit`` is the kit without hidden checks it imports,
    ``home`` its own folder (``HOME``, ``TMPDIR``)."""

    name: str
    uid: int
    gid: int
    kit: Path
    home: Path

    def popen_kwargs(self) -> dict:
        """``subprocess.Popen`` arguments that run a process as this user, in its home."""
        return {"user": self.uid, "group": self.gid, "extra_groups": [], "cwd": str(self.home)}

    def env(self, env: dict) -> dict:
        """``env`` with this user's home and temporary folder."""
        return {**env, "HOME": str(self.home), "TMPDIR": str(self.home / "tmp"), "USER": self.name,
                "LOGNAME": self.name}

    def exported(self) -> dict[str, str]:
        """What the grading run reads back with ``current``."""
        return {USER_ENV: self.name, KIT_ENV: str(self.kit), HOME_ENV: str(self.home)}


def current(environ: os._Environ | dict | None = None) -> StudentUser | None:
    """The student's user named to this process (a grading run started by ``autograder run`` as root); None
    on a laptop, and for a process that cannot switch user."""
    environ = os.environ if environ is None else environ
    name = environ.get(USER_ENV)
    if not name or os.geteuid() != 0:
        return None
    entry = pwd.getpwnam(name)
    return StudentUser(name, entry.pw_uid, entry.pw_gid, Path(environ[KIT_ENV]), Path(environ[HOME_ENV]))


BATCH_USER = "graders-batch"
"""The prefix of the users of a batch's concurrent gradings (``graders-batch-0``, ``-1``, ...)."""
HELD = Path(tempfile.gettempdir()) / "graders-users"  # root's: a lock file per user a grading holds


@contextlib.contextmanager
def held(name: str, wait: bool = True):
    """Hold the user ``name`` for one grading, machine-wide (an exclusive ``flock``, released when the holder
    ends, however it ends): yields True; False at once when another holds it and ``wait`` is False."""
    HELD.mkdir(mode=0o700, exist_ok=True)
    if HELD.is_symlink() or HELD.stat().st_uid != os.geteuid():  # made by someone else: they could hold any user
        raise RuntimeError(f"{HELD} is not this user's own folder; remove it, then grade again")
    with open(HELD / f"{name}.lock", "a") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError:
            yield False
            return
        yield True


def free_user(prefix: str = BATCH_USER, taken: set[str] = frozenset()) -> str:
    """The first of ``prefix-0``, ``prefix-1``, ... that is not in ``taken`` nor held by another grading."""
    for name in (f"{prefix}-{i}" for i in itertools.count()):
        if name not in taken:
            with held(name, wait=False) as free:
                if free:
                    return name


def ensure_user(name: str = USER) -> pwd.struct_passwd:
    """The user ``name``, made (a system user, no home, no login shell, its own group) when missing."""
    try:
        return pwd.getpwnam(name)
    except KeyError:
        pass
    shell = next((s for s in ("/usr/sbin/nologin", "/sbin/nologin", "/bin/false") if Path(s).exists()), "/bin/false")
    proc = subprocess.run(["useradd", "--system", "--no-create-home", "--user-group", "--shell", shell, name],
                          capture_output=True, text=True)
    if proc.returncode not in (0, 9):  # 9: made meanwhile by another run
        raise RuntimeError(f"useradd {name} failed ({proc.returncode}): {proc.stderr.strip()}")
    return pwd.getpwnam(name)


def stripped_kit(out: Path, kit_root: Path) -> Path:
    """The kit the student's processes import: the release's graders (no hidden check), engine and fixture
    code, readable by anyone, its modules compiled (they cannot write ``__pycache__`` there)."""
    import compileall

    from graders.engine.commands import release

    shutil.rmtree(out, ignore_errors=True)
    release.build(out, kit_root, hidden_checks=False)
    found = [f for f in release.leaks(out, kit_root) if "hidden check" in f]
    if found:
        raise RuntimeError("the student's copy of the kit would hold hidden checks:\n  " + "\n  ".join(found))
    compileall.compile_dir(str(out), quiet=1, workers=1)
    for path in [out, *out.rglob("*")]:
        path.chmod(0o755 if path.is_dir() else 0o644)
    return out


def own(path: Path, user: pwd.struct_passwd, mode: int = 0o700) -> Path:
    """``path`` made (empty) and owned by ``user``, only it may enter it."""
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True)
    os.chown(path, user.pw_uid, user.pw_gid)
    path.chmod(mode)
    return path


def lock_down(kit_root: Path, keep: tuple[str, ...] = ("fixtures",)) -> None:
    """Make the kit (graders with hidden checks, ``.pytest_cache`` ...) root's only, but for ``keep``: the
    fixtures, whose data sets the checks hand to the student's functions (their code is public anyway).
    The kit's folder and its parent stay open to pass through (0711), not to list."""
    for folder in (kit_root.parent, kit_root):
        folder.chmod(0o711)
    for entry in kit_root.iterdir():
        if entry.name not in keep and not entry.is_symlink():
            entry.chmod(0o700 if entry.is_dir() else 0o600)


def processes_of(uid: int) -> list[int]:
    """The pids of the processes whose real or effective uid is ``uid``."""
    found = []
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            lines = status.read_text().splitlines()
        except OSError:
            continue
        uids = next((l.split()[1:3] for l in lines if l.startswith("Uid:")), [])
        zombie = any(l.startswith("State:") and "Z" in l.split()[1:2] for l in lines)
        if str(uid) in uids and not zombie:
            found.append(int(status.parent.name))
    return found


def kill_all(uid: int) -> int:
    """SIGKILL every process of ``uid`` until none is left (or ``KILL_ROUNDS`` rounds); how many were alive."""
    killed: set[int] = set()
    for _ in range(KILL_ROUNDS):
        pids = processes_of(uid)
        if not pids:
            break
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
                killed.add(pid)
            except ProcessLookupError:
                pass
        time.sleep(0.05)
    return len(killed)


def cannot_run_python(entry: pwd.struct_passwd) -> str | None:
    """Why ``entry`` cannot run this Python with its packages (Ray), or None when it can."""
    try:
        proc = subprocess.run([sys.executable, "-c", "import ray"], capture_output=True, text=True, timeout=120,
                              user=entry.pw_uid, group=entry.pw_gid, extra_groups=[], cwd="/")
    except OSError as exc:  # its interpreter, or a folder on the way, closed to the user
        return f"{type(exc).__name__}: {exc}"
    return None if proc.returncode == 0 else (proc.stderr.strip().splitlines() or [f"exit status {proc.returncode}"])[-1]


def stage_for(staged: Path, entry: pwd.struct_passwd) -> None:
    """``staged`` (the submission graded) readable by root and ``entry``'s group only, written by neither."""
    os.chown(staged, 0, entry.pw_gid)
    staged.chmod(0o750)
    for path in staged.rglob("*"):
        if not path.is_symlink():  # a link is followed as the student's user, who may read only what it may
            os.chown(path, 0, entry.pw_gid)
            path.chmod(0o750 if path.is_dir() else 0o640)


@contextlib.contextmanager
def confined(area: Path, staged: Path, name: str = USER, say=print, kit: Path | None = None):
    """Run as root: make the student's code of one grading run as the unprivileged user ``name``.

    ``area`` (root's; made here, passable by anyone) holds what that user reads and writes, and nothing
    else: ``staged`` (the submission, inside it: readable by the user and root only), the kit without
    hidden checks (``kit/``), its home (``home/``) and the checkpoints' storage (``storage/``). Yields
    (options, environment) for ``python -m graders grade``: it joins a Ray head started as the user, and
    its workers and the lessons' student sides import the kit's copy. On the way out the head is stopped
    and every process of the user killed, so none writes after grading. ``kit``: a copy already made
    (``stripped_kit``), which several gradings share."""
    with held(name):  # a grading elsewhere that runs as this user ends first: its end kills every process of it
        yield from _confined(area, staged, ensure_user(name), say, kit)


def _confined(area: Path, staged: Path, entry: pwd.struct_passwd, say, kit: Path | None):
    from graders.engine import course
    from graders.engine.grading.local_head import local_head
    from graders.engine.grading.raysession import SUBMISSION_ON_WORKERS

    area.mkdir(parents=True, exist_ok=True)
    area.chmod(0o711)
    stage_for(staged, entry)
    kit = kit or stripped_kit(area / "kit", course.KIT_ROOT)
    home = own(area / "home", entry)
    own(home / "tmp", entry)
    storage = area / "storage"  # Train's and Tune's checkpoints, the graders' temporary files (share_temporary_files)
    shutil.rmtree(storage, ignore_errors=True)
    storage.mkdir()
    os.chown(storage, 0, entry.pw_gid)
    storage.chmod(0o1770)  # the user's and root's: a batch's other users never enter
    user = StudentUser(entry.pw_name, entry.pw_uid, entry.pw_gid, kit, home)
    # Ray's own folder: short (its sockets' paths are limited to 107 bytes), the user's.
    ray_tmp = Path(tempfile.mkdtemp(prefix="graders-ray-"))
    os.chown(ray_tmp, entry.pw_uid, entry.pw_gid)
    say(f"the student's code runs as {entry.pw_name} (uid {entry.pw_uid}), with {kit}")
    try:
        with local_head(submission=staged, user=user, temp_dir=ray_tmp) as head:
            env = {**os.environ, **head.drivers_env, SUBMISSION_ON_WORKERS: str(staged.resolve()), **user.exported()}
            yield ("--ray-address", head.address, "--storage", str(storage)), env
    finally:
        killed = kill_all(entry.pw_uid)
        say(f"stopped Ray and {killed} more processes of {entry.pw_name}")
        shutil.rmtree(ray_tmp, ignore_errors=True)


@contextlib.contextmanager
def closed_to_others(*folders: Path, say=print):
    """Each of ``folders`` root's only (mode 0700) for the duration; its own mode again after."""
    modes = {folder: folder.stat().st_mode & 0o7777 for folder in folders}
    try:
        for folder, mode in modes.items():
            if mode & 0o077:
                folder.chmod(0o700)
                say(f"{folder} is root's only while the students' code runs (its mode {mode:o} comes back after)")
        yield
    finally:
        for folder, mode in modes.items():
            folder.chmod(mode)
