"""Grader of lesson 1, the NYC taxi pipeline: split, Train, Tune, offline and online inference.

Each part is graded on its own: the trainer and the tuner get the grader's own split, and the
predictors get a model the grader trained with plain XGBoost and saved as Ray Train saves one
(``model.ubj``), so a broken step never costs the points of the steps after it. The expensive work
(one fit, one small tuning run, one actor pool, one Serve app) runs once, in module fixtures.
"""
from __future__ import annotations

import shutil

import numpy as np
import pandas as pd
import pytest
import xgboost

from graders.engine import check, probes

LABEL = "is_big_tip"
FEATURES = ["passenger_count", "trip_distance", "fare_amount", "trip_duration", "hour", "day_of_week"]
INDEX = "__index_level_0__"
TEST_SIZE = 0.3
TRAIN_PARAMS = {"max_depth": 4, "eta": 0.3}  # what the grader asks build_trainer to fit
NUM_BOOST_ROUND = 10
TUNE_SAMPLES = 2
TUNE_SEED = 3  # seeds Tune's random search (it samples from numpy's global generator): two distinct depths
DEPTH_RANGE = range(2, 12)
POOL_SIZE = 1  # not the course's 2: the pool's size must come from the argument
ONLINE_ROWS = 40


# -- plain-library references --------------------------------------------------------------------
def auc(labels, scores) -> float:
    """Area under the ROC curve (Mann-Whitney U, ties averaged)."""
    labels = np.asarray(labels, dtype=bool)
    ranks = pd.Series(np.asarray(scores, dtype=float)).rank().to_numpy()
    pos, neg = labels.sum(), (~labels).sum()
    return float((ranks[labels].sum() - pos * (pos + 1) / 2) / (pos * neg))


def sorted_rows(frame: pd.DataFrame, columns: list[str]) -> np.ndarray:
    """``frame[columns]`` as floats, rows sorted on every column: two frames compare regardless of order."""
    rows = frame[columns].to_numpy(dtype=float)
    return rows[np.lexsort(rows.T[::-1])]


def blocks(frame: pd.DataFrame, parts: int) -> list[pd.DataFrame]:
    """``frame`` cut into ``parts`` consecutive pieces (Ray datasets of several blocks)."""
    return [frame.iloc[rows] for rows in np.array_split(np.arange(len(frame)), parts)]


def booster_predict(booster: xgboost.Booster, frame: pd.DataFrame) -> np.ndarray:
    """The booster's own probabilities for ``frame``'s feature columns."""
    return booster.predict(xgboost.DMatrix(frame[FEATURES]))


def read_trips(path: str) -> pd.DataFrame:
    """The trips file as pandas, without the stray index column."""
    return pd.read_parquet(path).drop(columns=[INDEX], errors="ignore")


def worst_gap(got, expected) -> float:
    """Largest absolute difference between two prediction vectors."""
    return float(np.max(np.abs(np.asarray(got, dtype=float) - np.asarray(expected, dtype=float)), initial=0.0))


def fresh_checkpoint(source, tmp_path_factory):
    """A ``Checkpoint`` on a private copy of ``source``'s folder (the caller may delete it)."""
    from ray.train import Checkpoint

    copy = tmp_path_factory.mktemp("checkpoint-copy") / "checkpoint"
    shutil.copytree(source.path, copy)
    return Checkpoint.from_directory(str(copy)), copy


@pytest.fixture(scope="module")
def trips(data) -> pd.DataFrame:
    """The public trips (seed 0), with pandas."""
    return read_trips(data.path("taxi"))


@pytest.fixture(scope="module")
def frames(trips) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The grader's own 70/30 split of the public trips (train, valid)."""
    order = np.random.default_rng(0).permutation(len(trips))
    n_valid = round(TEST_SIZE * len(trips))
    return (trips.iloc[order[n_valid:]].reset_index(drop=True),
            trips.iloc[order[:n_valid]].reset_index(drop=True))


@pytest.fixture(scope="module")
def reference(frames, tmp_path_factory):
    """The grader's model: plain XGBoost on its split, saved as Ray Train saves one; and its scores."""
    from ray.train import Checkpoint

    train, valid = frames
    dtrain = xgboost.DMatrix(train[FEATURES], label=train[LABEL])
    dvalid = xgboost.DMatrix(valid[FEATURES], label=valid[LABEL])
    evals = {}
    booster = xgboost.train({"objective": "binary:logistic", "eval_metric": "logloss", **TRAIN_PARAMS}, dtrain,
                            num_boost_round=NUM_BOOST_ROUND, evals=[(dvalid, "valid")], evals_result=evals,
                            verbose_eval=False)
    folder = tmp_path_factory.mktemp("reference-checkpoint")
    booster.save_model(str(folder / "model.ubj"))
    return {"booster": booster, "checkpoint": Checkpoint.from_directory(str(folder)),
            "logloss": evals["valid"]["logloss"][-1], "auc": auc(valid[LABEL], booster.predict(dvalid))}


def ray_frames(ray_cluster, frames, parts: int = 4):
    """The grader's split as Ray datasets, a few blocks each."""
    import ray.data

    return tuple(ray.data.from_pandas(blocks(frame, parts)) for frame in frames)


def num_train_workers(ray_cluster, wanted: int) -> int:
    """Workers for a fit: ``wanted``, or fewer when each needs a GPU and the cluster has fewer."""
    import ray

    return max(1, min(wanted, int(ray.cluster_resources().get("GPU", 0)))) if ray_cluster.use_gpu else wanted


# -- load_and_split ------------------------------------------------------------------------------
def student_split(student, path: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The student's split of the file at ``path``, as pandas."""
    train_ds, valid_ds = student.load_and_split(path)
    return train_ds.to_pandas(), valid_ds.to_pandas()


@pytest.fixture(scope="module")
def splits(student, data, ray_cluster) -> dict:
    """The student's default split of the public file, with and without ``__index_level_0__``."""
    return {"with the index column": student_split(student, data.path("taxi", with_index=True)),
            "without it": student_split(student, data.path("taxi"))}


def assert_split_columns(train: pd.DataFrame, valid: pd.DataFrame, what: str):
    """Both parts hold exactly the feature and label columns."""
    __tracebackhide__ = True
    for name, part in (("train", train), ("valid", valid)):
        assert sorted(part.columns) == sorted(FEATURES + [LABEL]), (
            f"{what}: {name} has columns {list(part.columns)}; expected exactly {FEATURES + [LABEL]}")


def assert_split_sizes(train: pd.DataFrame, valid: pd.DataFrame, trips: pd.DataFrame, tolerance: int, what: str):
    """A 70/30 split of every row."""
    __tracebackhide__ = True
    n_train, n_valid, n_rows = len(train), len(valid), len(trips)
    expected = TEST_SIZE * n_rows
    assert abs(n_valid - expected) <= tolerance and n_train + n_valid == n_rows, (
        f"{what}: {n_train} train + {n_valid} valid rows of {n_rows}; expected {expected:.0f} valid rows "
        f"(test_size={TEST_SIZE}) within {tolerance} row, and {n_rows} rows in all")


def assert_split_partition(train: pd.DataFrame, valid: pd.DataFrame, trips: pd.DataFrame, what: str):
    """Each row of the file in exactly one part, the parts shuffled."""
    __tracebackhide__ = True
    columns = FEATURES + [LABEL]
    together = pd.concat([train, valid])
    partition = len(together) == len(trips) and np.array_equal(sorted_rows(together, columns), sorted_rows(trips, columns))
    assert partition, f"{what}: train and valid together are not the file's rows, each exactly once"
    in_file_order = np.array_equal(valid[columns].to_numpy(dtype=float), trips[columns].tail(len(valid)).to_numpy(dtype=float))
    assert not in_file_order, f"{what}: valid holds the file's last rows in order: the rows were not shuffled"


@check(points=1, hint="train_test_split(test_size=...): test_size is the share of rows in the second dataset.")
def test_split_sizes(splits, trips, thresholds):
    for what, (train, valid) in splits.items():
        assert_split_sizes(train, valid, trips, thresholds["split_row_tolerance"], f"file {what}")


@check(points=1, hint="read_parquet(..., columns=[...]) or select_columns keeps only the columns you name.")
def test_split_columns(splits):
    for what, (train, valid) in splits.items():
        assert_split_columns(train, valid, f"file {what}")


@check(points=1, hint="train_test_split(shuffle=True, seed=...) puts each row in exactly one part.")
def test_split_partition(splits, trips):
    for what, (train, valid) in splits.items():
        assert_split_columns(train, valid, f"file {what}")
        assert_split_partition(train, valid, trips, f"file {what}")


### BEGIN HIDDEN TESTS
@check(points=1, hidden=True, hint="load_and_split must work on any file with the course's schema.")
def test_split_other_data(student, data, ray_cluster, thresholds):
    path = data.path("taxi", seed=1, with_index=True)
    train, valid = student_split(student, path)
    trips, what = read_trips(path), "another trips file"
    assert_split_columns(train, valid, what)
    assert_split_sizes(train, valid, trips, thresholds["split_row_tolerance"], what)
    assert_split_partition(train, valid, trips, what)
### END HIDDEN TESTS


# -- build_trainer -------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def fitted(student, ray_cluster, frames, storage_path, use_gpu):
    """One real fit of the student's trainer on the grader's split: (workers, result, booster)."""
    from ray.train.xgboost import RayTrainReportCallback

    train_ds, valid_ds = ray_frames(ray_cluster, frames)
    workers = num_train_workers(ray_cluster, 2)
    trainer = student.build_trainer(train_ds, valid_ds, params=dict(TRAIN_PARAMS), num_boost_round=NUM_BOOST_ROUND,
                                    num_workers=workers, use_gpu=use_gpu, storage_path=storage_path,
                                    name="lesson1-fit")
    result = trainer.fit()
    assert result.checkpoint is not None, "the fit reported no checkpoint: RayTrainReportCallback saves one"
    return workers, result, RayTrainReportCallback.get_model(result.checkpoint)


@check(points=1, hint="ScalingConfig(num_workers=..., use_gpu=...) and RunConfig(storage_path=...) "
                      "take the caller's values; the datasets are keyed 'train' and 'valid'.")
def test_trainer_config(student, frames, tmp_path):
    from ray.train.xgboost import XGBoostTrainer

    for workers, gpu in ((3, True), (1, False)):
        trainer = student.build_trainer(None, None, num_workers=workers, use_gpu=gpu, storage_path=str(tmp_path))
        assert isinstance(trainer, XGBoostTrainer), f"build_trainer returned {type(trainer).__name__}; expected XGBoostTrainer"
        got = (trainer.scaling_config.num_workers, trainer.scaling_config.use_gpu)
        assert got == (workers, gpu), f"build_trainer(num_workers={workers}, use_gpu={gpu}): the ScalingConfig has {got}"
        assert trainer.run_config.storage_path == str(tmp_path), (
            f"RunConfig storage_path {trainer.run_config.storage_path!r}; expected the storage_path given")
        assert sorted(trainer.datasets) == ["train", "valid"], f"datasets keys {sorted(trainer.datasets)}; expected train, valid"


@check(points=2, hint="xgboost.train(params, dtrain, evals=[(dtrain, 'train'), (dvalid, 'valid')], "
                      "callbacks=[RayTrainReportCallback()]) reports valid-logloss.")
def test_trainer_logloss(fitted, reference, thresholds):
    workers, result, _ = fitted
    got, ref, limit = result.metrics.get("valid-logloss"), reference["logloss"], thresholds["logloss_tolerance"]
    assert got is not None, f"the fit's metrics have no valid-logloss; they have {sorted(result.metrics)}"
    assert abs(got - ref) <= limit, (
        f"valid-logloss {got:.4f} with {workers} workers; expected {ref:.4f} within {limit} (plain XGBoost, "
        f"same split and parameters)")


@check(points=1, hint="RayTrainReportCallback saves the final model as model.ubj in the checkpoint.")
def test_trainer_checkpoint(fitted):
    _, _, booster = fitted
    assert booster.num_boosted_rounds() == NUM_BOOST_ROUND, (
        f"the checkpoint's model has {booster.num_boosted_rounds()} rounds; expected num_boost_round={NUM_BOOST_ROUND}")


@check(points=1, hint="The label must not be one of the model's inputs: DMatrix(features, label=labels).")
def test_trainer_excludes_label(fitted):
    _, _, booster = fitted
    names = booster.feature_names or []
    assert LABEL not in names and booster.num_features() == len(FEATURES), (
        f"the model's features are {names or booster.num_features()}; expected the {len(FEATURES)} feature "
        f"columns, without {LABEL}")


# -- tune_max_depth ------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def tuned(student, ray_cluster, frames, storage_path, use_gpu):
    """One small tuning run of the student's tuner (its trials run side by side)."""
    train_ds, valid_ds = ray_frames(ray_cluster, frames)
    np.random.seed(TUNE_SEED)
    return student.tune_max_depth(train_ds, valid_ds, num_samples=TUNE_SAMPLES, num_workers=1,
                                  use_gpu=use_gpu, storage_path=storage_path)


def trial_table(results) -> list[tuple[int, float, object]]:
    """(max_depth, valid-logloss, checkpoint) of each trial."""
    assert not results.errors, f"{len(results.errors)} trial(s) failed: {results.errors[0]}"
    return [((r.config.get("params") or {}).get("max_depth"), r.metrics.get("valid-logloss"), r.checkpoint)
            for r in results]


def tree_depth(booster: xgboost.Booster) -> int:
    """The depth of the booster's deepest tree (a node's depth is its indentation in the text dump)."""
    return max(line.count("\t") for tree in booster.get_dump() for line in tree.splitlines())


@check(points=2, hint="param_space={'params': {'max_depth': tune.randint(2, 12)}}; each trial fits a trainer "
                      "and calls tune.report(metrics, checkpoint=result.checkpoint).")
def test_tune_trials(tuned, storage_path):
    from ray.train.xgboost import RayTrainReportCallback

    table = trial_table(tuned)
    assert len(table) == TUNE_SAMPLES, f"{len(table)} trials; expected num_samples={TUNE_SAMPLES}"
    probes.assert_stored_under(tuned.experiment_path, storage_path, "tune_max_depth's tuner")
    for depth, logloss, checkpoint in table:
        assert isinstance(depth, (int, np.integer)) and depth in DEPTH_RANGE, (
            f"a trial's config['params']['max_depth'] is {depth!r}; expected an integer in [2, 12)")
        assert logloss is not None, "a trial reported no valid-logloss"
        assert checkpoint is not None, "a trial reported no checkpoint: tune.report(..., checkpoint=...)"
        deepest = tree_depth(RayTrainReportCallback.get_model(checkpoint))
        assert deepest <= depth, f"a trial with max_depth={depth} holds a model with trees {deepest} levels deep"


@check(points=1, hint="TuneConfig(metric=..., mode=...): is a lower log loss better or worse?")
def test_tune_mode_min(tuned):
    table = trial_table(tuned)
    best = tuned.get_best_result()
    lowest = min(logloss for _, logloss, _ in table)
    assert best.metrics["valid-logloss"] == lowest, (
        f"the tuner's best result has valid-logloss {best.metrics['valid-logloss']:.4f}; the lowest of its "
        f"trials is {lowest:.4f}")


@check(points=1, hint="ResultGrid.get_best_result(metric=..., mode=...).checkpoint")
def test_best_checkpoint(student, tuned):
    table = trial_table(tuned)
    lowest = min(table, key=lambda row: row[1])
    got = student.best_checkpoint(tuned)
    assert got is not None and got.path == lowest[2].path, (
        f"best_checkpoint returned {getattr(got, 'path', got)}; expected the checkpoint of the trial with the "
        f"lowest valid-logloss ({lowest[1]:.4f}, max_depth={lowest[0]})")


# -- OfflinePredictor and predict_offline --------------------------------------------------------
def assert_rows(out, expected: int, what: str):
    """``out`` has one row per input row."""
    __tracebackhide__ = True
    got = len(out)
    assert got == expected, f"{what} returned {got} rows for {expected} input rows"


def assert_predictions(got_frame: pd.DataFrame, booster, tolerance: float, what: str):
    """``got_frame`` holds the features and a ``prediction`` column equal to the booster's own."""
    __tracebackhide__ = True
    assert isinstance(got_frame, pd.DataFrame), f"{what} returned {type(got_frame).__name__}; expected a DataFrame"
    missing = [c for c in FEATURES + ["prediction"] if c not in got_frame.columns]
    assert not missing, f"{what}: columns {list(got_frame.columns)} lack {missing}"
    got = got_frame["prediction"].to_numpy(dtype=float)
    probabilities = bool(np.all((got >= 0) & (got <= 1)))
    assert probabilities, f"{what}: predictions range [{got.min():.3g}, {got.max():.3g}]; expected probabilities in [0, 1]"
    gap = worst_gap(got, booster_predict(booster, got_frame))
    assert gap <= tolerance, f"{what}: predictions differ from the model's own predict by up to {gap:.3g}; tolerance {tolerance}"


@pytest.fixture(scope="module")
def valid_batch(frames) -> pd.DataFrame:
    """A batch of validation trips without the label, as Ray Data hands it to the predictor."""
    return frames[1][FEATURES].head(500)


@check(points=1, hint="OfflinePredictor.__call__: the batch's feature columns plus 'prediction', "
                      "from the loaded booster's predict.")
def test_offline_predictor(student, reference, valid_batch, thresholds):
    out = student.OfflinePredictor(reference["checkpoint"])(valid_batch.copy())
    assert_rows(out, len(valid_batch), "OfflinePredictor")
    assert_predictions(out, reference["booster"], thresholds["prediction_tolerance"], "OfflinePredictor")


@check(points=1, hint="Load expensive state once, in __init__; __call__ only predicts.")
def test_offline_loads_once(student, reference, valid_batch, tmp_path_factory):
    checkpoint, folder = fresh_checkpoint(reference["checkpoint"], tmp_path_factory)
    predictor = student.OfflinePredictor(checkpoint)
    shutil.rmtree(folder)
    out, failure = None, None
    try:
        out = predictor(valid_batch.copy())
    except NotImplementedError:
        raise
    except Exception as exc:
        failure = f"{type(exc).__name__}: {str(exc).strip().splitlines()[0][:300] if str(exc).strip() else ''}"
    # Raised outside the handler, so that the feedback shows this message, not the student's error.
    assert failure is None, (f"OfflinePredictor read its checkpoint again after __init__: once the checkpoint folder "
                             f"was gone, a call on a batch failed with {failure}")
    assert_rows(out, len(valid_batch), "OfflinePredictor")


@pytest.fixture(scope="module")
def offline(student, ray_cluster, reference, frames):
    """The student's predict_offline on the validation trips (label included): (output, new pool actors)."""
    import ray.data

    valid = frames[1]
    before = probes.actor_ids("MapBatches(OfflinePredictor)")
    ds = ray.data.from_pandas(blocks(valid, 6))
    out = student.predict_offline(reference["checkpoint"], ds, concurrency=POOL_SIZE, batch_size=1000).to_pandas()
    return out, len(probes.actor_ids("MapBatches(OfflinePredictor)") - before)


@check(points=1, hint="Drop the label, then map_batches: one output row per input row.")
def test_offline_rows(offline, frames):
    out, _ = offline
    valid = frames[1]
    assert_rows(out, len(valid), "predict_offline")
    assert LABEL not in out.columns, f"predict_offline's output still has the label {LABEL}: drop it before predicting"
    assert set(FEATURES + ["prediction"]) <= set(out.columns), f"output columns {list(out.columns)}; expected {FEATURES} and prediction"
    same_rows = np.array_equal(sorted_rows(out, FEATURES), sorted_rows(valid, FEATURES))
    assert same_rows, "predict_offline's output rows do not hold the input rows' features"


@check(points=1, hint="Each row's prediction is the probability of a big tip: booster.predict(DMatrix(features)).")
def test_offline_auc(offline, frames, reference, thresholds, credit):
    out, _ = offline
    assert_rows(out, len(frames[1]), "predict_offline")
    assert_predictions(out, reference["booster"], thresholds["prediction_tolerance"], "predict_offline")
    # Pair each output row with its label: sorted on the features, equal rows have equal predictions.
    labels = sorted_rows(frames[1], FEATURES + [LABEL])[:, -1]
    got = auc(labels, sorted_rows(out, FEATURES + ["prediction"])[:, -1])
    bar = thresholds["auc_below_reference"]
    credit.scale(f"validation AUC below the reference's {reference['auc']:.4f}", reference["auc"] - got,
                 floor=bar["floor"], target=bar["target"])


@check(points=1, hint="map_batches(OfflinePredictor, compute=ray.data.ActorPoolStrategy(size=concurrency), ...)")
def test_offline_actor_pool(offline):
    _, started = offline
    assert started == POOL_SIZE, (
        f"predict_offline(concurrency={POOL_SIZE}) started {started} OfflinePredictor actor(s); expected {POOL_SIZE}")


### BEGIN HIDDEN TESTS
@check(points=1, hidden=True, hint="OfflinePredictor must work on any trips with the course's schema.")
def test_offline_other_rows(student, data, reference, thresholds):
    batch = read_trips(data.path("taxi", seed=1))[FEATURES].sample(1000, random_state=1).reset_index(drop=True)
    out = student.OfflinePredictor(reference["checkpoint"])(batch.copy())
    assert_rows(out, len(batch), "OfflinePredictor")
    assert_predictions(out, reference["booster"], thresholds["prediction_tolerance"], "OfflinePredictor on other trips")
### END HIDDEN TESTS


# -- OnlinePredictor and deploy_online ------------------------------------------------------------
class DeployedApp:
    """The student's app behind HTTP, and the model its answers must agree with."""

    def __init__(self, handle, url: str, folder, booster, tolerance: float):
        self.handle, self.url, self.folder, self.booster, self.tolerance = handle, url, folder, booster, tolerance

    def post(self, **body):
        """POST to the app; (status, parsed JSON or text)."""
        import requests

        response = requests.post(self.url, timeout=60, **body)
        try:
            return response.status_code, response.json()
        except ValueError:
            return response.status_code, response.text

    def expect_predictions(self, frame: pd.DataFrame, what: str, *, answer=None, **body):
        """The app answers ``{"prediction": [...]}`` with the model's probabilities for ``frame``."""
        __tracebackhide__ = True
        status, answer = (200, answer) if answer is not None else self.post(**body)
        assert status == 200, f"{what}: HTTP {status}, {str(answer)[:300]}; expected 200"
        got, n_rows = answer.get("prediction") if isinstance(answer, dict) else None, len(frame)
        well_formed = isinstance(got, list) and len(got) == n_rows
        assert well_formed, f"{what}: answered {str(answer)[:200]}; expected {{'prediction': [{n_rows} floats]}}"
        gap = worst_gap(got, booster_predict(self.booster, frame))
        assert gap <= self.tolerance, (
            f"{what}: probabilities differ from the model's own by up to {gap:.3g}; tolerance {self.tolerance}")


@pytest.fixture(scope="module")
def online(student, reference, serve_apps, thresholds, tmp_path_factory) -> DeployedApp:
    """The student's app, deployed from a private copy of the grader's checkpoint."""
    checkpoint, folder = fresh_checkpoint(reference["checkpoint"], tmp_path_factory)
    name, prefix = serve_apps.new("taxi")
    handle = student.deploy_online(checkpoint, name=name, route_prefix=prefix)
    return DeployedApp(handle, serve_apps.url(prefix), folder, reference["booster"], thresholds["prediction_tolerance"])


@pytest.fixture(scope="module")
def records(frames) -> pd.DataFrame:
    """Validation trips to post, without the label."""
    return frames[1][FEATURES].sample(ONLINE_ROWS, random_state=0).reset_index(drop=True)


@check(points=1, hint="await request.json() gives the posted list of records; pandas.DataFrame(records).")
def test_online_records(online, records):
    online.expect_predictions(records, "POST of a list of records", json=records.to_dict(orient="records"))


@check(points=1, hint="The course posts json=df.to_json(orient='records'): the body is a JSON string; decode it again.")
def test_online_json_string(online, records):
    online.expect_predictions(records, "POST of a JSON string of records (as the course posts)",
                              json=records.to_json(orient="records"))


@check(points=1, hint="handle.predict.remote(records).result() calls predict on a replica.")
def test_online_handle(online, records):
    got = online.handle.predict.remote(records.to_dict(orient="records")).result(timeout_s=60)
    online.expect_predictions(records, "predict through the handle", answer={"prediction": list(got)})


@check(points=1, hint="Catch the errors a bad body raises and answer JSONResponse({'error': ...}, status_code=400).")
def test_online_bad_body(online, records):
    bad_bodies = {"a body that is not JSON": {"data": b"{not json", "headers": {"Content-Type": "application/json"}},
                  "a JSON number": {"json": 42},
                  "records without trip_distance": {"json": records.drop(columns=["trip_distance"]).to_dict(orient="records")}}
    for what, body in bad_bodies.items():
        status, answer = online.post(**body)
        assert status == 400 and isinstance(answer, dict) and "error" in answer, (
            f"POST of {what}: HTTP {status}, {str(answer)[:200]}; expected 400 with a JSON {{'error': ...}}")


@check(points=1, hint="Load the booster once per replica, in __init__.")
def test_online_loads_once(online, records):
    shutil.rmtree(online.folder, ignore_errors=True)
    online.expect_predictions(records, "POST after the checkpoint folder it was deployed from was deleted",
                              json=records.to_dict(orient="records"))


### BEGIN HIDDEN TESTS
@check(points=1, hidden=True, hint="The service must answer for any trips with the course's schema.")
def test_online_other_rows(online, data):
    frame = read_trips(data.path("taxi", seed=1))[FEATURES].sample(ONLINE_ROWS, random_state=2).reset_index(drop=True)
    online.expect_predictions(frame, "POST of other trips", json=frame.to_json(orient="records"))
### END HIDDEN TESTS
