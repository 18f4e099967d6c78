"""Lesson 4: Ray Data on a folder of handwritten digits.

Ray Data reads the course's PNG digits (``ROOT/<digit>/<n>.png``), normalizes them with a stateless
task, and classifies them with a pool of stateful actors that each load a TorchScript model once.
The predictions are then labelled from their folders, grouped by digit, aggregated without leaving
the cluster, shuffled three ways, and written to parquet.

The course notebook was written for an older Ray. Each docstring below says what the notebook wrote
and, where it changed, what replaced it in today's Ray.
"""
from __future__ import annotations

from pathlib import PurePath

import numpy as np
import pandas as pd
import ray
import ray.data
import torch
from ray.data.aggregate import Count, Max, Mean, Min, Std, Sum

PREDICTION_COLUMNS = ["path", "ground_truth_label", "predicted_label"]


def read_mnist_images(root, *, shuffle_files=False) -> ray.data.Dataset:
    """A Dataset of the PNG digits under ``root``, with an ``image`` and a ``path`` column.

    Read the folder with Ray Data's image reader, asking it for each file's path and for grayscale
    images (each ``image`` then is a ``(28, 28)`` uint8 array). When ``shuffle_files`` is true, ask the
    reader to shuffle the files, so that they are read in a random order.

    The notebook called the same reader with the path option, and in its shuffling part with the
    reader's file-shuffle option; both options still exist in today's Ray.
    """
    ### BEGIN SOLUTION
    return ray.data.read_images(str(root), include_paths=True, mode="L",
                                shuffle="files" if shuffle_files else None)
    ### END SOLUTION


def normalize(batch, *, min_=0.0, max_=255.0):
    """Scale a batch's ``image`` column to float32 ``(N, 1, 28, 28)`` values in [-1, 1]; return the batch.

    ``batch`` is a dict of NumPy arrays, ``batch["image"]`` is ``(N, 28, 28)`` pixels between
    ``min_`` and ``max_``. Scale them to [0, 1], then shift and scale them to [-1, 1] (mean 0.5,
    standard deviation 0.5: the model was trained on such inputs), and add the channel axis. Keep the
    batch's other columns as they are.

    The notebook applied torchvision's ``ToTensor`` then ``Normalize`` with mean and std 0.5 to each
    image, and passed the pixel range to ``map_batches`` as ``fn_kwargs``: vectorized NumPy arithmetic
    on the whole column gives the same values.
    """
    ### BEGIN SOLUTION
    images = np.asarray(batch["image"], dtype=np.float32)
    scaled = (images - np.float32(min_)) / np.float32(max_ - min_)
    batch["image"] = ((scaled - np.float32(0.5)) / np.float32(0.5))[:, np.newaxis]
    return batch
    ### END SOLUTION


def add_label(batch):
    """Add an int column ``ground_truth_label``: the digit named by the folder of each ``path``.

    A path looks like ``.../50_per_index/7/12.png``: its label is 7 (the parent folder), not 12.

    The notebook split each path on ``/`` and took the folder's name; ``pathlib`` does the same and
    also reads Windows paths.
    """
    ### BEGIN SOLUTION
    batch["ground_truth_label"] = np.array([int(PurePath(path).parent.name) for path in batch["path"]],
                                           dtype=np.int64)
    return batch
    ### END SOLUTION


class MNISTClassifier:
    """A callable class for ``map_batches``: one instance per Ray Data actor, one model per instance.

    The notebook wrote it for a GPU only (``self.model.to("cuda")``); here it uses the GPU only when
    the actor has one (``torch.cuda.is_available()``), and the CPU otherwise.
    """

    def __init__(self, local_path):
        """Load the TorchScript model at ``local_path`` once, in eval mode, on the actor's device.

        The file is a TorchScript model (``torch.jit``); put it on the device when loading it, and
        switch it to eval mode. Loading here, not in ``__call__``, is what makes the class worth an
        actor: each batch reuses the loaded model.
        """
        ### BEGIN SOLUTION
        self.device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
        self.model = torch.jit.load(str(local_path), map_location=self.device)
        self.model.eval()
        ### END SOLUTION

    def __call__(self, batch):
        """Add an int column ``predicted_label`` (the argmax of the logits) to ``batch``; return it.

        ``batch["image"]`` holds normalized float32 images ``(N, 1, 28, 28)``. Run the model on them
        without tracking gradients, bring the logits back to the CPU, and keep the batch's other columns.
        """
        ### BEGIN SOLUTION
        images = torch.tensor(batch["image"], dtype=torch.float32, device=self.device)
        with torch.no_grad():
            logits = self.model(images).cpu().numpy()
        batch["predicted_label"] = np.argmax(logits, axis=1)
        return batch
        ### END SOLUTION


def predict(ds, model_path, *, concurrency=1, batch_size=100, num_gpus=0) -> ray.data.Dataset:
    """Normalize ``ds``'s images, then classify them on a pool of ``concurrency`` actors.

    1. ``normalize`` the images with ``map_batches``, a stateless task;
    2. ``map_batches`` the ``MNISTClassifier`` class, handing it ``model_path`` as its constructor
       argument, on a pool of ``concurrency`` actors, ``batch_size`` images per batch and
       ``num_gpus`` GPUs per actor: Ray Data starts ``concurrency`` actors, each building one
       classifier.

    The result keeps ``ds``'s columns and adds ``predicted_label``. The notebook passed a
    ``concurrency`` argument to ``map_batches``; today an actor pool strategy given as ``compute``
    replaces it. It also asked for a tenth of a GPU per actor: here the caller decides (0 on a
    machine without GPUs).
    """
    ### BEGIN SOLUTION
    normalized = ds.map_batches(normalize, fn_kwargs={"min_": 0, "max_": 255})
    return normalized.map_batches(MNISTClassifier, fn_constructor_kwargs={"local_path": str(model_path)},
                                  compute=ray.data.ActorPoolStrategy(size=concurrency),
                                  batch_size=batch_size, num_gpus=num_gpus)
    ### END SOLUTION


def compute_accuracy(group):
    """One row for a group of predictions: ``{"accuracy": [share correct], "ground_truth_label": [label]}``.

    ``group`` is a dict of NumPy arrays holding ``predicted_label`` and ``ground_truth_label``; the
    accuracy is the mean of ``predicted_label == ground_truth_label``, the label is the group's first
    ``ground_truth_label``. The notebook wrote exactly this.
    """
    ### BEGIN SOLUTION
    return {
        "accuracy": [np.mean(group["predicted_label"] == group["ground_truth_label"])],
        "ground_truth_label": group["ground_truth_label"][:1],
    }
    ### END SOLUTION


def accuracy_by_label(ds_preds) -> pd.DataFrame:
    """The accuracy of each digit: a DataFrame with ``ground_truth_label`` and ``accuracy``, one row per digit.

    ``ds_preds`` holds ``predicted_label`` and ``ground_truth_label`` (``predict`` then ``add_label``).
    Group by the true label, not the predicted one, apply ``compute_accuracy`` to each group, and
    bring the ten result rows to the driver as pandas, sorted by label. The notebook wrote the same
    chain of Ray Data calls.
    """
    ### BEGIN SOLUTION
    per_label = ds_preds.groupby("ground_truth_label").map_groups(compute_accuracy).to_pandas()
    return per_label.sort_values("ground_truth_label").reset_index(drop=True)
    ### END SOLUTION


def overall_accuracy(ds_preds) -> float:
    """The share of ``ds_preds``'s rows whose ``predicted_label`` equals ``ground_truth_label``.

    Compute it on the cluster with Ray Data's own aggregate: mark each row correct (1) or not (0) in
    a new column, then take that column's mean. Never bring the rows to the driver (no ``to_pandas``,
    ``take_all``, ``iter_rows``): only the mean travels.

    The notebook averaged ``compute_accuracy`` over batches: a mean of per-batch accuracies, which
    equals the overall accuracy only when every batch has the same size.
    """
    ### BEGIN SOLUTION
    def mark_correct(batch):
        return {"correct": (batch["predicted_label"] == batch["ground_truth_label"]).astype(np.int64)}

    return float(ds_preds.map_batches(mark_correct).mean("correct"))
    ### END SOLUTION


def label_summary(ds_preds) -> dict:
    """``count``, ``min``, ``max``, ``mean``, ``sum`` and ``std`` of ``predicted_label``, as a dict.

    Use Ray Data's aggregates, computed on the cluster: the aggregate classes of
    ``ray.data.aggregate`` in one ``aggregate`` call (each can be given the name of its result), or
    the matching ``Dataset`` methods. ``std`` is the sample standard deviation (``ddof=1``, Ray's
    default). Never bring the rows to the driver. The notebook listed these aggregates.
    """
    ### BEGIN SOLUTION
    column = "predicted_label"
    return ds_preds.aggregate(Count(alias_name="count"), Min(column, alias_name="min"),
                              Max(column, alias_name="max"), Mean(column, alias_name="mean"),
                              Sum(column, alias_name="sum"), Std(column, alias_name="std"))
    ### END SOLUTION


def shuffle_blocks(ds, *, seed=None) -> ray.data.Dataset:
    """``ds`` with its blocks in a random order (Ray Data's block-order shuffle), seeded with ``seed``.

    Cheap: rows stay inside their blocks, only the order of the blocks changes. The same seed gives the
    same order. The notebook called the same method, without a seed.
    """
    ### BEGIN SOLUTION
    return ds.randomize_block_order(seed=seed)
    ### END SOLUTION


def shuffle_rows(ds, *, seed=None) -> ray.data.Dataset:
    """``ds`` with all its rows in a random order (Ray Data's global row shuffle), seeded with ``seed``.

    A global shuffle that moves rows between blocks: the most random, and the most expensive. The same
    seed gives the same order. The notebook called the same method, without a seed.
    """
    ### BEGIN SOLUTION
    return ds.random_shuffle(seed=seed)
    ### END SOLUTION


def write_predictions(ds_preds, path) -> None:
    """Write ``path``, ``ground_truth_label`` and ``predicted_label`` of ``ds_preds`` as parquet under ``path``.

    Keep only those columns: the normalized images are large and belong in no results table. Then
    write the dataset as parquet files under ``path``. The notebook wrote every column, images
    included.
    """
    ### BEGIN SOLUTION
    ds_preds.select_columns(PREDICTION_COLUMNS).write_parquet(str(path))
    ### END SOLUTION
