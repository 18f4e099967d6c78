"""Grader of lesson 3, hyperparameter tuning with Ray Tune.

Each trainable is first run alone in a Tune trial the grader sets up (a sensible learning rate, a
known number of epochs), so its reports are checked apart from the student's tuner; then the
student's tuners run as they are. The linear model's target is the least-squares rmse, computed
with numpy on the same data. Trial resources are read from the placement groups Tune creates, one
per trial; whether a trial really ran on its GPU, from CUDA's own memory counter in that trial.
"""
from __future__ import annotations

import math
import uuid

import numpy as np
import pytest
from ray import tune

from graders.engine import check, probes

LINEAR_SAMPLES = 3
LINEAR_PROBE = {"lr": 0.1, "epochs": 50}  # a sensible rate, and enough epochs to reach the noise
LR_RANGE = (1e-4, 1e-1)
EPOCHS_RANGE = range(1, 100)
TORCH_PROBE = {"lr": 1e-3, "batch_size": 64, "num_epochs": 2}
TUNER_SAMPLES = 2
TUNER_EPOCHS = 1
TRAIN_WORKER = "RayTrainWorker"


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
    trial_results(grid)
    return reports.results


def trial_results(grid) -> list:
    """The trials of ``grid``; a trial's own error (the student's) is raised as it is."""
    if grid.errors:
        raise grid.errors[0]
    return list(grid)


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


def assert_best_result(grid, metric: str) -> None:
    """``get_best_result()`` (the tuner's own metric and mode) is the trial of lowest ``metric``."""
    trials = trial_results(grid)
    best = grid.get_best_result()
    lowest = min(r.metrics[metric] for r in trials)
    got = best.metrics.get(metric)
    assert got == lowest, (f"get_best_result() has {metric} {got:.4g}; the trials' lowest is {lowest:.4g} "
                           f"(of {sorted(round(r.metrics[metric], 4) for r in trials)})")


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


@check(points=2, hint="Call ray.tune.report({'rmse': ...}) once per epoch, inside the epoch loop.")
def test_linear_reports_every_epoch(linear_probe):
    rmse = reported(linear_probe, "rmse")
    assert len(rmse) == LINEAR_PROBE["epochs"], (
        f"{LINEAR_PROBE['epochs']} epochs gave {len(rmse)} reports; expected one per epoch")
    assert all(math.isfinite(v) for v in rmse), "some reported rmse values are not finite numbers"


@check(points=1, hint="Step against the gradient of the mean squared error: w -= lr * dMSE/dw, and the same for b.")
def test_linear_rmse_falls(linear_probe):
    rmse = reported(linear_probe, "rmse")
    rises = [i for i in range(1, len(rmse)) if rmse[i] > rmse[i - 1] + 1e-9]
    assert len(rmse) >= 2 and not rises and rmse[-1] < rmse[0], (
        f"at lr {LINEAR_PROBE['lr']} the rmse went {rmse[0]:.4g} -> {rmse[-1]:.4g}"
        + (f", rising at epoch {rises[0]}" if rises else "") + "; expected it to fall every epoch")


@check(points=2, hint="Gradient descent on y = w x + b should reach the noise level of make_regression_data.")
def test_linear_rmse_near_noise(linear_probe, least_squares_rmse, thresholds):
    final = reported(linear_probe, "rmse")[-1]
    limit = least_squares_rmse + thresholds["rmse_above_least_squares"]
    assert final <= limit, (f"after {LINEAR_PROBE['epochs']} epochs at lr {LINEAR_PROBE['lr']}, rmse {final:.4f}; "
                            f"expected at most {limit:.4f} (least squares {least_squares_rmse:.4f} "
                            f"+ {thresholds['rmse_above_least_squares']})")


@pytest.fixture(scope="module")
def linear_grid(student, storage_path):
    """The student's own tuning of the linear model."""
    return student.tune_linear_model(num_samples=LINEAR_SAMPLES, storage_path=storage_path)


@check(points=2, hint="param_space={'lr': tune.loguniform(1e-4, 1e-1), 'epochs': tune.randint(1, 100)}.")
def test_tune_linear_trials(linear_grid, storage_path):
    trials = trial_results(linear_grid)
    assert len(trials) == LINEAR_SAMPLES, f"{len(trials)} trials ran; expected num_samples={LINEAR_SAMPLES}"
    probes.assert_stored_under(linear_grid.experiment_path, storage_path, "tune_linear_model's tuner")
    configs = [r.config for r in trials]
    assert_lr_sampled(configs)
    epochs = [c.get("epochs") for c in configs]
    bad = [e for e in epochs if not (isinstance(e, (int, np.integer)) and e in EPOCHS_RANGE)]
    assert not bad, f"trials got epochs {bad}; expected integers in [1, 100)"


@check(points=2, hint="TuneConfig(metric='rmse', mode='min'): the best trial has the lowest rmse.")
def test_tune_linear_best_result(linear_grid):
    assert_best_result(linear_grid, "rmse")


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


@check(points=2, hint="Plain PyTorch in the trial (no TorchTrainer); ray.tune.report({'loss': ...}) after each epoch.")
def test_train_pytorch_reports_every_epoch(pytorch_probe):
    reports, _, train_workers = pytorch_probe
    assert not train_workers, f"the trial started {train_workers} Ray Train workers; expected plain PyTorch in the trial"
    loss = reported(reports, "loss")
    assert len(loss) == TORCH_PROBE["num_epochs"], (
        f"{TORCH_PROBE['num_epochs']} epochs gave {len(loss)} reports; expected one per epoch")
    assert all(math.isfinite(v) for v in loss), f"reported losses {loss}; expected finite numbers"


@check(points=1, hint="Put the model and each batch on 'cuda' when torch.cuda.is_available(), else on the CPU.")
def test_train_pytorch_uses_trial_device(pytorch_probe, use_gpu):
    reports, used_cuda, _ = pytorch_probe
    assert reports, "the trial reported nothing"
    if use_gpu:
        assert used_cuda, "the trial had a GPU, but train_pytorch allocated no CUDA memory; expected training on the GPU"
    # Without a GPU, the probe's trial ran to its end on the CPU: the course's model.to("cuda") fails there.


@pytest.fixture(scope="module")
def tuner_run(student, small_root, use_gpu, storage_path, ray_cluster):
    """The student's tuner: built (placement groups counted around it), then fitted by the grader."""
    before = placement_groups()
    tuner = student.build_tuner(data_root=small_root, num_samples=TUNER_SAMPLES, num_epochs=TUNER_EPOCHS,
                                batch_size=TORCH_PROBE["batch_size"], use_gpu=use_gpu, storage_path=storage_path)
    ran_early = new_bundles(before)
    before = placement_groups()
    grid = tuner.fit() if hasattr(tuner, "fit") else None
    return {"tuner": tuner, "ran_early": ran_early, "grid": grid, "bundles": new_bundles(before)}


def tuned_grid(tuner_run):
    """The result of the grader's fit of the student's tuner."""
    assert tuner_run["grid"] is not None, f"build_tuner returned a {type(tuner_run['tuner']).__name__}; expected a Tuner"
    return tuner_run["grid"]


@check(points=1, hint="Return the tune.Tuner itself; the grader calls fit().")
def test_tuner_not_run(tuner_run):
    tuner = tuner_run["tuner"]
    assert isinstance(tuner, tune.Tuner), f"build_tuner returned a {type(tuner).__name__}; expected a tune.Tuner"
    assert not tuner_run["ran_early"], (
        f"{len(tuner_run['ran_early'])} trials ran inside build_tuner; expected an unfitted Tuner")


@check(points=2, hint="param_space: the arguments as given, and 'lr': tune.loguniform(1e-4, 1e-1).")
def test_tuner_trials(tuner_run, small_root, storage_path):
    trials = trial_results(tuned_grid(tuner_run))
    assert len(trials) == TUNER_SAMPLES, f"{len(trials)} trials ran; expected num_samples={TUNER_SAMPLES}"
    probes.assert_stored_under(tuned_grid(tuner_run).experiment_path, storage_path, "build_tuner's tuner")
    configs = [r.config for r in trials]
    assert_lr_sampled(configs)
    expected = {"num_epochs": TUNER_EPOCHS, "batch_size": TORCH_PROBE["batch_size"], "data_root": small_root}
    for config in configs:
        got = {key: config.get(key) for key in expected}
        assert got == expected, f"a trial's config has {got}; expected the arguments of build_tuner: {expected}"


@check(points=2, hint="TuneConfig(metric='loss', mode='min').")
def test_tuner_best_result(tuner_run):
    assert_best_result(tuned_grid(tuner_run), "loss")


@check(points=2, hint="tune.with_resources(train_pytorch, {'gpu': 1}) on GPUs, {'cpu': 1} otherwise.")
def test_tuner_trial_resources(tuner_run, use_gpu):
    trial_results(tuned_grid(tuner_run))
    bundles = tuner_run["bundles"]
    assert len(bundles) == TUNER_SAMPLES, f"{len(bundles)} trials got resources; expected {TUNER_SAMPLES}"
    for bundle in bundles:
        got = [{k: v for k, v in b.items() if k in ("CPU", "GPU") and v} for b in bundle]
        right = got[0].get("GPU") == 1 if use_gpu else got == [{"CPU": 1.0}]
        expected = "one GPU" if use_gpu else "one CPU and no GPU"
        assert len(got) == 1 and right, f"a trial asked for {got}; expected {expected} per trial"
