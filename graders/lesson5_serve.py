"""Grader of lesson 5, Ray Serve: deployments, HTTP and handles, composition, FastAPI ingress, autoscaling.

Two applications, each deployed once through ``serve_apps`` (so both are deleted when the lesson
ends, whatever happened) and asked many questions over real HTTP on loopback:

- the classifier alone, deployed from a private copy of the model file with the student's
  autoscaling config (or without one while ``autoscaling_config`` does not work yet, so the other
  checks of the classifier still count); the autoscaling check, last, bursts it with requests;
- the composed application of ``build_app``.

Every expected label is the model's own prediction, computed here with ``torch.jit.load`` on the
same images; graders never import the reference solution.
"""
import asyncio
import contextlib
import inspect
import json
import shutil
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
import requests

from graders.engine import check, wait_for

PER_DIGIT = 10  # images of each digit in one request
REQUEST_TIMEOUT_S = 60
GPU_SHARE = 0.1  # GPUs per classifier replica when grading on a GPU cluster
INSPECT_REPLICAS, INSPECT_GPUS = 3, 0.5  # build_app arguments whose effect is inspected, never deployed
BURST_CLIENTS = 16  # concurrent clients of the autoscaling burst
BURST_DIGITS = 2  # images of each digit in one burst request: cheap requests, many of them in flight
SERVER_ERROR_NOTE = " (the replica raised: Serve logs the traceback under /tmp/ray/session_latest/logs/serve/)"
BAD_BODIES = {
    "a body that is not JSON": {"data": b"{not json", "headers": {"Content-Type": "application/json"}},
    "a JSON object without 'image'": {"json": {"pixels": [[0, 0], [0, 0]]}},
    "an 'image' that is a string": {"json": {"image": "seven"}},
    "an 'image' of the wrong shape": {"json": {"image": [[0.0] * 28] * 3}},
}


# -- the grader's own reference ------------------------------------------------------------------
@dataclass(frozen=True)
class Digits:
    """Images of a PNG folder and the labels the model itself gives them."""

    raw: np.ndarray
    """uint8 pixels, (N, 28, 28)."""
    normalized: np.ndarray
    """float32, (N, 1, 28, 28) in [-1, 1]."""
    labels: np.ndarray


def normalize(raw: np.ndarray) -> np.ndarray:
    """What the course's ``ToTensor()`` then ``Normalize((0.5,), (0.5,))`` make of raw pixels."""
    return ((raw.astype(np.float32) / 255.0 - 0.5) / 0.5)[:, None, :, :]


def read_digits(root: str, model_path: str, per_digit: int = PER_DIGIT) -> Digits:
    """The first ``per_digit`` images of each digit of ``root/<digit>/<n>.png``, labelled by the model."""
    import torch
    from PIL import Image

    files = [path for digit in range(10)
             for path in sorted((Path(root) / str(digit)).glob("*.png"), key=lambda p: int(p.stem))[:per_digit]]
    raw = np.stack([np.asarray(Image.open(path).convert("L")) for path in files])
    model = torch.jit.load(model_path, map_location="cpu").eval()
    with torch.no_grad():
        labels = model(torch.from_numpy(normalize(raw))).argmax(dim=1).numpy()
    return Digits(raw, normalize(raw), labels)


@pytest.fixture(scope="module")
def digits(data) -> Digits:
    """Public PNG digits and the model's labels for them."""
    return read_digits(data.path("mnist_png"), data.path("mnist_model"))


def deploy(app, serve_apps, base: str):
    """``serve.run`` the app under a name the lesson deletes at its end: (name, route prefix, handle).

    A replica whose constructor is still a stub fails the deployment with a message that does not
    say why; Serve's status does, so that case reads as the stub it is.
    """
    from ray import serve

    name, prefix = serve_apps.new(base)
    try:
        return name, prefix, serve.run(app, name=name, route_prefix=prefix)
    except RuntimeError as exc:
        status = serve.status().applications.get(name)
        detail = "\n".join(d.message for d in status.deployments.values()) if status else ""
        if "NotImplementedError" in detail:
            raise NotImplementedError(detail[-2000:]) from exc
        raise


def post(url: str, **body) -> requests.Response:
    """POST to a deployed app."""
    return requests.post(url, timeout=REQUEST_TIMEOUT_S, **body)


def http_status(response: requests.Response) -> str:
    """The status and the start of the body, and where to look when the replica raised."""
    said = f"HTTP {response.status_code} {response.text[:200]!r}"
    return said + SERVER_ERROR_NOTE if response.status_code >= 500 else said


def assert_labels(got, expected: np.ndarray, what: str) -> None:
    """``got`` holds exactly the model's labels."""
    __tracebackhide__ = True
    array = np.asarray(got)
    assert array.shape == expected.shape and array.dtype.kind in "iu", (
        f"{what}: predicted_label is {str(got)[:120]} (shape {array.shape}, dtype {array.dtype}); "
        f"expected {len(expected)} integer labels")
    wrong = int((array != expected).sum())
    assert wrong == 0, (f"{what}: {wrong} of {len(expected)} labels differ from the model's own predictions "
                        "on the same images; expected none")


def assert_answer(response: requests.Response, expected: np.ndarray, what: str) -> None:
    """A 200 answer ``{"predicted_label": [...]}`` holding the model's labels."""
    __tracebackhide__ = True
    assert response.status_code == 200, f"{what}: {http_status(response)}; expected 200 with {{'predicted_label': [...]}}"
    answer = response.json()
    assert isinstance(answer, dict) and "predicted_label" in answer, (
        f"{what}: answered {str(answer)[:200]}; expected {{'predicted_label': [...]}}")
    assert_labels(answer["predicted_label"], expected, what)


def bad_body_answers(url: str, accepted: range) -> list[str]:
    """Each bad body whose answer is not a status in ``accepted`` with a message, described."""
    problems = []
    for what, body in BAD_BODIES.items():
        response = post(url, **body)
        if response.status_code not in accepted or not response.text.strip():
            problems.append(f"{what}: HTTP {response.status_code} {response.text[:120]!r}")
    return problems


def assert_bad_bodies_refused(url: str, accepted: range, expected: str) -> None:
    """Every bad body answers a status in ``accepted`` with a message."""
    __tracebackhide__ = True
    problems = bad_body_answers(url, accepted)
    if problems:
        raise AssertionError(f"expected {expected} with a message for each bad body; got:\n" + "\n".join(problems))


# -- the classifier alone ------------------------------------------------------------------------
@dataclass(frozen=True)
class Classifier:
    """The student's classifier as one deployed application."""

    name: str
    url: str
    handle: object
    model_copy: Path
    """The file the replicas were given; the grader removes it for a while."""
    autoscaling: dict | None
    config_error: BaseException | None
    """Why the app runs without the student's autoscaling config."""


@pytest.fixture(scope="module")
def classifier(student, data, serve_apps, use_gpu, tmp_path_factory) -> Classifier:
    """The classifier deployed from a private copy of the model, autoscaled by the student's config."""
    model_copy = tmp_path_factory.mktemp("lesson5-model") / "model.pt"
    shutil.copy(data.path("mnist_model"), model_copy)
    deployment = student.OnlineMNISTClassifier.options(ray_actor_options={"num_gpus": GPU_SHARE if use_gpu else 0})
    config = error = None
    try:
        config = student.autoscaling_config()
        deployment = deployment.options(autoscaling_config=config)
    except Exception as exc:  # graded by the autoscaling check; the others run without it
        error = exc
    name, prefix, handle = deploy(deployment.bind(str(model_copy)), serve_apps, "mnist-classifier")
    return Classifier(name, serve_apps.url(prefix), handle, model_copy, config, error)


@check(points=3, hint="await request.json() gives the posted object; predict() runs the model on batch['image'].")
def test_classifier_http(classifier, digits):
    response = post(classifier.url, json={"image": digits.normalized.tolist()})
    assert_answer(response, digits.labels, "POST {'image': normalized images} to OnlineMNISTClassifier")


@check(points=1, hint="The course posts json=json.dumps({...}): the body is a JSON string; decode it once more.")
def test_classifier_http_json_string(classifier, digits):
    response = post(classifier.url, json=json.dumps({"image": digits.normalized.tolist()}))
    assert_answer(response, digits.labels, "POST of a JSON string holding {'image': ...} (as the course posts)")


@check(points=2, hint="handle.predict.remote(batch) returns a DeploymentResponse; .result() waits for its value.")
def test_classifier_handle(classifier, digits):
    answer = classifier.handle.predict.remote({"image": digits.normalized}).result(timeout_s=REQUEST_TIMEOUT_S)
    assert isinstance(answer, dict) and "predicted_label" in answer, (
        f"handle.predict.remote(batch) answered {str(answer)[:200]}; expected {{'predicted_label': labels}}")
    assert_labels(answer["predicted_label"], digits.labels, "predict through a DeploymentHandle")


@check(points=2, hint="Catch the ValueError of a bad body and answer JSONResponse({'error': ...}, status_code=400).")
def test_classifier_bad_body(classifier):
    assert_bad_bodies_refused(classifier.url, range(400, 401), "HTTP 400")


@check(points=2, hint="A replica lives long: load the model once, in __init__, and answer every request from memory.")
def test_classifier_loads_model_once(classifier, digits, data):
    classifier.model_copy.unlink()
    try:
        response = post(classifier.url, json={"image": digits.normalized[:PER_DIGIT].tolist()})
    finally:
        shutil.copy(data.path("mnist_model"), classifier.model_copy)
    assert response.status_code == 200, (
        f"after the model file the replica was started from was removed, a request answered "
        f"{http_status(response)}; expected 200 from the model already in memory")


# -- the preprocessor, as a plain class ----------------------------------------------------------
@check(points=2, hint="ToTensor() scales 0..255 to [0, 1]; Normalize((0.5,), (0.5,)) then maps it to [-1, 1].")
def test_preprocessor_normalizes(student, digits, thresholds):
    result = student.OnlineMNISTPreprocessor.func_or_class().run({"image": digits.raw.copy()})
    if inspect.isawaitable(result):
        result = asyncio.run(result)
    assert isinstance(result, dict) and "image" in result, (
        f"run(batch) returned {type(result).__name__}; expected a dict with 'image'")
    images = np.asarray(result["image"])
    expected = normalize(digits.raw)
    assert images.shape == expected.shape and images.dtype == np.float32, (
        f"run(batch)['image'] has shape {images.shape} and dtype {images.dtype}; expected {expected.shape} float32")
    gap = float(np.abs(images - expected).max())
    limit = thresholds["normalize_tolerance"]
    assert gap <= limit, (f"run(batch)['image'] differs from (pixel / 255 - 0.5) / 0.5 by up to {gap:.3g}; "
                          f"tolerance {limit}")


# -- the composed application --------------------------------------------------------------------
@pytest.fixture(scope="module")
def service(student, data, serve_apps, use_gpu) -> str:
    """URL of ``POST /predict`` of the student's ``build_app``, deployed once."""
    app = student.build_app(data.path("mnist_model"), num_gpus=GPU_SHARE if use_gpu else 0)
    _, prefix, _ = deploy(app, serve_apps, "mnist-service")
    return serve_apps.url(prefix, "/predict")


@check(points=3, hint="The ingress awaits preprocessor.run.remote(...), then passes its result to classifier.predict.remote(...).")
def test_ingress_predicts(service, digits):
    response = post(service, json={"image": digits.raw.tolist()})
    assert_answer(response, digits.labels, "POST /predict with raw pixels to build_app's application")


@check(points=2, hint="Turn the ValueError of a bad body into HTTPException(status_code=400, detail=...).")
def test_ingress_bad_body(service):
    assert_bad_bodies_refused(service, range(400, 500), "HTTP 4xx, never 5xx,")


@check(points=2, hint=".options(num_replicas=..., ray_actor_options={'num_gpus': ...}) on the classifier before .bind().")
def test_build_app_resources(student, data):
    from ray.serve._private.build_app import build_app as finalize

    app = student.build_app(data.path("mnist_model"), num_replicas=INSPECT_REPLICAS, num_gpus=INSPECT_GPUS)
    built = finalize(app, name="lesson5-inspect")
    gpus = {d.name: (d.ray_actor_options or {}).get("num_gpus", 0) for d in built.deployments}
    replicas = {d.name: d.num_replicas for d in built.deployments}
    call = f"build_app(model_path, num_replicas={INSPECT_REPLICAS}, num_gpus={INSPECT_GPUS})"
    assert built.ingress_deployment_name == "ImageServiceIngress" and "OnlineMNISTClassifier" in gpus, (
        f"{call} holds deployments {sorted(gpus)} with ingress {built.ingress_deployment_name}; expected "
        "ImageServiceIngress bound to OnlineMNISTPreprocessor and OnlineMNISTClassifier")
    expected_gpus = {name: INSPECT_GPUS if name == "OnlineMNISTClassifier" else 0 for name in gpus}
    assert replicas["OnlineMNISTClassifier"] == INSPECT_REPLICAS and gpus == expected_gpus, (
        f"{call}: replicas {replicas}, GPUs per replica {gpus}; expected the classifier to run "
        f"{INSPECT_REPLICAS} replicas of {INSPECT_GPUS} GPU, the other deployments no GPU")


### BEGIN HIDDEN TESTS
@check(points=2, hidden=True, hint="The service must classify any raw digits, as the offline classifier does.")
def test_ingress_other_digits(service, data):
    other = read_digits(data.path("mnist_png", seed=1), data.path("mnist_model"))
    assert_answer(post(service, json={"image": other.raw.tolist()}), other.labels, "POST /predict with other digits")
### END HIDDEN TESTS


# -- autoscaling: last, since the replicas it adds go on starting after it ------------------------
def live_replicas(app_name: str) -> int:
    """Replicas of the app's only deployment that run or are starting (not those stopping)."""
    from ray import serve

    (status,) = serve.status().applications[app_name].deployments.values()
    return sum(count for state, count in status.replica_states.items() if not str(state).endswith("STOPPING"))


@contextlib.contextmanager
def burst(url: str, body: bytes, *, clients: int, seconds: float):
    """``clients`` threads post ``body`` back to back until the block ends or ``seconds`` pass."""
    stop = threading.Event()
    deadline = time.monotonic() + seconds

    def client():
        while not stop.is_set() and time.monotonic() < deadline:
            with contextlib.suppress(requests.RequestException):
                requests.post(url, data=body, headers={"Content-Type": "application/json"}, timeout=10)

    with ThreadPoolExecutor(clients) as pool:
        for _ in range(clients):
            pool.submit(client)
        try:
            yield
        finally:
            stop.set()


@check(points=3, hint="Serve adds replicas while ongoing requests per replica exceed target_ongoing_requests, "
                      "after upscale_delay_s, up to max_replicas.")
def test_autoscaling_adds_replicas(classifier, digits, thresholds, serve_apps):
    from ray.serve.config import AutoscalingConfig

    if classifier.config_error is not None:
        raise classifier.config_error
    serve_apps.delete_all(but=classifier.name)  # so that an added replica really starts on a small machine
    config = AutoscalingConfig(**classifier.autoscaling)
    assert config.max_replicas >= 2, f"autoscaling_config() has max_replicas {config.max_replicas}; expected at least 2"
    limit, start = thresholds["upscale_within_s"], max(1, config.min_replicas)
    sample = np.concatenate([digits.normalized[i * PER_DIGIT:i * PER_DIGIT + BURST_DIGITS] for i in range(10)])
    counts = [live_replicas(classifier.name)]

    def scaled() -> bool:
        counts.append(live_replicas(classifier.name))
        return counts[-1] > start

    with burst(classifier.url, json.dumps({"image": sample.tolist()}).encode(), clients=BURST_CLIENTS,
               seconds=limit + 5):
        try:
            wait_for(scaled, timeout=limit, interval=0.25, what="an added replica")
        except AssertionError:
            raise AssertionError(
                f"{BURST_CLIENTS} clients posted back to back for {limit} s and the classifier kept "
                f"{max(counts)} replica(s); expected more than {start} under autoscaling_config() = "
                f"{classifier.autoscaling}") from None
        time.sleep(1)  # one more look: the next decision must stay within max_replicas too
        scaled()
    assert max(counts) <= config.max_replicas, (
        f"the classifier reached {max(counts)} replicas; expected at most max_replicas = {config.max_replicas}")
