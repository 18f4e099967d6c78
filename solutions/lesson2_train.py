"""Lesson 2: distributed data-parallel training of ResNet18 on MNIST with Ray Train.

The course first trains ResNet18 on one GPU with a plain PyTorch loop (`train_loop_torch`), then
turns that loop into a Ray Train `train_loop_per_worker`. Three calls make it distributed:
`ray.train.torch.prepare_model` wraps the model in DistributedDataParallel (the same initial weights
everywhere, gradients averaged across workers at every step), `ray.train.torch.prepare_data_loader`
gives each worker its own shard of the data through a DistributedSampler, and `ray.train.report`
sends each epoch's metrics and a checkpoint back to the driver. A `TorchTrainer` runs the loop on
`num_workers` workers: over NCCL on GPUs, over gloo on CPUs.

The course's activity, "Update the training loop to compute AUROC", is part of the loop: each epoch's
report carries the training accuracy and AUROC from torchmetrics, and `evaluate` measures the trained
model on the test digits with the same two metrics.

Data: torchvision's MNIST layout under a root folder (`MNIST/raw/...-ubyte`); nothing is downloaded.
"""
from __future__ import annotations

import os
import tempfile

import ray.train
import ray.train.torch
import torch
from ray.train import Checkpoint, RunConfig, ScalingConfig
from ray.train.torch import TorchTrainer
from torch.nn import CrossEntropyLoss
from torch.optim import Adam
from torch.utils.data import DataLoader
from torchvision.datasets import MNIST
from torchvision.models import resnet18
from torchmetrics import AUROC, Accuracy
from torchvision.transforms import Compose, Normalize, ToTensor

MODEL_FILE = "model.pt"
"""The file, inside each checkpoint, holding the model's ``state_dict``."""
NUM_CLASSES = 10
"""The ten digits."""


def build_model() -> torch.nn.Module:
    """ResNet18 for ten digit classes, reading one-channel (grayscale) 28x28 images.

    Build ``torchvision.models.resnet18(num_classes=10)`` (random weights: nothing is downloaded) and
    replace its first layer, made for three-channel colour images, by
    ``Conv2d(1, 64, kernel_size=7, stride=2, padding=3, bias=False)``, as the course does.
    """
    ### BEGIN SOLUTION
    model = resnet18(num_classes=10)
    model.conv1 = torch.nn.Conv2d(1, 64, kernel_size=7, stride=2, padding=3, bias=False)
    return model
    ### END SOLUTION


def build_data_loader(batch_size: int, *, root: str, train: bool = True) -> DataLoader:
    """A DataLoader over the MNIST digits under ``root``: the training part, or the test part.

    Read ``MNIST(root, train=train, download=False, transform=...)`` (the course passed
    ``root="./data", download=True``; here the data are already on disk, and nothing may be
    downloaded) with ``Compose([ToTensor(), Normalize((0.5,), (0.5,))])``, so each image becomes a
    float ``(1, 28, 28)`` tensor in [-1, 1]. When training, shuffle and drop the last incomplete
    batch; when testing, do neither (every test digit, in order).
    """
    ### BEGIN SOLUTION
    transform = Compose([ToTensor(), Normalize((0.5,), (0.5,))])
    digits = MNIST(root, train=train, download=False, transform=transform)
    return DataLoader(digits, batch_size=batch_size, shuffle=train, drop_last=train)
    ### END SOLUTION


def train_loop_per_worker(config: dict) -> None:
    """What each Ray Train worker runs: the course's ``train_loop_torch``, made distributed, with the
    course's activity "compute AUROC" done.

    ``config`` holds ``lr``, ``global_batch_size``, ``num_epochs`` and ``data_root``.
    - Each worker loads batches of ``global_batch_size`` divided (integer division) by the number of
      workers, ``ray.train.get_context().get_world_size()``: the global batch, one step of DDP over
      all workers, then stays the same whatever the number of workers (the course does this).
    - Build the model and pass it through ``ray.train.torch.prepare_model`` (it moves the model to
      the worker's device and wraps it in DistributedDataParallel); no ``model.to("cuda")``.
    - Build the training DataLoader and pass it through ``ray.train.torch.prepare_data_loader`` (it
      adds a DistributedSampler, so each worker reads its own shard, and moves batches to the device).
    - Train with Adam at ``config["lr"]`` and the cross-entropy loss.
    - At the start of each epoch, when there is more than one worker, tell the data loader's
      sampler which epoch it is (``set_epoch``): without it every epoch sees the same shuffle.
    - Measure each epoch with torchmetrics: a multiclass ``Accuracy`` and a multiclass ``AUROC``
      over the ten digits, on the worker's device, updated with every training batch's model
      outputs (AUROC ranks the scores of each class, so give it the outputs, not the predicted
      labels; torchmetrics turns logits into probabilities itself) and reset at the start of each
      epoch, so that each epoch's values are its own batches' only. (The course's solution never
      reset them: its later epochs mixed in the earlier ones.)
    - After each epoch report ``loss`` (the mean of the epoch's batch losses), ``epoch``,
      ``accuracy`` and ``auroc`` (plain floats) with ``ray.train.report(metrics, checkpoint=...)``.
      The worker of rank 0 passes a checkpoint: a temporary folder holding ``MODEL_FILE``, saved
      with ``torch.save`` from the ``state_dict()`` of the unwrapped model (``model.module`` under
      DDP: its keys must not start with ``module.``); the other workers pass ``checkpoint=None``.
      (The course only printed the last batch's loss.)
    """
    ### BEGIN SOLUTION
    context = ray.train.get_context()
    batch_size = config["global_batch_size"] // context.get_world_size()
    model = ray.train.torch.prepare_model(build_model())
    loader = ray.train.torch.prepare_data_loader(build_data_loader(batch_size, root=config["data_root"]))
    criterion = CrossEntropyLoss()
    optimizer = Adam(model.parameters(), lr=config["lr"])
    device = ray.train.torch.get_device()
    accuracy = Accuracy(task="multiclass", num_classes=NUM_CLASSES).to(device)
    auroc = AUROC(task="multiclass", num_classes=NUM_CLASSES).to(device)
    for epoch in range(config["num_epochs"]):
        if context.get_world_size() > 1:
            loader.sampler.set_epoch(epoch)
        model.train()
        accuracy.reset()
        auroc.reset()
        total, batches = 0.0, 0
        for images, labels in loader:
            outputs = model(images)
            loss = criterion(outputs, labels)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            accuracy.update(outputs.detach(), labels)
            auroc.update(outputs.detach(), labels)
            total, batches = total + loss.item(), batches + 1
        metrics = {"loss": total / batches, "epoch": epoch, "accuracy": accuracy.compute().item(),
                   "auroc": auroc.compute().item()}
        with tempfile.TemporaryDirectory() as folder:
            checkpoint = None
            if context.get_world_rank() == 0:
                torch.save(getattr(model, "module", model).state_dict(), os.path.join(folder, MODEL_FILE))
                checkpoint = Checkpoint.from_directory(folder)
            ray.train.report(metrics, checkpoint=checkpoint)
    ### END SOLUTION


def build_trainer(*, train_loop_config: dict, num_workers: int = 2, use_gpu: bool = False, storage_path: str,
                  name: str | None = None) -> TorchTrainer:
    """A ``TorchTrainer`` that runs ``train_loop_per_worker`` with ``train_loop_config``.

    ``ScalingConfig(num_workers=num_workers, use_gpu=use_gpu)`` (the course used two GPU workers;
    the grader chooses), ``RunConfig(storage_path=storage_path, name=name)``. Return the trainer
    without fitting it.
    """
    ### BEGIN SOLUTION
    return TorchTrainer(train_loop_per_worker, train_loop_config=train_loop_config,
                        scaling_config=ScalingConfig(num_workers=num_workers, use_gpu=use_gpu),
                        run_config=RunConfig(storage_path=storage_path, name=name))
    ### END SOLUTION


def load_trained_model(checkpoint: Checkpoint) -> torch.nn.Module:
    """The trained model: ``build_model()`` with the weights in ``checkpoint``'s ``MODEL_FILE``.

    Open the checkpoint with ``checkpoint.as_directory()``, ``torch.load`` the state dict onto the CPU
    (``map_location="cpu"``), load it into a fresh ``build_model()``, and return the model in eval
    mode (``model.eval()``: BatchNorm then uses the statistics learnt in training).
    """
    ### BEGIN SOLUTION
    with checkpoint.as_directory() as folder:
        state = torch.load(os.path.join(folder, MODEL_FILE), map_location="cpu")
    model = build_model()
    model.load_state_dict(state)
    return model.eval()
    ### END SOLUTION


def evaluate(model: torch.nn.Module, *, root: str, batch_size: int = 256) -> dict:
    """The model's ``{"accuracy": float, "auroc": float}`` on the MNIST test digits under ``root``.

    Read the test part with ``build_data_loader(..., train=False)`` in batches of ``batch_size``,
    and measure it with the same two torchmetrics metrics as the training loop (multiclass
    ``Accuracy`` and ``AUROC`` over the ten digits), fed the model's outputs batch after batch, then
    computed once over the whole test set. Put the model in eval mode first, run it under
    ``torch.no_grad()``, on the CPU (the model given is on the CPU). Return plain floats.
    """
    ### BEGIN SOLUTION
    model.eval()
    accuracy = Accuracy(task="multiclass", num_classes=NUM_CLASSES)
    auroc = AUROC(task="multiclass", num_classes=NUM_CLASSES)
    with torch.no_grad():
        for images, labels in build_data_loader(batch_size, root=root, train=False):
            outputs = model(images)
            accuracy.update(outputs, labels)
            auroc.update(outputs, labels)
    return {"accuracy": accuracy.compute().item(), "auroc": auroc.compute().item()}
    ### END SOLUTION
