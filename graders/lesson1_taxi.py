"""Grader of lesson 1, the NYC taxi pipeline: split, Train, Tune, offline and online inference.

Each part is graded on its own: the trainer and the tuner get the grader's own split, the tuner's trials
fit the grader's own trainer (in place of the student's ``build_trainer`` and training loop),
``best_checkpoint`` gets a tuning run of the grader's own, and the predictors get a model the grader
trained with plain XGBoost and saved as Ray Train saves one (``model.ubj``), so a broken step never
costs the points of the steps after it. The expensive work (one fit, one small tuning run, one actor pool, one Serve app)
runs once, in module fixtures. Every read of the public trips goes through ``data.path("taxi")``, so
an instructor's ``--data taxi=PATH`` (another size, with or without the index column) reaches it.

The student's module is imported on the student's side (``student_side``), never here: the datasets,
trainers, results, tuning runs, checkpoints, predictors and Serve handles its functions take and give
are made and kept there, the grader's own steps are put in its module there, and what comes back to be
judged is plain data (frames, metrics, a model's rounds and depth, checkpoint paths, predictions). HTTP
answers are read here.
"""
from __future__ import annotations

import contextlib
import os
import shutil

import numpy as np
import pandas as pd
import pytest
import xgboost

from graders.engine import check
from graders.engine.grading import probes, shapes
from graders.engine.grading.serving import handle_answer
from graders.engine.grading.student_side import type_name

LABEL = "is_big_tip"
FEATURES = ["passenger_count", "trip_distance", "fare_amount", "trip_duration", "hour", "day_of_week"]
INDEX = "__index_level_0__"
TEST_SIZE = 0.3
HIDDEN_SPLIT_ROWS = 12_345  # the hidden split's file: another size than the public one
HIDDEN_TEST_SIZE = 0.25  # the hidden split's test_size: not the contract's default
HIDDEN_SEEDS = (1234, 4321)  # the hidden split's seeds: one split twice must be equal, two seeds must differ
TRAIN_PARAMS = {"max_depth": 3, "eta": 0.1}  # far from XGBoost's defaults: ignoring them shows in the loss
NUM_BOOST_ROUND = 7  # neither the contract's default (20) nor a round number
TUNE_SAMPLES = 2
PLANNED_SAMPLES = 5  # a second tuner, built but not run: num_samples judged with two values
TUNE_SEED = 20  # seeds Tune's random search (numpy's global generator): depths 5 and 11
DEPTH_RANGE = range(2, 12)
XGBOOST_DEFAULT_DEPTH = 6  # a trial that ignores its max_depth grows trees this deep
KNOWN_LOGLOSS = [0.52, 0.41, 0.63]  # the grader's own trials, in order: the lowest neither first nor last
POOL_SIZE = 3  # not the course's 2, nor 1: the pool's size must come from the argument
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


def same_rows(a: pd.DataFrame, b: pd.DataFrame, columns: list[str]) -> bool:
    """Whether ``a`` and ``b`` hold the same rows (as multisets) on ``columns``."""
    return len(a) == len(b) and np.array_equal(sorted_rows(a, columns), sorted_rows(b, columns), equal_nan=True)


def blocks(frame: pd.DataFrame, parts: int) -> list[pd.DataFrame]:
    """``frame`` cut into ``parts`` consecutive pieces (Ray datasets of several blocks)."""
    return [frame.iloc[rows] for rows in np.array_split(np.arange(len(frame)), parts)]


def booster_predict(booster: xgboost.Booster, frame: pd.DataFrame) -> np.ndarray:
    """The booster's own probabilities for ``frame``'s feature columns."""
    return booster.predict(xgboost.DMatrix(frame[FEATURES]))


def read_table(path: str):
    """The parquet file at ``path`` (a local path or a URI) as an Arrow table."""
    import pyarrow.parquet as pq

    return pq.read_table(path)


def trips_frame(table) -> pd.DataFrame:
    """Trips as pandas, without the stray index column."""
    return table.to_pandas().drop(columns=[INDEX], errors="ignore").reset_index(drop=True)


def write_trips(table, storage_path: str, what: str) -> str:
    """Write ``table`` as parquet under ``storage_path`` (local or a URI, where every node reads it); its path."""
    import pyarrow.fs
    import pyarrow.parquet as pq

    filesystem, root = pyarrow.fs.FileSystem.from_uri(storage_path)
    folder = shapes.fresh_name(f"lesson1-trips-{what}")
    filesystem.create_dir(f"{root.rstrip('/')}/{folder}")
    pq.write_table(table, f"{root.rstrip('/')}/{folder}/trips.parquet", filesystem=filesystem)
    return f"{storage_path.rstrip('/')}/{folder}/trips.parquet"


def toggle_index(table):
    """``table`` with the stray index column removed, or added (gappy row ids) when it has none."""
    import pyarrow as pa

    if INDEX in table.column_names:
        return table.drop_columns([INDEX])
    return table.append_column(INDEX, pa.array(np.arange(table.num_rows, dtype=np.int64) * 3 + 7))


def worst_gap(got, expected) -> float:
    """Largest absolute difference between two prediction vectors."""
    return float(np.max(np.abs(np.asarray(got, dtype=float) - np.asarray(expected, dtype=float)), initial=0.0))


def checkpoint_at(folder: str):
    """A ``ray.train.Checkpoint`` of ``folder`` (made on the student's side, where its code takes it)."""
    from ray.train import Checkpoint

    return Checkpoint.from_directory(folder)


def fresh_checkpoint(side, source, tmp_path_factory):
    """A ``Checkpoint`` (on the side) of a private copy of the folder ``source`` (the caller may delete it)."""
    copy = tmp_path_factory.mktemp("checkpoint-copy") / "checkpoint"
    shutil.copytree(source, copy)
    return side.make(checkpoint_at, str(copy)), copy


@pytest.fixture(scope="module")
def public_table(data):
    """The public trips file as given (the kit's, or the instructor's ``--data taxi=PATH``)."""
    return read_table(data.path("taxi"))


@pytest.fixture(scope="module")
def trips(public_table) -> pd.DataFrame:
    """The public trips, with pandas."""
    return trips_frame(public_table)


@pytest.fixture(scope="module")
def frames(trips) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The grader's own 70/30 split of the public trips (train, valid)."""
    order = np.random.default_rng(0).permutation(len(trips))
    n_valid = round(TEST_SIZE * len(trips))
    return (trips.iloc[order[n_valid:]].reset_index(drop=True),
            trips.iloc[order[:n_valid]].reset_index(drop=True))


@pytest.fixture(scope="module")
def reference(frames, tmp_path_factory):
    """The grader's model: plain XGBoost on its split, saved as Ray Train saves one (``folder``); and its scores."""
    train, valid = frames
    dtrain = xgboost.DMatrix(train[FEATURES], label=train[LABEL])
    dvalid = xgboost.DMatrix(valid[FEATURES], label=valid[LABEL])
    evals = {}
    booster = xgboost.train({"objective": "binary:logistic", "eval_metric": "logloss", **TRAIN_PARAMS}, dtrain,
                            num_boost_round=NUM_BOOST_ROUND, evals=[(dvalid, "valid")], evals_result=evals,
                            verbose_eval=False)
    folder = tmp_path_factory.mktemp("reference-checkpoint")
    booster.save_model(str(folder / "model.ubj"))
    return {"booster": booster, "folder": str(folder),
            "logloss": evals["valid"]["logloss"][-1], "auc": auc(valid[LABEL], booster.predict(dvalid))}


@pytest.fixture(scope="module")
def reference_checkpoint(student_side, reference):
    """The grader's model as a ``Checkpoint`` on the student's side."""
    return student_side.make(checkpoint_at, reference["folder"])


# -- the grader's own steps, put in the student's module on its side ------------------------------
def xgboost_train_loop(config):
    """The contract's training loop, written by the grader."""
    import ray.train
    from ray.train.xgboost import RayTrainReportCallback

    def dmatrix(name):
        frame = ray.train.get_dataset_shard(name).materialize().to_pandas()
        return xgboost.DMatrix(frame[FEATURES], label=frame[LABEL])

    dtrain, dvalid = dmatrix("train"), dmatrix("valid")
    xgboost.train({"objective": "binary:logistic", "eval_metric": ["logloss", "error"], **config["params"]},
                  dtrain, num_boost_round=config["num_boost_round"], evals=[(dtrain, "train"), (dvalid, "valid")],
                  callbacks=[RayTrainReportCallback()])


def build_trainer(train_ds, valid_ds, *, params=None, num_boost_round=20, num_workers=2, use_gpu=False,
                  storage_path, name=None):
    """The contract's ``build_trainer``, written by the grader."""
    import ray.train
    from ray.train.xgboost import XGBoostTrainer

    params = {"device": "cuda", **(params or {})} if use_gpu else dict(params or {})
    return XGBoostTrainer(xgboost_train_loop, train_loop_config={"params": params, "num_boost_round": num_boost_round},
                          scaling_config=ray.train.ScalingConfig(num_workers=num_workers, use_gpu=use_gpu),
                          run_config=ray.train.RunConfig(storage_path=storage_path, name=name),
                          datasets={"train": train_ds, "valid": valid_ds})


GRADER_STEPS = ("xgboost_train_loop", "build_trainer")


@contextlib.contextmanager
def grader_trainer(side, student):
    """The grader's trainer (``GRADER_STEPS``) in the student's module on its side while the block runs, so
    that a broken trainer (16 workers written in, params ignored) costs the trainer's checks only: Ray ships
    the student's module by value meanwhile, so that a trial function at its top level, which a trial would
    otherwise import afresh, gets the grader's trainer too (the grader's own travel by reference)."""
    with pytest.MonkeyPatch.context() as patch:
        for name in GRADER_STEPS:
            patch.setattr(student, name, globals()[name], raising=False)
        side.apply(pickle_by_value, student, True)
        try:
            yield
        finally:
            side.apply(pickle_by_value, student, False)


def pickle_by_value(module, on: bool) -> None:
    import ray.cloudpickle

    if on:
        ray.cloudpickle.register_pickle_by_value(module)
    else:
        with contextlib.suppress(ValueError):  # a side started again meanwhile: never registered there
            ray.cloudpickle.unregister_pickle_by_value(module)


def seeded(seed: int, fn, *args, **kwargs):
    """``fn(*args, **kwargs)`` after seeding NumPy's global generator (Tune's random search draws from it)."""
    np.random.seed(seed)
    return fn(*args, **kwargs)


class _Planned(BaseException):
    """Raised by ``Tuner.fit`` while the grader only looks at how a tuner is configured."""


def planned_samples(tune_max_depth, train_ds, valid_ds, storage_path: str, num_samples: int):
    """The ``num_samples`` of the tuner ``tune_max_depth`` builds when asked for ``num_samples``, read when it
    calls ``fit``, which then runs nothing. None when it never calls ``Tuner.fit``."""
    from ray import tune

    seen = []

    def planned(tuner):
        seen.append(tuner._local_tuner._tune_config.num_samples)
        raise _Planned

    with contextlib.suppress(_Planned), pytest.MonkeyPatch.context() as patch:
        patch.setattr(tune.Tuner, "fit", planned)
        tune_max_depth(train_ds, valid_ds, num_samples=num_samples, num_workers=1, use_gpu=False,
                       storage_path=storage_path)
    return seen[0] if seen else None


def ray_dataset(frame: pd.DataFrame, parts: int):
    """``frame`` as a Ray dataset of ``parts`` blocks (made on the student's side)."""
    import ray.data

    return ray.data.from_pandas(blocks(frame, parts))


def ray_frames(frames, parts: int = 4) -> tuple:
    """The grader's split as Ray datasets, a few blocks each (made on the student's side)."""
    return tuple(ray_dataset(frame, parts) for frame in frames)


def num_train_workers(ray_instance, wanted: int) -> int:
    """Workers for a fit: ``wanted``, or fewer when each needs a GPU and the cluster has fewer."""
    import ray

    return max(1, min(wanted, int(ray.cluster_resources().get("GPU", 0)))) if ray_instance.use_gpu else wanted


# -- load_and_split ------------------------------------------------------------------------------
def student_split(student, path: str, **options) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The student's split of the file at ``path`` (``test_size``, ``seed``: as given, else the defaults), as pandas."""
    train_ds, valid_ds = student.load_and_split(path, **options)
    return train_ds.to_pandas(), valid_ds.to_pandas()


@pytest.fixture(scope="module")
def splits(student, data, public_table, storage_path) -> dict:
    """The student's default split of the public file as given, and of a copy with (or without) the
    ``__index_level_0__`` column that the given file lacks (or has)."""
    has_index = INDEX in public_table.column_names
    other = write_trips(toggle_index(public_table), storage_path, "public")
    return {f"the trips file (which {'has' if has_index else 'lacks'} {INDEX})": student_split(student, data.path("taxi")),
            f"the same trips {'without' if has_index else 'with'} {INDEX}": student_split(student, other)}


def assert_split_columns(train: pd.DataFrame, valid: pd.DataFrame, what: str):
    """Both parts hold exactly the feature and label columns."""
    __tracebackhide__ = True
    for name, part in (("train", train), ("valid", valid)):
        assert sorted(part.columns) == sorted(FEATURES + [LABEL]), (
            f"{what}: {name} has columns {list(part.columns)}; expected exactly {FEATURES + [LABEL]}")


def assert_split_sizes(train: pd.DataFrame, valid: pd.DataFrame, trips: pd.DataFrame, tolerance: int, what: str,
                       test_size: float = TEST_SIZE):
    """A split of every row, ``test_size`` of them in the validation part."""
    __tracebackhide__ = True
    n_train, n_valid, n_rows = len(train), len(valid), len(trips)
    expected = test_size * n_rows
    assert abs(n_valid - expected) <= tolerance and n_train + n_valid == n_rows, (
        f"{what}: {n_train} train + {n_valid} valid rows of {n_rows}; expected {expected:.0f} valid rows "
        f"(test_size={test_size}) within {tolerance} row, and {n_rows} rows in all")


def assert_split_partition(train: pd.DataFrame, valid: pd.DataFrame, trips: pd.DataFrame, what: str):
    """Each row of the file in exactly one part, the parts shuffled (judged on the file's own columns)."""
    __tracebackhide__ = True
    columns = FEATURES + [LABEL]
    missing = [c for c in columns if c not in train.columns or c not in valid.columns]
    assert not missing, f"{what}: the parts lack the columns {missing}; expected every column of the file, to compare with it"
    assert same_rows(pd.concat([train, valid]), trips, columns), (
        f"{what}: train and valid together are not the file's {len(trips)} rows; expected each row exactly once")
    in_file_order = np.array_equal(valid[columns].to_numpy(dtype=float), trips[columns].tail(len(valid)).to_numpy(dtype=float))
    assert not in_file_order, f"{what}: valid holds the file's last rows in order; expected the rows shuffled"


@check(points=1, hint=("test_size is the share of rows that goes to the second (validation) dataset.",
                       "Dataset.train_test_split(test_size=..., shuffle=..., seed=...) in Ray Data.",
                       "return the two datasets train_test_split gives, passing the function's own test_size"))
def test_split_sizes(splits, trips, thresholds):
    for what, (train, valid) in splits.items():
        assert_split_sizes(train, valid, trips, thresholds["split_row_tolerance"], what)


@check(points=1, hint=("Only the six features and the label may reach the model; some files carry an extra "
                       "__index_level_0__ column, others do not.",
                       "ray.data.read_parquet(path, columns=[...]) or Dataset.select_columns([...]).",
                       "name the columns to keep (FEATURE_COLUMNS and LABEL_COLUMN), rather than the ones to drop"))
def test_split_columns(splits):
    for what, (train, valid) in splits.items():
        assert_split_columns(train, valid, what)


@check(points=1, hint=("Every row belongs to exactly one part, and the parts are a random draw, not the file's "
                       "first and last rows.",
                       "Dataset.train_test_split's shuffle= and seed= arguments (the course left shuffle off).",
                       "train_test_split(test_size=test_size, shuffle=..., seed=seed) on the dataset you read"))
def test_split_partition(splits, trips):
    for what, (train, valid) in splits.items():
        assert_split_partition(train, valid, trips, what)


### BEGIN HIDDEN TESTS
@check(points=1, hidden=True, hint=("load_and_split must work on any file with the course's schema and any size, "
                                    "with the test_size and seed it is given.",
                                    "Dataset.train_test_split works out the split point from the dataset itself.",
                                    "no row counts, sizes, seeds or paths written into the code: use the arguments"))
def test_split_other_data(student, data, storage_path, thresholds):
    table = read_table(data.path("taxi", seed=1, with_index=True)).slice(0, HIDDEN_SPLIT_ROWS)
    path, trips = write_trips(table, storage_path, "hidden"), trips_frame(table)
    first, again = HIDDEN_SEEDS
    splits = {seed: student_split(student, path, test_size=HIDDEN_TEST_SIZE, seed=seed) for seed in (first, again)}
    for seed, (train, valid) in splits.items():
        what = f"another trips file, test_size={HIDDEN_TEST_SIZE}, seed={seed}"
        assert_split_columns(train, valid, what)
        assert_split_sizes(train, valid, trips, thresholds["split_row_tolerance"], what, HIDDEN_TEST_SIZE)
        assert_split_partition(train, valid, trips, what)
    repeated = student_split(student, path, test_size=HIDDEN_TEST_SIZE, seed=first)[1]
    assert same_rows(repeated, splits[first][1], FEATURES + [LABEL]), (
        f"two splits of one file with seed={first} put other rows in valid; expected the same rows: the seed decides")
    assert not same_rows(splits[again][1], splits[first][1], FEATURES + [LABEL]), (
        f"seeds {first} and {again} put the same rows in valid; expected the seed passed to train_test_split")
### END HIDDEN TESTS


# -- build_trainer -------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def fitted(student, student_side, ray_instance, frames, storage_path, use_gpu):
    """One real fit of the student's trainer on the grader's split (on its side): (workers, the result's
    metrics, ``model_facts`` of its checkpoint)."""
    train_ds, valid_ds = student_side.apply(ray_frames, frames)
    workers = num_train_workers(ray_instance, 2)
    trainer = student.build_trainer(train_ds, valid_ds, params=dict(TRAIN_PARAMS), num_boost_round=NUM_BOOST_ROUND,
                                    num_workers=workers, use_gpu=use_gpu, storage_path=storage_path,
                                    name="lesson1-fit")
    result = trainer.fit()
    checkpoint = result.checkpoint
    assert checkpoint is not None, "the fit reported no checkpoint; expected the one RayTrainReportCallback saves"
    return workers, result.metrics, student_side.apply(model_facts, checkpoint)


def tree_depth(booster: xgboost.Booster) -> int:
    """The depth of the booster's deepest tree (a node's depth is its indentation in the text dump)."""
    return max(line.count("\t") for tree in booster.get_dump() for line in tree.splitlines())


def model_facts(checkpoint) -> dict:
    """What the checks read of the model in ``checkpoint`` (on the student's side, where it is loaded)."""
    from ray.train.xgboost import RayTrainReportCallback

    booster = RayTrainReportCallback.get_model(checkpoint)
    return {"rounds": booster.num_boosted_rounds(), "depth": tree_depth(booster),
            "feature_names": list(booster.feature_names or []), "num_features": booster.num_features()}


@check(points=1, hint=("Resources and storage are the caller's choice: every argument reaches the trainer.",
                       "ray.train.ScalingConfig(num_workers, use_gpu), ray.train.RunConfig(storage_path, name), "
                       "and the trainer's datasets= dict.",
                       "XGBoostTrainer(loop, train_loop_config=..., scaling_config=ScalingConfig(...), "
                       "run_config=RunConfig(...), datasets={'train': ..., 'valid': ...})"))
def test_trainer_config(student, student_side, frames, tmp_path):
    from ray.train.xgboost import XGBoostTrainer

    train_ds, valid_ds = student_side.apply(ray_frames, frames, 1)
    for workers, gpu, name in ((3, True, "lesson1-config"), (1, False, None)):
        trainer = student.build_trainer(train_ds, valid_ds, num_workers=workers, use_gpu=gpu,
                                        storage_path=str(tmp_path), name=name)
        assert student_side.apply(isinstance, trainer, XGBoostTrainer), (
            f"build_trainer returned {type_name(trainer)}; expected XGBoostTrainer")
        got = (trainer.scaling_config.num_workers, trainer.scaling_config.use_gpu)
        assert got == (workers, gpu), f"build_trainer(num_workers={workers}, use_gpu={gpu}): the ScalingConfig has {got}; expected {(workers, gpu)}"
        assert str(trainer.run_config.storage_path) == str(tmp_path), (
            f"RunConfig storage_path {trainer.run_config.storage_path!r}; expected the storage_path given")
        assert name is None or trainer.run_config.name == name, (
            f"build_trainer(name={name!r}): the RunConfig's name is {trainer.run_config.name!r}; expected {name!r}")
        assert sorted(trainer.datasets) == ["train", "valid"], f"datasets keys {sorted(trainer.datasets)}; expected train, valid"


@check(points=2, hint=("Each worker trains on its shards and reports the validation log loss each round.",
                       "xgboost.train(..., evals=[...]) with ray.train.xgboost.RayTrainReportCallback; metrics "
                       "are named '<eval name>-<metric>'.",
                       "the params are the objective and eval_metric plus config['params'], num_boost_round is "
                       "config['num_boost_round'], and the evals are named 'train' and 'valid'"))
def test_trainer_logloss(fitted, reference, thresholds):
    workers, metrics, _ = fitted
    got, ref, limit = metrics.get("valid-logloss"), reference["logloss"], thresholds["logloss_tolerance"]
    assert got is not None, f"the fit's metrics have no valid-logloss, only {sorted(metrics)}; expected valid-logloss"
    assert abs(got - ref) <= limit, (
        f"valid-logloss {got:.4f} with {workers} workers; expected {ref:.4f} within {limit} (plain XGBoost, "
        f"same split, parameters and rounds)")


@check(points=1, hint=("The checkpoint holds the model the loop trained, with the caller's parameters and rounds.",
                       "RayTrainReportCallback saves the final model as model.ubj; get_model(checkpoint) loads it.",
                       "pass config['params'] and config['num_boost_round'] to xgboost.train unchanged"))
def test_trainer_checkpoint(fitted):
    _, _, model = fitted
    assert model["rounds"] == NUM_BOOST_ROUND, (
        f"the checkpoint's model has {model['rounds']} rounds; expected num_boost_round={NUM_BOOST_ROUND}")
    deepest, wanted = model["depth"], TRAIN_PARAMS["max_depth"]
    assert deepest <= wanted, (
        f"the checkpoint's model has trees {deepest} levels deep; params asked for max_depth={wanted}: "
        f"expected at most {wanted}: config['params'] must reach xgboost.train")


@check(points=1, hint=("The label must not be one of the model's inputs.",
                       "xgboost.DMatrix(data, label=...): data holds the features only.",
                       "select FEATURE_COLUMNS from the shard's frame for data, LABEL_COLUMN for label"))
def test_trainer_excludes_label(fitted):
    _, _, model = fitted
    names = model["feature_names"]
    assert LABEL not in names and model["num_features"] == len(FEATURES), (
        f"the model's features are {names or model['num_features']}; expected the {len(FEATURES)} feature "
        f"columns, without {LABEL}")


# -- tune_max_depth and best_checkpoint ----------------------------------------------------------
@pytest.fixture(scope="module")
def tuned(student, student_side, frames, storage_path, use_gpu):
    """One small tuning run of the student's tuner, its trials fitting the grader's trainer side by side
    (on its side): (the ``ResultGrid`` there, ``shapes.TuneRun`` of it, and the ``num_samples`` of a second
    tuner it builds, asked for another count, which runs nothing)."""
    draws = np.random.RandomState(TUNE_SEED)  # what Tune draws from NumPy's global generator seeded so
    planned = [int(draws.randint(DEPTH_RANGE.start, DEPTH_RANGE.stop)) for _ in range(TUNE_SAMPLES)]
    if len(set(planned)) < TUNE_SAMPLES or min(planned) >= XGBOOST_DEFAULT_DEPTH:  # a grader bug, never the student's
        raise RuntimeError(f"grader bug: TUNE_SEED={TUNE_SEED} samples depths {planned}; they must differ and one "
                           f"must be below XGBoost's default {XGBOOST_DEFAULT_DEPTH}")
    train_ds, valid_ds = student_side.apply(ray_frames, frames)
    with grader_trainer(student_side, student):
        grid = student_side.apply(seeded, TUNE_SEED, student.tune_max_depth, train_ds, valid_ds,
                                  num_samples=TUNE_SAMPLES, num_workers=1, use_gpu=use_gpu, storage_path=storage_path)
    samples = student_side.apply(planned_samples, student.tune_max_depth, train_ds, valid_ds, storage_path,
                                 PLANNED_SAMPLES)
    return grid, shapes.TuneRun.of(student_side.apply(shapes.tune_run, grid)), samples


def trial_tree_depth(grid, index: int) -> int | None:
    """The depth of the model in the checkpoint of trial ``index`` of ``grid`` (on the student's side);
    None when the trial reported no checkpoint."""
    from ray.train.xgboost import RayTrainReportCallback

    checkpoint = grid[index].checkpoint
    return None if checkpoint is None else tree_depth(RayTrainReportCallback.get_model(checkpoint))


def configured_depth(config):
    """The ``max_depth`` of a trial's config, flat or nested at any level (None when absent)."""
    if isinstance(config, dict):
        if "max_depth" in config:
            return config["max_depth"]
        return next((d for d in map(configured_depth, config.values()) if d is not None), None)
    return None


@check(points=2, hint=("Each trial fits its own trainer with the max_depth Tune sampled for it, and reports the "
                       "metrics and the model.",
                       "ray.tune.Tuner over a function of config; tune.randint(2, 12) in param_space; "
                       "tune.report(metrics, checkpoint=...).",
                       "in the trial function: build_trainer(..., params=<max_depth from config>, ...).fit(), "
                       "then report the fit's metrics with its checkpoint"))
def test_tune_trials(tuned, student_side, storage_path):
    grid, run, planned = tuned
    trials = shapes.trial_results(run)
    assert len(trials) == TUNE_SAMPLES, f"tune_max_depth(num_samples={TUNE_SAMPLES}) ran {len(trials)} trials; expected {TUNE_SAMPLES}"
    assert planned in (None, PLANNED_SAMPLES), (
        f"tune_max_depth(num_samples={PLANNED_SAMPLES}) built a tuner for {planned} samples; expected {PLANNED_SAMPLES}")
    probes.assert_stored_under(run.experiment_path, storage_path, "tune_max_depth's tuner")
    for index, trial in enumerate(trials):
        depth = configured_depth(trial.config)
        assert isinstance(depth, (int, np.integer)) and depth in DEPTH_RANGE, (
            f"a trial's config {trial.config} has max_depth {depth!r}; expected an integer from tune.randint(2, 12), "
            f"flat ({{'max_depth': ...}}) or nested ({{'params': {{'max_depth': ...}}}})")
        assert trial.metrics.get("valid-logloss") is not None, (
            f"the trial with max_depth={depth} reported {sorted(trial.metrics)}; expected valid-logloss among them")
        deepest = student_side.apply(trial_tree_depth, grid, index)
        assert deepest is not None, f"the trial with max_depth={depth} reported no checkpoint; expected one holding its model"
        assert deepest <= depth, (f"the trial with max_depth={depth} trained trees {deepest} levels deep: "
                                  f"expected at most {depth}: its max_depth must reach the trainer's params")


@check(points=1, hint=("A log loss is an error: the best trial is the one with the lowest.",
                       "tune.TuneConfig(metric=..., mode=...) decides what ResultGrid.get_best_result() returns.",
                       "TuneConfig(num_samples=num_samples, metric=<the validation log loss>, mode=<lower is better>)"))
def test_tune_mode_min(tuned):
    _, run, _ = tuned
    shapes.assert_best_is_lowest(run, "valid-logloss", what="the tuner's get_best_result()")


def report_known(config):
    """A trial of the grader's own tuning run: its known log loss, and a checkpoint."""
    import json
    import tempfile

    from ray import tune
    from ray.train import Checkpoint

    folder = tempfile.mkdtemp()
    with open(os.path.join(folder, "trial.json"), "w") as f:
        json.dump(config, f)
    tune.report({"valid-logloss": config["logloss"]}, checkpoint=Checkpoint.from_directory(folder))


def known_tuning(storage_path: str):
    """The grader's own tuning run (on the student's side, where ``best_checkpoint`` reads it)."""
    from ray import tune
    from ray.tune.logger import CSVLoggerCallback, JsonLoggerCallback

    # The kit turns Tune's automatic result loggers off for speed (raysession); this grid names them, so
    # that a student's ResultGrid.get_dataframe() (read from those logs) sees the trials as on any Ray.
    return tune.Tuner(report_known, param_space={"logloss": tune.grid_search(KNOWN_LOGLOSS)},
                      tune_config=tune.TuneConfig(metric="valid-logloss", mode="min", max_concurrent_trials=1),
                      run_config=tune.RunConfig(storage_path=storage_path, verbose=0,
                                                callbacks=[CSVLoggerCallback(), JsonLoggerCallback()],
                                                name=shapes.fresh_name("lesson1-known"))).fit()


def checkpoint_paths(grid) -> list:
    """The path of each trial's checkpoint, in the grid's order."""
    return [str(result.checkpoint.path) if result.checkpoint else None for result in grid]


@pytest.fixture(scope="module")
def known_grid(student_side, storage_path):
    """A tuning run of the grader's own (on the student's side): trials that report known log losses (the
    lowest in the middle) and a checkpoint each, configured as the contract's tuner is (metric
    valid-logloss, mode min). (The grid there, its checkpoints' paths.)"""
    grid = student_side.apply(known_tuning, storage_path)
    trials = shapes.trial_results(student_side.apply(shapes.tune_run, grid))
    values = [trial.metrics.get("valid-logloss") for trial in trials]
    if values != KNOWN_LOGLOSS or not 0 < values.index(min(values)) < len(values) - 1:
        raise RuntimeError(f"grader bug: the known trials report {values}; expected {KNOWN_LOGLOSS} in that order, "
                           "the lowest neither first nor last")
    return grid, student_side.apply(checkpoint_paths, grid)


@check(points=1, hint=("The best checkpoint is the one of the trial with the lowest valid-logloss, wherever "
                       "that trial comes in the grid.",
                       "ResultGrid.get_best_result(metric=..., mode=...) and Result.checkpoint.",
                       "name the metric and the mode explicitly rather than relying on the tuner's defaults"))
def test_best_checkpoint(student, known_grid):
    grid, paths = known_grid
    position = {path: i for i, path in enumerate(paths)}
    best = KNOWN_LOGLOSS.index(min(KNOWN_LOGLOSS))
    got = student.best_checkpoint(grid)
    path = getattr(got, "path", None)
    chosen = position.get(str(path))
    described = (f"the checkpoint of trial {chosen + 1} (valid-logloss {KNOWN_LOGLOSS[chosen]})" if chosen is not None
                 else f"{got if path is None else path!r}, no trial's checkpoint")
    assert chosen == best, (f"on {len(paths)} trials reporting valid-logloss {KNOWN_LOGLOSS}, best_checkpoint returned "
                            f"{described}; expected the checkpoint of trial {best + 1}, the lowest")


# -- OfflinePredictor and predict_offline --------------------------------------------------------
def assert_rows(out, expected: int, what: str):
    """``out`` has one row per input row."""
    __tracebackhide__ = True
    got = len(out)
    assert got == expected, f"{what} returned {got} rows for {expected} input rows; expected one row per input row"


def assert_predictions(got_frame: pd.DataFrame, booster, tolerance: float, what: str):
    """``got_frame`` holds the features and a ``prediction`` column equal to the booster's own."""
    __tracebackhide__ = True
    assert isinstance(got_frame, pd.DataFrame), f"{what} returned {type_name(got_frame)}; expected a DataFrame"
    missing = [c for c in FEATURES + ["prediction"] if c not in got_frame.columns]
    assert not missing, f"{what}: columns {list(got_frame.columns)} lack {missing}; expected the features and prediction"
    got = got_frame["prediction"].to_numpy(dtype=float)
    probabilities = bool(np.all((got >= 0) & (got <= 1)))
    assert probabilities, f"{what}: predictions range [{got.min():.3g}, {got.max():.3g}]; expected probabilities in [0, 1]"
    gap = worst_gap(got, booster_predict(booster, got_frame))
    assert gap <= tolerance, f"{what}: predictions differ from the model's own predict by up to {gap:.3g}; expected them equal within {tolerance}"


@pytest.fixture(scope="module")
def valid_batch(frames) -> pd.DataFrame:
    """A batch of validation trips without the label, as Ray Data hands it to the predictor."""
    return frames[1][FEATURES].head(500)


@check(points=1, hint=("Each row's prediction is the model's probability of a big tip.",
                       "RayTrainReportCallback.get_model(checkpoint) gives an xgboost.Booster; Booster.predict "
                       "takes a DMatrix.",
                       "copy the batch's FEATURE_COLUMNS, add a 'prediction' column from the booster, return the frame"))
def test_offline_predictor(student, reference, reference_checkpoint, valid_batch, thresholds):
    out = student.OfflinePredictor(reference_checkpoint)(valid_batch.copy())
    assert_rows(out, len(valid_batch), "OfflinePredictor")
    assert_predictions(out, reference["booster"], thresholds["prediction_tolerance"], "OfflinePredictor")


@check(points=1, hint=("Load expensive state once per actor, when it is built; each call only predicts.",
                       "A class passed to map_batches is built once per actor of the pool: its __init__ runs once.",
                       "keep the booster on self in __init__; __call__ uses self's booster"))
def test_offline_loads_once(student, student_side, reference, valid_batch, tmp_path_factory):
    checkpoint, folder = fresh_checkpoint(student_side, reference["folder"], tmp_path_factory)
    predictor = student.OfflinePredictor(checkpoint)
    out = shapes.assert_survives_removal(lambda: shutil.rmtree(folder), lambda: predictor(valid_batch.copy()),
                                         what="OfflinePredictor")
    assert_rows(out, len(valid_batch), "OfflinePredictor")


@pytest.fixture(scope="module")
def offline(student, student_side, reference_checkpoint, frames):
    """The student's predict_offline on the validation trips (label included), on its side: (output, new
    pool actors)."""
    before = probes.actor_ids("MapBatches(OfflinePredictor)")
    ds = student_side.apply(ray_dataset, frames[1], 6)
    out = student.predict_offline(reference_checkpoint, ds, concurrency=POOL_SIZE, batch_size=1000).to_pandas()
    return out, len(probes.actor_ids("MapBatches(OfflinePredictor)") - before)


@check(points=1, hint=("Batch inference keeps every input row and hands the model its features, never the label.",
                       "Dataset.columns(), Dataset.drop_columns([...]) and Dataset.map_batches.",
                       "drop LABEL_COLUMN when the dataset has it, then map_batches(OfflinePredictor, ...)"))
def test_offline_rows(offline, frames):
    out, _ = offline
    valid = frames[1]
    assert_rows(out, len(valid), "predict_offline")
    assert LABEL not in out.columns, f"predict_offline's output still has the label {LABEL}; expected it dropped before predicting"
    assert set(FEATURES + ["prediction"]) <= set(out.columns), f"output columns {list(out.columns)}; expected {FEATURES} and prediction"
    assert same_rows(out, valid, FEATURES), "predict_offline's output rows do not hold the input rows' features; expected each input row's features once"


@check(points=1, hint=("Each row's prediction is the probability of a big tip, for that row.",
                       "map_batches hands OfflinePredictor pandas batches when batch_format='pandas'.",
                       "map_batches(OfflinePredictor, fn_constructor_kwargs=..., batch_format=..., batch_size=batch_size, compute=...)"))
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


@check(points=1, hint=("The pool's size is the caller's choice: concurrency actors, each holding a loaded model.",
                       "ray.data.ActorPoolStrategy(size=...) passed as map_batches(compute=...) (today's "
                       "replacement of concurrency=).",
                       "compute=ray.data.ActorPoolStrategy(size=<the concurrency argument>)"))
def test_offline_actor_pool(offline):
    _, started = offline
    assert started == POOL_SIZE, (
        f"predict_offline(concurrency={POOL_SIZE}) started {started} OfflinePredictor actor(s); expected {POOL_SIZE}")


### BEGIN HIDDEN TESTS
@check(points=1, hidden=True, hint=("OfflinePredictor must work on any trips with the course's schema.",
                                    "Select the feature columns by name, not by position.",
                                    "frame[FEATURE_COLUMNS] into the DMatrix, whatever else the batch holds"))
def test_offline_other_rows(student, data, reference, reference_checkpoint, thresholds):
    batch = trips_frame(read_table(data.path("taxi", seed=1)))[FEATURES].sample(1000, random_state=1).reset_index(drop=True)
    out = student.OfflinePredictor(reference_checkpoint)(batch.copy())
    assert_rows(out, len(batch), "OfflinePredictor")
    assert_predictions(out, reference["booster"], thresholds["prediction_tolerance"], "OfflinePredictor on other trips")
### END HIDDEN TESTS


# -- OnlinePredictor and deploy_online ------------------------------------------------------------
class DeployedApp:
    """The student's app behind HTTP, its handle (on its side), and the model its answers must agree with."""

    def __init__(self, side, handle, url: str, folder, booster, tolerance: float):
        self.side, self.handle, self.url, self.folder = side, handle, url, folder
        self.booster, self.tolerance = booster, tolerance

    def post(self, **body):
        """POST to the app; (status, parsed JSON or text)."""
        response = shapes.post(self.url, **body)
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
            f"{what}: probabilities differ from the model's own by up to {gap:.3g}; expected them equal within {self.tolerance}")

    def through_handle(self, frame: pd.DataFrame, what: str):
        """``predict`` called through the deployment's handle agrees with the model."""
        __tracebackhide__ = True
        got = self.side.apply(handle_answer, self.handle, "predict", frame.to_dict(orient="records"))
        self.expect_predictions(frame, what, answer={"prediction": list(np.asarray(got, dtype=float))})

    def ways_in(self, frame: pd.DataFrame) -> dict:
        """Every way the contract offers to ask for predictions: what it is -> a call that checks the answer."""
        return {"a POST of a list of records": lambda what: self.expect_predictions(
                    frame, what, json=frame.to_dict(orient="records")),
                "a POST of a JSON string of records": lambda what: self.expect_predictions(
                    frame, what, json=frame.to_json(orient="records")),
                "predict through the handle": lambda what: self.through_handle(frame, what)}


@pytest.fixture(scope="module")
def online(student, student_side, reference, serve_apps, thresholds, tmp_path_factory) -> DeployedApp:
    """The student's app, deployed (on its side) from a private copy of the grader's checkpoint."""
    checkpoint, folder = fresh_checkpoint(student_side, reference["folder"], tmp_path_factory)
    name, prefix = serve_apps.new("taxi")
    handle = student.deploy_online(checkpoint, name=name, route_prefix=prefix)
    return DeployedApp(student_side, handle, serve_apps.url(prefix), folder, reference["booster"],
                       thresholds["prediction_tolerance"])


@pytest.fixture(scope="module")
def records(frames) -> pd.DataFrame:
    """Validation trips to post, without the label."""
    return frames[1][FEATURES].sample(ONLINE_ROWS, random_state=0).reset_index(drop=True)


@check(points=1, hint=("The request's body is JSON: a list of records, one object per trip.",
                       "A Serve deployment's __call__ gets a starlette Request: await request.json() (or "
                       "request.body() and json.loads) reads it.",
                       "records -> pandas.DataFrame -> self.predict; answer {'prediction': [...]}"))
def test_online_records(online, records):
    online.expect_predictions(records, "POST of a list of records", json=records.to_dict(orient="records"))


@check(points=1, hint=("The course posts json=df.to_json(orient='records'): the JSON body is a string that holds "
                       "the JSON of the records.",
                       "json.loads, or pandas.read_json, decodes the string a second time.",
                       "when the decoded body is a str, decode it again before building the frame"))
def test_online_json_string(online, records):
    online.expect_predictions(records, "POST of a JSON string of records (as the course posts)",
                              json=records.to_json(orient="records"))


@check(points=1, hint=("A deployment's methods can be called without HTTP, through its handle.",
                       "serve.run returns a DeploymentHandle: handle.predict.remote(records).result().",
                       "predict(self, records) takes a list of dicts and returns a list of floats"))
def test_online_handle(online, records):
    online.through_handle(records, "predict through the handle")


@check(points=1, hint=("A body the service cannot read is the client's mistake: HTTP 400 with a reason, never "
                       "a 500.",
                       "starlette.responses.JSONResponse(content, status_code=...).",
                       "wrap reading and predicting in try/except for the errors a bad body raises, and answer "
                       "JSONResponse({'error': ...}, status_code=400)"))
def test_online_bad_body(online, records):
    shapes.assert_bad_bodies_refused(online.url, {
        "a body that is not JSON": {"data": b"{not json", "headers": {"Content-Type": "application/json"}},
        "a JSON number": {"json": 42},
        "records without trip_distance": {"json": records.drop(columns=["trip_distance"]).to_dict(orient="records")},
    }, error_key="error")


### BEGIN HIDDEN TESTS
@check(points=1, hidden=True, hint=("The service must answer for any trips with the course's schema.",
                                    "Select the feature columns by name, not by position.",
                                    "frame[FEATURE_COLUMNS] into the DMatrix, whatever order the records' keys come in"))
def test_online_other_rows(online, data):
    frame = trips_frame(read_table(data.path("taxi", seed=1)))[FEATURES].sample(ONLINE_ROWS, random_state=2)
    frame = frame.reset_index(drop=True)
    online.expect_predictions(frame, "POST of other trips", json=frame.to_json(orient="records"))
### END HIDDEN TESTS


@check(points=1, hint=("Load the model once per replica, when it starts; each request only predicts.",
                       "A deployment's __init__ runs once per replica; __call__ runs per request.",
                       "keep the booster on self in __init__; __call__ and predict use self's booster"))
def test_online_loads_once(online, records):
    """Runs last: it deletes the checkpoint folder the app was deployed from."""
    ways = online.ways_in(records)
    working = None
    for what, ask in ways.items():  # judged through a way the app answers, whichever that is
        try:
            ask(what)
        except Exception:  # noqa: BLE001 - the student's error or the grader's verdict: try the next way
            continue
        working = what
        break
    assert working is not None, ("the app answers none of: " + ", ".join(ways)
                                 + "; expected at least one, to judge whether it loads its model once")
    shapes.assert_survives_removal(lambda: shutil.rmtree(online.folder, ignore_errors=True),
                                   lambda: ways[working](f"{working}, after the checkpoint folder it was deployed "
                                                         "from was deleted"),
                                   what="the deployment")
