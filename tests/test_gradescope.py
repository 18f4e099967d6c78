"""The Gradescope autograder for real: ``python -m graders gradescope`` builds the zip, which is unpacked
into a temporary folder laid out like Gradescope's ``/autograder`` (``AUTOGRADER_ROOT``); the real
``setup.sh`` runs with bash (its install of the kit and its fixture build; the dependencies are this
test's own, seen through ``$ROOT/venv``), then the real ``run_autograder`` on each upload, and every
``results.json`` is checked against Gradescope's spec.

Lesson 4 only (the fastest lesson to grade), one bundle and one setup for every case. The public
fixtures come from the checkout's cache (training the model takes minutes); ``setup.sh`` builds the
graders' hidden variants, and grading builds nothing more.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from dataclasses import dataclass
from pathlib import Path

import nbformat
import pytest

import kit
from graders.engine import catalog, notebook, release

LESSON = "lesson4_data"
CHECKS = catalog.checks(LESSON)
FORMATS = {"text", "html", "simple_format", "md", "ansi"}
VISIBILITIES = {"hidden", "after_due_date", "after_published", "visible"}
TOP_KEYS = {"score", "max_score", "execution_time", "output", "output_format", "test_output_format",
            "test_name_format", "visibility", "stdout_visibility", "extra_data", "tests", "leaderboard"}
TEST_KEYS = {"score", "max_score", "status", "name", "name_format", "number", "output", "output_format", "tags",
             "visibility", "extra_data"}
# The grading environment: no option of this test run reaches the autograder.
CLEAN_ENV = {k: v for k, v in os.environ.items() if k not in {"PYTHONPATH", "GRADERS_PACKAGE", "GRADERS_LESSONS",
                                                                   "RAY_AI_KIT_CACHE", "RAY_ADDRESS"}}


def validate(result: dict) -> None:
    """Every field of results.json has the name and type Gradescope's spec gives it."""
    assert set(result) <= TOP_KEYS, set(result) - TOP_KEYS
    assert isinstance(result["score"], (int, float)) and isinstance(result["execution_time"], int)
    assert result["execution_time"] >= 0 and result["stdout_visibility"] == "hidden"
    assert isinstance(result["tests"], list)
    if "output" in result:
        assert isinstance(result["output"], str) and result["output_format"] in FORMATS
    for test in result["tests"]:
        assert set(test) <= TEST_KEYS and {"name", "score", "max_score", "status", "output", "visibility"} <= set(test)
        assert isinstance(test["name"], str) and isinstance(test["output"], str) and test["output"]
        assert isinstance(test["score"], (int, float)) and isinstance(test["max_score"], (int, float))
        assert 0 <= test["score"] <= test["max_score"] or test["max_score"] == 0
        assert test["status"] in {"passed", "failed"} and test["visibility"] in VISIBILITIES
        assert test["output_format"] in FORMATS
        assert "number" not in test or re.fullmatch(r"\d+\.\d+", test["number"]), test
    assert result["score"] == pytest.approx(sum(t["score"] for t in result["tests"]))


@dataclass
class Autograder:
    """The unpacked zip after ``setup.sh``: ``root`` stands for ``/autograder``."""

    zip_path: Path
    root: Path

    @property
    def kit(self) -> Path:
        return self.root / "source" / "kit"

    def fixtures(self) -> set[str]:
        return {p.name for p in (self.kit / "fixtures" / ".cache").iterdir() if not p.name.endswith(".lock")}

    def run(self, files: dict[str, str | bytes], root: Path | None = None, env: dict | None = None) -> tuple[dict, str]:
        """Upload ``files`` (path in the submission: content), run ``run_autograder``; (results.json, stdout)."""
        root = root or self.root
        submission = root / "submission"
        shutil.rmtree(submission, ignore_errors=True)
        submission.mkdir(parents=True)
        for name, content in files.items():
            (submission / name).parent.mkdir(parents=True, exist_ok=True)
            (submission / name).write_bytes(content if isinstance(content, bytes) else content.encode())
        proc = subprocess.run(["bash", str(root / "run_autograder")], cwd=root, capture_output=True, text=True,
                              timeout=900, env={**CLEAN_ENV, "AUTOGRADER_ROOT": str(root), **(env or {})})
        assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
        result = json.loads((root / "results" / "results.json").read_text())
        validate(result)
        return result, proc.stdout + proc.stderr


def unpack(zip_path: Path, dest: Path) -> None:
    """Unzip as Gradescope does, keeping each file's mode (the scripts' executable bits)."""
    with zipfile.ZipFile(zip_path) as bundle:
        for info in bundle.infolist():
            path = Path(bundle.extract(info, dest))
            if info.external_attr >> 16:
                path.chmod(info.external_attr >> 16 & 0o777)


@pytest.fixture(scope="module")
def autograder(tmp_path_factory) -> Autograder:
    """The zip built by the real command, unpacked in ``ROOT/source``, ``setup.sh`` run once."""
    tmp = tmp_path_factory.mktemp("gradescope")
    zip_path = tmp / "autograder.zip"
    proc = kit.run_graders("gradescope", str(zip_path), "--lessons", "4")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    root = tmp / "autograder"
    unpack(zip_path, root / "source")
    shutil.copy2(root / "source" / "run_autograder", root / "run_autograder")  # where Gradescope puts it
    cache = kit.KIT / "fixtures" / ".cache"
    if cache.is_dir():  # the public fixtures as built before; setup.sh builds whatever is missing
        shutil.copytree(cache, root / "source" / "kit" / "fixtures" / ".cache",
                        ignore=shutil.ignore_patterns("*-s1*", "*-train*", "*.lock"))
    # $ROOT/venv: a virtual environment that sees this run's dependencies (what setup.sh installs on Gradescope)
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(root / "venv")], check=True)
    site = next((root / "venv" / "lib").glob("python*/site-packages"))
    (site / "kit_dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    proc = subprocess.run(["bash", str(root / "source" / "setup.sh")], capture_output=True, text=True, timeout=900,
                          env={**CLEAN_ENV, "AUTOGRADER_ROOT": str(root), "GRADERS_DEPS_PRESENT": "1"})
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return Autograder(zip_path, root)


@pytest.fixture(scope="module")
def reference(autograder) -> tuple[dict, str, set[str]]:
    """The reference inside a folder, as a zip's top folder unpacks: results, stdout, fixtures before grading."""
    before = autograder.fixtures()
    result, stdout = autograder.run({f"my-work/exercises/{LESSON}.py": (kit.KIT / "solutions" / f"{LESSON}.py").read_text()})
    return result, stdout, before


def by_name(result: dict) -> dict[str, dict]:
    return {t["name"]: t for t in result["tests"]}


def test_zip_holds_the_scripts_and_the_graders_but_no_solution(autograder):
    with zipfile.ZipFile(autograder.zip_path) as bundle:
        modes = {i.filename: i.external_attr >> 16 & 0o777 for i in bundle.infolist()}
    assert modes["setup.sh"] == 0o755 and modes["run_autograder"] == 0o755
    assert not [n for n in modes if n.split("/")[1:2] in (["solutions"], ["tests"]) or n.startswith(("solutions", "tests"))]
    assert release.leaks(autograder.kit, hidden_checks=True) == []
    assert "hidden=True" in (autograder.kit / "graders" / f"{LESSON}.py").read_text()  # hidden checks graded
    assert {"course.toml", "__init__.py"} <= {p.name for p in (autograder.kit / "graders").iterdir()}
    assert (autograder.kit / "pyproject.toml").is_file() and "ray[" in (autograder.kit / "requirements.txt").read_text()


def test_setup_installs_the_bundled_kit_and_builds_every_fixture(autograder):
    python = autograder.root / "venv" / "bin" / "python"
    where = subprocess.run([str(python), "-c", "import graders, fixtures; print(graders.__file__, fixtures.__file__)"],
                           cwd=autograder.root, capture_output=True, text=True, env=CLEAN_ENV)
    assert where.stdout.split() == [str(autograder.kit / "graders" / "__init__.py"),
                                    str(autograder.kit / "fixtures" / "__init__.py")], where
    assert {"model-v1", "mnist_png-v1-s0", "mnist_png-v1-s1", "taxi-v1-s1"} <= autograder.fixtures()


def test_reference_in_a_folder_scores_full_marks(reference):
    result, stdout, _ = reference
    lost = [f"{t['name']}: {t['output']}" for t in result["tests"] if t["score"] < t["max_score"]]
    assert not lost, "\n".join(lost) + stdout[-3000:]
    assert result["score"] == result["max_score"] == sum(c.points for c in CHECKS)
    assert f"`my-work/exercises/{LESSON}.py`" in result["output"]


def test_results_follow_the_spec(reference):
    result, _, _ = reference
    tests = by_name(result)
    assert [tests[c.qualified_name]["number"] for c in CHECKS] == [f"4.{i}" for i in range(1, len(CHECKS) + 1)]
    for info in CHECKS:
        test = tests[info.qualified_name]
        assert test["visibility"] == ("after_published" if info.hidden else "visible")
        assert test["output_format"] == "md" and test["status"] == "passed"
    assert any(c.hidden for c in CHECKS) and result["execution_time"] > 0


def test_grading_builds_no_fixture(reference, autograder):
    _, _, before = reference
    assert autograder.fixtures() == before


def test_stub_reads_not_started(autograder):
    result, _ = autograder.run({f"{LESSON}.py": (kit.KIT / "exercises" / f"{LESSON}.py").read_text()})
    assert result["score"] == 0 and len(result["tests"]) == len(CHECKS)
    assert all(t["output"].startswith("not started") and t["status"] == "failed" for t in result["tests"])


def test_syntax_error_scores_zero_and_says_where(autograder):
    result, _ = autograder.run({f"{LESSON}.py": "def normalize(batch):\n    return batch[\n"})
    assert result["score"] == 0
    output = result["tests"][0]["output"]
    assert "SyntaxError" in output and "line" in output and str(autograder.root) not in output, output


def test_unreadable_notebook_scores_zero_with_the_reason(autograder):
    result, _ = autograder.run({f"{LESSON}.ipynb": "{ this is not a notebook"})
    assert result["score"] == 0 and all(t["name"] != "Autograder failed" for t in result["tests"])
    assert f"{LESSON}.ipynb could not be read as a notebook" in result["tests"][0]["output"]


@pytest.mark.parametrize("files", [{}, {"notes.txt": "my answers are in my head", "lesson4.py": "x = 1\n"}],
                         ids=["empty", "no lesson file"])
def test_upload_without_a_lesson_file_says_what_was_expected(autograder, files):
    result, _ = autograder.run(files)
    assert result["score"] == 0 and result["tests"] == []
    assert f"`{LESSON}.py`" in result["output"] and "No lesson file" in result["output"]
    assert all(f"`{name}`" in result["output"] for name in files)


def test_notebook_upload_is_graded_from_its_answer_cells(autograder, tmp_path):
    """The nbgrader path: the release notebook, its answer cells filled with the reference, uploaded alone."""
    course = tmp_path / "course"
    assert kit.run_graders("nbgrader", str(course), "--lessons", "4").returncode == 0
    proc = subprocess.run(["nbgrader", "generate_assignment", LESSON], cwd=course, capture_output=True, text=True,
                          timeout=600, env={**os.environ, "PYTHONPATH": str(kit.KIT)})
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    released = nbformat.read(course / "release" / LESSON / f"{LESSON}.ipynb", as_version=4)
    solution = notebook.fill_answers(released, (kit.KIT / "solutions" / f"{LESSON}.py").read_text())
    result, stdout = autograder.run({f"{LESSON}.ipynb": nbformat.writes(solution)})
    lost = [f"{t['name']}: {t['output']}" for t in result["tests"] if t["score"] < t["max_score"]]
    assert not lost and result["score"] == sum(c.points for c in CHECKS), "\n".join(lost) + stdout[-3000:]
    assert f"`{LESSON}.ipynb`" in result["output"]


def test_kit_failure_is_one_visible_test_and_the_traceback_goes_to_stdout(autograder):
    """A kit misconfigured (no lesson 9): the student reads the cause; the instructor's stdout has the traceback."""
    result, stdout = autograder.run({f"{LESSON}.py": "x = 1\n"}, env={"GRADERS_LESSONS": "9"})
    [test] = result["tests"]
    assert result["score"] == 0 and test["name"] == "Autograder failed" and test["visibility"] == "visible"
    assert "no lesson '9'" in test["output"] and "Traceback" not in test["output"]
    assert "Traceback (most recent call last)" in stdout


def test_kit_that_cannot_start_still_writes_results(autograder, tmp_path):
    """No Python environment at all: run_autograder itself writes the failure."""
    (tmp_path / "source").symlink_to(autograder.root / "source")
    shutil.copy2(autograder.root / "run_autograder", tmp_path / "run_autograder")
    result, stdout = autograder.run({f"{LESSON}.py": "x = 1\n"}, root=tmp_path)
    assert result["score"] == 0 and result["tests"][0]["name"] == "Autograder failed"
    assert "without writing results.json" in stdout
