"""Grader of lesson 2, distributed data-parallel training of ResNet18 on MNIST with Ray Train.

The model and the data loaders are checked against torchvision's own reading of the digits. Training
runs once, on two workers (DDP over gloo on CPUs), on a small training set within the lesson's time
budget. Ray Train only returns what the rank-0 worker reports, so the grader also watches the workers:
it wraps the student's ``train_loop_per_worker``
(the trainer's ``train_loop_per_worker`` attribute) in an observer that, inside each worker, records
the digits each DistributedSampler pass hands out (with the sampler's epoch) and, at the end, a
fingerprint of the weights each worker's optimizer trained, and the outputs of each training forward
pass of the model (through a global forward hook), so that the per-epoch accuracy and AUROC a worker
reports are recomputed with numpy from that epoch's own batches. It changes nothing the loop does but
seed the worker's random generators first, with one intra-op thread and deterministic cuDNN kernels, so
that the same code trains the same weights on every run and a grade never depends on a lucky
initialization, and train the grader's own model and loader (the student's ``build_model`` and ``build_data_loader``
have checks of their own: a mistake there never costs the training checks).
The course's activity, "compute AUROC", is graded twice: in the loop's reports and in ``evaluate``,
whose test-set metrics are recomputed with numpy (one-vs-rest AUROC, ties counted half, macro average
over the classes present, as torchmetrics defines it) on the kit's TorchScript digit classifier.

The student's module is imported on the student's side (``student_side``), never here: the model, the
loaders, the trainer and its result, the loaded model and the checkpoints' contents are made, run and read
there, by the grader's own functions (``student_side.apply``), and come back as plain data (shapes, labels,
pixels, settings, reported metrics, each worker's records, the trained weights as arrays, the loaded
model's outputs). The references (the expected accuracy of the trained weights, the classifier's test
metrics) are computed here.
"""
from __future__ import annotations

import contextlib
import functools
import os
from dataclasses import dataclass

import numpy as np
import pytest
import torch
from torchvision.datasets import MNIST
from torchvision.transforms import Compose, Normalize, ToTensor

from graders.engine import check
from graders.engine.grading import shapes
from graders.engine.grading.student_side import described, rebuilt, type_name

NUM_WORKERS = 2
NUM_CLASSES = 10
LOADER_BATCH = 72  # nobody's default; divides neither the 4,000 training nor the 1,000 test digits
MODEL_FILE = "model.pt"
DDP_PREFIX = "module."
PIXEL_TOLERANCE = 1e-6  # float32 rounding of ToTensor + Normalize
SEED = 0  # of every worker's generators (with one thread and deterministic kernels): the same code, the same weights


# -- plain-library references --------------------------------------------------------------------
def grader_builders():
    """The contract's ``build_model`` and ``build_data_loader``, written by the grader. Nested (imports
    inside), so that Ray ships them by value to the workers: the observed training run and the checks
    of later steps use them in place of the student's, so that a mistake there costs its own check only."""
    def build_model():
        import torch
        import torchvision

        model = torchvision.models.resnet18(num_classes=10)
        model.conv1 = torch.nn.Conv2d(1, 64, kernel_size=7, stride=2, padding=3, bias=False)
        return model

    def build_data_loader(batch_size, *, root, train=True):
        from torch.utils.data import DataLoader
        from torchvision.datasets import MNIST
        from torchvision.transforms import Compose, Normalize, ToTensor

        digits = MNIST(root, train=train, download=False, transform=Compose([ToTensor(), Normalize((0.5,), (0.5,))]))
        return DataLoader(digits, batch_size=batch_size, shuffle=train, drop_last=train)

    return {"build_model": build_model, "build_data_loader": build_data_loader}


GRADER_STEPS = grader_builders()
reference_model = GRADER_STEPS["build_model"]


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


def outputs_on_test_digits(model: torch.nn.Module, root: str) -> np.ndarray:
    """``model``'s outputs for the test digits under ``root``, in order, computed on one thread: the same
    sums wherever it runs (on the student's side for their model, here for the grader's)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        with torch.no_grad():
            return torch.cat([model(x) for x, _ in torch.utils.data.DataLoader(digits(root, train=False),
                                                                               batch_size=500)]).float().numpy()
    finally:
        torch.set_num_threads(threads)


def accuracy(outputs: np.ndarray, root: str) -> float:
    """Share of the test digits under ``root`` whose largest output is their label."""
    return float(np.mean(np.argmax(outputs, axis=1) == digits(root, train=False).targets.numpy()))


def softmax(logits: np.ndarray) -> np.ndarray:
    """Class probabilities of ``(N, 10)`` logits, in float32 as torchmetrics computes them."""
    return torch.from_numpy(np.asarray(logits, dtype=np.float32)).softmax(dim=1).numpy()


def auroc(scores: np.ndarray, labels: np.ndarray) -> float:
    """Multiclass AUROC as torchmetrics defines it, in numpy: each class against the rest, scored by its
    probability (logits are turned into probabilities first); a tie between a positive and a negative
    counts half; the macro average over all classes, a class without positives or without negatives
    counting 0 (torchmetrics warns and scores it 0)."""
    scores = np.asarray(scores, dtype=np.float32)
    if scores.min() < 0 or scores.max() > 1:
        scores = softmax(scores)
    labels = np.asarray(labels)
    areas = []
    for c in range(scores.shape[1]):
        positive = labels == c
        npos, nneg = int(positive.sum()), int((~positive).sum())
        if not (npos and nneg):
            areas.append(0.0)
            continue
        ranks = average_ranks(scores[:, c])
        areas.append((ranks[positive].sum() - npos * (npos + 1) / 2) / (npos * nneg))
    return float(np.mean(areas))


def average_ranks(values: np.ndarray) -> np.ndarray:
    """1-based ranks of ``values``, ties sharing the mean of their ranks."""
    order = np.argsort(values, kind="mergesort")
    ordered = values[order]
    starts = np.flatnonzero(np.r_[True, ordered[1:] != ordered[:-1]])
    ends = np.r_[starts[1:], len(values)]
    ranks = np.empty(len(values))
    ranks[order] = np.repeat((starts + ends + 1) / 2, ends - starts)
    return ranks


def metrics_of(outputs: np.ndarray, labels: np.ndarray) -> dict[str, float]:
    """Accuracy (argmax) and AUROC of model outputs against labels, in numpy."""
    return {"accuracy": float(np.mean(np.argmax(outputs, axis=1) == labels)), "auroc": auroc(outputs, labels)}


def expect_test_loader(side, student, root: str) -> None:
    """The test loader of ``root`` yields every test digit, in order, normalized as torchvision does."""
    reference = digits(root, train=False)
    first, labels, sizes = side.apply(loader_pass, student.build_data_loader(LOADER_BATCH, root=root, train=False))
    assert len(labels) == len(reference), (
        f"the test loader gave {len(labels)} digits in batches of {sizes[:2]}...{sizes[-1:]}; expected all "
        f"{len(reference)} (no drop_last when testing)")
    assert np.array_equal(labels, reference.targets.numpy()), (
        "the test loader's labels are not in the data set's order; expected no shuffling when testing")
    shapes.assert_mnist_normalized(first, reference.data[: sizes[0]].numpy(), PIXEL_TOLERANCE,
                                   what="the test loader's first batch")


# -- run on the student's side (``student_side.apply``): the student's objects stay there ----------
def loader_pass(loader) -> tuple[np.ndarray, np.ndarray, list[int]]:
    """One pass over ``loader``: its first batch's images, every label, and the batch sizes."""
    images, labels, sizes = full_pass(loader)
    return images[: sizes[0]].numpy(), labels.numpy(), sizes


def first_batch(loader) -> tuple:
    """The shape and dtype of ``loader``'s first batch of images, and its data set's first images, in order."""
    images, _ = next(iter(loader))
    ordered = torch.stack([loader.dataset[i][0] for i in range(LOADER_BATCH)])
    return tuple(images.shape), str(images.dtype), ordered.numpy()


def training_pass(build_data_loader, root: str) -> tuple[int, np.ndarray, list[int]]:
    """How many times ``build_data_loader(LOADER_BATCH, root=root, train=True)`` had torchvision download
    MNIST, and one pass of its loader: the labels and the batch sizes."""
    downloads, original = [], MNIST.download
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(MNIST, "download", lambda self: downloads.append(1) or original(self))
        loader = build_data_loader(LOADER_BATCH, root=root, train=True)
        _, labels, sizes = full_pass(loader)
    return len(downloads), labels.numpy(), sizes


def conv1_settings(model) -> tuple[str, tuple | None]:
    """The class of ``model.conv1``, and its (in, out, kernel, stride, padding, no bias) when a Conv2d."""
    conv1 = getattr(model, "conv1", None)
    if not isinstance(conv1, torch.nn.Conv2d):
        return type(conv1).__name__, None
    return "Conv2d", (conv1.in_channels, conv1.out_channels, conv1.kernel_size, conv1.stride, conv1.padding,
                      conv1.bias is None)


def shape_and_size(model) -> tuple[tuple, int]:
    """The shape of the eval-mode outputs of a (3, 1, 28, 28) batch of zeros, and the number of parameters."""
    with torch.no_grad():
        out = model.eval()(torch.zeros(3, 1, 28, 28))
    return tuple(out.shape), sum(p.numel() for p in model.parameters())


def trainer_settings(trainer) -> tuple | None:
    """(num_workers, use_gpu, storage_path, name) of a TorchTrainer; None for anything else."""
    from ray.train.torch import TorchTrainer

    if not isinstance(trainer, TorchTrainer):
        return None
    scaling, run = trainer.scaling_config, trainer.run_config
    return (scaling.num_workers, scaling.use_gpu, str(run.storage_path), run.name)


def loaded_model(load_trained_model, folder: str, root: str) -> dict:
    """``load_trained_model(Checkpoint.from_directory(folder))``: whether the model is in training mode,
    its parameters' devices and, when in eval mode on the CPU, its outputs for the test digits."""
    from ray.train import Checkpoint

    model = load_trained_model(Checkpoint.from_directory(folder))
    found = {"training": bool(model.training)}
    if not found["training"]:
        found["devices"] = sorted({p.device.type for p in model.parameters()})
        if found["devices"] == ["cpu"]:
            found["outputs"] = outputs_on_test_digits(model, root)
    return found


class Watched(torch.nn.Module):
    """A module that records whether each forward ran in training mode and with gradients on."""

    def __init__(self, net):
        super().__init__()
        self.net = net
        self.calls = []

    def forward(self, x):
        self.calls.append((self.training, torch.is_grad_enabled()))
        return self.net(x)


def watched_classifier(path: str) -> Watched:
    """The kit's TorchScript digit classifier at ``path``, ``Watched``."""
    return Watched(torch.jit.load(path, map_location="cpu"))


def evaluated(evaluate, model: Watched, root: str) -> tuple:
    """``evaluate(model.train(), root=root)``: the class of its answer, its keys and its two metrics as
    floats when a dict, and the (training, gradients) of each forward of ``model`` meanwhile."""
    model.calls.clear()
    got = evaluate(model.train(), root=root)
    if not isinstance(got, dict):
        return type(got).__name__, None, {}, list(model.calls)
    keys = sorted(map(str, got))
    return "dict", keys, {name: float(got[name]) for name in ("accuracy", "auroc") if name in got}, list(model.calls)


# -- the observed training run -------------------------------------------------------------------
def observed(loop, queue, steps):
    """``loop`` wrapped so that each worker, seeded, puts on ``queue`` what it did:
    (rank, passes, weights, outputs, learning rates).

    passes: ``(sampler epoch, data set size, indices)`` for each pass over a DistributedSampler;
    weights: the float64 sum of each parameter its optimizers trained, after the loop;
    learning rates: the ``lr`` of each parameter group of its optimizers, as built;
    outputs: ``(pass number, float32 (B, 10) outputs)`` of each outermost forward call of a module in
    training mode, the pass number being that of the latest DistributedSampler pass begun.
    ``steps``: the grader's ``build_model`` and ``build_data_loader``, put in place of the student's
    where the loop's module has them, so that the loop trains the contract's model on the contract's
    data whatever those two earlier steps do (they have checks of their own).
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
        torch.set_num_threads(1)  # one summation order for every reduction, whatever the machine's cores
        torch.backends.cudnn.deterministic, torch.backends.cudnn.benchmark = True, False

        passes, optimizers, outputs, rates, depth = [], [], [], [], [0]
        sampler_iter, optimizer_init = DistributedSampler.__iter__, torch.optim.Optimizer.__init__

        def recording_iter(sampler):
            indices = list(sampler_iter(sampler))
            passes.append((sampler.epoch, len(sampler.dataset), indices))
            return iter(indices)

        def recording_init(optimizer, *args, **kwargs):
            optimizer_init(optimizer, *args, **kwargs)
            optimizers.append(optimizer)
            rates.extend(group.get("lr") for group in optimizer.param_groups)

        def enter(module, args):
            depth[0] += 1

        def leave(module, args, output):
            depth[0] -= 1
            if (depth[0] == 0 and module.training and isinstance(output, torch.Tensor) and output.ndim == 2
                    and output.shape[1] == NUM_CLASSES):
                outputs.append((len(passes) - 1, output.detach().float().cpu().numpy()))

        namespace = getattr(loop, "__globals__", {})
        namespace.update({name: step for name, step in steps.items() if name in namespace})
        DistributedSampler.__iter__, torch.optim.Optimizer.__init__ = recording_iter, recording_init
        hooks = [torch.nn.modules.module.register_module_forward_pre_hook(enter),
                 torch.nn.modules.module.register_module_forward_hook(leave, always_call=True)]
        try:
            loop(config)
        finally:
            DistributedSampler.__iter__, torch.optim.Optimizer.__init__ = sampler_iter, optimizer_init
            for hook in hooks:
                hook.remove()
            weights = [float(p.detach().double().sum()) for o in optimizers for g in o.param_groups for p in g["params"]]
            queue.put((ray.train.get_context().get_world_rank(), passes, weights, outputs, rates))

    return observed_loop


def observed_fit(trainer) -> tuple:
    """``trainer.fit()`` with its loop ``observed`` (on the student's side): the metrics reported, each
    worker's records, and what the run's checkpoint holds (``checkpoint_data``)."""
    from ray.util.queue import Queue

    queue = Queue(actor_options={"num_cpus": 0})
    trainer.train_loop_per_worker = observed(trainer.train_loop_per_worker, queue, GRADER_STEPS)
    result = trainer.fit()
    records = [queue.get(timeout=30) for _ in range(NUM_WORKERS)]
    return result.metrics_dataframe, records, checkpoint_data(result.checkpoint)


def checkpoint_data(checkpoint) -> dict | None:
    """A checkpoint's contents as data (on the student's side): its ``files``; the ``type`` and ``keys`` of
    what ``MODEL_FILE`` holds and, for a state_dict, its tensors as ``weights`` (arrays); or the ``error``
    that reading it raised. None for no checkpoint."""
    if checkpoint is None:
        return None
    found = {}
    try:
        with checkpoint.as_directory() as folder:
            found["files"] = sorted(os.listdir(folder))
            if MODEL_FILE not in found["files"]:
                return found
            state = torch.load(os.path.join(folder, MODEL_FILE), map_location="cpu")
        found["type"] = type(state).__name__
        if isinstance(state, dict):
            found["keys"] = [str(key) for key in state]
            found["weights"] = {str(key): value.detach().cpu().numpy() for key, value in state.items()
                                if isinstance(value, torch.Tensor)}
    except Exception as exc:  # the checks that read that far fail with it
        found["error"] = described(exc)
    return found


@dataclass
class TrainingRun:
    """What the grader saw of one fit: the metrics reported, each worker's records, and what the run's
    checkpoint holds (``checkpoint_data``)."""

    frame: object
    checkpoint: dict | None
    passes: dict[int, list[tuple[int, int, list[int]]]]
    weights: dict[int, list[float]]
    outputs: dict[int, list[tuple[int, np.ndarray]]]
    rates: dict[int, list[float]]
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
def training(student, student_side, train_root, budget, use_gpu, storage_path) -> TrainingRun:
    """One fit of the student's trainer on two workers, observed; every training check reads it."""
    import ray

    # DDP needs one device per worker: GPUs only when there are enough for both workers.
    gpus = use_gpu and ray.cluster_resources().get("GPU", 0) >= NUM_WORKERS
    config = {"lr": budget["lr"], "global_batch_size": budget["global_batch_size"],
              "num_epochs": budget["num_epochs"], "data_root": train_root}
    trainer = student.build_trainer(train_loop_config=dict(config), num_workers=NUM_WORKERS, use_gpu=gpus,
                                    storage_path=storage_path, name=shapes.fresh_name("lesson2"))
    frame, records, checkpoint = student_side.apply(observed_fit, trainer)
    return TrainingRun(frame, checkpoint, {r[0]: r[1] for r in records}, {r[0]: r[2] for r in records},
                       {r[0]: r[3] for r in records}, {r[0]: r[4] for r in records}, config)


def epoch_metrics(run: TrainingRun):
    """The metrics reported after each epoch (one row per report), as a DataFrame."""
    frame = run.frame
    assert frame is not None and len(frame), "the trainer reported no metrics; expected a report after each epoch"
    return frame


def training_passes(run: TrainingRun, rank: int, size: int) -> list[tuple[int, list[int]]]:
    """``(sampler epoch, indices)`` of each pass worker ``rank`` made over the ``size`` training digits."""
    return [(epoch, indices) for epoch, n, indices in run.passes.get(rank, []) if n == size]


def epoch_batches(run: TrainingRun, rank: int, size: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """``(outputs, labels)`` of each epoch's training batches on worker ``rank``: the outputs of its
    training forward passes during each pass over the ``size`` training digits, with the labels of
    the digits that pass handed out, in order."""
    targets = np.asarray(digits(run.config["data_root"], train=True).targets)
    epochs = []
    for number, (_, n, indices) in enumerate(run.passes.get(rank, [])):
        if n != size:
            continue
        batches = [out for p, out in run.outputs.get(rank, []) if p == number]
        outputs = np.concatenate(batches) if batches else np.zeros((0, NUM_CLASSES), np.float32)
        assert len(outputs) <= len(indices), (
            f"worker {rank} ran the model on {len(outputs)} digits while its sampler handed out {len(indices)}; "
            "expected one forward pass per training batch")
        epochs.append((outputs, targets[indices[: len(outputs)]]))
    return epochs


def read_checkpoint(stored: dict | None, what: str = "files") -> dict:
    """The run's checkpoint as ``checkpoint_data`` read it, once it got as far as ``what``; its error otherwise."""
    assert stored is not None, "the run has no checkpoint; expected rank 0 to report one after each epoch"
    if what not in stored and "error" in stored:
        raise rebuilt(stored["error"])
    return stored


def checkpoint_model(stored: dict | None) -> torch.nn.Module:
    """The grader's own reading of the training checkpoint: ``build_model()`` with its weights (a DDP
    wrapper's ``module.`` prefix dropped), in eval mode."""
    stored = read_checkpoint(stored, "weights")
    assert "weights" in stored, (f"{MODEL_FILE} holds a {stored['type']}; expected a state_dict" if "type" in stored
                                 else f"the checkpoint holds {stored['files']}; expected {MODEL_FILE}")
    model = reference_model()
    model.load_state_dict({key.removeprefix(DDP_PREFIX): torch.from_numpy(value)
                           for key, value in stored["weights"].items()})
    return model.eval()


def grader_step(name: str, *args, **kwargs):
    """The grader's own step ``name`` (``GRADER_STEPS``), by a name the student's side can unpickle."""
    return GRADER_STEPS[name](*args, **kwargs)


@contextlib.contextmanager
def grader_steps(student):
    """The grader's ``build_model`` and ``build_data_loader`` in the student's module (on its side) while the
    block runs, so that a later step (loading, evaluating) is judged on its own."""
    with pytest.MonkeyPatch.context() as patch:
        for name in GRADER_STEPS:
            patch.setattr(student, name, functools.partial(grader_step, name), raising=False)
        yield student


@pytest.fixture(scope="module")
def mnist_classifier(data, student_side):
    """The kit's trained TorchScript digit classifier on the student's side, inside a module that records
    whether each forward ran in eval mode with gradients off (``Watched``); handed to ``evaluate`` in
    training mode."""
    return student_side.make(watched_classifier, data.path("mnist_model"))


# -- the model and the data loaders --------------------------------------------------------------
@check(points=2, hint=("ResNet18 was made for three-channel colour images; the digits have one channel.",
                       "torchvision.models.resnet18(num_classes=10) and its first layer, `conv1`, a torch.nn.Conv2d.",
                       "Replace model.conv1 by a Conv2d with 1 input channel and conv1's other settings (64, 7, 2, 3, no bias)."))
def test_model_architecture(student, student_side):
    model = student.build_model()
    kind, got = student_side.apply(conv1_settings, model)
    assert got is not None, f"build_model().conv1 is {kind}; expected a Conv2d"
    expected = (1, 64, (7, 7), (2, 2), (3, 3), True)
    assert got == expected, ("conv1 (in, out, kernel, stride, padding, no bias) is "
                             f"{got}; expected {expected}")
    shape, count = student_side.apply(shape_and_size, model)
    assert shape == (3, 10), f"a (3, 1, 28, 28) batch gave outputs of shape {shape}; expected (3, 10)"
    reference = sum(p.numel() for p in reference_model().parameters())
    assert count == reference, f"the model has {count:,} parameters; expected {reference:,}, as ResNet18 for one-channel digits has"


@check(points=2, hint=("Each image becomes a float tensor in [-1, 1]: black -1, white 1.",
                       "torchvision.transforms: ToTensor, then Normalize; MNIST's `transform=`.",
                       "MNIST(root, train=..., download=False, transform=Compose([ToTensor(), Normalize((0.5,), (0.5,))]))"))
def test_data_loader_normalizes(student, student_side, data):
    root = data.path("mnist")
    loader = student.build_data_loader(LOADER_BATCH, root=root, train=True)
    # The loader shuffles: its data set, read in order, is compared with the raw pixels.
    shape, dtype, first = student_side.apply(first_batch, loader)
    assert shape == (LOADER_BATCH, 1, 28, 28) and dtype == str(torch.float32), (
        f"a batch of images is {dtype} {shape}; expected float32 ({LOADER_BATCH}, 1, 28, 28)")
    raw = MNIST(root, train=True, download=False).data[:LOADER_BATCH]
    shapes.assert_mnist_normalized(first, raw.numpy(), PIXEL_TOLERANCE, what="the training loader's digits")


@check(points=2, hint=("Training reads the digits in a new random order, in full batches only; nothing is downloaded.",
                       "torch.utils.data.DataLoader's `shuffle` and `drop_last`; MNIST's `download`.",
                       "DataLoader(digits, batch_size=..., shuffle=train, drop_last=train), MNIST(..., download=False)."))
def test_data_loader_for_training(student, student_side, data):
    root = data.path("mnist")
    downloads, labels, sizes = student_side.apply(training_pass, student.build_data_loader, root)
    assert not downloads, "build_data_loader asked torchvision to download MNIST; expected download=False"
    reference = digits(root, train=True)
    full = len(reference) // LOADER_BATCH
    assert sizes == [LOADER_BATCH] * full, (
        f"one training pass gave {len(sizes)} batches, the last of {sizes[-1]}; expected {full} full batches "
        f"of {LOADER_BATCH} (the incomplete last batch dropped)")
    assert not np.array_equal(labels, reference.targets[: len(labels)].numpy()), (
        "the training loader gives the digits in the data set's order; expected them shuffled")


@check(points=1, hint=("Testing reads every digit once, in the data set's order.",
                       "torch.utils.data.DataLoader's `shuffle` and `drop_last` (both off for the test part).",
                       "Make shuffle and drop_last depend on `train`; MNIST(root, train=False, ...) is the test part."))
def test_data_loader_for_testing(student, student_side, data):
    expect_test_loader(student_side, student, data.path("mnist"))


### BEGIN HIDDEN TESTS
@check(points=1, hidden=True, hint=("Read the digits from the `root` you are given, each time you are called.",
                                    "torchvision.datasets.MNIST(root, ...): its first argument.",
                                    "Build the MNIST data set inside build_data_loader from `root`; cache nothing across calls."))
def test_data_loader_reads_given_root(student, student_side, data):
    # The public root first, then another: a loader that keeps what it read first cannot pass by check order.
    student.build_data_loader(LOADER_BATCH, root=data.path("mnist"), train=False)
    expect_test_loader(student_side, student, data.path("mnist", seed=1))
### END HIDDEN TESTS


# -- the trainer and the training run ------------------------------------------------------------
@check(points=1, hint=("Resources and storage are the grader's choice: use the arguments you are given.",
                       "ray.train.torch.TorchTrainer, ray.train.ScalingConfig and ray.train.RunConfig.",
                       "TorchTrainer(loop, train_loop_config=..., scaling_config=ScalingConfig(num_workers=..., use_gpu=...), run_config=RunConfig(storage_path=..., name=...))."))
def test_trainer_configuration(student, student_side, storage_path, tmp_path):
    # Two sets of arguments, neither the contract's defaults: a value written into the code fails one of them.
    for workers, gpu, storage, name in ((3, False, storage_path, "lesson2-configuration"),
                                        (5, True, str(tmp_path), "lesson2-other-configuration")):
        trainer = student.build_trainer(train_loop_config={}, num_workers=workers, use_gpu=gpu, storage_path=storage,
                                        name=name)
        got = student_side.apply(trainer_settings, trainer)
        assert got is not None, f"build_trainer returned a {type_name(trainer)}; expected a TorchTrainer"
        expected = (workers, gpu, storage, name)
        assert got == expected, (f"build_trainer(num_workers={workers}, use_gpu={gpu}, ...): (num_workers, use_gpu, "
                                 f"storage_path, name) is {got}; expected {expected}")


@check(points=2, hint=("The driver learns of each epoch only through a report from the workers.",
                       "ray.train.report(metrics, checkpoint=...), called by every worker.",
                       "Inside the epoch loop, after the batches: ray.train.report({\"loss\": ..., \"epoch\": epoch, ...}, checkpoint=...)."))
def test_reports_every_epoch(training):
    frame = epoch_metrics(training)
    epochs = training.config["num_epochs"]
    missing = {"loss", "epoch"} - set(frame.columns)
    assert not missing, f"the reports lack {sorted(missing)}; expected `loss` and `epoch` in each"
    assert list(frame["epoch"]) == list(range(epochs)), (
        f"reported epochs {list(frame['epoch'])}; expected one report per epoch: {list(range(epochs))}")
    assert np.isfinite(frame["loss"]).all(), f"reported losses {list(frame['loss'])}; expected finite numbers"


@check(points=1, hint=("Report each epoch's mean training loss; training should lower it.",
                       "torch.optim.Adam(model.parameters(), lr=config[\"lr\"]) and torch.nn.CrossEntropyLoss.",
                       "Sum loss.item() over the epoch's batches, divide by their number, report it as `loss`."))
def test_loss_falls(training):
    wanted = training.config["lr"]
    for rank in range(NUM_WORKERS):
        rates = training.rates.get(rank, [])
        assert rates and all(rate == wanted for rate in rates), (
            f"worker {rank} built optimizers with learning rates {sorted(set(rates))}; expected config[\"lr\"] = {wanted}")
    losses = list(epoch_metrics(training)["loss"])
    assert len(losses) >= 2 and losses[-1] < losses[0], (
        f"losses reported per epoch: {[round(l, 4) for l in losses]}; expected the last below the first")


@check(points=2, hint=("The global batch is split among the workers: each worker's batch is a share of it.",
                       "ray.train.get_context().get_world_size(): the number of workers.",
                       "batch_size = config[\"global_batch_size\"] // world size, given to build_data_loader."))
def test_per_worker_batch(training):
    expected = training.config["global_batch_size"] // NUM_WORKERS
    assert expected != training.config["global_batch_size"], "grader bug: the global batch fits one worker; expected it split among the workers"
    for rank in range(NUM_WORKERS):
        sizes = [len(out) for _, out in training.outputs.get(rank, [])]
        assert sizes, f"worker {rank} ran no training forward pass of the model; expected one per batch"
        assert max(sizes) == expected, (
            f"worker {rank} trained on batches of up to {max(sizes)} digits; expected global_batch_size // "
            f"world size = {training.config['global_batch_size']} // {NUM_WORKERS} = {expected}")


@check(points=3, hint=("Each epoch's accuracy and AUROC measure that epoch's training batches only.",
                       "torchmetrics.Accuracy and torchmetrics.AUROC (task=\"multiclass\", num_classes=10): "
                       "update, compute, reset.",
                       "Create both metrics once; per batch metric.update(outputs, labels) with the model's outputs "
                       "(not argmax labels); after the epoch report float(metric.compute()), then metric.reset()."))
def test_reports_epoch_metrics(training, train_root, thresholds):
    frame = epoch_metrics(training)
    missing = {"accuracy", "auroc"} - set(frame.columns)
    assert not missing, f"the reports lack {sorted(missing)}; expected `accuracy` and `auroc` after each epoch"
    size = len(digits(train_root, train=True))
    own = {rank: epoch_batches(training, rank, size) for rank in range(NUM_WORKERS)}
    drawn = min(len(e) for e in own.values())  # passes each worker made: the epochs it ran, however many
    assert len(frame) <= drawn, (
        f"the workers drew the training digits {[len(e) for e in own.values()]} times, and reported {len(frame)} "
        "epochs; expected one pass over the digits per reported epoch")
    limit = thresholds["metric_tolerance"]
    for row, reported in enumerate(frame.to_dict("records")):
        epoch = int(reported["epoch"]) if 0 <= reported.get("epoch", -1) < drawn else row
        # torchmetrics syncs its state across the workers under DDP (its default): rank 0's batches
        # alone, or all workers' batches of the epoch, are both that epoch's own batches.
        candidates = {"worker 0's": metrics_of(*own[0][epoch]),
                      "all workers'": metrics_of(*(np.concatenate(parts) for parts in
                                                   zip(*(own[rank][epoch] for rank in range(NUM_WORKERS)))))}
        for name in ("accuracy", "auroc"):
            got = float(reported[name])
            closest = min(candidates.values(), key=lambda m: abs(m[name] - got))[name]
            assert abs(got - closest) <= limit, (
                f"epoch {epoch}: reported {name} {got:.4f}; that epoch's own training batches give "
                f"{' or '.join(f'{m[name]:.4f} ({who})' for who, m in candidates.items())} (tolerance {limit:g}). "
                "Expected the metric over that epoch's batches only, reset at each epoch, AUROC from the outputs")


@check(points=2, hint=("Data parallelism: each worker trains on its own part (shard) of the digits.",
                       "ray.train.torch.prepare_data_loader adds a DistributedSampler, one shard per worker rank.",
                       "loader = ray.train.torch.prepare_data_loader(build_data_loader(...)); a sampler of your own needs the worker's rank."))
def test_workers_train_on_own_shards(training, train_root):
    size = len(digits(train_root, train=True))
    shards = {rank: training_passes(training, rank, size) for rank in range(NUM_WORKERS)}
    for rank, passes in shards.items():
        assert passes, (f"worker {rank} never drew the {size} training digits through a DistributedSampler; expected "
                        "one pass per epoch, each worker its own shard")
    for epoch in range(min(map(len, shards.values()))):
        seen = [set(shards[rank][epoch][1]) for rank in range(NUM_WORKERS)]
        overlap = len(set.intersection(*seen))
        union = len(set.union(*seen))
        assert overlap <= NUM_WORKERS and union >= size, (
            f"epoch {epoch}: the workers shared {overlap} digits and covered {union} of {size}; expected "
            "disjoint shards covering the training set")


@check(points=2, hint=("A DistributedSampler's shuffle is seeded by its epoch: the same epoch, the same order.",
                       "torch.utils.data.distributed.DistributedSampler.set_epoch.",
                       "At the start of each epoch: loader.sampler.set_epoch(epoch)."))
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


@check(points=2, hint=("Every worker must end with the same weights: gradients averaged at every step.",
                       "ray.train.torch.prepare_model wraps the model in DistributedDataParallel.",
                       "model = ray.train.torch.prepare_model(build_model()), before building the optimizer."))
def test_replicas_in_sync(training, thresholds):
    weights = [np.asarray(training.weights.get(rank, [])) for rank in range(NUM_WORKERS)]
    assert all(len(w) for w in weights), "a worker created no optimizer over the model's parameters; expected one, such as Adam"
    assert len({len(w) for w in weights}) == 1, f"the workers trained {[len(w) for w in weights]} parameter tensors; expected the same model on each"
    scale = max(1.0, float(np.abs(weights[0]).max()))
    gap = max(float(np.abs(w - weights[0]).max()) for w in weights[1:])
    limit = thresholds["replica_tolerance"] * scale
    assert gap <= limit, (
        f"after training, the workers' weights differ by up to {gap:.4g} (tolerance {limit:.2g}); expected "
        "identical replicas: gradients averaged across workers at every step")


@check(points=2, hint=("The checkpoint must load into a plain build_model(), not into the DDP wrapper.",
                       "DistributedDataParallel keeps the model as `model.module`; ray.train.Checkpoint.from_directory.",
                       "torch.save(model.module.state_dict(), os.path.join(folder, MODEL_FILE)) on rank 0, then report it."))
def test_checkpoint_holds_unwrapped_model(training):
    files = read_checkpoint(training.checkpoint)["files"]
    assert MODEL_FILE in files, f"the checkpoint holds {files}; expected {MODEL_FILE}"
    stored = read_checkpoint(training.checkpoint, "type")
    assert "keys" in stored, f"{MODEL_FILE} holds a {stored['type']}; expected a state_dict"
    keys = stored["keys"]
    wrapped = [k for k in keys if k.startswith(DDP_PREFIX)]
    assert not wrapped, (f"{len(wrapped)} keys start with `{DDP_PREFIX}` (e.g. {wrapped[0]}); expected the unwrapped "
                         "model's state_dict")
    expected = set(reference_model().state_dict())
    assert set(keys) == expected, (f"{len(set(keys) - expected)} unexpected and {len(expected - set(keys))} "
                                   "missing keys; expected the state_dict of build_model()")


@check(points=3, hint=("A trained model predicts with the statistics BatchNorm learnt, on the CPU.",
                       "Checkpoint.as_directory(), torch.load(..., map_location=\"cpu\"), Module.load_state_dict, Module.eval.",
                       "model = build_model(); model.load_state_dict(state); return model.eval()."))
def test_trained_model_accuracy(student, student_side, training, train_root, thresholds, credit, tmp_path):
    # The trained weights in a checkpoint the grader writes: how the loop saved them is another check's.
    own = checkpoint_model(training.checkpoint)
    torch.save(own.state_dict(), tmp_path / MODEL_FILE)
    with grader_steps(student):
        model = student_side.apply(loaded_model, student.load_trained_model, str(tmp_path), train_root)
    assert not model["training"], "load_trained_model returned a model in training mode; expected eval mode"
    assert model["devices"] == ["cpu"], f"the model's weights are on {model['devices']}; expected the CPU"
    got, expected = accuracy(model["outputs"], train_root), accuracy(outputs_on_test_digits(own, train_root), train_root)
    limit = thresholds["metric_tolerance"]
    assert abs(got - expected) <= limit, (
        f"the model load_trained_model returned classifies {got:.4f} of the test digits right; the checkpoint's "
        f"own weights, loaded by the grader, {expected:.4f} (tolerance {limit:g}): expected the checkpoint's weights")
    bar = thresholds["accuracy"]
    credit.scale("test accuracy after the grader's small training budget", got, floor=bar["floor"], target=bar["target"])


@check(points=3, hint=("The course's activity: accuracy and AUROC of the model over the whole test set.",
                       "torchmetrics.Accuracy and torchmetrics.AUROC (task=\"multiclass\", num_classes=10); "
                       "Module.eval and torch.no_grad.",
                       "model.eval(); with torch.no_grad(): update both metrics with each test batch's outputs; "
                       "return {\"accuracy\": float(acc.compute()), \"auroc\": float(auroc.compute())}."))
def test_evaluate(student, student_side, data, mnist_classifier, thresholds):
    root = data.path("mnist")
    test = digits(root, train=False)
    # The grader's own copy of the classifier, here: the student's call cannot touch its BatchNorm statistics.
    model = torch.jit.load(data.path("mnist_model"), map_location="cpu").eval()
    with torch.no_grad():
        outputs = torch.cat([model(x) for x, _ in torch.utils.data.DataLoader(test, batch_size=500)])
    expected = metrics_of(outputs.numpy(), test.targets.numpy())
    with grader_steps(student):
        kind, keys, got, calls = student_side.apply(evaluated, student.evaluate, mnist_classifier, root)
    assert kind == "dict" and {"accuracy", "auroc"} <= set(keys), (
        f"evaluate returned {kind} {keys if kind == 'dict' else ''}; expected a dict with `accuracy` and `auroc`")
    assert calls, "evaluate never ran the model; expected it run on the test digits"
    assert not any(training for training, _ in calls), (
        "evaluate ran the model in training mode; expected eval mode (model.eval(): BatchNorm's learnt statistics)")
    assert not any(grad for _, grad in calls), (
        "evaluate ran the model with gradients enabled; expected it under torch.no_grad()")
    limit = thresholds["metric_tolerance"]
    for name, value in expected.items():
        assert abs(got[name] - value) <= limit, (
            f"evaluate's {name} is {got[name]:.5f}; expected {value:.5f} over every test digit "
            f"(tolerance {limit:g}){'; AUROC ranks the outputs, not the predicted labels' if name == 'auroc' else ''}")
