"""Lesson 3: hyperparameter tuning with Ray Tune.

Tuning tries many hyperparameter settings, and each try (a trial) is a whole training run: done one
after another, that takes long. Ray Tune runs the trials in parallel across a cluster. A `Tuner`
takes a trainable (here a function of a `config` dict that reports metrics after each epoch with
`ray.tune.report`), a search space (`param_space`), the metric to optimize and its direction, and how
many trials to sample; a search algorithm picks the settings and a scheduler decides when each trial
runs (and whether it stops early). The course first tunes a tiny linear model, then lesson 2's
ResNet18 with one GPU per trial, and without Ray Train: each trial is plain PyTorch.

Given (not exercises): `make_regression_data`, and lesson 2's model and data loader, so this lesson
stands alone.
"""
from __future__ import annotations

import numpy as np
import torch
from ray import tune
from ray.tune.schedulers import FIFOScheduler
from ray.tune.search import BasicVariantGenerator
from ray.tune.search.optuna import OptunaSearch
from torch.nn import CrossEntropyLoss
from torch.optim import Adam
from torch.utils.data import DataLoader
from torchvision.datasets import MNIST
from torchvision.models import resnet18
from torchvision.transforms import Compose, Normalize, ToTensor

NOISE = 0.5
"""Standard deviation of the noise in ``make_regression_data``: the best rmse any line can reach."""


def make_regression_data(n: int = 1000, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Given: ``n`` points of y = 2x + 1 + noise, with x standard normal and noise of sd ``NOISE``."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(n)
    return x, 2 * x + 1 + NOISE * rng.standard_normal(n)


def build_model() -> torch.nn.Module:
    """Given (lesson 2): ResNet18 for ten digit classes, with a one-channel ``conv1``."""
    model = resnet18(num_classes=10)
    model.conv1 = torch.nn.Conv2d(1, 64, kernel_size=7, stride=2, padding=3, bias=False)
    return model


def build_data_loader(batch_size: int, *, root: str) -> DataLoader:
    """Given (lesson 2): the training digits under ``root``, normalized to [-1, 1], shuffled."""
    transform = Compose([ToTensor(), Normalize((0.5,), (0.5,))])
    digits = MNIST(root, train=True, download=False, transform=transform)
    return DataLoader(digits, batch_size=batch_size, shuffle=True, drop_last=True)


def train_linear_model(config: dict) -> None:
    """A Tune trainable: fit y = w x + b to ``make_regression_data()`` by gradient descent.

    Start from w = b = 0; for each of ``config["epochs"]`` epochs, take one gradient step of size
    ``config["lr"]`` on the mean squared error over all the points, then call
    ``ray.tune.report({"rmse": ...})`` with the root mean squared error of the current line. (The
    course reported with ``train.report``; in a function run by Ray Tune, today's Ray requires
    ``ray.tune.report``.)
    """
    # YOUR CODE HERE
    raise NotImplementedError()


def tune_linear_model(*, num_samples: int = 5, storage_path: str, seed: int = 0) -> tune.ResultGrid:
    """The course's lab: tune ``train_linear_model`` with Optuna choosing the trials; return the ``ResultGrid``.

    - search space: ``lr`` log-uniform between 1e-4 and 1e-1, ``epochs`` an integer from 1 to 99
      (Tune's ``randint`` excludes its upper bound, 100);
    - the tuner minimises the ``rmse`` the trials report: metric and mode in ``tune.TuneConfig``, so
      that ``get_best_result()`` knows them, with ``num_samples`` trials;
    - Optuna suggests each trial's settings: ``OptunaSearch`` (``ray.tune.search.optuna``) as the
      search algorithm, its sampler seeded with ``seed``, so the same seed gives the same trials;
    - the run is kept under ``storage_path``.

    The search space may be Tune's ``param_space`` (OptunaSearch converts it) or OptunaSearch's own
    ``space`` (Tune's domains, Optuna distributions, or a define-by-run function); the grader replays
    Optuna's first suggestions with the same seed, ``lr`` suggested before ``epochs`` or after it.
    Give OptunaSearch the metric and mode itself when it holds the space: Tune hands the tuner's on
    only to a searcher that gets its space from ``param_space``. ``ConcurrencyLimiter`` is optional.
    """
    # YOUR CODE HERE
    raise NotImplementedError()


def train_pytorch(config: dict) -> None:
    """A Tune trainable: lesson 2's ResNet18 trained on the digits, in one trial, without Ray Train.

    ``config`` holds ``lr``, ``batch_size``, ``num_epochs`` and ``data_root``. Train ``build_model()``
    on ``build_data_loader(config["batch_size"], root=config["data_root"])`` with
    ``Adam(lr=config["lr"])`` and ``CrossEntropyLoss``, on ``"cuda"`` when
    ``torch.cuda.is_available()`` (Tune shows a trial only the GPUs it was given), else on the CPU:
    the course wrote ``model.to("cuda")``, which fails on a trial without a GPU. After each epoch
    call ``ray.tune.report({"loss": ...})`` with the epoch's mean batch loss (the course reported
    the last batch's loss with ``train.report``).
    """
    # YOUR CODE HERE
    raise NotImplementedError()


def build_tuner(*, data_root: str, num_samples: int = 2, num_epochs: int = 1, batch_size: int = 128,
                use_gpu: bool = False, storage_path: str) -> tune.Tuner:
    """Build a ``tune.Tuner`` for ``train_pytorch`` and return it without fitting it (the caller fits it).

    - resources: each trial reserves one GPU when ``use_gpu`` (the course: one GPU per trial), else
      one CPU (a fraction of one, trials sharing a core, is as good), with Tune's ``with_resources``;
    - search space: ``num_epochs``, ``batch_size`` and ``data_root`` passed to every trial as given,
      and ``lr`` sampled log-uniformly between 1e-4 and 1e-1;
    - the tuner minimises the ``loss`` the trials report, over ``num_samples`` trials, with the search
      algorithm and scheduler the course set explicitly: random sampling (``BasicVariantGenerator``)
      and trials run to the end in the order submitted (``FIFOScheduler``);
    - the run is kept under ``storage_path``.
    """
    # YOUR CODE HERE
    raise NotImplementedError()
