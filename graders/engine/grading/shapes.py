"""Check shapes that several lessons share, written once and reported the same way in every lesson.

- ``http_status`` / ``assert_bad_bodies_refused``: a service answers each malformed body with a 4xx
  and a message, never a 500 (lessons 1 and 5);
- ``assert_survives_removal``: an actor, predictor or deployment keeps working once the model file it
  was built from is deleted, so it loaded the model once (lessons 1, 4 and 5);
- ``TuneRun`` / ``tune_run`` / ``trial_results`` / ``assert_best_is_lowest``: a Tune run (read as plain data
  where its ``ResultGrid`` lives) whose trials all ran, and whose best result is the trial of lowest
  metric (lessons 1 and 3);
- ``mnist_normalized`` / ``assert_mnist_normalized``: the course's MNIST normalisation,
  ``Normalize((0.5,), (0.5,))`` after ``ToTensor()`` (lessons 2, 4 and 5);
- ``write_shifted_model``: a second model file that answers other labels, so that a class built from
  a model path shows whether it loaded the file it was given (lessons 4 and 5);
- ``fresh_name``: a run, experiment or folder name no other grading shares (lessons 1 to 4);
- ``Digits`` / ``read_digits``: a folder of MNIST PNGs, normalised as the course does, and the logits a
  TorchScript model gives them in the grader (lessons 4 and 5).
"""
from __future__ import annotations

import dataclasses
import uuid
from dataclasses import dataclass, fields
from pathlib import Path, PurePath

import numpy as np

from graders.engine.reporting import feedback

SERVER_ERROR_NOTE = " (the replica raised: Serve logs the traceback under /tmp/ray/session_latest/logs/serve/)"
REQUEST_TIMEOUT_S = 60


def fresh_name(what: str) -> str:
    """``what`` and a random suffix: the name of an experiment or folder that no other grading run shares."""
    return f"{what}-{uuid.uuid4().hex[:8]}"


# -- services ------------------------------------------------------------------------------------
def http_status(response) -> str:
    """The status and the start of the body, and where to look when the replica raised."""
    said = f"HTTP {response.status_code} {response.text[:200]!r}"
    return said + SERVER_ERROR_NOTE if response.status_code >= 500 else said


def post(url: str, **body):
    """POST to a deployed app (``json=...`` or ``data=...``), with the graders' timeout."""
    import requests

    return requests.post(url, timeout=REQUEST_TIMEOUT_S, **body)


def assert_bad_bodies_refused(url: str, bodies: dict[str, dict], *, accepted: range = range(400, 401),
                              error_key: str | None = None) -> None:
    """Each of ``bodies`` (what it is -> ``requests.post`` keywords) answers a status in ``accepted``
    with a message: a JSON object holding ``error_key`` when one is named, else any non-empty body."""
    __tracebackhide__ = True
    problems = []
    for what, body in bodies.items():
        response = post(url, **body)
        try:
            answer = response.json()
        except ValueError:
            answer = None
        message = (isinstance(answer, dict) and error_key in answer) if error_key else bool(response.text.strip())
        if response.status_code not in accepted or not message:
            problems.append(f"{what}: {http_status(response)}")
    wanted = f"HTTP {accepted.start}" if len(accepted) == 1 else f"HTTP {accepted.start}-{accepted.stop - 1}, never 5xx,"
    wanted += f" with a JSON {{'{error_key}': ...}}" if error_key else " with a message"
    if problems:
        raise AssertionError(f"expected {wanted} for each malformed body; got:\n" + "\n".join(problems))


# -- loaded once ---------------------------------------------------------------------------------
def assert_survives_removal(remove, use, *, what: str):
    """Call ``remove()`` (delete the model file ``what`` was built from), then ``use()``; fail when
    ``use`` raises, as it does when ``what`` loads its model again on each call. Returns ``use()``."""
    __tracebackhide__ = True
    remove()
    failure = None
    try:
        return use()
    except NotImplementedError:
        raise
    except AssertionError:
        raise  # the grader's own check of the answer
    except Exception as exc:
        failure = f"{getattr(exc, 'type_name', type(exc).__name__)}: {feedback.first_line(exc)}"  # the class it had
    # Raised outside the handler, so that the feedback shows this sentence, not the student's traceback.
    assert failure is None, (f"{what} was built from a model file that was then deleted; using it failed with "
                             f"{failure}. Expected it to use the model it loaded once, when it was built.")


# -- Tune ----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Trial:
    """One trial of a Tune run, as plain data."""

    config: dict
    metrics: dict
    path: str | None


@dataclass(frozen=True)
class TuneRun:
    """What the checks read of a ``ResultGrid``, as plain data: made where the grid lives (on the student's
    side, ``tune_run``), judged here."""

    trials: list[Trial]
    experiment_path: str
    error: dict | None
    """The first failed trial's error (``student_side.described``)."""
    best: dict | None
    """``get_best_result()``'s metrics (the grid's own metric and mode), or ``best_error`` when it raised."""
    best_error: dict | None

    @classmethod
    def of(cls, grid) -> TuneRun:
        """A ``ResultGrid`` read here, or ``tune_run``'s plain answer from the student's side."""
        found = grid if isinstance(grid, dict) else tune_run(grid)
        assert "not_a_grid" not in found, f"expected a ray.tune.ResultGrid; got a {found.get('not_a_grid')}"
        return cls(trials=[Trial(**t) for t in found["trials"]],
                   **{k: v for k, v in found.items() if k != "trials"})


def tune_run(grid) -> dict:
    """A ``ResultGrid`` as plain data (run where it lives: the student's side): ``TuneRun.of`` reads it."""
    from ray.tune import ResultGrid

    from graders.engine.grading.student_side import described

    if not isinstance(grid, ResultGrid):
        return {"not_a_grid": type(grid).__name__}

    def metrics(result) -> dict:
        return {key: as_number(value) for key, value in (result.metrics or {}).items()}

    trials = [{"config": dict(r.config or {}), "metrics": metrics(r), "path": str(r.path) if r.path else None}
              for r in grid]
    errors = list(grid.errors)
    try:
        best, best_error = metrics(grid.get_best_result()), None
    except Exception as exc:  # noqa: BLE001 - the grid's metric or mode missing: the student's mistake
        best, best_error = None, described(exc)
    return {"trials": trials, "experiment_path": str(grid.experiment_path),
            "error": described(errors[0]) if errors else None, "best": best, "best_error": best_error}


def as_number(value):
    """A metric as Python data: NumPy scalars and one-element tensors as the number they hold."""
    if isinstance(value, np.generic) or (hasattr(value, "item") and getattr(value, "ndim", None) == 0):
        try:
            return value.item()
        except Exception:  # noqa: BLE001
            return value
    return value


def trial_results(grid) -> list[Trial]:
    """The trials of a Tune run (a ``ResultGrid``, or a ``TuneRun``); a failed trial fails the check with its error."""
    __tracebackhide__ = True
    from graders.engine.grading.student_side import rebuilt

    if not isinstance(grid, (TuneRun, dict)) and getattr(grid, "errors", None):
        raise grid.errors[0]  # a grid read here: its own error, with its traceback
    run = grid if isinstance(grid, TuneRun) else TuneRun.of(grid)
    if run.error is not None:
        raise rebuilt(run.error)  # the student's error, described by the engine like any other
    return run.trials


def assert_best_is_lowest(grid, metric: str, *, what: str = "get_best_result()") -> None:
    """The run's best result (its own metric and mode) is the trial of lowest ``metric``.

    Meaningful only when the trials' values differ and the lowest is neither the first nor the last
    trial: the callers choose seeds and search spaces for which that holds (and assert it).
    """
    __tracebackhide__ = True
    from graders.engine.grading.student_side import rebuilt

    values = [r.metrics.get(metric) for r in trial_results(grid)]
    run = grid if isinstance(grid, TuneRun) else TuneRun.of(grid)
    assert all(v is not None for v in values), f"the trials reported {metric} {values}; expected it from every trial"
    if run.best_error is not None:
        raise rebuilt(run.best_error)
    best = run.best.get(metric)
    lowest = min(values)
    assert best == lowest, (f"{what} has {metric} {best:.4g}; expected the lowest of the trials, {lowest:.4g}: "
                            f"a lower {metric} is better (mode)")


# -- MNIST ---------------------------------------------------------------------------------------
def mnist_normalized(pixels) -> np.ndarray:
    """uint8 ``(N, 28, 28)`` pixels as the course normalises them: float32 ``(N, 1, 28, 28)`` in [-1, 1]."""
    raw = np.asarray(pixels, dtype=np.float32).reshape(len(pixels), 1, 28, 28)
    return (raw / np.float32(255) - np.float32(0.5)) / np.float32(0.5)


def assert_mnist_normalized(got, pixels, tolerance: float, *, what: str) -> None:
    """``got`` is ``mnist_normalized(pixels)``: dtype, shape and values, with the usual mistakes named."""
    __tracebackhide__ = True
    expected = mnist_normalized(pixels)
    array = np.asarray(got)
    assert array.dtype == np.float32, f"{what}: expected float32 images, got {array.dtype}"
    assert array.shape == expected.shape, f"{what}: expected shape {expected.shape}, got {array.shape}"
    gap = float(np.max(np.abs(array - expected), initial=0.0))
    if gap > tolerance:
        low, high = float(array.min()), float(array.max())
        why = (" (values in [0, 1]: scaled, but not normalised to [-1, 1])" if low >= 0 and high <= 1 else
               " (values above 1: not scaled from 0..255)" if high > 1.5 else "")
        raise AssertionError(f"{what}: values differ from the course's normalisation by up to {gap:.4g} "
                             f"(tolerance {tolerance:g}); got values in [{low:.3g}, {high:.3g}], expected [-1, 1]{why}")


def write_shifted_model(model_path, dest) -> Path:
    """Save at ``dest`` a TorchScript model whose logits are those of ``model_path`` moved up one class:
    it answers ``(label + 1) % 10`` where the original answers ``label``. Returns ``dest``."""
    import warnings

    import torch

    class Shifted(torch.nn.Module):
        def __init__(self, inner):
            super().__init__()
            self.inner = inner

        def forward(self, images):
            return torch.roll(self.inner(images), 1, dims=1)

    with warnings.catch_warnings():  # torch.jit's deprecation notes: the course's model is TorchScript
        warnings.simplefilter("ignore", FutureWarning)
        model = Shifted(torch.jit.load(str(model_path), map_location="cpu").eval()).eval()
        torch.jit.trace(model, torch.zeros(2, 1, 28, 28)).save(str(dest))
    return Path(dest)


# -- MNIST PNG folders ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Digits:
    """The PNGs of a ``<root>/<digit>/<n>.png`` folder, read with PIL, and a model's logits for them here."""

    paths: np.ndarray
    """Each file's path under the root read."""
    pixels: np.ndarray
    """uint8 ``(N, 28, 28)``."""
    labels: np.ndarray
    """The digit each file's folder names."""
    normalized: np.ndarray
    """float32 ``(N, 1, 28, 28)``: ``mnist_normalized(pixels)``."""
    logits: np.ndarray

    @property
    def keys(self) -> list[str]:
        return [file_key(p) for p in self.paths]

    @property
    def model_labels(self) -> np.ndarray:
        """The labels the model gives the images."""
        return self.logits.argmax(axis=1)

    def subset(self, rows: slice) -> Digits:
        return Digits(*(getattr(self, f.name)[rows] for f in fields(self)))

    def batch(self, rows: slice) -> dict:
        """A batch as ``map_batches`` hands it to a classifier: normalized images and their paths."""
        return {"image": self.normalized[rows].copy(), "path": self.paths[rows].copy()}

    def off_model(self, keys, predicted, tolerance: float) -> int:
        """How many predicted labels are not the model's argmax (ties within ``tolerance`` accepted)."""
        row = {k: i for i, k in enumerate(self.keys)}
        logits = self.logits[[row[k] for k in keys]]
        chosen = np.take_along_axis(logits, np.asarray(predicted, dtype=np.int64)[:, None] % 10, axis=1)[:, 0]
        in_range = (np.asarray(predicted) >= 0) & (np.asarray(predicted) < 10)
        return int(np.sum(~in_range | (chosen < logits.max(axis=1) - tolerance)))

    def accuracy(self) -> float:
        return float(np.mean(self.model_labels == self.labels))

    def shifted(self) -> Digits:
        """As the shifted model (``write_shifted_model``) classifies them."""
        return dataclasses.replace(self, logits=np.roll(self.logits, 1, axis=1))


def file_key(path) -> str:
    """``<digit>/<file>``: names a file whatever the root, scheme or separator of its path."""
    return "/".join(PurePath(str(path)).parts[-2:])


def read_digits(root: str, model_path: str, per_digit: int | None = None) -> Digits:
    """The folder's PNGs (local or remote, through pyarrow's filesystems), in the order of their paths, or the
    first ``per_digit`` of each digit by number, digit after digit; and the model's logits for them."""
    import pyarrow.fs
    import torch
    from PIL import Image

    fs, base = pyarrow.fs.FileSystem.from_uri(root)
    files = sorted(i.path for i in fs.get_file_info(pyarrow.fs.FileSelector(base, recursive=True))
                   if i.path.endswith(".png"))
    if per_digit is not None:
        files = [f for digit in range(10) for f in sorted((f for f in files if PurePath(f).parent.name == str(digit)),
                                                           key=lambda f: int(PurePath(f).stem))[:per_digit]]
    pixels = []
    for name in files:
        with fs.open_input_file(name) as handle:
            pixels.append(np.array(Image.open(handle).convert("L")))
    normalized = mnist_normalized(np.stack(pixels))
    model = torch.jit.load(model_path, map_location="cpu").eval()
    with torch.no_grad():
        logits = model(torch.as_tensor(normalized)).numpy()
    paths = np.array([f"{root.rstrip('/')}/{file_key(f)}" for f in files], dtype=object)
    return Digits(paths, np.stack(pixels), np.array([int(PurePath(f).parent.name) for f in files]), normalized, logits)
