"""Grader of lesson 3, hyperparameter tuning with Ray Tune.

Each trainable is first run alone in a Tune trial the grader sets up (a sensible learning rate, a
known number of epochs), so its reports are checked apart from the student's tuner. The student's
tuners then run as they are, but on the grader's own trainables (the module's ``train_linear_model``
and ``train_pytorch`` stand in while they are built), so a broken trainable costs its own checks only
and every trial's metric is the grader's: the linear model's rmse is the grader's gradient descent on
the lesson's data, the PyTorch trials report losses whose lowest is the middle trial.

That Optuna chose the linear trials is proven by replaying it: a ``TPESampler`` seeded as the grader
asked, over the contract's search space, suggests the same first settings outside Ray (its first
trials are random draws). What Optuna was told and which way it ranks the trials come from the
searcher's own state, which Tune saves beside the experiment. Trial resources are read from the
placement groups Tune creates, one per trial; whether a trial really ran on its GPU, from CUDA's own
memory counter in that trial.
"""
from __future__ import annotations

import contextlib
import math
import pickle
import uuid
from pathlib import Path

import numpy as np
import pytest
from ray import tune

from graders.engine import check, probes, shapes, skip_without_cuda

LINEAR_SAMPLES = 3
LINEAR_PROBE = {"lr": 0.1, "epochs": 50}  # a sensible rate, and enough epochs to reach the noise
LR_RANGE = (1e-4, 1e-1)
EPOCHS_RANGE = range(1, 100)
TORCH_PROBE = {"lr": 1e-3, "batch_size": 64, "num_epochs": 2}
TUNER_SAMPLES = 3
TUNER_EPOCHS = 1
TUNER_LOSSES = (0.9, 0.3, 0.6)  # what the grader's stand-in for train_pytorch reports, by trial index
TRAIN_WORKER = "RayTrainWorker"
SEARCHER_STATE = "searcher-state-*.pkl"  # Tune's save of the searcher under the wrappers (ConcurrencyLimiter...)


def run_name(what: str) -> str:
    """A fresh experiment name, so two grading runs never share a folder."""
    return f"lesson3-{what}-{uuid.uuid4().hex[:8]}"


class Reports(tune.Callback):
    """Every result the trials of one fit report, in order (the grading Ray keeps no CSV logs)."""

    def __init__(self):
        self.results = []

    def on_trial_result(self, iteration, trials, trial, result, **info):
        self.results.append(result)


def fit_alone(trainable, param_space: dict, storage_path: str, what: str) -> list[dict]:
    """Run one trial of ``trainable`` on ``param_space``, set up by the grader; what it reported."""
    reports = Reports()
    grid = tune.Tuner(trainable, param_space=param_space, tune_config=tune.TuneConfig(num_samples=1),
                      run_config=tune.RunConfig(storage_path=storage_path, name=run_name(what), verbose=0,
                                                callbacks=[reports])).fit()
    shapes.trial_results(grid)
    return reports.results


def placement_groups() -> dict:
    """Every placement group the cluster knows, removed ones too: one per Tune trial."""
    import ray.util

    return ray.util.placement_group_table()


def new_bundles(before: dict) -> list[dict]:
    """The resource bundles of each placement group created since ``before``."""
    return [list(pg["bundles"].values()) for key, pg in placement_groups().items() if key not in before]


def reported(reports: list[dict], metric: str) -> list[float]:
    """The values of ``metric`` a trial reported, one per report."""
    lacking = [r for r in reports if metric not in r]
    assert reports and not lacking, (
        f"the trial made {len(reports)} reports, {len(lacking)} without `{metric}`; expected `{metric}` in every report")
    return [float(r[metric]) for r in reports]


def in_trial_order(results: list) -> list:
    """Results ordered as Tune created their trials: BasicVariantGenerator's trial ids end in a counter."""
    return sorted(results, key=lambda r: str(r.metrics.get("trial_id", "")).rsplit("_", 1)[-1].zfill(8))


def assert_lowest_inside(values: list[float], what: str) -> None:
    """The grader's own data: the lowest trial is neither the first nor the last, and is alone there.

    Else a wrong best trial (the first, the last) could pass by luck: a bug of the grader, not the student's.
    """
    lowest = int(np.argmin(values))
    assert 0 < lowest < len(values) - 1 and sorted(values)[0] < sorted(values)[1], (
        f"grader bug: {what} trials got {values}; their lowest must be neither the first nor the last")


@contextlib.contextmanager
def standing_in(student, name: str, trainable):
    """``trainable`` in place of the student's module-level ``name`` while their tuner is built."""
    trainable.__name__ = trainable.__qualname__ = name  # the trials' names, as the student's would be
    own = getattr(student, name, None)
    setattr(student, name, trainable)
    try:
        yield
    finally:
        setattr(student, name, own)


def assert_lr_sampled(configs: list[dict]) -> None:
    """Every ``lr`` lies in the search range, and the trials did not all get the same one."""
    rates = [c.get("lr") for c in configs]
    outside = [r for r in rates if not (isinstance(r, float) and LR_RANGE[0] <= r <= LR_RANGE[1])]
    assert not outside, f"trials got lr {outside}; expected floats in [{LR_RANGE[0]:g}, {LR_RANGE[1]:g}]"
    assert len(set(rates)) == len(rates), f"the trials got lr {rates}; expected a value sampled for each trial"


# -- the linear model ----------------------------------------------------------------------------
@pytest.fixture(scope="module")
def linear_probe(student, storage_path):
    """``train_linear_model`` alone, at the grader's learning rate, in one trial."""
    return fit_alone(student.train_linear_model, LINEAR_PROBE, storage_path, "linear")


@pytest.fixture(scope="module")
def least_squares_rmse(student) -> float:
    """The lowest rmse any line reaches on the lesson's data (numpy's least squares)."""
    x, y = student.make_regression_data()
    design = np.stack([x, np.ones_like(x)], axis=1)
    coef, *_ = np.linalg.lstsq(design, y, rcond=None)
    return float(np.sqrt(np.mean((design @ coef - y) ** 2)))


@check(points=2, hint=(
    "A trial reports its progress to Tune after each epoch, not once at the end.",
    "ray.tune.report, the function that passes a dict of metrics from a trainable to Tune.",
    "Inside the epoch loop, after the update: tune.report({'rmse': <this epoch's rmse>}).",
))
def test_linear_reports_every_epoch(linear_probe):
    rmse = reported(linear_probe, "rmse")
    assert len(rmse) == LINEAR_PROBE["epochs"], (
        f"{LINEAR_PROBE['epochs']} epochs gave {len(rmse)} reports; expected one per epoch")
    assert all(math.isfinite(v) for v in rmse), "some reported rmse values are not finite numbers"


@check(points=1, hint=(
    "Gradient descent steps against the gradient of the loss, so the error falls every epoch at a small rate.",
    "The mean squared error of w x + b - y; its derivatives in w and in b.",
    "Each epoch: error = w * x + b - y, then w -= lr * 2 * mean(error * x) and b -= lr * 2 * mean(error).",
))
def test_linear_rmse_falls(linear_probe):
    rmse = reported(linear_probe, "rmse")
    rises = [i for i in range(1, len(rmse)) if rmse[i] > rmse[i - 1] + 1e-9]
    assert len(rmse) >= 2 and not rises and rmse[-1] < rmse[0], (
        f"at lr {LINEAR_PROBE['lr']} the rmse went {rmse[0]:.4g} -> {rmse[-1]:.4g}"
        + (f", rising at epoch {rises[0]}" if rises else "") + "; expected it to fall every epoch")


@check(points=2, hint=(
    "The rmse is the square root of the mean squared error; a fitted line gets down to the data's noise.",
    "make_regression_data's noise (NOISE) is the lowest rmse any line reaches.",
    "Report float(np.sqrt(np.mean((w * x + b - y) ** 2))) after each step.",
))
def test_linear_rmse_near_noise(linear_probe, least_squares_rmse, thresholds):
    final = reported(linear_probe, "rmse")[-1]
    limit = least_squares_rmse + thresholds["rmse_above_least_squares"]
    # No line does better than least squares: a lower "rmse" is another quantity (the MSE, say).
    assert least_squares_rmse - 1e-9 <= final <= limit, (
        f"after {LINEAR_PROBE['epochs']} epochs at lr {LINEAR_PROBE['lr']}, rmse {final:.4f}; expected between "
        f"{least_squares_rmse:.4f} (least squares: no line does better) and {limit:.4f} "
        f"(+ {thresholds['rmse_above_least_squares']})")


def linear_stand_in(x: np.ndarray, y: np.ndarray):
    """The grader's ``train_linear_model`` on the lesson's data (ships by value to the trials)."""
    def train_linear_model(config):
        from ray import tune

        assert "lr" in config and "epochs" in config, (
            f"a trial's config has {sorted(config)}; expected 'lr' and 'epochs' at its top level")
        w = b = 0.0
        for _ in range(int(config["epochs"])):
            error = w * x + b - y
            w, b = w - config["lr"] * 2 * float(np.mean(error * x)), b - config["lr"] * 2 * float(np.mean(error))
            tune.report({"rmse": float(np.sqrt(np.mean((w * x + b - y) ** 2)))})

    return train_linear_model


@pytest.fixture(scope="module")
def linear_seed(thresholds) -> int:
    """The seed the grader asks for: not the default, so a seed left at 0 (or none) shows."""
    return int(thresholds["linear_seed"])


@pytest.fixture(scope="module")
def linear_grid(student, storage_path, linear_seed):
    """The student's own tuning of the linear model, its trials run by the grader's trainable."""
    with standing_in(student, "train_linear_model", linear_stand_in(*student.make_regression_data())):
        return student.tune_linear_model(num_samples=LINEAR_SAMPLES, storage_path=storage_path, seed=linear_seed)


def optuna_replays(seed: int, count: int) -> list[list[dict]]:
    """Optuna's first ``count`` suggestions with ``seed`` over the contract's space, ``lr`` first or last.

    What ``OptunaSearch`` suggests from a ``TPESampler(seed=seed)`` (its default sampler, seeded by its
    ``seed``): TPE's first trials are independent random draws, in the order the space names them.
    """
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    space = {"lr": optuna.distributions.FloatDistribution(*LR_RANGE, log=True),
             "epochs": optuna.distributions.IntDistribution(EPOCHS_RANGE.start, EPOCHS_RANGE.stop - 1)}
    replays = []
    for order in (["lr", "epochs"], ["epochs", "lr"]):
        study = optuna.create_study(sampler=optuna.samplers.TPESampler(seed=seed))
        replays.append([study.ask({name: space[name] for name in order}).params for _ in range(count)])
    return replays


def same_setting(config: dict, suggested: dict) -> bool:
    """A trial's ``lr`` and ``epochs`` are ``suggested``."""
    return (config.get("epochs") == suggested["epochs"] and isinstance(config.get("lr"), float)
            and math.isclose(config["lr"], suggested["lr"], rel_tol=1e-9))


@pytest.fixture(scope="module")
def linear_replayed(linear_grid, linear_seed) -> list | None:
    """The trials in the order Optuna suggested them, when they are its replayed suggestions; else None.

    Matched setting by setting, whatever the order of the ResultGrid (Optuna's trial ids carry no counter).
    """
    trials = shapes.trial_results(linear_grid)
    for replay in optuna_replays(linear_seed, len(trials)):
        ordered = [next((r for r in trials if same_setting(r.config, s)), None) for s in replay]
        if all(ordered) and len({id(r) for r in ordered}) == len(trials):
            return ordered
    return None


@check(points=2, hint=(
    "A search space: each trial draws its own learning rate and number of epochs from ranges.",
    "tune.loguniform for a rate spread over decades, tune.randint for an integer (upper bound excluded).",
    "{'lr': tune.loguniform(<low>, <high>), 'epochs': tune.randint(<low>, <high>)}, as the docstring gives the ranges.",
))
def test_tune_linear_trials(linear_grid, storage_path):
    trials = shapes.trial_results(linear_grid)
    assert len(trials) == LINEAR_SAMPLES, f"{len(trials)} trials ran; expected num_samples={LINEAR_SAMPLES}"
    probes.assert_stored_under(linear_grid.experiment_path, storage_path, "tune_linear_model's tuner")
    configs = [r.config for r in trials]
    assert_lr_sampled(configs)
    epochs = [c.get("epochs") for c in configs]
    bad = [e for e in epochs if not (isinstance(e, (int, np.integer)) and e in EPOCHS_RANGE)]
    assert not bad, f"trials got epochs {bad}; expected integers in [1, 100)"


@check(points=2, hint=(
    "The lab: Optuna, not Tune's random sampling, suggests each trial's settings, seeded so a run can be repeated.",
    "ray.tune.search.optuna.OptunaSearch as TuneConfig's search_alg; its seed (or a seeded Optuna sampler).",
    "tune.TuneConfig(..., search_alg=OptunaSearch(seed=<the function's seed>)), the space as param_space.",
))
def test_tune_linear_optuna(linear_grid, linear_replayed, linear_seed):
    trials = shapes.trial_results(linear_grid)
    got = [{"lr": round(r.config.get("lr", math.nan), 6), "epochs": r.config.get("epochs")} for r in trials]
    assert linear_replayed is not None, (
        f"with seed={linear_seed} the trials got {got}; Optuna's TPE sampler seeded with {linear_seed}, over "
        "lr log-uniform in [1e-4, 1e-1] and epochs an integer in [1, 99], suggests other settings first. "
        "Expected the trials to be OptunaSearch's suggestions, its sampler seeded with the `seed` argument")


class StateUnpickler(pickle.Unpickler):
    """Loads a saved searcher whatever it refers to: a name this process cannot import (a student's
    define-by-run function, say) loads as ``None``; the Optuna study is all the grader reads."""

    def find_class(self, module, name):
        try:
            return super().find_class(module, name)
        except (ImportError, AttributeError):
            return type(name, (), {"__init__": lambda self, *a, **k: None, "__setstate__": lambda self, state: None})


def searcher_study(experiment_path: str):
    """The Optuna study of the searcher Tune saved beside the experiment, or why there is none."""
    saved = sorted(Path(experiment_path).glob(SEARCHER_STATE), key=lambda f: f.stat().st_mtime)
    if not saved:
        return None, "Tune saved no searcher state: the trials were not suggested by a searcher such as OptunaSearch"
    with open(saved[-1], "rb") as file:
        state = StateUnpickler(file).load()
    study = state.get("_ot_study") if isinstance(state, dict) else None
    return study, None if study is not None else "the searcher Tune saved holds no Optuna study; expected OptunaSearch"


@check(points=2, hint=(
    "Optuna learns from the rmse each trial reports and favours settings that lowered it: it must be told the metric and that lower is better.",
    "OptunaSearch's metric and mode: taken from TuneConfig when the space is Tune's param_space, else given to OptunaSearch.",
    "Either TuneConfig(metric='rmse', mode='min', search_alg=OptunaSearch(...)), or OptunaSearch(space, metric=..., mode=...) with the same pair.",
))
def test_tune_linear_searcher_goal(linear_grid):
    import optuna

    trials = shapes.trial_results(linear_grid)
    study, missing = searcher_study(linear_grid.experiment_path)
    assert study is not None, missing
    told = sorted(t.value for t in study.trials if t.state == optuna.trial.TrialState.COMPLETE)
    rmse = sorted(r.metrics["rmse"] for r in trials)
    assert len(told) == len(rmse) and all(math.isclose(a, b, rel_tol=1e-9) for a, b in zip(told, rmse)), (
        f"Optuna was told the values {[round(v, 4) for v in told]} for the trials, whose final rmse are "
        f"{[round(v, 4) for v in rmse]}; expected the searcher's metric to be 'rmse'")
    ranked_best = study.best_trial.value  # what Optuna's TPE builds its next suggestions on
    assert ranked_best == rmse[0], (
        f"Optuna ranks the trial of rmse {ranked_best:.4g} best (its study {study.direction.name.lower()}s); "
        f"the trials' lowest rmse is {rmse[0]:.4g}. Expected the searcher's mode to be 'min', as the tuner's")


@check(points=2, hint=(
    "The tuner's metric and mode decide which trial is best: the lowest rmse for an error.",
    "tune.TuneConfig's metric and mode, which ResultGrid.get_best_result() uses when called without arguments.",
    "tune.TuneConfig(metric='rmse', mode=<lower is better>, ...), even when OptunaSearch gets them too.",
))
def test_tune_linear_best_result(linear_grid, linear_replayed):
    if linear_replayed is not None:  # the grader's data, as meant: the lowest trial in the middle
        assert_lowest_inside([r.metrics["rmse"] for r in linear_replayed], "the linear")
    shapes.assert_best_is_lowest(linear_grid, "rmse")


# -- the PyTorch model ---------------------------------------------------------------------------
@pytest.fixture(scope="module")
def small_root(data, thresholds) -> str:
    """The public digits with only a few hundred training digits: a trial's epoch takes seconds."""
    return data.path("mnist", train_limit=thresholds["train_digits"])


def trial_resources(use_gpu: bool) -> dict:
    """What the grader gives each trial: a GPU when grading on GPUs, else a CPU."""
    return {"gpu": 1} if use_gpu else {"cpu": 1}


def on_gpu_observed(trainable, queue):
    """``trainable`` wrapped to put on ``queue`` whether its trial allocated CUDA memory (ships by value)."""
    def observed_trial(config):
        import torch

        trainable(config)
        queue.put(torch.cuda.is_available() and torch.cuda.max_memory_allocated() > 0)

    return observed_trial


@pytest.fixture(scope="module")
def pytorch_probe(student, small_root, use_gpu, storage_path):
    """``train_pytorch`` alone in one trial with the grader's resources: (reports, used CUDA, Train workers)."""
    from ray.util.queue import Queue

    queue = Queue(actor_options={"num_cpus": 0})
    workers = probes.actor_ids(TRAIN_WORKER)
    trainable = tune.with_resources(on_gpu_observed(student.train_pytorch, queue), trial_resources(use_gpu))
    reports = fit_alone(trainable, {**TORCH_PROBE, "data_root": small_root}, storage_path, "pytorch")
    return reports, queue.get(timeout=30), len(probes.actor_ids(TRAIN_WORKER) - workers)


@check(points=2, hint=(
    "Each trial trains one model in its own process, with plain PyTorch, and reports after each epoch.",
    "ray.tune.report in the trainable (no TorchTrainer inside a trial: that starts Ray Train workers).",
    "for epoch in range(num_epochs): <train on every batch>; tune.report({'loss': <mean batch loss>}).",
))
def test_train_pytorch_reports_every_epoch(pytorch_probe):
    reports, _, train_workers = pytorch_probe
    assert not train_workers, f"the trial started {train_workers} Ray Train workers; expected plain PyTorch in the trial"
    loss = reported(reports, "loss")
    assert len(loss) == TORCH_PROBE["num_epochs"], (
        f"{TORCH_PROBE['num_epochs']} epochs gave {len(loss)} reports; expected one per epoch")
    assert all(math.isfinite(v) for v in loss), f"reported losses {loss}; expected finite numbers"


@check(points=1, hint=(
    "A trial sees only the devices Tune gave it: a GPU on a GPU trial, none otherwise.",
    "torch.cuda.is_available() inside the trial, and torch.device.",
    "device = 'cuda' if torch.cuda.is_available() else 'cpu'; move the model and each batch to it.",
))
def test_train_pytorch_uses_trial_device(pytorch_probe, use_gpu):
    reports, used_cuda, _ = pytorch_probe
    assert reports, "the trial reported nothing"
    if use_gpu:
        skip_without_cuda("whether train_pytorch trained on the trial's GPU")
        assert used_cuda, "the trial had a GPU, but train_pytorch allocated no CUDA memory; expected training on the GPU"
    # Without a GPU, the probe's trial ran to its end on the CPU: the course's model.to("cuda") fails there.


def pytorch_stand_in():
    """The grader's ``train_pytorch``: reports ``TUNER_LOSSES`` by trial index, the lowest in the middle."""
    losses = TUNER_LOSSES

    def train_pytorch(config):
        from ray import tune

        counter = tune.get_context().get_trial_id().rsplit("_", 1)[-1]  # BasicVariantGenerator's: "<id>_00002"
        index = int(counter) if counter.isdigit() else int(counter, 16)
        for _ in range(int(config.get("num_epochs", 1))):
            tune.report({"loss": losses[index % len(losses)]})

    return train_pytorch


@pytest.fixture(scope="module")
def tuner_run(student, small_root, use_gpu, storage_path, ray_cluster):
    """The student's tuner, built on the grader's trainable (placement groups counted around it), then fitted."""
    before = placement_groups()
    with standing_in(student, "train_pytorch", pytorch_stand_in()):
        tuner = student.build_tuner(data_root=small_root, num_samples=TUNER_SAMPLES, num_epochs=TUNER_EPOCHS,
                                    batch_size=TORCH_PROBE["batch_size"], use_gpu=use_gpu, storage_path=storage_path)
    ran_early = new_bundles(before)
    if isinstance(tuner, tune.ResultGrid):  # fitted already: the other checks judge its trials
        return {"tuner": tuner, "ran_early": ran_early, "grid": tuner, "bundles": ran_early}
    before = placement_groups()
    grid = tuner.fit() if isinstance(tuner, tune.Tuner) else None
    return {"tuner": tuner, "ran_early": ran_early, "grid": grid, "bundles": new_bundles(before)}


def tuned_grid(tuner_run):
    """The result of the grader's fit of the student's tuner."""
    assert tuner_run["grid"] is not None, f"build_tuner returned a {type(tuner_run['tuner']).__name__}; expected a Tuner"
    return tuner_run["grid"]


@check(points=1, hint=(
    "Building a tuner and running it are two steps: the caller decides when to run.",
    "tune.Tuner(...) and its fit() method, which starts the trials.",
    "return tune.Tuner(...) itself; the grader calls fit().",
))
def test_tuner_not_run(tuner_run):
    tuner = tuner_run["tuner"]
    assert isinstance(tuner, tune.Tuner), f"build_tuner returned a {type(tuner).__name__}; expected a tune.Tuner"
    assert not tuner_run["ran_early"], (
        f"{len(tuner_run['ran_early'])} trials ran inside build_tuner; expected an unfitted Tuner")


@check(points=2, hint=(
    "The search space holds the fixed settings every trial needs, and a range for what is tuned.",
    "Tuner's param_space: plain values are passed as they are, tune.loguniform samples per trial.",
    "param_space={<the function's arguments by name>, 'lr': tune.loguniform(1e-4, 1e-1)}.",
))
def test_tuner_trials(tuner_run, small_root, storage_path):
    trials = shapes.trial_results(tuned_grid(tuner_run))
    assert len(trials) == TUNER_SAMPLES, f"{len(trials)} trials ran; expected num_samples={TUNER_SAMPLES}"
    probes.assert_stored_under(tuned_grid(tuner_run).experiment_path, storage_path, "build_tuner's tuner")
    configs = [r.config for r in trials]
    assert_lr_sampled(configs)
    expected = {"num_epochs": TUNER_EPOCHS, "batch_size": TORCH_PROBE["batch_size"], "data_root": small_root}
    for config in configs:
        got = {key: config.get(key) for key in expected}
        assert got == expected, f"a trial's config has {got}; expected the arguments of build_tuner: {expected}"


@check(points=2, hint=(
    "The tuner's metric and mode decide which trial is best: the lowest loss.",
    "tune.TuneConfig's metric and mode, which ResultGrid.get_best_result() uses when called without arguments.",
    "tune.TuneConfig(metric='loss', mode=<lower is better>, num_samples=..., ...).",
))
def test_tuner_best_result(tuner_run):
    grid = tuned_grid(tuner_run)
    assert_lowest_inside([r.metrics.get("loss") for r in in_trial_order(shapes.trial_results(grid))], "the PyTorch")
    shapes.assert_best_is_lowest(grid, "loss")


@check(points=2, hint=(
    "Resources are the grader's choice: one GPU per trial when grading on GPUs, else a CPU core at most.",
    "tune.with_resources, which wraps a trainable with what each of its trials reserves.",
    "tune.with_resources(train_pytorch, <{'gpu': 1} when use_gpu, else {'cpu': 1}>).",
))
def test_tuner_trial_resources(tuner_run, use_gpu):
    shapes.trial_results(tuned_grid(tuner_run))
    bundles = tuner_run["bundles"]
    assert len(bundles) == TUNER_SAMPLES, f"{len(bundles)} trials got resources; expected {TUNER_SAMPLES}"
    for bundle in bundles:
        cpus, gpus = (sum(b.get(kind, 0) for b in bundle) for kind in ("CPU", "GPU"))
        # The contract's {"gpu": 1} or {"cpu": 1}: one whole GPU per GPU trial (the course's point), none
        # otherwise, and at most one core; a fraction of a core (trials sharing one) is as good.
        right = (gpus == 1 if use_gpu else gpus == 0) and 0 <= cpus <= 1 and (use_gpu or cpus > 0)
        expected = ("one whole GPU and at most one CPU" if use_gpu else
                    "no GPU and at most one CPU ({'cpu': 1}; a fraction such as 0.5 also passes)")
        assert right, f"a trial reserved {cpus:g} CPU and {gpus:g} GPU; expected {expected} per trial"
