"""Lesson 5: online inference with Ray Serve.

Lesson 4 classified a folder of digits offline, in batches, with Ray Data. Here the same TorchScript
classifier answers requests one at a time, over HTTP, as a Ray Serve application:

1. ``OnlineMNISTClassifier``: a *deployment* (a class whose replicas are Ray actors) that loads the
   model once per replica and answers ``POST`` requests carrying normalized images.
2. ``OnlineMNISTPreprocessor``: a second deployment that turns raw 0..255 pixels into the model's input.
3. ``ImageServiceIngress``: a FastAPI ingress that *composes* the two through ``DeploymentHandle``s.
4. ``build_app``: binds the three into one application; ``serve.run(app)`` deploys it.
5. ``autoscaling_config``: lets Serve add classifier replicas when requests pile up, from zero.
6. ``deploy_preprocessor``: the preprocessor as an application of its own, called by handle.
7. ``ImageClassifierIngress`` and ``build_composed_app``: the course's composition with a plain
   ``__call__``, no FastAPI.

Try it yourself::

    from ray import serve
    serve.run(build_app("model.pt"), name="mnist", route_prefix="/mnist")
    requests.post("http://127.0.0.1:8000/mnist/predict", json={"image": raw_pixels.tolist()}).json()
"""
import json
from typing import Any

import numpy as np
import torch
from fastapi import FastAPI, HTTPException
from ray import serve
from ray.serve.handle import DeploymentHandle
from starlette.requests import Request
from starlette.responses import JSONResponse

IMAGE_SHAPE = (1, 28, 28)
"""One normalized image, as the classifier takes it."""
RAW_SHAPE = (28, 28)
"""One raw image, as read from a PNG file."""


def parse_images(payload: Any, shape: tuple[int, ...]) -> np.ndarray:
    """The ``image`` array of a request's JSON body, as float32 of shape ``(N, *shape)``.

    ``payload`` is what ``await request.json()`` returned: either the object ``{"image": [...]}``,
    or a string holding that object's JSON (the course posts ``json=json.dumps({"image": ...})``,
    which ``requests`` encodes a second time). Anything else is a body the service cannot read:
    raise ``ValueError`` with a message that says what is wrong (the callers turn it into HTTP 400).
    """
    ### BEGIN SOLUTION
    if isinstance(payload, str):
        payload = json.loads(payload)  # json.JSONDecodeError is a ValueError
    if not isinstance(payload, dict) or "image" not in payload:
        raise ValueError('expected a JSON object {"image": [...]}')
    try:
        images = np.asarray(payload["image"], dtype=np.float32)
    except (TypeError, ValueError) as exc:
        raise ValueError(f'"image" is not an array of numbers: {exc}') from None
    if images.ndim != len(shape) + 1 or images.shape[1:] != shape:
        raise ValueError(f'"image" has shape {images.shape}; expected (N, {", ".join(map(str, shape))})')
    return images
    ### END SOLUTION


@serve.deployment
class OnlineMNISTClassifier:
    """The digit classifier as a Serve deployment: one replica is one Ray actor holding the model.

    ``@serve.deployment`` turns the class into a deployment; ``OnlineMNISTClassifier.bind(path)``
    captures the constructor's arguments (nothing starts yet) and ``serve.run(...)`` starts the
    replicas, each calling ``__init__`` once. Serve routes HTTP requests to ``__call__``; other
    deployments and Python code call ``predict`` through a handle:
    ``await handle.predict.remote(batch)`` (``.remote()`` returns a ``DeploymentResponse``; await it,
    or call ``.result()`` outside async code; before Ray 2.7 it was an ``ObjectRef`` for ``ray.get``).
    """

    def __init__(self, local_path: str):
        """Load the TorchScript model at ``local_path`` once, in eval mode (on the GPU when the
        replica has one, else on the CPU). The course notebook copied it from S3 first; here it is a
        local file. Never load it again per request: replicas live long, requests are many."""
        ### BEGIN SOLUTION
        self.device = "cuda" if torch.cuda.is_available() else "cpu"
        self.model = torch.jit.load(local_path, map_location=self.device).eval()
        ### END SOLUTION

    async def predict(self, batch: dict) -> dict:
        """Classify ``batch["image"]``, normalized floats of shape ``(N, 1, 28, 28)``.

        Answer ``{"predicted_label": labels}``, ``labels`` an int array of N digits: the argmax of the
        model's logits (run it under ``torch.no_grad()``). The course added the labels to the batch
        it was given and sent the images back too; the labels alone are the answer here.
        """
        ### BEGIN SOLUTION
        images = torch.as_tensor(np.asarray(batch["image"], dtype=np.float32), device=self.device)
        with torch.no_grad():
            logits = self.model(images)
        return {"predicted_label": logits.argmax(dim=1).cpu().numpy()}
        ### END SOLUTION

    async def __call__(self, request: Request):
        """Answer an HTTP request whose JSON body holds normalized images.

        Read the decoded JSON body with ``parse_images`` (images of ``IMAGE_SHAPE``), classify it
        with ``predict``, and answer ``{"predicted_label": [int, ...]}`` (a plain list: numpy arrays
        are not JSON). A body that cannot be read (not JSON, no ``image``, wrong shape) is the
        client's fault: answer HTTP 400 with ``{"error": message}`` (starlette's ``JSONResponse``
        takes a status code), never a 500. (The course's ``json.loads(await request.json())`` read
        only the string form, and answered any other body with a 500.)
        """
        ### BEGIN SOLUTION
        try:
            images = parse_images(await request.json(), IMAGE_SHAPE)
        except ValueError as exc:
            return JSONResponse({"error": str(exc)}, status_code=400)
        result = await self.predict({"image": images})
        return {"predicted_label": result["predicted_label"].tolist()}
        ### END SOLUTION


@serve.deployment
class OnlineMNISTPreprocessor:
    """Turns raw pixels into the classifier's input: a CPU-only step, scaled apart from the model."""

    def run(self, batch: dict) -> dict:
        """Normalize ``batch["image"]``, raw pixels 0..255 of shape ``(N, 28, 28)``.

        Answer ``{"image": images}``, ``images`` float32 of shape ``(N, 1, 28, 28)`` in [-1, 1]:
        ``(pixel / 255 - 0.5) / 0.5``, what the course's ``ToTensor()`` then
        ``Normalize((0.5,), (0.5,))`` computes image by image.
        """
        ### BEGIN SOLUTION
        pixels = np.asarray(batch["image"], dtype=np.float32)
        return {"image": ((pixels / 255.0 - 0.5) / 0.5)[:, None, :, :]}
        ### END SOLUTION


app = FastAPI(title="MNIST digits")
"""The HTTP routes of ``ImageServiceIngress``: ``@serve.ingress(app)`` hands them to Serve."""


@serve.deployment
@serve.ingress(app)
class ImageServiceIngress:
    """The application's entry point: FastAPI routes requests; handles call the other deployments.

    ``@serve.ingress(app)`` makes this deployment serve the FastAPI ``app``: each ``@app.post``
    method is a route under the application's ``route_prefix``. Its constructor receives
    ``DeploymentHandle``s: ``ImageServiceIngress.bind(OnlineMNISTPreprocessor.bind(), classifier)``
    passes bound deployments, and Serve replaces each with a handle to its replicas.
    """

    def __init__(self, preprocessor: DeploymentHandle, classifier: DeploymentHandle):
        """Keep both handles."""
        ### BEGIN SOLUTION
        self.preprocessor = preprocessor
        self.classifier = classifier
        ### END SOLUTION

    @app.post("/predict")
    async def predict(self, request: Request) -> dict:
        """``POST /predict`` with ``{"image": raw pixels (N, 28, 28)}``: the digits' labels.

        Read the body with ``parse_images`` (images of ``RAW_SHAPE``); a body it cannot read answers
        4xx with the reason (FastAPI's ``HTTPException`` carries a status code and a detail). Then
        call the preprocessor's ``run`` through its handle, pass its answer to the classifier's
        ``predict`` the same way, awaiting each, and answer ``{"predicted_label": [int, ...]}``.
        (The course's ingress had only a ``__call__``; a FastAPI route is what replaced it.)
        """
        ### BEGIN SOLUTION
        try:
            raw = parse_images(await request.json(), RAW_SHAPE)
        except ValueError as exc:
            raise HTTPException(status_code=400, detail=str(exc)) from None
        batch = await self.preprocessor.run.remote({"image": raw})
        result = await self.classifier.predict.remote(batch)
        return {"predicted_label": np.asarray(result["predicted_label"]).tolist()}
        ### END SOLUTION


def build_app(model_path: str, *, num_replicas: int = 1, num_gpus: float = 0) -> serve.Application:
    """The composed application, bound and ready for ``serve.run``.

    The classifier runs ``num_replicas`` replicas with ``num_gpus`` GPUs each
    (``.options(num_replicas=..., ray_actor_options={"num_gpus": ...})``, fractions allowed: the
    course packed replicas on one GPU with ``0.1``); the preprocessor and the ingress run one
    replica each, without GPUs. Bind the classifier to ``model_path``, and pass both bound
    deployments to ``ImageServiceIngress.bind(...)``.
    """
    ### BEGIN SOLUTION
    classifier = OnlineMNISTClassifier.options(
        num_replicas=num_replicas, ray_actor_options={"num_gpus": num_gpus}).bind(model_path)
    return ImageServiceIngress.bind(OnlineMNISTPreprocessor.bind(), classifier)
    ### END SOLUTION


def autoscaling_config(*, min_replicas: int = 1, max_replicas: int = 2) -> dict:
    """A Serve autoscaling config for the classifier: ``.options(autoscaling_config=...)``.

    Serve counts the ongoing requests (running or queued) of each replica, averages them over the
    last ``look_back_period_s``, and when the average stays above ``target_ongoing_requests`` for
    ``upscale_delay_s`` it adds replicas, never more than ``max_replicas``.

    Return a dict with ``min_replicas`` and ``max_replicas`` as given, ``initial_replicas`` equal to
    ``min_replicas`` (so that a deployment starts with that many), a small
    ``target_ongoing_requests``, and an ``upscale_delay_s`` of a second or two: the default, 30 s,
    outlasts a short burst (the grader's lasts at most 30 s). ``downscale_delay_s`` (default 600 s)
    is how long the extra replicas stay after the burst.

    ``min_replicas=0`` is the course's "scale from zero": no replica, and no CPU or GPU, until
    requests come. The course notebook (``target_ongoing_requests`` 10, ``max_replicas`` 10, on a
    GPU cluster) also set ``metrics_interval_s`` and a ``look_back_period_s`` of 0.1. Today
    ``metrics_interval_s`` is deprecated (how often replicas and handles push their load is now
    Serve's own setting, the environment variables
    ``RAY_SERVE_REPLICA_AUTOSCALING_METRIC_PUSH_INTERVAL_S`` and
    ``RAY_SERVE_HANDLE_AUTOSCALING_METRIC_PUSH_INTERVAL_S``, 10 s by default), and a look-back period
    must be longer than that interval: leave the first out, and keep the second above 10 s.
    """
    ### BEGIN SOLUTION
    return {
        "min_replicas": min_replicas,
        "initial_replicas": min_replicas,
        "max_replicas": max_replicas,
        "target_ongoing_requests": 2,
        "upscale_delay_s": 1,
        "look_back_period_s": 12,
        "downscale_delay_s": 60,
    }
    ### END SOLUTION


def deploy_preprocessor(*, name: str = "mnist_preprocessor", route_prefix: str = "/preprocess") -> DeploymentHandle:
    """Run the preprocessor on its own, as the application ``name`` at ``route_prefix``.

    The course tried each deployment alone before composing them. Deploy ``OnlineMNISTPreprocessor``
    (bound without arguments) under that application name and route prefix, and return the handle
    Serve gives back, through which ``run`` is called: awaiting ``handle.run.remote({"image": raw})``
    answers the normalized batch.
    """
    ### BEGIN SOLUTION
    return serve.run(OnlineMNISTPreprocessor.bind(), name=name, route_prefix=route_prefix)
    ### END SOLUTION


@serve.deployment
class ImageClassifierIngress:
    """The course's composition, without FastAPI: Serve routes each HTTP request to ``__call__``.

    Like ``ImageServiceIngress``, its constructor receives ``DeploymentHandle``s of the preprocessor
    and of the classifier, in that order; unlike it, there are no routes: any request to the application's route
    prefix reaches ``__call__``.
    """

    def __init__(self, preprocessor: DeploymentHandle, classifier: DeploymentHandle):
        """Keep both handles."""
        ### BEGIN SOLUTION
        self.preprocessor = preprocessor
        self.classifier = classifier
        ### END SOLUTION

    async def __call__(self, request: Request):
        """A request with ``{"image": raw pixels (N, 28, 28)}``, or a JSON string of it: the labels.

        The course posted ``json=json.dumps({"image": ...})`` and decoded the body with
        ``json.loads(await request.json())``, which reads only that string form. Read both forms
        (``parse_images`` does), answer a body it cannot read with HTTP 400 and the reason (a
        ``JSONResponse`` with ``status_code=400``), then run the preprocessor and the classifier
        through their handles, one after the other, and answer ``{"predicted_label": [int, ...]}``.
        """
        ### BEGIN SOLUTION
        try:
            raw = parse_images(await request.json(), RAW_SHAPE)
        except ValueError as exc:
            return JSONResponse({"error": str(exc)}, status_code=400)
        batch = await self.preprocessor.run.remote({"image": raw})
        result = await self.classifier.predict.remote(batch)
        return {"predicted_label": np.asarray(result["predicted_label"]).tolist()}
        ### END SOLUTION


def build_composed_app(model_path: str, *, num_gpus: float = 0) -> serve.Application:
    """The course's composed application: ``ImageClassifierIngress`` bound to a preprocessor and a
    classifier of ``model_path`` with ``num_gpus`` GPUs per replica (the ingress and the preprocessor
    take none). One replica each; ``serve.run`` deploys it."""
    ### BEGIN SOLUTION
    classifier = OnlineMNISTClassifier.options(ray_actor_options={"num_gpus": num_gpus}).bind(model_path)
    return ImageClassifierIngress.bind(OnlineMNISTPreprocessor.bind(), classifier)
    ### END SOLUTION
