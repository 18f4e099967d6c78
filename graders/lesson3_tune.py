"""Grader of lesson 3, hyperparameter tuning with Ray Tune.

Each trainable is first run alone in a Tune trial the grader sets up, on two configs in turn (a
sensible learning rate, then other settings), so its reports are checked apart from the student's
tuner, and every setting of its config is seen to count. The student's tuners then run as they are,
but on the grader's own trainables (the module's ``train_linear_model`` and ``train_pytorch`` stand
in while they are built), so a broken trainable costs its own checks only and every trial's metric is
the grader's: the linear model's rmse is the grader's gradient descent on the lesson's data, the
PyTorch trials report losses whose lowest is the middle trial. Each tuning function is also called a
second time with other arguments, its ``Tuner`` built but never fitted (``probes.tuner_built``): its
settings are read, and its searcher asked for its first suggestions, at no cost.

That Optuna chose the linear trials is proven by replaying it: a ``TPESampler`` seeded as the grader
asked, over the contract's search space, suggests the same first settings outside Ray (its first
trials are random draws). What Optuna was told and which way it ranks the trials come from the
searcher's own state, which Tune saves beside the experiment. Trial resources are read from the
placement groups Tune creates, one per trial; whether a trial really ran on its GPU, from CUDA's own
memory counter in that trial; the learning rate and the batches it trained with, from the optimizers
and data loaders it built there.

The student's module is imported on the student's side (``student_side``), never here: the tuners are
built and fitted there, the searcher's saved state is read there, and what comes back is plain data
(each trial's config and metrics, the reports, the tuner's settings, the searcher's suggestions).
"""
from __future__ import annotations

import contextlib
import copy
import functools
import math
import pickle
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from ray import tune

from graders.engine import check, skip_without_cuda
from graders.engine.grading import probes, shapes
from graders.engine.grading.student_side import described, rebuilt

# The linear trainable's two runs: a sensible rate with enough epochs to reach the noise, then a small
# rate stopped far above it, where the rmse shows the rate it was trained at.
LINEAR_PROBES = ({"lr": 0.1, "epochs": 50}, {"lr": 0.007, "epochs": 13})
LINEAR_SAMPLES = 3
LINEAR_UNFITTED = {"num_samples": 6, "seed": 2718}  # tune_linear_model's second call, never fitted
LR_RANGE = (1e-4, 1e-1)
EPOCHS_RANGE = range(1, 100)
# train_pytorch's two runs, each on its own root (``train_digits``, ``second_train_digits``).
TORCH_PROBES = ({"lr": 1e-3, "batch_size": 64, "num_epochs": 2}, {"lr": 3e-4, "batch_size": 48, "num_epochs": 1})
TUNER = {"num_samples": 3, "num_epochs": 1, "batch_size": 64}  # build_tuner's fitted call (first root)
TUNER_UNFITTED = {"num_samples": 7, "num_epochs": 3, "batch_size": 48}  # its second call (second root, use_gpu flipped)
TUNER_LOSSES = (0.9, 0.3, 0.6)  # what the grader's stand-in for train_pytorch reports, by trial index
PROBE_END = "grader_probe_end"  # the grader's own report after each probe run
TRAIN_WORKER = "RayTrainWorker"
SEARCHER_STATE = "searcher-state-*.pkl"  # Tune's save of the searcher under the wrappers (ConcurrencyLimiter...)


def run_name(what: str) -> str:
    """A fresh experiment name, so two grading runs never share a folder."""
    return shapes.fresh_name(f"lesson3-{what}")


class Reports(tune.Callback):
    """Every result the trials of one fit report, in order (the grading Ray keeps no CSV logs)."""

    def __init__(self):
        self.results = []

    def on_trial_result(self, iteration, trials, trial, result, **info):
        self.results.append(result)


def in_turn(trainable, configs: list[dict]):
    """One trial's function: ``trainable`` on each of ``configs`` in turn, each run followed by a report
    of the grader's own (``PROBE_END``), so that the runs' reports can be told apart (ships by value)."""
    end = PROBE_END

    def probe_trial(config):
        from ray import tune

        for each in configs:
            trainable(dict(each))
            tune.report({end: True})

    return probe_trial


def fit_alone(trainable, configs: list[dict], storage_path: str, what: str,
              resources: dict | None = None) -> list[list[dict]]:
    """Run ``trainable`` on each of ``configs`` in turn in one trial set up by the grader (with ``resources``
    when given); what each run reported."""
    reports, trial = Reports(), in_turn(trainable, configs)
    grid = tune.Tuner(tune.with_resources(trial, resources) if resources else trial,
                      tune_config=tune.TuneConfig(num_samples=1),
                      run_config=tune.RunConfig(storage_path=storage_path, name=run_name(what), verbose=0,
                                                callbacks=[reports])).fit()
    shapes.trial_results(grid)
    runs = [[]]
    for result in reports.results:
        if PROBE_END in result:
            runs.append([])
        else:
            runs[-1].append({key: shapes.as_number(value) for key, value in result.items()})
    return runs[:len(configs)]


def unfitted_storage(storage_path: str, what: str) -> str:
    """Where the grader's second call of a tuning function keeps its (never fitted) tuner."""
    return f"{storage_path.rstrip('/')}/{shapes.fresh_name(f'lesson3-unfitted-{what}')}"


@dataclass(frozen=True)
class Unfitted:
    """What a tuning function's second call built (never fitted), read on the student's side: each reading
    apart, so that one that fails costs only the checks that use it."""

    readings: dict
    storage: str
    """Where the call was told to keep its runs."""
    use_gpu: bool | None = None

    def __getitem__(self, name: str):
        __tracebackhide__ = True
        found = self.readings[name]
        if "error" in found:
            raise rebuilt(found["error"])
        return found["ok"]


def unfitted(student, name: str, kwargs: dict, stand_in: tuple | None = None, suggest: int = 0,
             keys: tuple = ()) -> dict:
    """On the student's side: ``student.<name>(**kwargs)`` with ``Tuner.fit`` stopped (``stand_in``, a trainable's
    name and the grader's maker of it, standing in); the settings of the Tuner it built, as plain data."""
    call = functools.partial(getattr(student, name), **kwargs)
    with standing_in(student, stand_in[0], stand_in[1]()) if stand_in else contextlib.nullcontext():
        built = probes.tuner_built(call, name)
    settings = built["tune_config"] or tune.TuneConfig()
    space = built["param_space"] or {}
    readings = {
        "num_samples": lambda: settings.num_samples,
        "storage_path": lambda: (built["run_config"] or tune.RunConfig()).storage_path,
        "search_alg": lambda: type(settings.search_alg).__name__,
        "suggested": lambda: suggestions(built, suggest),
        "space": lambda: {key: space.get(key) for key in keys},
        "bundle": lambda: requested_bundle(built["trainable"], space),
    }
    found = {}
    for reading, read in readings.items():
        try:
            found[reading] = {"ok": read()}
        except Exception as exc:  # noqa: BLE001 - the student's tuner: costs the checks that read it
            found[reading] = {"error": described(exc)}
    return found


def assert_tuner_settings(built: Unfitted, call: str, num_samples: int) -> None:
    """The unfitted tuner has the ``num_samples`` and the storage path its call was given."""
    __tracebackhide__ = True
    samples = built["num_samples"]
    assert samples == num_samples, f"{call} built a Tuner with num_samples={samples}; expected {num_samples}"
    probes.assert_stored_under(built["storage_path"] or "~/ray_results (Ray's default)", built.storage, f"{call}'s tuner")


def placement_groups() -> dict:
    """Every placement group the cluster knows, removed ones too: one per Tune trial."""
    import ray.util

    return ray.util.placement_group_table()


def new_bundles(before: dict) -> list[dict]:
    """The resource bundles of each placement group created since ``before``."""
    return [list(pg["bundles"].values()) for key, pg in placement_groups().items() if key not in before]


def reported(reports: list[dict], metric: str, config: dict) -> list[float]:
    """The values of ``metric`` a trial reported on ``config``, one per report."""
    lacking = [r for r in reports if metric not in r]
    assert reports and not lacking, (f"on config {config} the trial made {len(reports)} reports, {len(lacking)} "
                                     f"without `{metric}`; expected `{metric}` in every report")
    return [float(r[metric]) for r in reports]


def in_trial_order(results: list) -> list:
    """Results ordered as Tune created their trials: BasicVariantGenerator's trial ids end in a counter."""
    return sorted(results, key=lambda r: str(r.metrics.get("trial_id", "")).rsplit("_", 1)[-1].zfill(8))


def assert_every_epoch(configs, runs: list[list[dict]], metric: str, epochs: str) -> None:
    """Each run reported ``metric``, a finite number, once per epoch of its config (``config[epochs]``)."""
    __tracebackhide__ = True
    for config, run in zip(configs, runs):
        values = reported(run, metric, config)
        assert len(values) == config[epochs], (
            f"on config {config}, {config[epochs]} epochs gave {len(values)} reports; expected one per epoch")
        assert all(math.isfinite(v) for v in values), (
            f"on config {config} the trial reported {metric} {values}; expected finite numbers")


def assert_lowest_inside(values: list[float], what: str) -> None:
    """The grader's own data: the lowest trial is neither the first nor the last, and is alone there.

    Else a wrong best trial (the first, the last) could pass by luck: a bug of the grader, not the student's.
    """
    lowest = int(np.argmin(values))
    assert 0 < lowest < len(values) - 1 and sorted(values)[0] < sorted(values)[1], (
        f"grader bug: {what} trials got {values}; expected their lowest to be neither the first nor the last")


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
def linear_probe(student, student_side, storage_path) -> list[list[dict]]:
    """``train_linear_model`` alone, on each of ``LINEAR_PROBES`` in turn, in one trial: each run's reports."""
    return student_side.apply(fit_alone, student.train_linear_model, LINEAR_PROBES, storage_path, "linear")


def descent(x: np.ndarray, y: np.ndarray, lr: float, epochs: int) -> list[float]:
    """The rmse after each epoch of the contract's gradient descent from w = b = 0 at ``lr``."""
    w = b = 0.0
    rmse = []
    for _ in range(int(epochs)):
        error = w * x + b - y
        w, b = w - lr * 2 * float(np.mean(error * x)), b - lr * 2 * float(np.mean(error))
        rmse.append(float(np.sqrt(np.mean((w * x + b - y) ** 2))))
    return rmse


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
    assert_every_epoch(LINEAR_PROBES, linear_probe, "rmse", "epochs")


@check(points=1, hint=(
    "Gradient descent steps against the gradient of the loss, so the error falls every epoch at a small rate.",
    "The mean squared error of w x + b - y; its derivatives in w and in b.",
    "Each epoch: error = w * x + b - y, then w -= lr * 2 * mean(error * x) and b -= lr * 2 * mean(error).",
))
def test_linear_rmse_falls(linear_probe):
    for config, run in zip(LINEAR_PROBES, linear_probe):
        rmse = reported(run, "rmse", config)
        rises = [i for i in range(1, len(rmse)) if rmse[i] > rmse[i - 1] + 1e-9]
        assert len(rmse) >= 2 and not rises and rmse[-1] < rmse[0], (
            f"on config {config} the rmse went {rmse[0]:.4g} -> {rmse[-1]:.4g} in {len(rmse)} reports"
            + (f", rising at epoch {rises[0]}" if rises else "") + "; expected it to fall every epoch")


@check(points=2, hint=(
    "The rmse is the square root of the mean squared error; a fitted line gets down to the data's noise.",
    "make_regression_data's noise (NOISE) is the lowest rmse any line reaches.",
    "Report float(np.sqrt(np.mean((w * x + b - y) ** 2))) after each step.",
))
def test_linear_rmse_near_noise(student, linear_probe, least_squares_rmse, thresholds):
    (sensible, small), (reached, stopped) = LINEAR_PROBES, linear_probe
    final = reported(reached, "rmse", sensible)[-1]
    limit = least_squares_rmse + thresholds["rmse_above_least_squares"]
    # No line does better than least squares: a lower "rmse" is another quantity (the MSE, say).
    assert least_squares_rmse - 1e-9 <= final <= limit, (
        f"after {sensible['epochs']} epochs at lr {sensible['lr']}, rmse {final:.4f}; expected between "
        f"{least_squares_rmse:.4f} (least squares: no line does better) and {limit:.4f} "
        f"(+ {thresholds['rmse_above_least_squares']})")
    # At a small rate the rmse is still far from the noise: it shows the rate the line was trained at.
    rmse, factor, (x, y) = reported(stopped, "rmse", small), thresholds["linear_lr_factor"], student.make_regression_data()
    bands = {epochs: (descent(x, y, small["lr"] * factor, epochs)[-1], descent(x, y, small["lr"] / factor, epochs)[-1])
             for epochs in {small["epochs"], len(rmse)}}  # the epochs asked for, or those reported
    low, high = bands[small["epochs"]]
    assert any(lo <= rmse[-1] <= hi for lo, hi in bands.values()), (
        f"on config {small}, the last rmse reported is {rmse[-1]:.4f}; expected between {low:.4f} and {high:.4f}, "
        f"gradient descent's after {small['epochs']} epochs at lr {small['lr'] * factor:g} and {small['lr'] / factor:g} "
        f"(config['lr'] within a factor {factor:g})")


def linear_stand_in(x: np.ndarray, y: np.ndarray):
    """The grader's ``train_linear_model`` on the lesson's data (ships by value to the trials)."""
    def train_linear_model(config):
        from ray import tune

        assert "lr" in config and "epochs" in config, (
            f"a trial's config has {sorted(config)}; expected 'lr' and 'epochs' at its top level")
        for rmse in descent(x, y, config["lr"], config["epochs"]):
            tune.report({"rmse": rmse})

    return train_linear_model


@pytest.fixture(scope="module")
def linear_seed(thresholds) -> int:
    """The seed the grader asks for: not the default, so a seed left at 0 (or none) shows."""
    return int(thresholds["linear_seed"])


def tuned_linear(student, kwargs: dict) -> dict:
    """On the student's side: ``tune_linear_model(**kwargs)`` with the grader's trainable standing in; its grid
    as plain data (``shapes.tune_run``)."""
    with standing_in(student, "train_linear_model", linear_stand_in(*student.make_regression_data())):
        return shapes.tune_run(student.tune_linear_model(**kwargs))


@pytest.fixture(scope="module")
def linear_grid(student, student_side, storage_path, linear_seed) -> shapes.TuneRun:
    """The student's own tuning of the linear model, its trials run by the grader's trainable."""
    kwargs = {"num_samples": LINEAR_SAMPLES, "storage_path": storage_path, "seed": linear_seed}
    return shapes.TuneRun.of(student_side.apply(tuned_linear, student, kwargs))


@pytest.fixture(scope="module")
def linear_unfitted(student, student_side, storage_path) -> Unfitted:
    """``tune_linear_model`` called with ``LINEAR_UNFITTED``: what its Tuner was built with (never fitted)."""
    storage = unfitted_storage(storage_path, "linear")
    return Unfitted(student_side.apply(unfitted, student, "tune_linear_model", {**LINEAR_UNFITTED, "storage_path": storage},
                                       suggest=LINEAR_UNFITTED["num_samples"]), storage)


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


def in_suggested_order(items: list, seed: int, config=lambda item: item) -> list | None:
    """``items`` in the order Optuna, seeded with ``seed``, suggested their ``config``, when they are its
    replayed suggestions; else None. Matched setting by setting, whatever their order."""
    for replay in optuna_replays(seed, len(items)):
        ordered = [next((item for item in items if same_setting(config(item), s)), None) for s in replay]
        if all(o is not None for o in ordered) and len({id(o) for o in ordered}) == len(items):
            return ordered
    return None


@pytest.fixture(scope="module")
def linear_replayed(linear_grid, linear_seed) -> list | None:
    """The trials in the order Optuna suggested them, when they are its replayed suggestions; else None
    (Optuna's trial ids carry no counter)."""
    return in_suggested_order(shapes.trial_results(linear_grid), linear_seed, lambda r: r.config)


def suggestions(built: dict, count: int) -> list[dict] | None:
    """The settings an unfitted tuner's searcher suggests for its first ``count`` trials, asked as Tune asks
    it (the tuner's metric, mode and param_space handed on first, each trial completed before the next);
    None when the tuner has no ``Searcher``."""
    from ray.tune.search import Searcher
    from ray.tune.search.util import _set_search_properties_backwards_compatible as hand_on

    settings = built["tune_config"] or tune.TuneConfig()
    searcher = settings.search_alg
    if not isinstance(searcher, Searcher):
        return None
    if built["param_space"]:
        hand_on(searcher.set_search_properties, settings.metric, settings.mode, copy.deepcopy(built["param_space"]))
    found = []
    for i in range(count):
        found.append(searcher.suggest(f"unfitted_{i}") or {})
        searcher.on_trial_complete(f"unfitted_{i}", {"rmse": 1.0 + i})
    return found


@check(points=2, hint=(
    "A search space: each trial draws its own learning rate and number of epochs from ranges.",
    "tune.loguniform for a rate spread over decades, tune.randint for an integer (upper bound excluded).",
    "{'lr': tune.loguniform(<low>, <high>), 'epochs': tune.randint(<low>, <high>)}, as the docstring gives the ranges.",
))
def test_tune_linear_trials(linear_grid, linear_unfitted, storage_path):
    trials = shapes.trial_results(linear_grid)
    assert len(trials) == LINEAR_SAMPLES, f"{len(trials)} trials ran; expected num_samples={LINEAR_SAMPLES}"
    probes.assert_stored_under(linear_grid.experiment_path, storage_path, "tune_linear_model's tuner")
    assert_tuner_settings(linear_unfitted, f"tune_linear_model(num_samples={LINEAR_UNFITTED['num_samples']}, ...)",
                          LINEAR_UNFITTED["num_samples"])
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
def test_tune_linear_optuna(linear_grid, linear_seed, linear_unfitted):
    assert_replayed([r.config for r in shapes.trial_results(linear_grid)], linear_seed, "the trials got")
    seed = LINEAR_UNFITTED["seed"]
    suggested = linear_unfitted["suggested"]
    assert suggested is not None, (
        f"tune_linear_model(seed={seed}, ...) built a Tuner whose search_alg is "
        f"{linear_unfitted['search_alg']}; expected OptunaSearch, seeded with {seed}")
    assert_replayed(suggested, seed, f"tune_linear_model(seed={seed}, ...) built a tuner whose searcher suggests")


def assert_replayed(configs: list[dict], seed: int, what: str) -> None:
    """``configs`` are Optuna's first suggestions with ``seed`` over the contract's space."""
    __tracebackhide__ = True
    got = [{"lr": round(c.get("lr", math.nan), 6), "epochs": c.get("epochs")} for c in configs]
    assert in_suggested_order(configs, seed) is not None, (
        f"with seed={seed} {what} {got}; Optuna's TPE sampler seeded with {seed}, over lr log-uniform in "
        "[1e-4, 1e-1] and epochs an integer in [1, 99], suggests other settings first. Expected the trials "
        "to be OptunaSearch's suggestions, its sampler seeded with the `seed` argument")


class StateUnpickler(pickle.Unpickler):
    """Loads a saved searcher whatever it refers to: a name this process cannot import (a student's
    define-by-run function, say) loads as ``None``; the Optuna study is all the grader reads."""

    def find_class(self, module, name):
        try:
            return super().find_class(module, name)
        except (ImportError, AttributeError):
            return type(name, (), {"__init__": lambda self, *a, **k: None, "__setstate__": lambda self, state: None})


def searcher_told(experiment_path: str) -> dict:
    """On the student's side (the state is a pickle the student's searcher wrote): what the Optuna study of the
    searcher Tune saved beside the experiment was told, ``{"values", "best", "direction"}``, or ``{"missing"}``."""
    import optuna

    saved = sorted(Path(experiment_path).glob(SEARCHER_STATE), key=lambda f: f.stat().st_mtime)
    if not saved:
        return {"missing": "Tune saved no searcher state: the trials were not suggested by a searcher such as OptunaSearch"}
    with open(saved[-1], "rb") as file:
        state = StateUnpickler(file).load()
    study = state.get("_ot_study") if isinstance(state, dict) else None
    if study is None:
        return {"missing": "the searcher Tune saved holds no Optuna study"}
    told = [float(t.value) for t in study.trials if t.state == optuna.trial.TrialState.COMPLETE]
    return {"values": told, "best": float(study.best_trial.value), "direction": study.direction.name.lower()}


@check(points=2, hint=(
    "Optuna learns from the rmse each trial reports and favours settings that lowered it: it must be told the metric and that lower is better.",
    "OptunaSearch's metric and mode: taken from TuneConfig when the space is Tune's param_space, else given to OptunaSearch.",
    "Either TuneConfig(metric='rmse', mode='min', search_alg=OptunaSearch(...)), or OptunaSearch(space, metric=..., mode=...) with the same pair.",
))
def test_tune_linear_searcher_goal(linear_grid, student_side):
    trials = shapes.trial_results(linear_grid)
    study = student_side.apply(searcher_told, linear_grid.experiment_path)
    assert "missing" not in study, f"{study.get('missing')}; expected OptunaSearch's study saved beside the experiment"
    told = sorted(study["values"])
    rmse = sorted(r.metrics["rmse"] for r in trials)
    assert len(told) == len(rmse) and all(math.isclose(a, b, rel_tol=1e-9) for a, b in zip(told, rmse)), (
        f"Optuna was told the values {[round(v, 4) for v in told]} for the trials, whose final rmse are "
        f"{[round(v, 4) for v in rmse]}; expected the searcher's metric to be 'rmse'")
    ranked_best = study["best"]  # what Optuna's TPE builds its next suggestions on
    assert ranked_best == rmse[0], (
        f"Optuna ranks the trial of rmse {ranked_best:.4g} best (its study {study['direction']}s); "
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
@dataclass(frozen=True)
class Roots:
    """The public digits with only a few hundred training digits (a trial's epoch takes seconds), two ways."""

    paths: tuple[str, str]
    digits: tuple[int, int]
    """The training digits under each."""


@pytest.fixture(scope="module")
def roots(data, thresholds) -> Roots:
    from torchvision.datasets import MNIST

    paths = tuple(data.path("mnist", train_limit=thresholds[key]) for key in ("train_digits", "second_train_digits"))
    return Roots(paths, tuple(len(MNIST(path, train=True, download=False)) for path in paths))


def trial_resources(use_gpu: bool) -> dict:
    """What the grader gives each trial: a GPU when grading on GPUs, else a CPU."""
    return {"gpu": 1} if use_gpu else {"cpu": 1}


def observed(trainable, queue):
    """``trainable`` wrapped to put on ``queue``, after each run, the learning rate of each optimizer and the
    (batch size, digits) of each data loader it built, and whether its trial allocated CUDA memory (ships by value)."""
    def observed_run(config):
        import torch
        from torch.optim import Optimizer
        from torch.utils.data import DataLoader

        built = {"lr": [], "loaders": []}
        optimizer_init, loader_init = Optimizer.__init__, DataLoader.__init__

        def optimizer(self, params, defaults, *args, **kwargs):
            built["lr"].append(float(defaults.get("lr", math.nan)))
            optimizer_init(self, params, defaults, *args, **kwargs)

        def loader(self, dataset, batch_size=1, *args, **kwargs):
            built["loaders"].append((batch_size, len(dataset) if hasattr(dataset, "__len__") else None))
            loader_init(self, dataset, batch_size, *args, **kwargs)

        Optimizer.__init__, DataLoader.__init__ = optimizer, loader
        try:
            trainable(config)
        finally:
            Optimizer.__init__, DataLoader.__init__ = optimizer_init, loader_init
            queue.put({**built, "cuda": torch.cuda.is_available() and torch.cuda.max_memory_allocated() > 0})

    return observed_run


@dataclass(frozen=True)
class TorchProbe:
    """``train_pytorch`` run alone on each of ``TORCH_PROBES`` in turn (each on its root), in one trial."""

    runs: list[list[dict]]
    """Each run's reports."""
    built: list[dict]
    """Each run's optimizers' ``lr`` and data ``loaders`` (batch size, digits)."""
    used_cuda: bool
    train_workers: int


def observed_alone(trainable, configs: list[dict], storage_path: str, resources: dict) -> tuple[list, list]:
    """On the student's side: ``trainable`` alone on each of ``configs`` in turn (``fit_alone``), ``observed``;
    each run's reports and what it built."""
    from ray.util.queue import Queue

    queue = Queue(actor_options={"num_cpus": 0})
    runs = fit_alone(observed(trainable, queue), configs, storage_path, "pytorch", resources)
    return runs, [queue.get(timeout=30) for _ in configs]


@pytest.fixture(scope="module")
def pytorch_probe(student, student_side, roots, use_gpu, storage_path) -> TorchProbe:
    """``train_pytorch`` alone in one trial with the grader's resources."""
    workers = probes.actor_ids(TRAIN_WORKER)
    configs = [{**config, "data_root": root} for config, root in zip(TORCH_PROBES, roots.paths)]
    runs, built = student_side.apply(observed_alone, student.train_pytorch, configs, storage_path, trial_resources(use_gpu))
    return TorchProbe(runs, built, any(b["cuda"] for b in built), len(probes.actor_ids(TRAIN_WORKER) - workers))


@check(points=2, hint=(
    "Each trial trains one model in its own process, with plain PyTorch, and reports after each epoch.",
    "ray.tune.report in the trainable (no TorchTrainer inside a trial: that starts Ray Train workers).",
    "for epoch in range(num_epochs): <train on every batch>; tune.report({'loss': <mean batch loss>}).",
))
def test_train_pytorch_reports_every_epoch(pytorch_probe):
    assert not pytorch_probe.train_workers, (
        f"the trial started {pytorch_probe.train_workers} Ray Train workers; expected plain PyTorch in the trial")
    assert_every_epoch(TORCH_PROBES, pytorch_probe.runs, "loss", "num_epochs")


@check(points=1, hint=(
    "A trial trains as its config says: at its rate, on batches of its size, from the digits under its data root.",
    "config['lr'] for the optimizer; config['batch_size'] and config['data_root'] for the data loader.",
    "Adam(model.parameters(), lr=config['lr']); build_data_loader(config['batch_size'], root=config['data_root']).",
))
def test_train_pytorch_follows_config(pytorch_probe, roots):
    for config, digits, built in zip(TORCH_PROBES, roots.digits, pytorch_probe.built):
        asked = f"on config {config} and a data_root of {digits} training digits, train_pytorch built"
        assert any(math.isclose(lr, config["lr"], rel_tol=1e-9) for lr in built["lr"]), (
            f"{asked} optimizers with lr {built['lr']}; expected one with lr {config['lr']}")
        assert (config["batch_size"], digits) in built["loaders"], (
            f"{asked} data loaders of (batch size, digits) {built['loaders']}; expected one of "
            f"({config['batch_size']}, {digits})")


@check(points=1, hint=(
    "A trial sees only the devices Tune gave it: a GPU on a GPU trial, none otherwise.",
    "torch.cuda.is_available() inside the trial, and torch.device.",
    "device = 'cuda' if torch.cuda.is_available() else 'cpu'; move the model and each batch to it.",
))
def test_train_pytorch_uses_trial_device(pytorch_probe, use_gpu):
    reports = [len(run) for run in pytorch_probe.runs]
    assert all(reports), f"the trial's runs made {reports} reports; expected reports from every run"
    if use_gpu:
        skip_without_cuda("whether train_pytorch trained on the trial's GPU")
        assert pytorch_probe.used_cuda, (
            "the trial had a GPU, but train_pytorch allocated no CUDA memory; expected training on the GPU")
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


def built_tuner(student, kwargs: dict):
    """On the student's side: ``build_tuner(**kwargs)`` with the grader's trainable standing in; the tuner
    (kept there), and what it is: ``"Tuner"``, ``"ResultGrid"`` or another class's name."""
    with standing_in(student, "train_pytorch", pytorch_stand_in()):
        tuner = student.build_tuner(**kwargs)
    kind = next((k.__name__ for k in (tune.Tuner, tune.ResultGrid) if isinstance(tuner, k)), type(tuner).__name__)
    return tuner, kind


def fitted(tuner) -> dict:
    """On the student's side: the tuner fitted, its grid as plain data."""
    return shapes.tune_run(tuner.fit())


@pytest.fixture(scope="module")
def tuner_run(student, student_side, roots, use_gpu, storage_path, ray_instance):
    """The student's tuner, built on the grader's trainable (placement groups counted around it), then fitted."""
    before = placement_groups()
    kwargs = {"data_root": roots.paths[0], **TUNER, "use_gpu": use_gpu, "storage_path": storage_path}
    tuner, kind = student_side.apply(built_tuner, student, kwargs)
    ran_early = new_bundles(before)
    if kind == "ResultGrid":  # fitted already: the other checks judge its trials
        return {"kind": kind, "ran_early": ran_early, "grid": student_side.apply(shapes.tune_run, tuner), "bundles": ran_early}
    before = placement_groups()
    grid = student_side.apply(fitted, tuner) if kind == "Tuner" else None
    return {"kind": kind, "ran_early": ran_early, "grid": grid, "bundles": new_bundles(before)}


@pytest.fixture(scope="module")
def tuner_unfitted(student, student_side, roots, use_gpu, storage_path) -> Unfitted:
    """``build_tuner`` called with ``TUNER_UNFITTED``, the second root and the other ``use_gpu``: what its
    Tuner was built with (never fitted)."""
    storage = unfitted_storage(storage_path, "pytorch")
    kwargs = {"data_root": roots.paths[1], **TUNER_UNFITTED, "use_gpu": not use_gpu, "storage_path": storage}
    readings = student_side.apply(unfitted, student, "build_tuner", kwargs, stand_in=("train_pytorch", pytorch_stand_in),
                                  keys=("num_epochs", "batch_size", "data_root"))
    return Unfitted(readings, storage, use_gpu=not use_gpu)


def tuned_grid(tuner_run) -> shapes.TuneRun:
    """The result of the grader's fit of the student's tuner."""
    assert tuner_run["grid"] is not None, f"build_tuner returned a {tuner_run['kind']}; expected a Tuner"
    return shapes.TuneRun.of(tuner_run["grid"])


@check(points=1, hint=(
    "Building a tuner and running it are two steps: the caller decides when to run.",
    "tune.Tuner(...) and its fit() method, which starts the trials.",
    "return tune.Tuner(...) itself; the grader calls fit().",
))
def test_tuner_not_run(tuner_run):
    assert tuner_run["kind"] == "Tuner", f"build_tuner returned a {tuner_run['kind']}; expected a tune.Tuner"
    assert not tuner_run["ran_early"], (
        f"{len(tuner_run['ran_early'])} trials ran inside build_tuner; expected an unfitted Tuner")


@check(points=2, hint=(
    "The search space holds the fixed settings every trial needs, and a range for what is tuned.",
    "Tuner's param_space: plain values are passed as they are, tune.loguniform samples per trial.",
    "param_space={<the function's arguments by name>, 'lr': tune.loguniform(1e-4, 1e-1)}.",
))
def test_tuner_trials(tuner_run, tuner_unfitted, roots, storage_path):
    trials = shapes.trial_results(tuned_grid(tuner_run))
    assert len(trials) == TUNER["num_samples"], f"{len(trials)} trials ran; expected num_samples={TUNER['num_samples']}"
    probes.assert_stored_under(tuned_grid(tuner_run).experiment_path, storage_path, "build_tuner's tuner")
    configs = [r.config for r in trials]
    assert_lr_sampled(configs)
    expected = {"num_epochs": TUNER["num_epochs"], "batch_size": TUNER["batch_size"], "data_root": roots.paths[0]}
    for config in configs:
        got = {key: config.get(key) for key in expected}
        assert got == expected, f"a trial's config has {got}; expected the arguments of build_tuner: {expected}"
    call = "build_tuner(" + ", ".join(f"{k}={v}" for k, v in TUNER_UNFITTED.items()) + ", ...)"
    assert_tuner_settings(tuner_unfitted, call, TUNER_UNFITTED["num_samples"])
    expected = {"num_epochs": TUNER_UNFITTED["num_epochs"], "batch_size": TUNER_UNFITTED["batch_size"],
                "data_root": roots.paths[1]}
    got = tuner_unfitted["space"]
    assert got == expected, f"{call} built a param_space with {got}; expected the arguments it was given: {expected}"


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
def test_tuner_trial_resources(tuner_run, tuner_unfitted, use_gpu):
    shapes.trial_results(tuned_grid(tuner_run))
    bundles = tuner_run["bundles"]
    assert len(bundles) == TUNER["num_samples"], f"{len(bundles)} trials got resources; expected {TUNER['num_samples']}"
    for bundle in bundles:
        assert_trial_bundle(bundle, use_gpu, "a trial reserved")
    asked = tuner_unfitted.use_gpu
    assert_trial_bundle(tuner_unfitted["bundle"], asked, f"build_tuner(use_gpu={asked}, ...) built a tuner whose trials each reserve")


def requested_bundle(trainable, config: dict) -> list[dict]:
    """The resources each trial of ``trainable`` asks Tune for, as Tune reads them (its default: one CPU)."""
    from ray.tune.trainable.function_trainable import wrap_function

    request = (trainable if isinstance(trainable, type) else wrap_function(trainable)).default_resource_request(config)
    return request.bundles if request is not None else [{"CPU": 1}]


def assert_trial_bundle(bundle: list[dict], use_gpu: bool, what: str) -> None:
    """The contract's {"gpu": 1} or {"cpu": 1}: one whole GPU per GPU trial (the course's point), none
    otherwise, and at most one core; a fraction of a core (trials sharing one) is as good."""
    __tracebackhide__ = True
    cpus, gpus = (sum(b.get(kind, 0) for b in bundle) for kind in ("CPU", "GPU"))
    right = (gpus == 1 if use_gpu else gpus == 0) and 0 <= cpus <= 1 and (use_gpu or cpus > 0)
    expected = ("one whole GPU and at most one CPU" if use_gpu else
                "no GPU and at most one CPU ({'cpu': 1}; a fraction such as 0.5 also passes)")
    assert right, f"{what} {cpus:g} CPU and {gpus:g} GPU; expected {expected} per trial"
