"""Grader of lesson 5, Ray Serve: deployments, HTTP and handles, composition, FastAPI ingress, autoscaling.

Apps deployed through ``serve_apps`` (deleted when the lesson ends, whatever happened), each asked
many questions over real HTTP on loopback or through its handle, in this order, so that the
embedded Ray's few CPUs always hold the replicas of the apps alive at the time:

- the classifier alone, deployed from a private copy of the model file with the student's
  ``autoscaling_config(min_replicas=0, ...)``: it starts from zero replicas and takes the course's
  burst of 100 handle calls at once; the HTTP, handle and autoscaling checks then use it (without
  the student's config while ``autoscaling_config`` does not work yet, so the other checks count);
- the preprocessor alone, deployed by ``deploy_preprocessor``;
- those two deleted, the FastAPI application of ``build_app``, and beside it the student's
  ``ImageClassifierIngress`` bound by the grader to that application's preprocessor and classifier
  (``build_composed_app`` itself is inspected, as ``build_app`` is, not deployed twice).

Every argument is judged with a second value at no cost: ``build_app`` and ``build_composed_app`` are
inspected with other replicas, GPUs and model path, ``autoscaling_config`` called with other bounds,
and the classifier built in this process from a second model file whose labels are the first's plus one.

Every expected label is the model's own prediction, computed here with ``torch.jit.load`` on the
same images; graders never import the reference solution. The composition checks expect what the
student's own preprocessor, then the model, make of the raw digits, so that a wrong preprocessor costs
the preprocessor's checks alone.

The student's module is imported on the student's side (``student_side``), never here: ``serve.run`` of
the student's applications, handle calls and a replica's class built outside Serve all happen there, and
come back as plain data (labels, arrays, the settings of a bound application). HTTP answers are read
here, as JSON.
"""
import contextlib
import json
import shutil
import threading
import time
import warnings
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
import requests

from graders.engine import check, wait_for
from graders.engine.grading import shapes
from graders.engine.grading.serving import answered, handle_answer
from graders.engine.grading.student_side import described, rebuilt, type_name

PER_DIGIT = 10  # images of each digit in one request: 100 images, the course's 100 handle calls
GPU_SHARE = 0.1  # GPUs per classifier replica when grading on a GPU cluster
# Arguments of build_app and build_composed_app whose effect is inspected, never deployed (nor the model read).
INSPECTED = (("/lesson5/inspected/model.pt", {"num_replicas": 3, "num_gpus": 0.5}),
             ("/lesson5/inspected/other-model.pt", {"num_replicas": 6, "num_gpus": 0.3}))
MAX_REPLICAS = 2  # autoscaling_config(min_replicas=0, max_replicas=MAX_REPLICAS) for the classifier
OTHER_SCALING = {"min_replicas": 3, "max_replicas": 7}  # autoscaling_config's second call, never deployed
HOLD_S = 3600.0  # the grader's downscale delays: replicas, once up, stay until the lesson deletes them
BURST_CLIENTS = 16  # concurrent clients of the autoscaling burst
BURST_DIGITS = 2  # images of each digit in one burst request: cheap requests, many of them in flight
JSON_STRING_HINT = ("The course posts json=json.dumps({...}): the body is JSON holding a string.",
                    "json.loads turns that string into the object.",
                    "When the decoded body is a str, decode it once more before reading 'image'.")
BAD_BODIES = {
    "a body that is not JSON": {"data": b"{not json", "headers": {"Content-Type": "application/json"}},
    "a JSON object without 'image'": {"json": {"pixels": [[0, 0], [0, 0]]}},
    "an 'image' that is a string": {"json": {"image": "seven"}},
    "an 'image' of the wrong shape": {"json": {"image": [[0.0] * 28] * 3}},
}


# -- the grader's own reference ------------------------------------------------------------------
def read_digits(root: str, model_path: str, per_digit: int = PER_DIGIT) -> shapes.Digits:
    """The first ``per_digit`` images of each digit of ``root/<digit>/<n>.png``, and the model's logits for them."""
    return shapes.read_digits(root, model_path, per_digit)


def model_labels(model_path: str, images: np.ndarray) -> np.ndarray:
    """The model's labels for normalized images, computed here."""
    import torch

    model = torch.jit.load(model_path, map_location="cpu").eval()
    with torch.no_grad():
        return model(torch.as_tensor(np.asarray(images, dtype=np.float32))).argmax(dim=1).numpy()


def pipeline_labels(side, student, raw: np.ndarray, model_path: str, reference: np.ndarray) -> np.ndarray:
    """The labels a composition of the student's own preprocessor and the model gives ``raw``.

    The composition checks judge the ingress, not the preprocessor (its own checks do): a preprocessor
    that normalizes wrongly costs its checks only. One that fails here leaves the grader's ``reference``.
    """
    try:
        result = side.apply(replica_answer, student.OnlineMNISTPreprocessor, (), "run", {"image": raw.copy()})
        images = np.asarray(result["image"], dtype=np.float32)
        assert images.shape == (len(raw), 1, 28, 28), (
            f"the preprocessor gives shape {images.shape}; expected {(len(raw), 1, 28, 28)}")
        return model_labels(model_path, images)
    except Exception:
        return reference


@pytest.fixture(scope="module")
def digits(data) -> shapes.Digits:
    """Public PNG digits and the model's labels for them (several digits, so no constant answer passes)."""
    found = read_digits(data.path("mnist_png"), data.path("mnist_model"))
    assert len(set(found.model_labels.tolist())) > 1, (
        f"grader data: the model labels every digit {found.model_labels[0]}; expected several labels")
    unscaled = model_labels(data.path("mnist_model"), found.pixels[:, None].astype(np.float32))
    assert (unscaled != found.model_labels).any(), (
        "grader data: the model gives the digits left unnormalized the same labels; expected other labels")
    return found


def deploy(side, app, serve_apps, base: str) -> tuple[str, str]:
    """``serve.run`` the app (on the student's side) under a name the lesson deletes at its end: (name,
    route prefix).

    A replica whose constructor is still a stub fails the deployment with a message that does not
    say why; Serve's status does, so that case reads as the stub it is.
    """
    from ray import serve

    name, prefix = serve_apps.new(base)
    try:
        side.apply(run_app, app, name, prefix)
    except RuntimeError as exc:
        status = serve.status().applications.get(name)
        detail = "\n".join(d.message for d in status.deployments.values()) if status else ""
        if "NotImplementedError" in detail:
            raise NotImplementedError(detail[-2000:]) from exc
        raise
    return name, prefix


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
    assert response.status_code == 200, (
        f"{what}: {shapes.http_status(response)}; expected 200 with {{'predicted_label': [...]}}")
    answer = response.json()
    assert isinstance(answer, dict) and "predicted_label" in answer, (
        f"{what}: answered {str(answer)[:200]}; expected {{'predicted_label': [...]}}")
    assert_labels(answer["predicted_label"], expected, what)


def replica_states(app_name: str) -> dict[str, int]:
    """Replica state -> count, over every deployment of the app (those stopping left out)."""
    from ray import serve

    counts: dict[str, int] = {}
    for status in serve.status().applications[app_name].deployments.values():
        for state, count in status.replica_states.items():
            if count and not str(state).endswith("STOPPING"):
                key = str(state).rsplit(".", 1)[-1]
                counts[key] = counts.get(key, 0) + count
    return counts


def live_replicas(app_name: str) -> int:
    """Replicas of the app that run or are starting."""
    return sum(replica_states(app_name).values())


# -- run on the student's side (``StudentSide.apply``): the student's objects stay there ------------
def run_app(app, name: str, prefix: str) -> None:
    from ray import serve

    serve.run(app, name=name, route_prefix=prefix)


def replica_answer(deployment, init_args: tuple, method: str, batch: dict):
    """``method(batch)`` of the deployment's class built here with ``init_args`` (outside Serve), awaited."""
    import asyncio
    import inspect

    answer = getattr(deployment.func_or_class(*init_args), method)(batch)
    return answered(asyncio.run(answer) if inspect.isawaitable(answer) else answer)


def app_answer(app_name: str, method: str, batch: dict):
    """``handle_answer`` through the handle of the app's ingress."""
    from ray import serve

    return handle_answer(serve.get_app_handle(app_name), method, batch)


def model_answers(classifier, models: tuple, images: np.ndarray) -> tuple:
    """``predict``'s answers to ``images`` of the classifier built from each model file (as lists: comparable)."""
    answers = []
    for model in models:
        answer = replica_answer(classifier, (model,), "predict", {"image": images.copy()})
        answers.append({k: np.asarray(v).tolist() for k, v in answer.items()} if isinstance(answer, dict)
                       else repr(answer))
    return tuple(answers)


def burst_answers(app_name: str, digits, seconds: float) -> tuple:
    """``handle_burst`` through the app's handle; its error as plain data."""
    from ray import serve

    labels, error, peak = handle_burst(serve.get_app_handle(app_name), digits, app_name, seconds)
    return labels, None if error is None else described(error), peak


def available_cpus() -> float:
    import ray

    return float(ray.available_resources().get("CPU", 0.0))


# -- the classifier alone, from zero ------------------------------------------------------------
@dataclass(frozen=True)
class FromZero:
    """What the classifier did with the course's burst of handle calls, right after deploying."""

    replicas_at_deploy: int
    cpus_held: float
    """CPUs Ray had fewer right after deploying than just before."""
    labels: np.ndarray | None
    error: BaseException | None
    peak: int
    """The most replicas seen while the burst was answered."""


@dataclass(frozen=True)
class Classifier:
    """The student's classifier as one deployed application."""

    name: str
    url: str
    model_copy: Path
    """The file the replicas were given; the grader removes it for a while."""
    autoscaling: dict | None
    config_error: BaseException | None
    """Why the app runs without the student's autoscaling config."""
    from_zero: FromZero | None


def held_config(config: dict) -> dict:
    """The student's config with the grader's downscale delays: replicas, once up, stay for the lesson's
    later checks (how fast they go away is not graded; a replica that went and came back would be
    built from the model file the loaded-once check removes)."""
    return {**config, "downscale_delay_s": max(float(config.get("downscale_delay_s") or 0), HOLD_S),
            "downscale_to_zero_delay_s": max(float(config.get("downscale_to_zero_delay_s") or 0), HOLD_S)}


def failed_deployment(app_name: str) -> Exception | None:
    """The error of a deployment of the app whose replicas cannot start (a stub raises NotImplementedError)."""
    from ray import serve

    for status in serve.status().applications[app_name].deployments.values():
        if str(status.status).rsplit(".", 1)[-1] in ("DEPLOY_FAILED", "UNHEALTHY"):
            kind = NotImplementedError if "NotImplementedError" in status.message else RuntimeError
            return kind(status.message[-2000:])
    return None


def answer_of(call, app_name: str, deadline: float):
    """The value of a ``DeploymentResponse``; fails at once when the deployment's replicas cannot start."""
    while True:
        try:
            return call.result(timeout_s=2)
        except Exception as exc:
            if "Timeout" not in type(exc).__name__:
                raise
            failure = failed_deployment(app_name)
            if failure is not None:
                raise failure from None
            if time.monotonic() > deadline:
                raise


def handle_burst(handle, digits: shapes.Digits, app_name: str, seconds: float) -> tuple:
    """One ``handle.predict.remote`` per image, all sent at once; (labels or None, error, peak replicas)."""
    peak, stop = [0], threading.Event()

    def watch():
        while not stop.is_set():
            with contextlib.suppress(Exception):
                peak[0] = max(peak[0], live_replicas(app_name))
            stop.wait(0.25)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    deadline = time.monotonic() + seconds
    try:
        calls = [handle.predict.remote({"image": digits.normalized[i:i + 1]}) for i in range(len(digits.model_labels))]
        answers = [answer_of(call, app_name, deadline) for call in calls]
        labels = np.concatenate([np.asarray(answer["predicted_label"]).reshape(-1) for answer in answers])
        return labels, None, peak[0]
    except Exception as exc:  # the student's error, or a timeout: the from-zero check reports it
        return None, exc, peak[0]
    finally:
        stop.set()
        watcher.join()


@pytest.fixture(scope="module")
def classifier(student, student_side, data, digits, serve_apps, use_gpu, thresholds, tmp_path_factory) -> Classifier:
    """The classifier deployed from a private copy of the model, autoscaled from zero by the student's
    config, and asked the course's burst of handle calls at once."""
    from ray.serve.config import AutoscalingConfig

    model_copy = tmp_path_factory.mktemp("lesson5-model") / "model.pt"
    shutil.copy(data.path("mnist_model"), model_copy)
    deployment = student.OnlineMNISTClassifier.options(ray_actor_options={"num_gpus": GPU_SHARE if use_gpu else 0})
    config = error = None
    try:
        config = student.autoscaling_config(min_replicas=0, max_replicas=MAX_REPLICAS)
        with warnings.catch_warnings():  # the from-zero check judges deprecated settings, with its message
            warnings.simplefilter("ignore")
            AutoscalingConfig(**config)
            deployment = deployment.options(autoscaling_config=held_config(config))
    except Exception as exc:  # graded by the autoscaling checks; the others run without it
        error = exc
    cpus = available_cpus()
    name, prefix = deploy(student_side, deployment.bind(str(model_copy)), serve_apps, "mnist-classifier")
    from_zero = None
    if error is None:
        at_deploy, held = live_replicas(name), cpus - available_cpus()
        labels, failure, peak = student_side.apply(burst_answers, name, digits, thresholds["from_zero_within_s"])
        from_zero = FromZero(at_deploy, held, labels, None if failure is None else rebuilt(failure), peak)
        failure = failed_deployment(name)
        if failure is not None:  # the constructor fails: every check of the classifier says why
            raise failure
    return Classifier(name, serve_apps.url(prefix), model_copy, config, error, from_zero)


@check(points=3, hint=("A deployment's __call__ receives the HTTP request; its body is the posted JSON.",
                       "starlette's Request: await request.json() (or request.body() and json.loads).",
                       "Parse the body into a (N, 1, 28, 28) array, await self.predict({'image': ...}), "
                       "and answer a dict whose labels are a plain list."))
def test_classifier_http(classifier, digits):
    response = shapes.post(classifier.url, json={"image": digits.normalized.tolist()})
    assert_answer(response, digits.model_labels, "POST {'image': normalized images} to OnlineMNISTClassifier")


@check(points=1, hint=JSON_STRING_HINT)
def test_classifier_http_json_string(classifier, digits):
    response = shapes.post(classifier.url, json=json.dumps({"image": digits.normalized.tolist()}))
    assert_answer(response, digits.model_labels, "POST of a JSON string holding {'image': ...} (as the course posts)")


@check(points=2, hint=("Python code calls a deployment's methods through a DeploymentHandle, not HTTP.",
                       "handle.predict.remote(batch) returns a DeploymentResponse; .result() waits for its value.",
                       "predict answers {'predicted_label': labels}: the argmax of the model's logits."))
def test_classifier_handle(classifier, student_side, digits):
    answer = student_side.apply(app_answer, classifier.name, "predict", {"image": digits.normalized})
    assert isinstance(answer, dict) and "predicted_label" in answer, (
        f"handle.predict.remote(batch) answered {str(answer)[:200]}; expected {{'predicted_label': labels}}")
    assert_labels(answer["predicted_label"], digits.model_labels, "predict through a DeploymentHandle")


@check(points=2, hint=("A body the service cannot read is the client's mistake: HTTP 400, not 500.",
                       "starlette.responses.JSONResponse takes a status_code.",
                       "Catch the ValueError of a bad body and answer JSONResponse({'error': ...}, status_code=400)."))
def test_classifier_bad_body(classifier):
    shapes.assert_bad_bodies_refused(classifier.url, BAD_BODIES, accepted=range(400, 401))


@check(points=2, hint=("A replica lives long and answers many requests: load the model once.",
                       "A deployment's __init__ runs once per replica.",
                       "Load the TorchScript file in __init__, keep it on self, use it in predict."))
def test_classifier_loads_model_once(student, student_side, classifier, digits, data, tmp_path):
    def settled():
        states = replica_states(classifier.name)
        return states and set(states) == {"RUNNING"}

    wait_for(settled, timeout=shapes.REQUEST_TIMEOUT_S, what="the classifier's replicas to finish starting")

    def use():
        response = shapes.post(classifier.url, json={"image": digits.normalized[:PER_DIGIT].tolist()})
        assert response.status_code == 200, (
            f"after the model file the replica was started from was removed, a request answered "
            f"{shapes.http_status(response)}; expected 200 from the model already in memory")

    try:
        shapes.assert_survives_removal(classifier.model_copy.unlink, use, what="the deployed OnlineMNISTClassifier")
    finally:
        shutil.copy(data.path("mnist_model"), classifier.model_copy)
    models = (data.path("mnist_model"), str(shapes.write_shifted_model(data.path("mnist_model"), tmp_path / "shifted.pt")))
    plain, shifted = student_side.apply(model_answers, student.OnlineMNISTClassifier, models,
                                        digits.normalized[::PER_DIGIT])
    assert plain != shifted, (
        f"OnlineMNISTClassifier built from the model file and from a second one, whose labels are the first's plus "
        f"one, answered predict the same: {str(plain)[:200]}; expected each to answer with the model at its local_path")


# -- autoscaling --------------------------------------------------------------------------------
def outdated_settings(config: dict) -> list[str]:
    """What in ``config`` today's Serve deprecates or no longer accepts."""
    from ray.serve.config import AutoscalingConfig

    interval = AutoscalingConfig().metrics_interval_s
    problems = []
    if "metrics_interval_s" in config:
        problems.append("metrics_interval_s is deprecated: how often replicas and handles report their load is "
                        "Serve's own setting now (RAY_SERVE_REPLICA_/HANDLE_AUTOSCALING_METRIC_PUSH_INTERVAL_S); "
                        "leave it out")
    look_back = config.get("look_back_period_s", AutoscalingConfig().look_back_period_s)
    if look_back <= interval:
        problems.append(f"look_back_period_s {look_back} must be longer than the interval at which load is "
                        f"reported ({interval:g} s)")
    return problems


def other_scaling(student) -> tuple[str, dict]:
    """``autoscaling_config`` called with ``OTHER_SCALING``: (the call, its replica bounds, Serve's defaults for
    those left out). Not validated: a bound written in may clash with the other one given, and each check
    judges its own bound."""
    from ray.serve.config import AutoscalingConfig

    config, defaults = student.autoscaling_config(**OTHER_SCALING), AutoscalingConfig()
    bounds = {key: config.get(key, getattr(defaults, key))
              for key in ("min_replicas", "initial_replicas", "max_replicas")}
    return "autoscaling_config(" + ", ".join(f"{k}={v}" for k, v in OTHER_SCALING.items()) + ")", bounds


@check(points=3, hint=("min_replicas 0: no replica until requests come; Serve starts one for the first request.",
                       "autoscaling_config keys: min_replicas, initial_replicas, max_replicas, "
                       "target_ongoing_requests, upscale_delay_s, look_back_period_s.",
                       "Return the min_replicas and max_replicas you are given, initial_replicas equal to "
                       "min_replicas, and a look_back_period_s above 10 s; no metrics_interval_s."))
def test_autoscaling_from_zero(student, classifier, digits):
    if classifier.config_error is not None:
        raise classifier.config_error
    call, other = other_scaling(student)
    least = OTHER_SCALING["min_replicas"]
    assert other["min_replicas"] == least and other["initial_replicas"] in (None, least), (
        f"{call} has min_replicas {other['min_replicas']} and initial_replicas {other['initial_replicas']}; "
        f"expected {least} for both (or no initial_replicas)")
    config, seen = classifier.autoscaling, classifier.from_zero
    problems = outdated_settings(config)
    assert not problems, (f"autoscaling_config(min_replicas=0, max_replicas={MAX_REPLICAS}) = {config}: "
                          + "; ".join(problems) + "; expected settings today's Serve accepts")
    replicas, cpus = seen.replicas_at_deploy, seen.cpus_held
    assert replicas == 0 and cpus < 0.5, (
        f"right after deploying with autoscaling_config(min_replicas=0, max_replicas={MAX_REPLICAS}) = {config}, "
        f"the classifier had {replicas} replica(s) and held {cpus:g} CPU; expected none until requests come")
    if seen.error is not None:
        raise seen.error
    assert_labels(seen.labels, digits.model_labels,
                  f"{len(digits.model_labels)} handle.predict.remote calls sent at once to the classifier scaled to zero")


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


@check(points=3, hint=("Serve adds replicas while the ongoing requests per replica exceed a target.",
                       "autoscaling_config: target_ongoing_requests, upscale_delay_s (default 30 s), max_replicas.",
                       "A small target_ongoing_requests, an upscale_delay_s of a second or two, and the "
                       "max_replicas you are given."))
def test_autoscaling_adds_replicas(student, classifier, digits, thresholds):
    from ray.serve.config import AutoscalingConfig

    if classifier.config_error is not None:
        raise classifier.config_error
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        config = AutoscalingConfig(**classifier.autoscaling)
    call, other = other_scaling(student)
    first = f"autoscaling_config(min_replicas=0, max_replicas={MAX_REPLICAS})"
    for asked, wanted, got in ((first, MAX_REPLICAS, config.max_replicas),
                               (call, OTHER_SCALING["max_replicas"], other["max_replicas"])):
        assert got == wanted, f"{asked} has max_replicas {got}; expected {wanted}, the value it was given"
    # The from-zero burst may have added the second replica already; if not, a sustained burst must.
    counts = [classifier.from_zero.peak, live_replicas(classifier.name)]
    limit = thresholds["upscale_within_s"]

    def scaled() -> bool:
        counts.append(live_replicas(classifier.name))
        return counts[-1] > 1

    if max(counts) <= 1:
        sample = np.concatenate([digits.normalized[i * PER_DIGIT:i * PER_DIGIT + BURST_DIGITS] for i in range(10)])
        with burst(classifier.url, json.dumps({"image": sample.tolist()}).encode(), clients=BURST_CLIENTS,
                   seconds=limit + 5):
            try:
                wait_for(scaled, timeout=limit, interval=0.25, what="an added replica")
            except AssertionError:
                raise AssertionError(
                    f"{len(digits.model_labels)} handle calls, then {BURST_CLIENTS} clients posting back to back for "
                    f"{limit} s, and the classifier kept {max(counts)} replica(s); expected more than 1 under "
                    f"autoscaling_config(min_replicas=0, max_replicas={MAX_REPLICAS}) = {classifier.autoscaling}"
                ) from None
            time.sleep(1)  # one more look: the next decision must stay within max_replicas too
            scaled()
    assert max(counts) <= MAX_REPLICAS, (
        f"the classifier reached {max(counts)} replicas; expected at most max_replicas = {MAX_REPLICAS}")


# -- the preprocessor ---------------------------------------------------------------------------
@check(points=2, hint=("ToTensor() scales 0..255 to [0, 1]; Normalize((0.5,), (0.5,)) then maps it to [-1, 1].",
                       "numpy or torch, vectorised over the batch; add the channel axis.",
                       "(pixels / 255 - 0.5) / 0.5 as float32, shape (N, 1, 28, 28)."))
def test_preprocessor_normalizes(student, student_side, digits, thresholds):
    result = student_side.apply(replica_answer, student.OnlineMNISTPreprocessor, (), "run", {"image": digits.pixels.copy()})
    assert isinstance(result, dict) and "image" in result, (
        f"run(batch) returned {type_name(result)}; expected a dict with 'image'")
    shapes.assert_mnist_normalized(result["image"], digits.pixels, thresholds["normalize_tolerance"],
                                   what="OnlineMNISTPreprocessor().run(batch)['image']")


@dataclass(frozen=True)
class PreprocessorApp:
    name: str
    route_prefix: str
    handle: object
    strays: tuple[str, ...]
    """Apps deploy_preprocessor deployed under other names (deleted at once: they held CPUs)."""
    route_prefixes: dict


@pytest.fixture(scope="module")
def preprocessor_app(student, serve_apps) -> PreprocessorApp:
    """``deploy_preprocessor`` under a name and a route prefix of the grader's."""
    from ray import serve
    from ray.serve.context import _get_global_client

    name, _ = serve_apps.new("mnist-preprocessor")
    prefix = f"/{name}-route"  # not "/" + name: a route made from the name does not pass
    before = set(serve.status().applications)
    strays = ()
    try:
        handle = student.deploy_preprocessor(name=name, route_prefix=prefix)
        routes = {app: details.get("route_prefix") for app, details in
                  _get_global_client().get_serve_details().get("applications", {}).items()}
    finally:
        strays = tuple(sorted(set(serve.status().applications) - before - {name}))
        for stray in strays:
            with contextlib.suppress(Exception):
                serve.delete(stray)
    return PreprocessorApp(name, prefix, handle, strays, routes)


@check(points=2, hint=("serve.run deploys one bound deployment as an application of its own.",
                       "serve.run(app, name=..., route_prefix=...) returns the ingress deployment's handle.",
                       "Bind OnlineMNISTPreprocessor without arguments, run it under the name and route "
                       "prefix you are given, and return what serve.run returns."))
def test_preprocessor_app(preprocessor_app, student_side, digits, thresholds):
    app = preprocessor_app
    call = f"deploy_preprocessor(name={app.name!r}, route_prefix={app.route_prefix!r})"
    assert not app.strays and app.route_prefixes.get(app.name) == app.route_prefix, (
        f"{call} deployed applications {sorted(app.strays) or [app.name]} at routes "
        f"{ {n: r for n, r in app.route_prefixes.items() if n in app.strays or n == app.name} }; "
        f"expected one application named {app.name!r} at {app.route_prefix!r}")
    result = student_side.apply(handle_answer, app.handle, "run", {"image": digits.pixels})
    assert isinstance(result, dict) and "image" in result, (
        f"handle.run.remote(batch) answered {type_name(result)}; expected a dict with 'image'")
    shapes.assert_mnist_normalized(result["image"], digits.pixels, thresholds["normalize_tolerance"],
                                   what=f"{call}.run.remote(batch)['image']")


# -- the composed applications -------------------------------------------------------------------
@dataclass(frozen=True)
class Service:
    name: str
    url: str
    """``POST /predict`` of the FastAPI ingress."""


@pytest.fixture(scope="module")
def service(student, student_side, data, serve_apps, use_gpu) -> Service:
    """The student's ``build_app``, deployed once, after the apps before it are deleted (their CPUs)."""
    serve_apps.delete_all()
    app = student.build_app(data.path("mnist_model"), num_replicas=1, num_gpus=GPU_SHARE if use_gpu else 0)
    name, prefix = deploy(student_side, app, serve_apps, "mnist-service")
    return Service(name, serve_apps.url(prefix, "/predict"))


@pytest.fixture(scope="module")
def composed_labels(student, student_side, digits, data) -> np.ndarray:
    """What the student's preprocessor, then the model, make of the public digits."""
    return pipeline_labels(student_side, student, digits.pixels, data.path("mnist_model"), digits.model_labels)


@check(points=3, hint=("The ingress composes the two deployments through their handles.",
                       "await handle.method.remote(...) gives the method's answer; pass one answer to the next call.",
                       "await preprocessor.run.remote({'image': raw}), then classifier.predict.remote(that result)."))
def test_ingress_predicts(service, digits, composed_labels):
    response = shapes.post(service.url, json={"image": digits.pixels.tolist()})
    assert_answer(response, composed_labels, "POST /predict with raw pixels to build_app's application")


@check(points=2, hint=("A body the service cannot read is the client's mistake: HTTP 4xx, not 500.",
                       "fastapi.HTTPException(status_code=..., detail=...) answers with that status.",
                       "Turn the ValueError of a bad body into HTTPException(status_code=400, detail=...)."))
def test_ingress_bad_body(service):
    shapes.assert_bad_bodies_refused(service.url, BAD_BODIES, accepted=range(400, 500))


def inspect_app(app, name: str):
    """``(ingress name, {deployment: GPUs per replica}, {deployment: replicas}, {deployment: its bound
    arguments})`` of a bound application."""
    from ray.serve._private.build_app import build_app as finalize

    built = finalize(app, name=name)
    gpus = {d.name: (d.ray_actor_options or {}).get("num_gpus", 0) for d in built.deployments}
    replicas = {d.name: d.num_replicas for d in built.deployments}
    bound = {d.name: [str(a) for a in (*d.init_args, *(d.init_kwargs or {}).values())] for d in built.deployments}
    return built.ingress_deployment_name, gpus, replicas, bound


def assert_composition(side, app, model_path: str, asked: dict, call: str, expected_ingress: str) -> dict:
    """The app's ingress is ``expected_ingress`` bound to the preprocessor and to the classifier of
    ``model_path``; only the classifier has GPUs, ``asked["num_gpus"]`` of them. Its replicas."""
    __tracebackhide__ = True
    ingress, gpus, replicas, bound = side.apply(inspect_app, app, f"lesson5-inspect-{expected_ingress.lower()}")
    wanted = {expected_ingress, "OnlineMNISTPreprocessor", "OnlineMNISTClassifier"}
    assert ingress == expected_ingress and set(gpus) == wanted, (
        f"{call} holds deployments {sorted(gpus)} with ingress {ingress}; expected {expected_ingress} bound "
        "to OnlineMNISTPreprocessor and OnlineMNISTClassifier")
    expected_gpus = {name: asked["num_gpus"] if name == "OnlineMNISTClassifier" else 0 for name in gpus}
    assert gpus == expected_gpus, (f"{call}: GPUs per replica {gpus}; expected {asked['num_gpus']} GPU for the "
                                   "classifier, none for the other deployments")
    assert model_path in bound["OnlineMNISTClassifier"], (
        f"{call} binds OnlineMNISTClassifier to {bound['OnlineMNISTClassifier']}; expected the model_path given")
    return replicas


def called(function: str, model_path: str, asked: dict) -> str:
    return f"{function}({model_path!r}, " + ", ".join(f"{k}={v}" for k, v in asked.items()) + ")"


@check(points=2, hint=("Deployment options (replicas, resources) are set before binding.",
                       ".options(num_replicas=..., ray_actor_options={'num_gpus': ...}) returns a new deployment.",
                       "Set both on the classifier, bind it to the model path, then pass the bound preprocessor "
                       "and classifier to the ingress."))
def test_build_app_resources(student, student_side):
    for model_path, asked in INSPECTED:
        call = called("build_app", model_path, asked)
        replicas = assert_composition(student_side, student.build_app(model_path, **asked), model_path, asked, call,
                                      "ImageServiceIngress")
        assert replicas["OnlineMNISTClassifier"] == asked["num_replicas"], (
            f"{call}: replicas {replicas}; expected {asked['num_replicas']} replicas of the classifier")


@pytest.fixture(scope="module")
def composed(student, student_side, data, serve_apps, use_gpu, request) -> str:
    """URL of the student's ``ImageClassifierIngress``, bound by the grader to the handles of the FastAPI
    application's preprocessor and classifier (no second copy of either: the machine's CPUs). While
    ``build_app`` does not deploy, the grader binds the student's classes itself, so that the plain
    ingress is graded all the same."""
    from ray import serve

    try:
        service = request.getfixturevalue("service")
        deployed = set(serve.status().applications[service.name].deployments)
        parts = [student_side.apply(serve.get_deployment_handle, deployment, service.name)
                 for deployment in ("OnlineMNISTPreprocessor", "OnlineMNISTClassifier") if deployment in deployed]
    except Exception:  # build_app's own checks say why
        parts = []
    if len(parts) != 2:
        serve_apps.delete_all()
        classifier = student.OnlineMNISTClassifier.options(ray_actor_options={"num_gpus": GPU_SHARE if use_gpu else 0})
        parts = [student.OnlineMNISTPreprocessor.bind(), classifier.bind(data.path("mnist_model"))]
    _, prefix = deploy(student_side, student.ImageClassifierIngress.bind(*parts), serve_apps, "mnist-composed")
    return serve_apps.url(prefix)


@check(points=3, hint=("Without FastAPI, every request to the app reaches the ingress's __call__.",
                       "await request.json() gives the posted object; handles call the other deployments.",
                       "Parse raw pixels (N, 28, 28), await the preprocessor's run, then the classifier's "
                       "predict, and answer the labels as a list."))
def test_composed_predicts(composed, digits, composed_labels):
    response = shapes.post(composed, json={"image": digits.pixels.tolist()})
    assert_answer(response, composed_labels, "POST {'image': raw pixels} to ImageClassifierIngress")


@check(points=1, hint=JSON_STRING_HINT)
def test_composed_json_string(composed, digits, composed_labels):
    response = shapes.post(composed, json=json.dumps({"image": digits.pixels.tolist()}))
    assert_answer(response, composed_labels, "POST of a JSON string holding {'image': raw pixels} (as the course posts)")


@check(points=2, hint=("A body the service cannot read is the client's mistake: HTTP 400, not 500.",
                       "Without FastAPI, __call__ answers a starlette JSONResponse with a status_code.",
                       "Catch the ValueError of a bad body and answer JSONResponse({'error': ...}, status_code=400)."))
def test_composed_bad_body(composed):
    shapes.assert_bad_bodies_refused(composed, BAD_BODIES, accepted=range(400, 401))


@check(points=2, hint=("The composed app binds the ingress to a bound preprocessor and a bound classifier.",
                       "ray_actor_options={'num_gpus': ...} in .options(...) before .bind(model_path).",
                       "Give the classifier num_gpus; bind ImageClassifierIngress to both bound deployments."))
def test_build_composed_app(student, student_side):
    for model_path, asked in INSPECTED:
        asked = {"num_gpus": asked["num_gpus"]}
        assert_composition(student_side, student.build_composed_app(model_path, **asked), model_path, asked,
                           called("build_composed_app", model_path, asked), "ImageClassifierIngress")


### BEGIN HIDDEN TESTS
@check(points=2, hidden=True, hint=("The service must classify any raw digits, as the offline classifier does.",
                                    "Nothing in the ingress or the preprocessor may depend on the public digits.",
                                    "Normalize every image the same way; answer one label per image."))
def test_ingress_other_digits(student, student_side, service, data):
    other = read_digits(data.path("mnist_png", seed=1), data.path("mnist_model"))
    expected = pipeline_labels(student_side, student, other.pixels, data.path("mnist_model"), other.model_labels)
    assert_answer(shapes.post(service.url, json={"image": other.pixels.tolist()}), expected,
                  "POST /predict with other digits")
### END HIDDEN TESTS
