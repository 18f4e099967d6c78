"""The student's side (#28): a process that imports a submission and hands back plain data only.

No Ray here: a real subprocess, real sockets, real modules written to a temporary folder.
"""
from __future__ import annotations

import collections
import enum
import os
import pickle
import re
import signal
import textwrap
from pathlib import Path, PurePath

import msgpack
import numpy as np
import pandas as pd
import pytest

from graders.engine.grading import plain
from graders.engine.grading.student_side import SideGone, StaleRemote, StudentError, StudentSide, described, rebuilt, type_name

FORGED_REPORTS = Path(__file__).parent / "tamper" / "tampering" / "forged_reports.py"  # rewrites pytest's reports
LESSON = """
import os, sys, time
import numpy as np

class Model:
    def __init__(self, scale):
        self.scale = scale
    def __call__(self, batch):
        return {"x": np.asarray(batch["x"]) * self.scale}

def double(x):
    print("printed by the student, not an answer")
    return 2 * x

def frame():
    import pandas as pd
    return pd.DataFrame({"path": ["0/a.png", "1/b.png"], "image": [np.zeros((2, 2)), np.ones((2, 2))]})

def stub():
    raise NotImplementedError("write me")

def forged_credit():
    from graders.engine.grading.credit import PartialCredit
    raise PartialCredit("", 1.0)

class Bomb:
    def __reduce__(self):
        return (os.system, (f"touch {MARKER}",))

def bomb():
    return Bomb()

def exits():
    os._exit(3)

def hangs():
    print("about to wait")
    time.sleep(600)

def uses(fn, value):
    return fn(value)
"""


class Colour(enum.IntEnum):
    RED = 3


def plain_values():
    return [
        None, True, 7, -(2 ** 70), 2.5, float("inf"), "text", b"\x00bytes", [1, [2, "3"]], (1, (2, 3)), {1, 2},
        {"a": 1, 5: "five", (1, 2): [3]}, PurePath("/data/0/a.png"), 1 + 2j,
        np.arange(12, dtype=np.int16).reshape(3, 4), np.linspace(0, 1, 5, dtype=np.float32), np.array(["a", "bc"]),
        np.array([True, False]), np.float64(0.25), np.int64(-4), np.datetime64("2026-12-03"),
        np.array(["0/a.png", "1/b.png"], dtype=object), np.array([np.zeros((2, 2)), np.ones((2, 2))], dtype=object)[:1],
        pd.DataFrame({"label": [1, 2], "path": ["x", "y"], "image": [np.zeros(3), np.ones(3)]}, index=[5, 6]),
        pd.Series([0.5, 1.5], name="accuracy"),
    ]


def same(a, b) -> bool:
    if isinstance(a, pd.DataFrame):
        return list(a.columns) == list(b.columns) and list(a.index) == list(b.index) and all(
            all(same(x, y) for x, y in zip(a[c], b[c])) for c in a.columns)
    if isinstance(a, pd.Series):
        return a.name == b.name and list(a) == list(b)
    if isinstance(a, np.ndarray):
        return a.dtype == b.dtype and a.shape == b.shape and all(same(x, y) for x, y in zip(a.reshape(-1), b.reshape(-1)))
    if isinstance(a, (list, tuple)):
        return type(a) is type(b) and len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    return type(a) is type(b) and a == b


@pytest.mark.parametrize("value", plain_values(), ids=lambda v: type(v).__name__)
def test_plain_data_comes_back_as_it_was(value):
    assert same(plain.loads(plain.dumps(value)), value)


def test_subclasses_come_back_as_their_base():
    got = plain.loads(plain.dumps([collections.OrderedDict(a=Colour.RED), Colour.RED]))
    assert got == [{"a": 3}, 3] and type(got[0]) is dict and type(got[1]) is int


def test_what_is_not_plain_is_refused_or_named():
    with pytest.raises(plain.NotPlain):
        plain.dumps(object())
    assert plain.loads(plain.dumps([object()], remote=lambda obj: ("kept", 1)), remote=tuple) == [("kept", 1)]


@pytest.mark.parametrize("payload", [
    msgpack.ExtType(plain.ARRAY, msgpack.packb(["|O", [1], b"\x00" * 8])),
    msgpack.ExtType(plain.ARRAY, msgpack.packb(["[('a', 'O')]", [1], b"\x00" * 8])),
    msgpack.ExtType(99, b""),
    msgpack.ExtType(plain.REMOTE, msgpack.packb([1, "x"])),
], ids=["object-dtype", "structured-object-dtype", "unknown-type", "unexpected-remote"])
def test_loading_refuses_what_could_hold_code(payload):
    with pytest.raises((plain.NotPlain, TypeError, ValueError)):
        plain.loads(msgpack.packb(payload))


def test_a_pickle_is_only_bytes_to_loads(tmp_path):
    marker = tmp_path / "ran"
    bomb = pickle.dumps(type("Bomb", (), {"__reduce__": lambda self: (os.system, (f"touch {marker}",))})())
    with pytest.raises(Exception):
        plain.loads(bomb)
    assert not marker.exists()


@pytest.fixture(scope="module")
def side(tmp_path_factory):
    folder = tmp_path_factory.mktemp("submission")
    marker = folder / "reduced"
    (folder / "lesson_side.py").write_text(f"MARKER = {str(marker)!r}\n" + textwrap.dedent(LESSON)
                                           + FORGED_REPORTS.read_text())
    with StudentSide(path=[folder]) as running:
        running.marker = marker
        yield running


def test_calls_come_back_as_plain_data(side):
    module = side.import_module("lesson_side")
    assert module.double(21) == 42  # what it printed went to its stdout, not into the answer
    model = module.Model(3)
    assert model.scale == 3 and repr(model).startswith("<lesson_side.Model")
    assert same(model({"x": np.arange(3)})["x"], np.arange(3) * 3)
    got = module.frame()
    assert isinstance(got, pd.DataFrame) and list(got.columns) == ["path", "image"] and got["image"][1].sum() == 4


def test_the_students_patches_stay_on_its_side(side):
    import _pytest.reports

    before = _pytest.reports.TestReport.__init__
    side.import_module("lesson_side")
    assert _pytest.reports.TestReport.__init__ is before
    assert side.apply(getattr, side.import_module("_pytest.reports").TestReport, "__init__").__class__.__name__ == "Remote"


def test_errors_keep_their_builtin_class_and_the_kits_own_are_not_honoured(side):
    from graders.engine.grading.credit import PartialCredit

    module = side.import_module("lesson_side")
    with pytest.raises(NotImplementedError, match="write me") as stub:
        module.stub()
    assert isinstance(stub.value, StudentError) and "lesson_side.py" in stub.value.trace
    with pytest.raises(StudentError) as forged:
        module.forged_credit()
    assert forged.value.type_name == "PartialCredit" and not isinstance(forged.value, (PartialCredit, AssertionError))


def test_an_object_that_runs_code_when_unpickled_stays_on_its_side(side):
    kept = side.import_module("lesson_side").bomb()
    assert type(kept).__name__ == "Remote" and not side.marker.exists()


def test_an_error_described_on_the_side_is_rebuilt_as_the_error_it_was(side):
    """A grader's function that catches the student's error there (a burst of handle calls) hands it
    back described; rebuilt here, it reads as the error it was."""
    made = side.apply(NotImplementedError, "write me")
    assert type_name(made) == "NotImplementedError" and type_name({"a": 1}) == "dict"
    error = rebuilt(side.apply(described, made))
    assert isinstance(error, NotImplementedError) and isinstance(error, StudentError) and str(error) == "write me"
    assert error.type_name == "NotImplementedError" and "NotImplementedError: write me" in error.trace


def test_the_graders_own_function_runs_there_with_the_students_objects(side):
    module = side.import_module("lesson_side")
    assert side.apply(len, module.frame()) == 2
    module.helper = np.negative  # the grader's part put in place of the student's, as graders_parts does
    assert module.uses(module.helper, 5) == -5
    del module.helper


def test_a_side_that_dies_is_started_again_and_its_old_objects_are_stale(side):
    module = side.import_module("lesson_side")
    model, made = module.Model(2), side.make(module.Model, 5)
    with pytest.raises(SideGone, match="exit code 3"):
        module.exits()
    with pytest.raises(StaleRemote):
        side.apply(len, model)
    assert module.double(1) == 2 and made.scale == 5  # the module and what make() made are made again


def test_an_interrupted_request_stops_the_side_and_the_next_one_starts_it(side, capfd, monkeypatch):
    """...and first writes where the side's code waited to the grader's standard error (the run's log); what it
    printed before is there too."""
    monkeypatch.delenv("PYTHONUNBUFFERED", raising=False)  # as in a shell that never set it
    side.restart()  # its standard error: the one captured now
    module = side.import_module("lesson_side")
    first = side.pid
    previous = signal.signal(signal.SIGALRM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
    signal.alarm(2)
    try:
        with pytest.raises(KeyboardInterrupt):
            module.hangs()
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
    assert side.pid is None
    printed, said = capfd.readouterr()
    assert "about to wait" in printed, printed  # not lost in a buffer of the stopped side
    assert f"student's side (pid {first}) was interrupted during call" in said, said
    assert re.search(r'File "[^"]*lesson_side\.py", line \d+ in hangs', said), said
    assert side.import_module("lesson_side").double(4) == 8 and side.pid != first
