"""Helpers of the kit's own tests: run the real grading command on a submission folder, build mutants."""
from __future__ import annotations

import ast
import functools
import json
import os
import shutil
import subprocess
import sys
import sysconfig
import tempfile
from pathlib import Path

KIT = Path(__file__).resolve().parent.parent
MUTANTS = Path(__file__).parent / "mutants"
VARIANTS = Path(__file__).parent / "variants"
REACH = Path(__file__).parent / "reach.json"
"""For each check, the student's names it reads, as the reference's grading recorded them."""
REACH_REFRESH = ("Refresh it: rm tests/reach.json; python -m graders grade solutions -p graders.engine.grading.reach "
                 "--record-reach tests/reach.json")


def run_graders(*args: str, env: dict | None = None, timeout: float = 1200,
                python: Path | str = sys.executable) -> subprocess.CompletedProcess:
    """Run ``python -m graders ARGS`` from the kit's root, as an instructor would."""
    return subprocess.run([str(python), "-m", "graders", *args], cwd=KIT, capture_output=True, text=True,
                          timeout=timeout, env={**os.environ, **(env or {})})


def venv_for_everyone(root: Path, env: dict | None = None) -> tuple[Path, dict]:
    """A virtual environment in ``root/venv`` that any user may run, which sees this run's dependencies; (its
    python, the environment it needs). As root, its interpreter is this Python (its standard library, not its
    packages) hard-linked into ``root/python``: pyenv's lives under /root, 0700, and the unprivileged user
    that runs students' code as root (Gradescope, ``batch``) must run it. Its libpython's RUNPATH names the
    original's folder, hence ``LD_LIBRARY_PATH``. ``root`` must be open to that user (not pytest's tmp_path)."""
    python, needs = Path(sys._base_executable), {}
    if os.geteuid() == 0:
        def link(src, dst):
            try:
                os.link(src, dst)
            except OSError:
                shutil.copy2(src, dst)

        stdlib = Path(sysconfig.get_paths()["stdlib"])  # the base Python's, in a virtual environment too
        shutil.copytree(Path(sys.base_prefix), root / "python", symlinks=True, copy_function=link,
                        ignore=lambda folder, names: ["site-packages"] if Path(folder) == stdlib else [])
        python, needs = root / "python" / "bin" / Path(sys._base_executable).name, {"LD_LIBRARY_PATH": str(root / "python" / "lib")}
    subprocess.run([str(python), "-m", "venv", "--without-pip", str(root / "venv")], check=True, env={**(env or os.environ), **needs})
    site = next((root / "venv" / "lib").glob("python*/site-packages"))
    (site / "kit_dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    return root / "venv" / "bin" / "python", needs


def grade(folder: Path, *, lessons: str | None = None, checks: list[str] | None = None,
          timeout: float = 1200, extra: list[str] = (), env: dict | None = None) -> dict:
    """Run ``python -m graders grade`` on ``folder`` and return its Gradescope JSON (plus its stdout).

    The run's results stream stays beside the JSON (``kit-grade-*/stream.jsonl``): each check's seconds."""
    out = Path(tempfile.mkdtemp(prefix="kit-grade-")) / "results.json"
    cmd = [str(folder), "--json", str(out)]
    if "--results-stream" not in extra:
        cmd += ["--results-stream", str(out.with_name("stream.jsonl"))]
    if lessons:
        cmd += ["--lessons", lessons]
    if checks:
        cmd += ["-k", " or ".join(checks)]
    proc = run_graders("grade", *cmd, *extra, env=env, timeout=timeout)
    assert proc.returncode == 0, f"grading did not run (exit {proc.returncode}):\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    result = json.loads(out.read_text())
    result["stdout"] = proc.stdout
    return result


@functools.cache
def recorded_reach() -> dict[str, dict[str, list[str]]]:
    """lesson -> check -> the student's names it reads (``REACH``)."""
    return json.loads(REACH.read_text())


def scores(result: dict) -> dict[str, tuple[float, float]]:
    """check name (``lesson::check``) -> (score, max_score)."""
    return {t["name"]: (t["score"], t["max_score"]) for t in result["tests"]}


def mutants(lesson: str) -> list[Path]:
    """The mutant files of a lesson (``tests/mutants/<lesson>/*.py``)."""
    return sorted((MUTANTS / lesson).glob("*.py"))


def variants(lesson: str) -> list[Path]:
    """The correct variants of a lesson (``tests/variants/<lesson>/*.py``)."""
    return sorted((VARIANTS / lesson).glob("*.py"))


def assigned(fragment: Path, name: str, default=None):
    """The literal a fragment assigns to ``name`` at its top level (``default`` when it does not)."""
    for node in ast.parse(fragment.read_text()).body:
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", "") == name:
            return ast.literal_eval(node.value)
    return default


def breaks_of(fragment: Path) -> list[str]:
    """A mutant's ``BREAKS``: the checks it must lose (none for a variant)."""
    return list(assigned(fragment, "BREAKS", []))


def make_submission(lesson: str, fragments: list[Path], dest: Path) -> Path:
    """A submission folder holding the reference solution of ``lesson`` with ``fragments`` appended.

    A fragment (a mutant or a correct variant) redefines names of the solution: later definitions win.
    """
    dest.mkdir(parents=True, exist_ok=True)
    text = (KIT / "solutions" / f"{lesson}.py").read_text()
    for fragment in fragments:
        text += f"\n\n# ---- {fragment.parent.parent.name} {fragment.stem}: overrides follow ----\n{fragment.read_text()}"
    (dest / f"{lesson}.py").write_text(text)
    return dest


def make_mutant(lesson: str, mutant: Path, dest: Path) -> tuple[Path, list[str]]:
    """A submission folder holding the reference solution with ``mutant``'s overrides appended, and the
    checks it must lose (its ``BREAKS``)."""
    return make_submission(lesson, [mutant], dest), breaks_of(mutant)


def other_data(folder: Path) -> dict[str, Path]:
    """Each data set as files other than the kit's defaults, under ``folder``: taxi trips of another seed
    and size without the index column, MNIST and PNG digits of another split, the model in another folder.
    Grade with them through ``grade(..., extra=data_args(other_data(tmp)))``."""
    import shutil

    import fixtures
    from fixtures import taxi_gen

    trips = folder / "given" / "trips.parquet"
    trips.parent.mkdir(parents=True, exist_ok=True)
    taxi_gen.write(taxi_gen.generate(seed=7, n=5000), trips)
    model = folder / "models" / "digits.pt"
    model.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(fixtures.mnist_model(), model)
    return {"taxi": trips, "mnist": fixtures.mnist_root(3, cache=folder / "mnist"),
            "mnist_png": fixtures.mnist_png(2, cache=folder / "png"), "mnist_model": model}


def data_args(given: dict[str, Path]) -> list[str]:
    """``--data NAME=PATH`` for each data set in ``given``."""
    return [arg for name, path in given.items() for arg in ("--data", f"{name}={path}")]
