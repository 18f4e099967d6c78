"""The unprivileged user that runs a submission's code on Gradescope, where everything else runs as root.

``autograder run`` (as root) prepares it: the user ``USER`` (made at image build, and at run time when
missing), a copy of the kit without hidden checks (``release.build``) that the student's processes import,
a private home and temporary folder it owns, and a Ray head started as it. The grading run (root) learns of
it from ``USER_ENV``, ``KIT_ENV`` and ``HOME_ENV`` (``current``) and starts each lesson's student side as it
(``StudentSide(user=...)``); the head's workers run as it too. What the user may not read or write is
root's and mode 0700 (``lock_down``): the graders with their hidden checks, the results, the results stream.
At the end every process of the user is killed (``kill_all``) before results.json is written the last time.

On a laptop (not root) nothing of this happens: ``current()`` is None and grading runs as it always has.
"""
from __future__ import annotations

import os
import pwd
import shutil
import signal
import subprocess
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
