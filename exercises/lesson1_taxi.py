"""Lesson 1: the NYC taxi pipeline, end to end on the Ray AI Libraries.

Will this passenger leave a big tip? Ray Data reads the trips and splits them, Ray Train fits an
XGBoost classifier on several workers, Ray Tune searches its ``max_depth``, a pool of Ray Data
actors scores a whole dataset offline, and Ray Serve answers the same question online, over HTTP.

The course notebook was written for an older Ray. Each docstring below says what the notebook wrote
and what replaced it in today's Ray (Ray Train V2, the default since Ray 2.51).
"""
from __future__ import annotations

import json

import pandas as pd
import ray
import ray.data
import ray.train
import xgboost
from ray import serve, tune
from ray.train.xgboost import RayTrainReportCallback, XGBoostTrainer
from starlette.responses import JSONResponse

LABEL_COLUMN = "is_big_tip"
FEATURE_COLUMNS = ["passenger_count", "trip_distance", "fare_amount", "trip_duration", "hour", "day_of_week"]


def load_and_split(path, *, test_size=0.3, seed=42):
    """Read the trips at ``path`` and split them into ``(train_ds, valid_ds)``.

    Inputs: the path of a parquet file with the course's schema (it may or may not carry a stray
    ``__index_level_0__`` column), the share of rows for validation, and a seed. Output: two Ray
    datasets holding only ``FEATURE_COLUMNS`` and ``LABEL_COLUMN``, every row of the file in exactly
    one of them, drawn at random (reproducibly, from ``seed``).

    Use ``ray.data.read_parquet`` (it can keep just the columns you name) and Ray Data's
    ``train_test_split``. The notebook split with ``test_size=0.3`` only, in file order; today's
    exercise also shuffles, with the seed given.
    """
    # YOUR CODE HERE
    raise NotImplementedError()


def xgboost_train_loop(config):
    """The function each Ray Train worker runs: fit XGBoost on this worker's shards.

    1. Read this worker's ``"train"`` and ``"valid"`` shards (``ray.train.get_dataset_shard``), turn
       each into pandas, and build an ``xgboost.DMatrix`` whose data is ``FEATURE_COLUMNS`` and whose
       label is ``LABEL_COLUMN`` (never the label among the features!).
    2. Train with ``xgboost.train``: the objective ``binary:logistic``, the eval metrics ``logloss``
       and ``error``, then whatever ``config["params"]`` holds; ``config["num_boost_round"]`` rounds;
       the two matrices as evals named ``"train"`` and ``"valid"``.
    3. Give it a ``RayTrainReportCallback`` as a callback: it reports the metrics (``valid-logloss``,
       ...) each round and the final model as a checkpoint holding ``model.ubj``.

    The notebook had no such function: ``XGBoostTrainer(label_column=..., params=...)`` wrote this
    loop for you. Today's ``XGBoostTrainer`` takes the loop as ``train_loop_per_worker``.
    """
    # YOUR CODE HERE
    raise NotImplementedError()


def build_trainer(train_ds, valid_ds, *, params=None, num_boost_round=20, num_workers=2, use_gpu=False,
                  storage_path, name=None):
    """An ``XGBoostTrainer`` that runs ``xgboost_train_loop`` on ``num_workers`` workers.

    Inputs: the two datasets, XGBoost ``params`` (None means none beyond the loop's own), the number
    of boosting rounds, and the resources and storage the caller chooses. Output: the trainer, not yet
    fitted (the caller calls ``fit()``). What it needs:

    - the training loop above, and a ``train_loop_config`` dict carrying the keys the loop reads
      (``"params"`` and ``"num_boost_round"``);
    - a ``ray.train.ScalingConfig`` with the caller's worker count and GPU choice (on a GPU, XGBoost
      also wants the param ``"device": "cuda"``);
    - a ``ray.train.RunConfig`` with the caller's ``storage_path`` and ``name``;
    - the datasets, keyed ``"train"`` and ``"valid"`` (the names the loop asks its shards by).

    The notebook wrote ``XGBoostTrainer(label_column="is_big_tip", params={...}, ...)``; that form
    now raises an error: today's trainer takes the loop and its config instead.
    """
    # YOUR CODE HERE
    raise NotImplementedError()


def tune_max_depth(train_ds, valid_ds, *, num_samples=3, num_workers=1, use_gpu=False, storage_path):
    """Search XGBoost's ``max_depth`` with Ray Tune; return the ``ResultGrid`` of the tuning run.

    Inputs: the two datasets, the number of trials, and the resources and storage the caller
    chooses. Output: the ``ray.tune.ResultGrid`` with one result per trial.

    - Each trial is a function of its ``config``: it builds a trainer with ``build_trainer`` (the
      sampled ``max_depth`` in its params; the caller's workers, GPU choice and storage; a name unique
      to the trial, such as Tune's trial name), fits it, and reports the fit's metrics with its
      checkpoint through ``ray.tune.report``.
    - The search space draws ``max_depth`` from ``tune.randint(2, 12)``, flat or nested under
      ``"params"`` as the course wrote it.
    - ``tune.TuneConfig``: ``num_samples`` trials, judged on ``valid-logloss``, where lower is better;
      ``tune.RunConfig`` keeps the run under ``storage_path``.

    Each trial holds one CPU (Tune's default) while its trainer's workers hold theirs: trials run
    side by side as far as the cluster's CPUs allow. The notebook wrote ``Tuner(trainer,
    param_space=...)``; today ``Tuner`` no longer takes a trainer, but a function that fits one.
    """
    # YOUR CODE HERE
    raise NotImplementedError()


def best_checkpoint(results):
    """The checkpoint of the trial with the lowest ``valid-logloss`` in ``results`` (a ``ResultGrid``).

    The notebook wrote ``tuner.fit().get_best_result().checkpoint``; name the metric and the mode
    explicitly.
    """
    # YOUR CODE HERE
    raise NotImplementedError()


class OfflinePredictor:
    """A stateful batch predictor: Ray Data runs one instance per actor of its pool."""

    def __init__(self, checkpoint):
        """Load the booster once, here (``RayTrainReportCallback.get_model`` reads it from a checkpoint).

        Loading is the expensive part: every batch this actor receives reuses the loaded model.
        """
        # YOUR CODE HERE
        raise NotImplementedError()

    def __call__(self, batch: pd.DataFrame) -> pd.DataFrame:
        """The batch's ``FEATURE_COLUMNS`` plus ``prediction``, the probability of a big tip."""
        # YOUR CODE HERE
        raise NotImplementedError()


def predict_offline(checkpoint, ds, *, concurrency=2, batch_size=None):
    """Score every row of ``ds`` with ``OfflinePredictor`` on a pool of ``concurrency`` actors.

    Inputs: a checkpoint, a dataset of trips (with or without the label), the pool's size and the
    batch size. Output: the (lazy) dataset of predictions, one row per input row: the features and
    ``prediction``, never the label.

    Drop the label when ``ds`` has it, then ``map_batches`` with the predictor class: the checkpoint
    reaches its ``__init__`` through ``fn_constructor_kwargs``, batches come as pandas, and an actor
    pool of the requested size runs it. The notebook wrote ``map_batches(OfflinePredictor,
    concurrency=2)``; ``concurrency=`` is deprecated: ``compute=`` with a ``ray.data.ActorPoolStrategy``
    replaced it.
    """
    # YOUR CODE HERE
    raise NotImplementedError()


@serve.deployment
class OnlinePredictor:
    """The model behind an HTTP endpoint: ``POST`` trips as JSON records, get probabilities back."""

    def __init__(self, checkpoint):
        """Load the booster once per replica, as ``OfflinePredictor`` does."""
        # YOUR CODE HERE
        raise NotImplementedError()

    async def __call__(self, request) -> dict:
        """Answer ``{"prediction": [float, ...]}`` for the records in the request's JSON body.

        The body is a list of records (``[{"trip_distance": 2.1, ...}, ...]``) or a JSON string
        holding such a list: the notebook posts ``requests.post(url, json=df.to_json(orient=
        "records"))``, which encodes the JSON text a second time. A body that is not JSON, not a list
        of records, or lacks a feature column is the client's mistake: answer
        ``starlette.responses.JSONResponse({"error": "..."}, status_code=400)``, never a 500.
        """
        # YOUR CODE HERE
        raise NotImplementedError()

    def predict(self, records: list[dict]) -> list[float]:
        """The probability of a big tip for each record (a dict holding the ``FEATURE_COLUMNS``)."""
        # YOUR CODE HERE
        raise NotImplementedError()


def deploy_online(checkpoint, *, name="taxi", route_prefix="/taxi"):
    """Deploy ``OnlinePredictor`` with ``checkpoint`` as application ``name`` at ``route_prefix``.

    ``serve.run`` of the bound deployment (its ``checkpoint`` passed to ``bind``), with the given
    application name and route prefix, returns a ``DeploymentHandle``:
    ``handle.predict.remote(records).result()`` calls ``predict`` without HTTP. The notebook wrote the
    same ``serve.run``, with the default name and route.
    """
    # YOUR CODE HERE
    raise NotImplementedError()
