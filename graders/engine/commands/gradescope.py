"""``python -m graders gradescope OUT.zip [--lessons 1,4] [--timeout MIN]``: the autograder zip Gradescope runs.

Gradescope's spec (https://gradescope-autograders.readthedocs.io/en/latest/specs/) asks for
``setup.sh`` and ``run_autograder`` at the root of the zip; it unpacks the zip in
``/autograder/source``, runs ``setup.sh`` once to build the image, then ``run_autograder`` for each
submission. Beside them, ``kit/`` holds the graders with their hidden checks, the engine, the
fixture code, the stubs (which tell an untouched lesson at once), ``course.toml``, ``pyproject.toml``
and ``requirements.txt`` (the kit's dependencies pinned to the versions it was built with). No
solution: the release's leak guard proves it before the zip is written.

``setup.sh`` installs the Python the zip was built with (a CPython build managed by uv, from PyPI:
Ubuntu 22.04's ``python3.11`` package is a 3.11.0 release candidate) and stops, saying why, on any other
or a pre-release; then a virtual environment with the pinned dependencies (CPU-only torch: Gradescope
has no GPU) and the kit, then it builds the data fixtures. ``GRADERS_DEPS_PRESENT=1`` skips what needs
the network (the kit's tests, whose ``$AUTOGRADER_ROOT/venv`` already sees the dependencies).
``run_autograder`` runs ``graders.engine.commands.autograder`` on the lessons chosen here, within ``--timeout``.
"""
from __future__ import annotations

import importlib.metadata
import sys
import tempfile
import tomllib
import zipfile
from pathlib import Path

from graders.engine import course
from graders.engine.commands import release
from graders.engine.commands.autograder import MARGIN_S, TIMEOUT_MIN, total_points

KIT_DIR = "kit"
GRADESCOPE_MAX_TIMEOUT_MIN = 40  # the longest autograder timeout Gradescope allows
UV = "0.13.9"  # installs the managed CPython; its list of Python builds is fixed with its version
PYTHON = "{0.major}.{0.minor}.{0.micro}".format(sys.version_info)  # the Python the dependencies are pinned on
# Run by setup.sh with the virtual environment's Python: the build stops, with the reason, on any other.
PYTHON_CHECK = r"""
import sys
wanted, got = sys.argv[1], sys.version_info
if got.releaselevel != "final" or "{0.major}.{0.minor}.{0.micro}".format(got) != wanted:
    sys.exit(f"setup.sh: {sys.executable} is Python {sys.version.split()[0]} (a {got.releaselevel} release), "
             f"not the final release {wanted} that the kit's dependencies are pinned on: stopped.")
print(f"setup.sh: Python {wanted}, a final release")
"""
TORCH_PACKAGES = ("torch", "torchvision")
"""Installed from PyTorch's CPU-only index: the default wheels carry gigabytes of CUDA libraries."""
TORCH_CPU_INDEX = "https://download.pytorch.org/whl/cpu"

SETUP_SH = r"""#!/usr/bin/env bash
# Gradescope runs this once, as root, when it builds the autograder's image (base image: Ubuntu 22.04).
# Written by `python -m graders gradescope`. GRADERS_DEPS_PRESENT=1: $ROOT/venv already sees the kit's
# dependencies (the kit's own tests), so only its Python is checked, the kit installed and the fixtures built.
set -euo pipefail
ROOT="${AUTOGRADER_ROOT:-/autograder}"
KIT="$ROOT/source/@KIT@"
VENV="$ROOT/venv"

if [ "${GRADERS_DEPS_PRESENT:-0}" != "1" ]; then
    export DEBIAN_FRONTEND=noninteractive UV_PYTHON_INSTALL_DIR="$ROOT/python"
    apt-get update
    apt-get install -y python3-pip  # the image's own Python, only to install uv (PyPI)
    PIP_BREAK_SYSTEM_PACKAGES=1 python3 -m pip install "uv==@UV@"
    # CPython @PYTHON@ as uv builds it: Ubuntu 22.04's python3.11 package is a 3.11.0 release candidate.
    python3 -m uv python install "@PYTHON@"
    python3 -m uv venv --seed --managed-python --python "@PYTHON@" "$VENV"
fi
"$VENV/bin/python" - "@PYTHON@" <<'PY'
@PYTHON_CHECK@
PY
if [ "${GRADERS_DEPS_PRESENT:-0}" != "1" ]; then
    "$VENV/bin/pip" install --upgrade pip "setuptools>=68" wheel
    "$VENV/bin/pip" install --index-url @TORCH_INDEX@ -r "$KIT/requirements-torch.txt"
    "$VENV/bin/pip" install -r "$KIT/requirements.txt"
fi
"$VENV/bin/python" -m pip install --no-deps --no-build-isolation --editable "$KIT"
cd "$KIT"
"$VENV/bin/python" -m graders.engine.commands.autograder setup
"""

RUN_AUTOGRADER = r"""#!/usr/bin/env bash
# Gradescope runs this for each submission: grade /autograder/submission, write
# /autograder/results/results.json. Written by `python -m graders gradescope` for lessons @LESSONS@,
# within @TIMEOUT@ minutes: set the assignment's autograder timeout to that.
ROOT="${AUTOGRADER_ROOT:-/autograder}"
export GRADERS_LESSONS="${GRADERS_LESSONS:-@LESSONS@}" GRADERS_TIMEOUT_MIN="${GRADERS_TIMEOUT_MIN:-@TIMEOUT@}"
mkdir -p "$ROOT/results"
rm -f "$ROOT/results/results.json"
cd "$ROOT/source/@KIT@" && "$ROOT/venv/bin/python" -m graders.engine.commands.autograder run
status=$?
if [ ! -s "$ROOT/results/results.json" ]; then  # the kit did not even start: still tell the student
    echo "run_autograder: the autograder exited with status $status without writing results.json"
    cat > "$ROOT/results/results.json" <<JSON
{"score": 0.0, "execution_time": $SECONDS, "stdout_visibility": "hidden", "tests": [{"name": "Autograder failed", "score": 0.0,
 "max_score": 0.0, "status": "failed", "output_format": "md", "visibility": "visible",
 "output": "The autograder itself failed to start, not your code: this is not your grade. Your instructor can see the details; submit again later or tell them."}]}
JSON
fi
exit 0
"""

KIT_README = """\
# Ray AI Libraries: the Gradescope autograder

Written by `python -m graders gradescope`: the graders (hidden checks included), the grading engine,
the code that builds the data fixtures, and the exercise stubs. `../setup.sh` installs it; Gradescope
runs `../run_autograder` on each submission.
"""


def pinned_requirements(kit_root: Path = course.KIT_ROOT) -> tuple[list[str], list[str]]:
    """(torch's packages, the others): the kit's dependencies at the versions installed here, when they are."""
    from packaging.requirements import Requirement
    from packaging.version import Version

    torch, others = [], []
    for spec in tomllib.loads((kit_root / "pyproject.toml").read_text())["project"]["dependencies"]:
        req = Requirement(spec)
        try:  # a local label such as +cpu names a build, not a version on PyPI
            version = Version(importlib.metadata.version(req.name)).public
            line = f"{req.name}{'[' + ','.join(sorted(req.extras)) + ']' if req.extras else ''}=={version}"
        except importlib.metadata.PackageNotFoundError:
            line = spec
        (torch if req.name in TORCH_PACKAGES else others).append(line)
    return torch, others


def build(out: Path, lessons: list[course.Lesson], kit_root: Path = course.KIT_ROOT, *,
          timeout: float = TIMEOUT_MIN) -> Path:
    """Write the autograder zip ``out``; a ValueError, and no zip, if it would hold solution code."""
    with tempfile.TemporaryDirectory(prefix="gradescope-") as tmp:
        kit = release.build(Path(tmp) / KIT_DIR, kit_root, hidden_checks=True, readme=KIT_README)
        found = release.leaks(kit, kit_root, hidden_checks=True)
        if found:
            raise ValueError("the autograder would hold solution code:\n  " + "\n  ".join(found))
        torch, others = pinned_requirements(kit_root)
        (kit / "requirements-torch.txt").write_text("\n".join(torch) + "\n")
        (kit / "requirements.txt").write_text("\n".join(others) + "\n")
        names = ",".join(l.name for l in lessons)
        setup = {"@TORCH_INDEX@": TORCH_CPU_INDEX, "@UV@": UV, "@PYTHON_CHECK@": PYTHON_CHECK.strip(), "@PYTHON@": PYTHON}
        scripts = {"setup.sh": _filled(SETUP_SH, setup),
                   "run_autograder": _filled(RUN_AUTOGRADER, {"@LESSONS@": names, "@TIMEOUT@": f"{timeout:g}"})}
        out.parent.mkdir(parents=True, exist_ok=True)
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as bundle:
            for name, text in scripts.items():
                entry = zipfile.ZipInfo(name, date_time=(2026, 1, 1, 0, 0, 0))
                entry.external_attr = 0o100755 << 16  # a regular file, executable
                bundle.writestr(entry, text.replace("@KIT@", KIT_DIR), zipfile.ZIP_DEFLATED)
            for path in sorted(kit.rglob("*")):
                if path.is_file():
                    bundle.write(path, path.relative_to(kit.parent))
    return out


def _filled(template: str, values: dict[str, str]) -> str:
    for key, value in values.items():
        template = template.replace(key, value)
    return template


def main(*, out: str, lessons: str | None = None, timeout: float = TIMEOUT_MIN) -> int:
    """Build the Gradescope autograder zip for ``lessons`` (default: all), graded within ``timeout`` minutes."""
    if not out.endswith(".zip"):
        print(f"graders gradescope: {out} does not end in .zip; Gradescope takes the autograder as a zip file",
              file=sys.stderr)
        return 2
    if not MARGIN_S / 60 < timeout <= GRADESCOPE_MAX_TIMEOUT_MIN:
        print(f"graders gradescope: --timeout {timeout:g}: give the assignment's autograder timeout in minutes, "
              f"above {MARGIN_S / 60:g} (what the run keeps to write its results) and at most "
              f"{GRADESCOPE_MAX_TIMEOUT_MIN} (Gradescope's longest)", file=sys.stderr)
        return 2
    try:
        chosen = course.select(lessons)
    except ValueError as exc:
        print(f"graders gradescope: {exc}", file=sys.stderr)
        return 2
    try:
        path = build(Path(out), chosen, timeout=timeout)
    except ValueError as exc:
        print(f"graders gradescope: {exc}", file=sys.stderr)
        return 1
    print(f"wrote {path}: setup.sh, run_autograder and {KIT_DIR}/ (graders with hidden checks, no solutions) "
          f"for {', '.join(l.name for l in chosen)}. Upload it as the assignment's autograder on Gradescope, "
          f"base image Ubuntu 22.04, autograder timeout {timeout:g} minutes, total points "
          f"{total_points(chosen):g} (see README, 'Grading on Gradescope').")
    return 0
