"""Grader of lesson 2, distributed data-parallel training of ResNet18 on MNIST with Ray Train.

The model and the data loaders are checked in the grading process against torchvision's own
reading of the digits. Training runs once, on two workers (DDP over gloo on CPUs), on a small
training set within the lesson's time budget. Ray Train only returns what the rank-0 worker
reports, so the grader also watches the workers: it wraps the student's ``train_loop_per_worker``
(the trainer's ``train_loop_per_worker`` attribute) in an observer that, inside each worker, records
the digits each DistributedSampler pass hands out (with the sampler's epoch) and, at the end, a
fingerprint of the weights each worker's optimizer trained. It changes nothing the loop does but
seed the worker's random generators first, so that a grade never depends on a lucky initialization.
"""
from __future__ import annotations

import math
import os
import uuid
from dataclasses import dataclass

import numpy as np
import pytest
import torch
import torchvision
from torchvision.datasets import MNIST
from torchvision.transforms import Compose, Normalize, ToTensor

from graders.engine import check

NUM_WORKERS = 2
LOADER_BATCH = 128  # divides neither the 4,000 training nor the 1,000 test digits
MODEL_FILE = "model.pt"
DDP_PREFIX = "module."
SEED = 0  # of every worker's generators: the reference's test accuracy is then the same on every run


# -- plain-library references --------------------------------------------------------------------
def reference_model() -> torch.nn.Module:
    """The contract's model, built by the grader: ResNet18, ten classes, a one-channel ``conv1``."""
    model = torchvision.models.resnet18(num_classes=10)
    model.conv1 = torch.nn.Conv2d(1, 64, kernel_size=7, stride=2, padding=3, bias=False)
    return model


def digits(root: str, train: bool) -> MNIST:
    """torchvision's reading of the digits under ``root``, normalized to [-1, 1] as the contract says."""
    return MNIST(root, train=train, download=False, transform=Compose([ToTensor(), Normalize((0.5,), (0.5,))]))


def full_pass(loader) -> tuple[torch.Tensor, torch.Tensor, list[int]]:
    """Every batch of one pass over ``loader``: images, labels, and the batch sizes."""
    images, labels, sizes = [], [], []
    for x, y in loader:
        images.append(x)
        labels.append(y)
        sizes.append(len(y))
    return torch.cat(images), torch.cat(labels), sizes


def accuracy(model: torch.nn.Module, root: str) -> float:
    """Share of the test digits under ``root`` that ``model`` classifies right."""
    test = digits(root, train=False)
    loader = torch.utils.data.DataLoader(test, batch_size=500)
    with torch.no_grad():
        right = sum(int((model(x).argmax(dim=1) == y).sum()) for x, y in loader)
    return right / len(test)


def expect_test_loader(student, root: str) -> None:
    """The test loader of ``root`` yields every test digit, in order, normalized as torchvision does."""
    reference = digits(root, train=False)
    images, labels, sizes = full_pass(student.build_data_loader(LOADER_BATCH, root=root, train=False))
    assert len(labels) == len(reference), (
        f"the test loader gave {len(labels)} digits in batches of {sizes[:2]}...{sizes[-1:]}; expected all "
        f"{len(reference)} (no drop_last when testing)")
    assert torch.equal(labels, reference.targets), (
        "the test loader's labels are not in the data set's order; expected no shuffling when testing")
    first = torch.stack([reference[i][0] for i in range(sizes[0])])
    assert torch.allclose(images[: sizes[0]], first, atol=1e-6), (
        "the test loader's images differ from the digits under the root, normalized to [-1, 1]")


# -- the observed training run -------------------------------------------------------------------
def observed(loop, queue):
    """``loop`` wrapped so that each worker, seeded, puts on ``queue`` what it did: (rank, passes, weights).

    passes: ``(sampler epoch, data set size, indices)`` for each pass over a DistributedSampler;
    weights: the float64 sum of each parameter its optimizers trained, after the loop.
    Self-contained (imports inside), so Ray ships it by value to every worker.
    """
    def observed_loop(config):
        import random

        import numpy
        import ray.train
        import torch
        from torch.utils.data.distributed import DistributedSampler

        random.seed(SEED)
        numpy.random.seed(SEED)
        torch.manual_seed(SEED)

        passes, optimizers = [], []
        sampler_iter, optimizer_init = DistributedSampler.__iter__, torch.optim.Optimizer.__init__

        def recording_iter(sampler):
            indices = list(sampler_iter(sampler))
            passes.append((sampler.epoch, len(sampler.dataset), indices))
            return iter(indices)

        def recording_init(optimizer, *args, **kwargs):
            optimizer_init(optimizer, *args, **kwargs)
            optimizers.append(optimizer)

        DistributedSampler.__iter__, torch.optim.Optimizer.__init__ = recording_iter, recording_init
        try:
            loop(config)
        finally:
            DistributedSampler.__iter__, torch.optim.Optimizer.__init__ = sampler_iter, optimizer_init
            weights = [float(p.detach().double().sum()) for o in optimizers for g in o.param_groups for p in g["params"]]
            queue.put((ray.train.get_context().get_world_rank(), passes, weights))

    return observed_loop


@dataclass
class TrainingRun:
    """What the grader saw of one fit: the trainer, its result, and each worker's records."""

    trainer: object
    result: object
    passes: dict[int, list[tuple[int, int, list[int]]]]
    weights: dict[int, list[float]]
    config: dict


@pytest.fixture(scope="module")
def budget(thresholds) -> dict:
    """The grader's small training budget (``course.toml``)."""
    return thresholds["training_budget"]


@pytest.fixture(scope="module")
def train_root(data, budget) -> str:
    """The public digits, with only the budget's number of training digits (the test part whole)."""
    return data.path("mnist", train_limit=budget["train_digits"])


@pytest.fixture(scope="module")
def training(student, train_root, budget, use_gpu, storage_path) -> TrainingRun:
    """One fit of the student's trainer on two workers, observed; every training check reads it."""
    import ray
    from ray.util.queue import Queue

    # DDP needs one device per worker: GPUs only when there are enough for both workers.
    gpus = use_gpu and ray.cluster_resources().get("GPU", 0) >= NUM_WORKERS
    config = {"lr": budget["lr"], "batch_size": budget["batch_size"], "num_epochs": budget["num_epochs"],
              "data_root": train_root}
    trainer = student.build_trainer(train_loop_config=dict(config), num_workers=NUM_WORKERS, use_gpu=gpus,
                                    storage_path=storage_path, name=f"lesson2-{uuid.uuid4().hex[:8]}")
    queue = Queue(actor_options={"num_cpus": 0})
    trainer.train_loop_per_worker = observed(trainer.train_loop_per_worker, queue)
    result = trainer.fit()
    records = [queue.get(timeout=30) for _ in range(NUM_WORKERS)]
    return TrainingRun(trainer, result, {rank: p for rank, p, _ in records}, {rank: w for rank, _, w in records},
                       config)


def epoch_metrics(run: TrainingRun):
    """The metrics reported after each epoch (one row per report), as a DataFrame."""
    frame = run.result.metrics_dataframe
    assert frame is not None and len(frame), "the trainer reported no metrics; expected a report after each epoch"
    return frame


def training_passes(run: TrainingRun, rank: int, size: int) -> list[tuple[int, list[int]]]:
    """``(sampler epoch, indices)`` of each pass worker ``rank`` made over the ``size`` training digits."""
    return [(epoch, indices) for epoch, n, indices in run.passes.get(rank, []) if n == size]


# -- the model and the data loaders --------------------------------------------------------------
@check(points=2, hint="Replace `conv1` of torchvision's resnet18 by a Conv2d that reads one channel.")
def test_model_architecture(student):
    model = student.build_model()
    conv1 = getattr(model, "conv1", None)
    assert isinstance(conv1, torch.nn.Conv2d), f"build_model().conv1 is {type(conv1).__name__}; expected a Conv2d"
    got = (conv1.in_channels, conv1.out_channels, conv1.kernel_size, conv1.stride, conv1.padding, conv1.bias is None)
    expected = (1, 64, (7, 7), (2, 2), (3, 3), True)
    assert got == expected, ("conv1 (in, out, kernel, stride, padding, no bias) is "
                             f"{got}; expected {expected}")
    with torch.no_grad():
        out = model.eval()(torch.zeros(3, 1, 28, 28))
    assert tuple(out.shape) == (3, 10), f"a (3, 1, 28, 28) batch gave outputs of shape {tuple(out.shape)}; expected (3, 10)"
    count, reference = (sum(p.numel() for p in m.parameters()) for m in (model, reference_model()))
    assert count == reference, f"the model has {count:,} parameters; ResNet18 for one-channel digits has {reference:,}"


@check(points=2, hint="ToTensor gives pixels in [0, 1]; Normalize((0.5,), (0.5,)) maps them to [-1, 1].")
def test_data_loader_normalizes(student, data):
    images, labels = next(iter(student.build_data_loader(LOADER_BATCH, root=data.path("mnist"), train=True)))
    assert tuple(images.shape) == (LOADER_BATCH, 1, 28, 28) and images.dtype == torch.float32, (
        f"a batch of images is {images.dtype} {tuple(images.shape)}; expected float32 ({LOADER_BATCH}, 1, 28, 28)")
    low, high = float(images.min()), float(images.max())
    assert math.isclose(low, -1, abs_tol=1e-6) and math.isclose(high, 1, abs_tol=1e-6), (
        f"pixel values range over [{low:.3f}, {high:.3f}]; expected [-1, 1] (black -1, white 1)")


@check(points=2, hint="Training: shuffle=True, drop_last=True; and the data are on disk already (download=False).")
def test_data_loader_for_training(student, data, monkeypatch):
    root = data.path("mnist")
    downloads = []
    original = MNIST.download
    monkeypatch.setattr(MNIST, "download", lambda self: downloads.append(1) or original(self))
    loader = student.build_data_loader(LOADER_BATCH, root=root, train=True)
    assert not downloads, "build_data_loader asked torchvision to download MNIST; expected download=False"
    reference = digits(root, train=True)
    _, labels, sizes = full_pass(loader)
    full = len(reference) // LOADER_BATCH
    assert sizes == [LOADER_BATCH] * full, (
        f"one training pass gave {len(sizes)} batches, the last of {sizes[-1]}; expected {full} full batches "
        f"of {LOADER_BATCH} (the incomplete last batch dropped)")
    assert not torch.equal(labels, reference.targets[: len(labels)]), (
        "the training loader gives the digits in the data set's order; expected them shuffled")


@check(points=1, hint="Testing: every digit once, in order: no shuffling, no drop_last.")
def test_data_loader_for_testing(student, data):
    expect_test_loader(student, data.path("mnist"))


### BEGIN HIDDEN TESTS
@check(points=1, hidden=True, hint="Read the digits from the `root` you are given.")
def test_data_loader_reads_given_root(student, data):
    expect_test_loader(student, data.path("mnist", seed=1))
### END HIDDEN TESTS


# -- the trainer and the training run ------------------------------------------------------------
@check(points=1, hint="TorchTrainer(..., scaling_config=ScalingConfig(...), run_config=RunConfig(...)).")
def test_trainer_configuration(student, storage_path):
    from ray.train.torch import TorchTrainer

    trainer = student.build_trainer(train_loop_config={}, num_workers=3, use_gpu=False, storage_path=storage_path,
                                    name="lesson2-configuration")
    assert isinstance(trainer, TorchTrainer), f"build_trainer returned a {type(trainer).__name__}; expected a TorchTrainer"
    scaling, run = trainer.scaling_config, trainer.run_config
    got = (scaling.num_workers, scaling.use_gpu, run.storage_path, run.name)
    expected = (3, False, storage_path, "lesson2-configuration")
    assert got == expected, f"(num_workers, use_gpu, storage_path, name) is {got}; expected {expected}"


@check(points=2, hint="Call ray.train.report once per epoch, inside the epoch loop.")
def test_reports_every_epoch(training):
    frame = epoch_metrics(training)
    epochs = training.config["num_epochs"]
    missing = {"loss", "epoch"} - set(frame.columns)
    assert not missing, f"the reports lack {sorted(missing)}; expected `loss` and `epoch` in each"
    assert list(frame["epoch"]) == list(range(epochs)), (
        f"reported epochs {list(frame['epoch'])}; expected one report per epoch: {list(range(epochs))}")
    assert np.isfinite(frame["loss"]).all(), f"reported losses {list(frame['loss'])}; expected finite numbers"


@check(points=1, hint="Report the mean loss of each epoch; Adam with the configured lr should lower it.")
def test_loss_falls(training):
    losses = list(epoch_metrics(training)["loss"])
    assert len(losses) >= 2 and losses[-1] < losses[0], (
        f"losses reported per epoch: {[round(l, 4) for l in losses]}; expected the last below the first")


@check(points=2, hint="ray.train.torch.prepare_data_loader adds a DistributedSampler: one shard per worker.")
def test_workers_train_on_own_shards(training, train_root):
    size = len(digits(train_root, train=True))
    epochs = training.config["num_epochs"]
    shards = {rank: training_passes(training, rank, size) for rank in range(NUM_WORKERS)}
    for rank, passes in shards.items():
        assert len(passes) >= epochs, (
            f"worker {rank} drew the {size} training digits through a DistributedSampler {len(passes)} times; "
            f"expected once per epoch ({epochs})")
    for epoch in range(epochs):
        seen = [set(shards[rank][epoch][1]) for rank in range(NUM_WORKERS)]
        overlap = len(set.intersection(*seen))
        union = len(set.union(*seen))
        assert overlap <= NUM_WORKERS and union >= size, (
            f"epoch {epoch}: the workers shared {overlap} digits and covered {union} of {size}; expected "
            "disjoint shards covering the training set")


@check(points=2, hint="Call the sampler's set_epoch(epoch) at the start of each epoch.")
def test_shuffle_changes_each_epoch(training, train_root):
    size = len(digits(train_root, train=True))
    for rank in range(NUM_WORKERS):
        passes = training_passes(training, rank, size)
        assert len(passes) >= 2, f"worker {rank} made {len(passes)} passes over the training digits; expected one per epoch"
        orders = [indices for _, indices in passes]
        repeats = [e for e in range(1, len(orders)) if orders[e] == orders[e - 1]]
        assert not repeats, (
            f"worker {rank} drew the same digits in the same order in epochs {repeats[0] - 1} and {repeats[0]} "
            f"(its sampler's epoch was {[epoch for epoch, _ in passes]}); expected a new shuffle each epoch")


@check(points=2, hint="ray.train.torch.prepare_model wraps the model in DistributedDataParallel.")
def test_replicas_in_sync(training, thresholds):
    weights = [np.asarray(training.weights.get(rank, [])) for rank in range(NUM_WORKERS)]
    assert all(len(w) for w in weights), "a worker created no optimizer over the model's parameters"
    assert len({len(w) for w in weights}) == 1, f"the workers trained {[len(w) for w in weights]} parameter tensors"
    scale = max(1.0, float(np.abs(weights[0]).max()))
    gap = max(float(np.abs(w - weights[0]).max()) for w in weights[1:])
    limit = thresholds["replica_tolerance"] * scale
    assert gap <= limit, (
        f"after training, the workers' weights differ by up to {gap:.4g} (tolerance {limit:.2g}); expected "
        "identical replicas: gradients averaged across workers at every step")


@check(points=2, hint="Save the unwrapped model's state_dict (`model.module` under DDP) as model.pt.")
def test_checkpoint_holds_unwrapped_model(training):
    checkpoint = training.result.checkpoint
    assert checkpoint is not None, "the run has no checkpoint; expected rank 0 to report one after each epoch"
    with checkpoint.as_directory() as folder:
        files = sorted(os.listdir(folder))
        assert MODEL_FILE in files, f"the checkpoint holds {files}; expected {MODEL_FILE}"
        state = torch.load(os.path.join(folder, MODEL_FILE), map_location="cpu")
    assert isinstance(state, dict), f"{MODEL_FILE} holds a {type(state).__name__}; expected a state_dict"
    wrapped = [k for k in state if k.startswith(DDP_PREFIX)]
    assert not wrapped, (f"{len(wrapped)} keys start with `{DDP_PREFIX}` (e.g. {wrapped[0]}); expected the unwrapped "
                         "model's state_dict")
    expected = set(reference_model().state_dict())
    assert set(state) == expected, (f"{len(set(state) - expected)} unexpected and {len(expected - set(state))} "
                                    "missing keys; expected the state_dict of build_model()")


@check(points=3, hint="load_state_dict into build_model(), then model.eval(): BatchNorm needs its learnt statistics.")
def test_trained_model_accuracy(student, training, train_root, thresholds, credit):
    model = student.load_trained_model(training.result.checkpoint)
    assert not model.training, "load_trained_model returned a model in training mode; expected eval mode"
    devices = {p.device.type for p in model.parameters()}
    assert devices == {"cpu"}, f"the model's weights are on {sorted(devices)}; expected the CPU"
    bar = thresholds["accuracy"]
    credit.scale("test accuracy after the grader's small training budget", accuracy(model, train_root),
                 floor=bar["floor"], target=bar["target"])
