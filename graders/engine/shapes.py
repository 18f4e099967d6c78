"""Check shapes that several lessons share, written once and reported the same way in every lesson.

- ``http_status`` / ``assert_bad_bodies_refused``: a service answers each malformed body with a 4xx
  and a message, never a 500 (lessons 1 and 5);
- ``assert_survives_removal``: an actor, predictor or deployment keeps working once the model file it
  was built from is deleted, so it loaded the model once (lessons 1, 4 and 5);
- ``trial_results`` / ``assert_best_is_lowest``: a Tune run whose trials all ran, and whose best
  result is the trial of lowest metric (lessons 1 and 3);
- ``mnist_normalized`` / ``assert_mnist_normalized``: the course's MNIST normalisation,
  ``Normalize((0.5,), (0.5,))`` after ``ToTensor()`` (lessons 2, 4 and 5);
- ``write_shifted_model``: a second model file that answers other labels, so that a class built from
  a model path shows whether it loaded the file it was given (lessons 4 and 5).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from graders.engine import feedback

SERVER_ERROR_NOTE = " (the replica raised: Serve logs the traceback under /tmp/ray/session_latest/logs/serve/)"
REQUEST_TIMEOUT_S = 60


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
        failure = f"{type(exc).__name__}: {feedback.first_line(exc)}"
    # Raised outside the handler, so that the feedback shows this sentence, not the student's traceback.
    assert failure is None, (f"{what} was built from a model file that was then deleted; using it failed with "
                             f"{failure}. Expected it to use the model it loaded once, when it was built.")


# -- Tune ----------------------------------------------------------------------------------------
def trial_results(grid) -> list:
    """The results of every trial of a ``ResultGrid``; a failed trial fails the check with its error."""
    __tracebackhide__ = True
    if grid.errors:
        raise grid.errors[0]  # the student's error, described by the engine like any other
    return list(grid)


def assert_best_is_lowest(grid, metric: str, *, what: str = "get_best_result()") -> None:
    """The grid's best result (its own metric and mode) is the trial of lowest ``metric``.

    Meaningful only when the trials' values differ and the lowest is neither the first nor the last
    trial: the callers choose seeds and search spaces for which that holds (and assert it).
    """
    __tracebackhide__ = True
    values = [r.metrics.get(metric) for r in trial_results(grid)]
    assert all(v is not None for v in values), f"the trials reported {metric} {values}; expected it from every trial"
    best = grid.get_best_result().metrics.get(metric)
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
