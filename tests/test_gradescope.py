"""The Gradescope autograder for real: ``python -m graders gradescope`` builds the zip, which is unpacked
into a temporary folder laid out like Gradescope's ``/autograder`` (``AUTOGRADER_ROOT``); the real
``setup.sh`` runs with bash (its install of the kit and its fixture build; the dependencies are this
test's own, seen through ``$ROOT/venv``), then the real ``run_autograder`` on each upload, and every
``results.json`` is checked against Gradescope's spec.

Lesson 4 only (the fastest lesson to grade), one bundle and one setup for every case. The public
fixtures come from the checkout's cache (training the model takes minutes); ``setup.sh`` builds the
graders' hidden variants, and grading builds nothing more. One run gets a budget too short for it: it
stops with the checks it graded, and its results.json holds them while it runs.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from dataclasses import dataclass, replace
from pathlib import Path

import nbformat
import pytest

import kit
from graders.engine.commands import autograder as runner
from graders.engine.grading import catalog, student_user
from graders.engine import course, notebook
from graders.engine.commands import gradescope, release
from graders.engine.reporting import results, stream
from test_markdown import assert_renders_as_written, seen

LESSON = "lesson4_data"
CHECKS = catalog.checks(LESSON)
TIMEOUT_MIN = 15  # the zip's budget: well above lesson 4's time on a loaded 2-core machine
SHORT_BUDGET_MIN = 1.5  # a minute of grading after the margin: the stubs, Ray's start, lesson 4's first checks
OUT_OF_TIME = "the autograder's time ran out before this check"
REFERENCE_FOLDER = "my-work/exercises"  # where the reference's upload puts its notebook
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
    env: dict  # beside CLEAN_ENV: what the copy of this Python in $ROOT/python needs (see kit.venv_for_everyone)

    @property
    def kit(self) -> Path:
        return self.root / "source" / "kit"

    def fixtures(self) -> set[str]:
        return {p.name for p in (self.kit / "fixtures" / ".cache").iterdir() if not p.name.endswith(".lock")}

    def start(self, files: dict[str, str | bytes], root: Path | None = None, env: dict | None = None) -> subprocess.Popen:
        """Upload ``files`` (path in the submission: content), start ``run_autograder`` (no results.json yet, as
        in Gradescope's fresh container)."""
        root = root or self.root
        (root / "results" / "results.json").unlink(missing_ok=True)
        submission = root / "submission"
        shutil.rmtree(submission, ignore_errors=True)
        submission.mkdir(parents=True)
        for name, content in files.items():
            (submission / name).parent.mkdir(parents=True, exist_ok=True)
            (submission / name).write_bytes(content if isinstance(content, bytes) else content.encode())
        return subprocess.Popen(["bash", str(root / "run_autograder")], cwd=root, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, text=True,
                                env={**CLEAN_ENV, **self.env, "AUTOGRADER_ROOT": str(root), **(env or {})})

    def run(self, files: dict[str, str | bytes], root: Path | None = None, env: dict | None = None) -> tuple[dict, str]:
        """Upload ``files``, run ``run_autograder`` to its end; (results.json, stdout)."""
        proc = self.start(files, root, env)
        stdout, _ = proc.communicate(timeout=900)
        return self.results(proc.returncode, stdout, root)

    def results(self, code: int, stdout: str, root: Path | None = None) -> tuple[dict, str]:
        assert code == 0, stdout[-6000:]
        result = json.loads(((root or self.root) / "results" / "results.json").read_text())
        validate(result)
        return result, stdout


def unpack(zip_path: Path, dest: Path) -> None:
    """Unzip as Gradescope does, keeping each file's mode (the scripts' executable bits)."""
    with zipfile.ZipFile(zip_path) as bundle:
        for info in bundle.infolist():
            path = Path(bundle.extract(info, dest))
            if info.external_attr >> 16:
                path.chmod(info.external_attr >> 16 & 0o777)


@pytest.fixture(scope="module")
def autograder(tmp_path_factory) -> Autograder:
    yield from _built(tmp_path_factory.mktemp("gradescope"), "4", TIMEOUT_MIN)


def _built(tmp: Path, lessons: str, timeout_min: float):
    """The zip built by the real command, unpacked in ``ROOT/source``, ``setup.sh`` run once. As root, ``ROOT``
    lies where the student's user may pass through (pytest's folders are root's only), and its Python too."""
    zip_path = tmp / "autograder.zip"
    proc = kit.run_graders("gradescope", str(zip_path), "--lessons", lessons, "--timeout", str(timeout_min))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    if os.geteuid() == 0:
        shared = Path(tempfile.mkdtemp(prefix="gradescope-"))
        shared.chmod(0o755)
        try:
            yield from _set_up(zip_path, shared / "autograder")
        finally:
            shutil.rmtree(shared, ignore_errors=True)
    else:
        yield from _set_up(zip_path, tmp / "autograder")


def _set_up(zip_path: Path, root: Path):
    unpack(zip_path, root / "source")
    shutil.copy2(root / "source" / "run_autograder", root / "run_autograder")  # where Gradescope puts it
    cache = kit.KIT / "fixtures" / ".cache"
    if cache.is_dir():  # the public fixtures as built before; setup.sh builds whatever is missing
        shutil.copytree(cache, root / "source" / "kit" / "fixtures" / ".cache",
                        ignore=shutil.ignore_patterns("*-s1*", "*-train*", "*.lock"))
    # $ROOT/venv: a virtual environment that sees this run's dependencies (what setup.sh installs on Gradescope)
    _, env = kit.venv_for_everyone(root, CLEAN_ENV)
    proc = subprocess.run(["bash", str(root / "source" / "setup.sh")], capture_output=True, text=True, timeout=900,
                          env={**CLEAN_ENV, **env, "AUTOGRADER_ROOT": str(root), "GRADERS_DEPS_PRESENT": "1"})
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    yield Autograder(zip_path, root, env)


@pytest.fixture(scope="module")
def reference(autograder, tmp_path_factory) -> tuple[dict, str, set[str]]:
    """The nbgrader path and a folder at once: the release notebook, its answer cells filled with the reference,
    uploaded inside a folder as a zip's top folder unpacks: results, stdout, fixtures before grading."""
    course = tmp_path_factory.mktemp("nbgrader") / "course"
    assert kit.run_graders("nbgrader", str(course), "--lessons", "4").returncode == 0
    proc = subprocess.run(["nbgrader", "generate_assignment", LESSON], cwd=course, capture_output=True, text=True,
                          timeout=600, env={**os.environ, "PYTHONPATH": str(kit.KIT)})
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    released = nbformat.read(course / "release" / LESSON / f"{LESSON}.ipynb", as_version=4)
    solution = notebook.fill_answers(released, (kit.KIT / "solutions" / f"{LESSON}.py").read_text())
    before = autograder.fixtures()
    result, stdout = autograder.run({f"{REFERENCE_FOLDER}/{LESSON}.ipynb": nbformat.writes(solution)})
    return result, stdout, before


def by_name(result: dict) -> dict[str, dict]:
    return {t["name"]: t for t in result["tests"]}


def checks_of(result: dict) -> list[dict]:
    """The tests of results.json that are checks (the summary test, always first, aside)."""
    first = result["tests"][0]
    assert first["name"] == results.SUMMARY_TEST and first["visibility"] == "visible", first
    return result["tests"][1:]


def test_zip_holds_the_scripts_and_the_graders_but_no_solution(autograder):
    with zipfile.ZipFile(autograder.zip_path) as bundle:
        modes = {i.filename: i.external_attr >> 16 & 0o777 for i in bundle.infolist()}
    assert modes["setup.sh"] == 0o755 and modes["run_autograder"] == 0o755
    assert not [n for n in modes if n.split("/")[1:2] in (["solutions"], ["tests"]) or n.startswith(("solutions", "tests"))]
    assert release.leaks(autograder.kit, hidden_checks=True) == []
    assert "hidden=True" in (autograder.kit / "graders" / f"{LESSON}.py").read_text()  # hidden checks graded
    assert {"course.toml", "__init__.py"} <= {p.name for p in (autograder.kit / "graders").iterdir()}
    assert (autograder.kit / "pyproject.toml").is_file() and "ray[" in (autograder.kit / "requirements.txt").read_text()
    scripts = {name: (autograder.root / "source" / name).read_text() for name in ("setup.sh", "run_autograder")}
    assert f'GRADERS_TIMEOUT_MIN="${{GRADERS_TIMEOUT_MIN:-{TIMEOUT_MIN}}}"' in scripts["run_autograder"]
    python = "{0.major}.{0.minor}.{0.micro}".format(sys.version_info)
    assert f'uv python install "{python}"' in scripts["setup.sh"] and f'uv=={gradescope.UV}' in scripts["setup.sh"]


def test_setup_installs_the_bundled_kit_and_builds_every_fixture(autograder):
    python = autograder.root / "venv" / "bin" / "python"
    where = subprocess.run([str(python), "-c", "import graders, fixtures; print(graders.__file__, fixtures.__file__)"],
                           cwd=autograder.root, capture_output=True, text=True, env={**CLEAN_ENV, **autograder.env})
    assert where.stdout.split() == [str(autograder.kit / "graders" / "__init__.py"),
                                    str(autograder.kit / "fixtures" / "__init__.py")], where
    assert {"model-v1", "mnist_png-v1-s0", "mnist_png-v1-s1", "taxi-v1-s1"} <= autograder.fixtures()


def test_setup_stops_on_a_python_other_than_the_pinned_one(autograder, tmp_path):
    """The image's Python is checked before anything is installed: another version stops the build, saying why."""
    python = "{0.major}.{0.minor}.{0.micro}".format(sys.version_info)
    other = next((p for p in ("/usr/bin/python3", "/usr/local/bin/python3", "/usr/bin/python3.11") if Path(p).is_file()
                  and subprocess.run([p, "-c", "import sys; print('{0.major}.{0.minor}.{0.micro}'.format(sys.version_info))"],
                                     capture_output=True, text=True).stdout.strip() not in ("", python)), None)
    if other is None:
        pytest.skip(f"no Python here but {python}")
    (tmp_path / "source").symlink_to(autograder.root / "source")
    subprocess.run([other, "-m", "venv", "--without-pip", str(tmp_path / "venv")], check=True)
    proc = subprocess.run(["bash", str(tmp_path / "source" / "setup.sh")], capture_output=True, text=True, timeout=300,
                          env={**CLEAN_ENV, "AUTOGRADER_ROOT": str(tmp_path), "GRADERS_DEPS_PRESENT": "1"})
    assert proc.returncode != 0 and f"not the final release {python} that the kit's dependencies are pinned on" in proc.stderr
    assert "Successfully installed" not in proc.stdout, proc.stdout  # stopped before installing the kit


def test_reference_in_a_folder_scores_full_marks(reference):
    result, stdout, _ = reference
    lost = [f"{t['name']}: {t['output']}" for t in checks_of(result) if t["score"] < t["max_score"]]
    assert not lost, "\n".join(lost) + stdout[-3000:]
    assert result["score"] == result["max_score"] == sum(c.points for c in CHECKS)
    assert f"`{REFERENCE_FOLDER}/{LESSON}.ipynb`" in result["output"]


def test_results_follow_the_spec(reference):
    result, _, _ = reference
    tests = by_name(result)
    assert [t["name"] for t in checks_of(result)] == [c.qualified_name for c in CHECKS]
    assert [tests[c.qualified_name]["number"] for c in CHECKS] == [f"4.{i}" for i in range(1, len(CHECKS) + 1)]
    for info in CHECKS:
        test = tests[info.qualified_name]
        assert test["visibility"] == ("after_published" if info.hidden else "visible")
        assert test["output_format"] == "md" and test["status"] == "passed"
    assert any(c.hidden for c in CHECKS) and result["execution_time"] > 0


def test_summary_counts_the_public_checks_and_announces_the_hidden_ones(reference):
    result, _, _ = reference
    public, hidden = [c for c in CHECKS if not c.hidden], [c for c in CHECKS if c.hidden]
    summary = result["tests"][0]
    assert summary["name"] == results.SUMMARY_TEST and summary["visibility"] == "visible" and summary["max_score"] == 0
    assert seen(summary["output"]).text == (
        f"{len(public)} of {len(public)} public checks passed. {len(hidden)} hidden checks, worth "
        f"{sum(c.points for c in hidden):g} points, are graded too: they show once the grades are published.")


def test_grading_builds_no_fixture(reference, autograder):
    _, _, before = reference
    assert autograder.fixtures() == before


def test_stub_reads_not_started(autograder):
    result, _ = autograder.run({f"{LESSON}.py": (kit.KIT / "exercises" / f"{LESSON}.py").read_text()})
    assert result["score"] == 0 and len(checks_of(result)) == len(CHECKS)
    assert all(t["output"].startswith("not started") and t["status"] == "failed" for t in checks_of(result))
    assert seen(result["tests"][0]["output"]).text.startswith(f"0 of {len([c for c in CHECKS if not c.hidden])} public")


def test_syntax_error_scores_zero_and_says_where(autograder):
    result, _ = autograder.run({f"{LESSON}.py": "def normalize(batch):\n    return batch[\n"})
    assert result["score"] == 0
    output = checks_of(result)[0]["output"]
    assert "SyntaxError" in output and "line" in output and str(autograder.root) not in output, output


def test_unreadable_notebook_scores_zero_with_the_reason(autograder):
    result, _ = autograder.run({f"{LESSON}.ipynb": "{ this is not a notebook"})
    assert result["score"] == 0 and all(t["name"] != "Autograder failed" for t in result["tests"])
    assert f"{LESSON}.ipynb could not be read as a notebook" in checks_of(result)[0]["output"]


@pytest.mark.parametrize("files", [{}, {"notes.txt": "my answers are in my head", "lesson4.py": "x = 1\n"}],
                         ids=["empty", "no lesson file"])
def test_upload_without_a_lesson_file_says_what_was_expected(autograder, files):
    result, _ = autograder.run(files)
    assert result["score"] == 0 and result["tests"] == []
    assert f"`{LESSON}.py`" in result["output"] and "No lesson file" in result["output"]
    assert all(f"`{name}`" in result["output"] for name in files)


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


HANGS_AT_NORMALIZE = "\n\ndef normalize(batch):\n    import time\n    time.sleep(3600)\n"


@pytest.fixture(scope="module")
def short_budget(autograder) -> tuple[dict, list[dict], dict, float]:
    """Every lesson of the kit within ``SHORT_BUDGET_MIN``: lessons 1, 2, 3 and 5 as their stubs, lesson 4 the
    reference whose ``normalize`` never returns. (final results.json, those seen while it ran, the checks
    streamed as graded, wall seconds)."""
    files = {f"{name}.py": (kit.KIT / "exercises" / f"{name}.py").read_text() for name in course.lessons()}
    files[f"{LESSON}.py"] = (kit.KIT / "solutions" / f"{LESSON}.py").read_text() + HANGS_AT_NORMALIZE
    started, seen_running = time.monotonic(), []
    proc = autograder.start(files, env={"GRADERS_LESSONS": ",".join(course.lessons()),
                                        runner.TIMEOUT_ENV: str(SHORT_BUDGET_MIN)})
    path = autograder.root / "results" / "results.json"
    while proc.poll() is None:
        if path.is_file():  # written whole each time (a rename): never half a file
            seen_running.append(json.loads(path.read_text()))
        time.sleep(0.5)
    wall = time.monotonic() - started
    result, _ = autograder.results(proc.returncode, proc.stdout.read())
    return result, seen_running, stream.read(autograder.root / "work" / "stream.jsonl").finished, wall


def test_a_budget_too_short_keeps_the_finished_checks_and_scores_the_rest_zero(short_budget, autograder):
    result, _, graded, wall = short_budget
    budget = SHORT_BUDGET_MIN * 60
    assert wall < budget + 20 and result["execution_time"] <= budget, (wall, result["execution_time"])
    staged = str(runner.staged_folder(autograder.root))
    for test in checks_of(result):
        if test["name"] in graded:  # graded: its own score and feedback
            check = graded[test["name"]]
            assert test["score"] == check.points
            if check.status == results.PASSED:
                assert test["output"] == "Passed." and test["status"] == "passed", test
            else:
                assert_renders_as_written(test["output"], replace(check, message=check.message.replace(staged, "your submission")))
        else:
            assert test["score"] == 0 and test["status"] == "failed" and OUT_OF_TIME in seen(test["output"]).text, test
    lesson = {name: [t for t in checks_of(result) if t["name"].startswith(f"{name}::")] for name in course.lessons()}
    assert all(t["name"] in graded and t["output"].startswith("not started")
               for name in ("lesson1_taxi", "lesson2_train", "lesson3_tune") for t in lesson[name])
    assert lesson["lesson5_serve"] and not any(t["name"] in graded for t in lesson["lesson5_serve"])
    assert f"{LESSON}::normalize_values" not in graded  # stopped inside it, before its own 180 s budget
    assert result["score"] == sum(t["score"] for t in checks_of(result))
    assert len(checks_of(result)) == sum(len(catalog.checks(name)) for name in course.lessons())


def test_results_json_holds_the_finished_checks_while_the_run_goes_on(short_budget):
    """What a run stopped by Gradescope leaves: results.json, rewritten as each check ends."""
    final, seen_running, _, _ = short_budget
    partial = [r for r in seen_running if 0 < sum(OUT_OF_TIME not in t["output"] for t in checks_of(r)) < len(checks_of(r))]
    assert partial, f"{len(seen_running)} results.json seen while it ran, none with some checks graded"
    for result in partial:
        validate(result)
        assert [t["name"] for t in checks_of(result)] == [t["name"] for t in checks_of(final)]
    graded_counts = [sum(OUT_OF_TIME not in t["output"] for t in checks_of(r)) for r in seen_running]
    assert graded_counts == sorted(graded_counts)  # rewritten as checks end, never losing one


def test_a_stopped_run_leaves_no_process_behind(short_budget, autograder):
    """Grading stopped at the budget ends its whole process group, the embedded Ray included."""
    mine = []
    for environ in Path("/proc").glob("[0-9]*/environ"):
        try:
            if str(autograder.root).encode() in environ.read_bytes():
                mine.append(environ.parent.name)
        except OSError:
            continue
    assert mine == [], [Path(f"/proc/{pid}/cmdline").read_bytes()[:200] for pid in mine]


# -- a hostile submission, graded as root (Gradescope) ----------------------------------------------------
# Run on import (on the student's side and in every Ray worker that imports the module) and in a Ray task that
# `read_mnist_images` starts: it records what it tried in PROBES (a folder open to all), which the test reads.
TAMPER = r'''

import os as _os, signal as _signal, subprocess as _subprocess, sys as _sys

_PROBES, _ROOT = @PROBES@, _os.environ.get("AUTOGRADER_ROOT", "/autograder")
_RESULTS = _os.path.join(_ROOT, "results", "results.json")
_FORGED = '{"score": 1000.0, "tests": [], "output": "forged by the student"}'


def _try(what, fn):
    try:
        return f"{what}: done {fn()!r}"[:300]
    except BaseException as exc:  # noqa: BLE001
        return f"{what}: refused ({type(exc).__name__})"


def _read_hidden(path):
    with open(path) as f:
        text = f.read()
    return text[text.index("### BEGIN HIDDEN TESTS"):][:400]


def _ours(pid):
    return _os.stat(f"/proc/{pid}").st_uid == _os.getuid()


def _kill_graders():
    targets = []
    for pid in [p for p in _os.listdir("/proc") if p.isdigit()]:
        try:
            command = open(f"/proc/{pid}/cmdline", "rb").read()
        except OSError:
            continue
        if b"graders" in command and not _ours(pid):
            targets.append(int(pid))
    if _os.getppid() > 1 and not _ours(_os.getppid()):
        targets.append(_os.getppid())
    for pid in targets:
        _os.kill(pid, _signal.SIGKILL)  # the first refusal ends it
    return targets


def _late_writer(wait):
    return _subprocess.Popen(
        ["sh", "-c", f"{wait}; if echo '{_FORGED}' > {_RESULTS}; then echo rewritten > {_PROBES}/late-$$; fi"],
        start_new_session=True, stdin=_subprocess.DEVNULL, stdout=_subprocess.DEVNULL, stderr=_subprocess.DEVNULL).pid


def _autograder_pid():
    for pid in [p for p in _os.listdir("/proc") if p.isdigit()]:
        try:
            if b"graders.engine.commands.autograder" in open(f"/proc/{pid}/cmdline", "rb").read():
                return pid
        except OSError:
            pass
    raise LookupError("no autograder process")


def _tamper(when):
    where = "side" if any("student_side" in a for a in _sys.argv) else "worker"
    kit = _os.path.join(_ROOT, "source", "kit")
    lines = [f"{where} {when} uid={_os.getuid()} pid={_os.getpid()}",
             _try("read the grader", lambda: _read_hidden(_os.path.join(kit, "graders", "lesson4_data.py"))),
             _try("list the graders", lambda: _os.listdir(_os.path.join(kit, "graders"))),
             _try("read via the parent's cwd", lambda: _read_hidden(f"/proc/{_os.getppid()}/cwd/graders/lesson4_data.py")),
             _try("write results.json", lambda: open(_RESULTS, "w").write(_FORGED)),
             _try("write the results stream", lambda: open(_os.path.join(_ROOT, "work", "stream.jsonl"), "a").write("{}\n")),
             _try("start a late writer", lambda: _late_writer("sleep 20")),
             _try("start a writer after the run", lambda: _late_writer(
                 f"while [ -d /proc/{_autograder_pid()} ]; do sleep 0.5; done; sleep 2")),
             _try("kill the grading processes", _kill_graders)]
    with open(_os.path.join(_PROBES, f"{where}-{when}-{_os.getpid()}.txt"), "w") as f:
        f.write("\n".join(lines) + "\n")


_tamper("import")
_honest_read = read_mnist_images


def _in_a_task():
    _tamper("call")


@__import__("functools").wraps(_honest_read)
def read_mnist_images(*args, **kwargs):
    if not globals().get("_tampered_in_a_task"):  # once per side: a Ray task, in a worker of the run's Ray
        globals()["_tampered_in_a_task"] = True
        ray.get(ray.remote(num_cpus=0)(_in_a_task).remote())
    return _honest_read(*args, **kwargs)
'''


def hidden_lines() -> list[str]:
    """The code lines of lesson 4's hidden checks (the ones long enough to tell)."""
    text = (kit.KIT / "graders" / f"{LESSON}.py").read_text()
    region = text[text.index("### BEGIN HIDDEN TESTS"):text.index("### END HIDDEN TESTS")]
    return [l.strip() for l in region.splitlines()[1:] if len(l.strip()) > 30]


@pytest.mark.skipif(os.geteuid() != 0, reason="the student's code runs as another user only when grading runs as "
                                               "root (Gradescope); here the kit is not root")
def test_a_hostile_submission_run_as_root_changes_nothing_but_itself(autograder, reference):
    """The reference, plus code that tries, on import on its side and in Ray's workers, and in a Ray task:
    to read the hidden checks, to write results.json and the results stream, to leave a process that rewrites
    results.json 20 s later, to kill the grading processes. It scores what the reference scores, results.json
    is the grader's 30 s after the run, nothing of the hidden checks reached the student's files, and no
    process of the student's user is left."""
    honest, _, _ = reference
    probes = Path(tempfile.mkdtemp(prefix="hostile-"))
    probes.chmod(0o1777)
    try:
        source = (kit.KIT / "solutions" / f"{LESSON}.py").read_text() + TAMPER.replace("@PROBES@", repr(str(probes)))
        result, stdout = autograder.run({f"{LESSON}.py": source})
        final = (autograder.root / "results" / "results.json").read_text()
        time.sleep(10)  # the writer after the run starts 2 s after it; the other fired during the run
        records = {p.name: p.read_text() for p in probes.iterdir()}
        user = student_user.ensure_user()
        left = student_user.processes_of(user.pw_uid)
    finally:
        shutil.rmtree(probes, ignore_errors=True)
    assert (autograder.root / "results" / "results.json").read_text() == final
    assert json.loads(final) == result
    assert result["score"] == honest["score"] == result["max_score"], stdout[-3000:]
    assert [(t["name"], t["score"]) for t in checks_of(result)] == [(t["name"], t["score"]) for t in checks_of(honest)]
    tried = "\n".join(records.values())
    assert {name.split("-")[0] for name in records} >= {"side", "worker"}, records  # it ran in both places
    assert any(name.startswith("worker-call") for name in records), records
    assert f"uid={user.pw_uid} " in tried and "uid=0 " not in tried, tried
    for attempt in ("read the grader", "list the graders", "read via the parent's cwd", "write results.json",
                    "write the results stream", "kill the grading processes"):
        assert f"{attempt}: refused" in tried and f"{attempt}: done" not in tried, (attempt, tried)
    assert "start a late writer: done" in tried and "start a writer after the run: done" in tried, tried
    assert "more processes of graders-student" in stdout and "and 0 more" not in stdout, stdout[-2000:]  # stopped
    assert not [n for n in records if n.startswith("late-")], records
    assert not [line for line in hidden_lines() if line in tried], tried
    assert left == [], [Path(f"/proc/{pid}/cmdline").read_bytes()[:200] for pid in left]


@pytest.mark.skipif(os.geteuid() != 0, reason="the student's code runs as another user only when grading runs as root")
@pytest.mark.skipif(os.environ.get("KIT_SLOW_TESTS") != "1", reason="every lesson through Gradescope's scripts, "
                                                                     "minutes: set KIT_SLOW_TESTS=1")
def test_every_lesson_run_as_the_students_user_scores_full(tmp_path):
    """The whole reference through ``setup.sh`` and ``run_autograder`` as root: Ray Train's and Tune's checkpoints,
    Ray Data's writes and Serve's apps, all made by the student's user in the folders the grader gives it."""
    setup = _built(tmp_path, ",".join(str(n) for n in range(1, len(course.lessons()) + 1)), 40)
    grader = next(setup)
    try:
        result, stdout = grader.run({f"{lesson}.py": (kit.KIT / "solutions" / f"{lesson}.py").read_text()
                                     for lesson in course.lessons()})
    finally:
        setup.close()
    lost = [(t["name"], t["output"][:300]) for t in checks_of(result) if t["score"] < t["max_score"]]
    assert not lost and result["score"] == result["max_score"], (lost, stdout[-3000:])
    assert "more processes of graders-student" in stdout, stdout[-2000:]  # the student's user did the work
