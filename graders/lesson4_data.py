"""Grader of lesson 4, Ray Data: reading, transforms, stateful inference, groupby, aggregates, shuffles.

Each part is graded on its own. The grader computes its reference with plain libraries (PIL, the
course's normalisation, the TorchScript model in this process: ``shapes.read_digits``); ``predict``
gets the grader's own read of the folder, and the aggregates, shuffles and writes get a dataset of the grader's own
predictions, so a broken step never costs the points of the steps after it. Where one exercise
calls another (``predict`` calls ``normalize`` and ``MNISTClassifier``, ``accuracy_by_label`` calls
``compute_accuracy``), it is graded with the grader's own version of the part it calls
(``graders_parts``), so a mistake costs the checks of the function that holds it. Batch functions
are judged on NumPy batches, or on pandas batches where a student wrote them for pandas. One actor
pool runs once, in a module fixture; the pure functions are called on their own. ``predict`` is
also called with other arguments and its dataset never run: its plan shows the pool, batch size and
GPUs it asked for. A second model file, whose labels are the first's moved up one digit, shows
whether a model path was passed on.

The student's module is imported on the student's side (``student_side``), never here: its functions
are called there, the datasets they take and give are made and kept there, and what comes back to be
judged is plain data (rows, arrays, frames, numbers).
"""
from __future__ import annotations

import contextlib
import functools
import shutil
from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from graders.engine import check
from graders.engine.grading import probes, shapes

POOL_SIZE = 3  # actors of the graded predict run: neither the contract's default (1) nor the course's (2)
GPUS_PER_ACTOR = 0.25  # when grading on GPUs
BATCH_SIZE = 100
UNRUN_POOL = {"concurrency": 7, "batch_size": 37, "num_gpus": 0.5}  # predict's second call: planned, never run
BLOCK_SHARES = (0.05, 0.4, 0.1, 0.3, 0.15)  # unequal blocks of the grader's predictions
SHUFFLE_BLOCKS = 10
SEED, OTHER_SEED = 7, 8
CLASSIFIER_ACTORS = "MapBatches(MNISTClassifier)"
SUMMARY_KEYS = ("count", "min", "max", "mean", "sum", "std")
WRITTEN_COLUMNS = ["path", "ground_truth_label", "predicted_label"]


# -- the grader's reference ----------------------------------------------------------------------
Digits, file_key, read_digits = shapes.Digits, shapes.file_key, shapes.read_digits


def assert_every_file_once(keys, digits: Digits, what: str) -> None:
    """Each file of the folder exactly once among ``keys``."""
    counts, expected = Counter(keys), set(digits.keys)
    missing, extra = len(expected - set(counts)), len(set(counts) - expected)
    repeated = sum(1 for k, n in counts.items() if n > 1)
    assert not (missing or extra or repeated), (
        f"{what}: expected each of the folder's {len(expected)} files once; got {len(keys)} rows, "
        f"{missing} files missing, {repeated} repeated, {extra} paths that are not in the folder")


def assert_paths_kept(batch, paths: np.ndarray, what: str) -> None:
    """A batch function kept the batch's ``path`` column as it was."""
    __tracebackhide__ = True
    got = list(batch["path"]) if "path" in batch else None
    assert got == list(paths), (f"{what} returned a batch whose path column is "
                                f"{'missing' if got is None else got[:2] + ['...']}; expected it unchanged")


def kept_neighbours(order: list[str], reference: list[str]) -> float:
    """Share of consecutive pairs of ``order`` that are consecutive, in that direction, in ``reference``."""
    position = {k: i for i, k in enumerate(reference)}
    steps = [position[b] - position[a] for a, b in zip(order, order[1:])]
    return float(np.mean(np.equal(steps, 1))) if steps else 1.0


def as_array(column) -> np.ndarray:
    """A batch column as one NumPy array (a list, or a pandas column, of arrays or tensors is stacked)."""
    if isinstance(column, (list, tuple)) or getattr(column, "dtype", None) == object:
        return np.stack([np.asarray(x) for x in column])
    return np.asarray(column)


def as_frame(batch: dict) -> pd.DataFrame:
    """A NumPy batch as the pandas batch Ray Data hands a ``batch_format="pandas"`` function."""
    return pd.DataFrame({k: list(v) if np.asarray(v).ndim > 1 else v for k, v in batch.items()})


def as_numpy(batch) -> dict:
    """A batch (a dict of columns or a DataFrame) as a dict of NumPy arrays."""
    return {k: as_array(batch[k]) for k in batch.keys()}


def on_batch(fn, batch: dict):
    """``fn(batch)`` on a NumPy batch (Ray Data's default), or on the same batch as pandas when ``fn``
    was written for ``batch_format="pandas"`` and fails on NumPy; the first error when both fail."""
    try:
        return fn({k: np.copy(v) for k, v in batch.items()})
    except (NotImplementedError, AssertionError):
        raise
    except Exception as numpy_error:
        try:
            return fn(as_frame(batch))
        except Exception:
            raise numpy_error from None


# -- the grader's own parts, handed to the exercises that call them ------------------------------
def normalize(batch, *args, **kwargs):
    """The course's normalisation of a NumPy or pandas batch (extra arguments, e.g. ``min_``, ignored)."""
    frame = isinstance(batch, pd.DataFrame)
    out = as_numpy(batch)
    out["image"] = shapes.mnist_normalized(as_array(out["image"]).reshape(-1, 28, 28))
    return as_frame(out) if frame else out


class MNISTClassifier:
    """The course's classifier, on a NumPy or pandas batch."""

    def __init__(self, local_path, *args, **kwargs):
        import torch

        self.model = torch.jit.load(str(local_path), map_location="cpu").eval()

    def __call__(self, batch):
        import torch

        frame = isinstance(batch, pd.DataFrame)
        out = as_numpy(batch)
        with torch.no_grad():
            logits = self.model(torch.as_tensor(as_array(out["image"]), dtype=torch.float32))
        out["predicted_label"] = logits.argmax(dim=1).numpy()
        return as_frame(out) if frame else out


def compute_accuracy(group):
    """The course's per-group accuracy, on a NumPy or pandas group."""
    predicted, truth = np.asarray(group["predicted_label"]), np.asarray(group["ground_truth_label"])
    return {"accuracy": [float(np.mean(predicted == truth))], "ground_truth_label": truth[:1]}


@contextlib.contextmanager
def graders_parts(student, *names: str):
    """The student's module with the grader's own ``names`` in place of theirs while the block runs.

    Ray pickles the grader's functions by reference to this module, which every worker can import.
    """
    with pytest.MonkeyPatch.context() as patch:
        for name in names:
            patch.setattr(student, name, globals()[name])
        yield student


# -- Ray Data settings and probes ----------------------------------------------------------------
@pytest.fixture(scope="module")
def data_context(student_side):
    """Ray Data settings for this lesson's datasets, on the student's side.

    Ordered outputs make every order the grader compares deterministic. The sort-based shuffle runs
    groupby and aggregates on the workers already started: Ray's default (``SHUFFLE_V2``) starts
    a separate pool of shuffle workers, each importing the student's module (torch), which costs
    more than the grouping itself. Each dataset keeps a copy of the settings current when it was
    created.
    """
    student_side.on_start(ordered_data_context)
    return student_side


def ordered_data_context() -> None:
    from ray.data import DataContext
    from ray.data.context import ShuffleStrategy

    ctx = DataContext.get_current()
    ctx.execution_options.preserve_order, ctx.shuffle_strategy = True, ShuffleStrategy.SORT_SHUFFLE_PULL_BASED


def read_images(root: str):
    """The grader's read of a digit folder, as ``predict`` takes it."""
    import ray.data

    return ray.data.read_images(root, include_paths=True, mode="L")


def from_blocks(parts: list[pd.DataFrame]):
    """One dataset of the frames ``parts``, one block each."""
    import ray.data

    blocks = [ray.data.from_items(part.to_dict("records"), override_num_blocks=1) for part in parts]
    return blocks[0].union(*blocks[1:])


def from_paths(keys: list[str], blocks: int):
    import ray.data

    return ray.data.from_items([{"path": k} for k in keys], override_num_blocks=blocks)


def rows_and_driver_rows(fn, ds) -> tuple:
    """``fn(ds)``, and the rows that reached the student's driver while it ran (``rows_to_driver``)."""
    with rows_to_driver() as tally:
        value = fn(ds)
    return value, tally["rows"]


@contextlib.contextmanager
def rows_to_driver():
    """Count the rows that Ray Data streams to this process while the block runs.

    Every way of bringing a dataset's rows here (``to_pandas``, ``take_all``, ``iter_rows``,
    ``iter_batches``, ``to_pandas_refs``, an aggregate's single result row) reads the bundles that
    ``Dataset._execute_to_iterator`` yields; ``materialize`` keeps its blocks in the object store.
    """
    from ray.data import Dataset

    original, tally = Dataset._execute_to_iterator, {"rows": 0}

    def counting(self, *args, **kwargs):
        bundles, stats, executor = original(self, *args, **kwargs)

        def counted():
            for bundle in bundles:
                tally["rows"] += bundle.num_rows() or 0
                yield bundle

        return counted(), stats, executor

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(Dataset, "_execute_to_iterator", counting)
        yield tally


def run_predict(side, student, images, model_path: str, *, concurrency: int,
                use_gpu: bool) -> tuple[pd.DataFrame, int, dict]:
    """The student's ``predict`` on ``images``: (its rows, classifier actors started, the pool it planned)."""
    before = probes.actor_ids(CLASSIFIER_ACTORS)
    with graders_parts(student, "normalize", "MNISTClassifier"):
        predicted = student.predict(images, model_path, concurrency=concurrency, batch_size=BATCH_SIZE,
                                    num_gpus=GPUS_PER_ACTOR if use_gpu else 0)
        rows = pd.DataFrame(predicted.take_all())
    return rows, len(probes.actor_ids(CLASSIFIER_ACTORS) - before), side.apply(planned_pool, predicted)


def planned_pool(ds) -> dict:
    """The actor pool of the last ``map_batches`` of a class in ``ds``'s plan: its size (min, max), batch
    size and GPUs per actor; empty when there is none."""
    import inspect

    pools = [op for op in probes.map_batches_ops(ds) if inspect.isclass(op.fn)]
    if not pools:
        return {}
    op = pools[-1]
    return {"concurrency": (getattr(op.compute, "min_size", None), getattr(op.compute, "max_size", None)),
            "batch_size": op.batch_size, "num_gpus": (op.ray_remote_args or {}).get("num_gpus", 0)}


def assert_pool(pool: dict, asked: dict, call: str) -> None:
    """The planned pool is what ``asked`` (``concurrency``, ``batch_size``, ``num_gpus``) asked for."""
    __tracebackhide__ = True
    expected = {**asked, "concurrency": (asked["concurrency"], asked["concurrency"])}
    assert pool == expected, (f"{call} planned a classifier pool of (min, max) actors, batch size and GPUs per actor "
                              f"{pool or 'none: no map_batches of a class'}; expected {expected}")


def assert_predictions(rows: pd.DataFrame, digits: Digits, tolerance: float, what: str) -> None:
    """One row per file, each ``predicted_label`` the model's own argmax."""
    assert "path" in rows and "predicted_label" in rows, (
        f"{what}: expected columns path and predicted_label; got {sorted(rows.columns)}")
    keys = [file_key(p) for p in rows["path"]]
    assert_every_file_once(keys, digits, what)
    predicted = np.asarray(rows["predicted_label"])
    assert np.issubdtype(predicted.dtype, np.integer), f"{what}: predicted_label holds {predicted.dtype}; expected ints"
    wrong = digits.off_model(keys, predicted, tolerance)
    labels = np.array([int(k.split("/")[0]) for k in keys])
    assert wrong == 0, (
        f"{what}: {wrong} of {len(keys)} predicted labels differ from the model's argmax on images "
        f"normalized to [-1, 1]; accuracy {np.mean(predicted == labels):.3f}, expected {digits.accuracy():.3f}")


# -- fixtures ------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def model_path(data) -> str:
    """The TorchScript classifier file."""
    return data.path("mnist_model")


@pytest.fixture(scope="module")
def png_root(data) -> str:
    """The public digit folder."""
    return data.path("mnist_png")


@pytest.fixture(scope="module")
def shifted_model(model_path, tmp_path_factory) -> str:
    """A second model file: the first's labels moved up one digit."""
    return str(shapes.write_shifted_model(model_path, tmp_path_factory.mktemp("lesson4-model") / "shifted.pt"))


@pytest.fixture(scope="module")
def digits(png_root, model_path) -> Digits:
    """The grader's reference on the public folder."""
    return read_digits(png_root, model_path)


@pytest.fixture(scope="module")
def predictions(digits) -> pd.DataFrame:
    """The grader's own predictions, in a fixed shuffled order: path, image, both labels."""
    order = np.random.default_rng(0).permutation(len(digits.paths))
    return pd.DataFrame({"path": digits.paths[order], "image": list(digits.normalized[order]),
                         "ground_truth_label": digits.labels[order],
                         "predicted_label": digits.logits.argmax(axis=1)[order]})


@pytest.fixture(scope="module")
def ds_preds(predictions, data_context):
    """``predictions`` as a Ray dataset of several blocks, as ``predict`` then ``add_label`` give it."""
    return data_context.make(from_blocks, prediction_blocks(predictions))


def prediction_blocks(predictions: pd.DataFrame) -> list[pd.DataFrame]:
    """``predictions`` cut into blocks of unequal sizes and accuracies (``BLOCK_SHARES``).

    A mean of per-block accuracies (the notebook's shortcut) then differs from the overall accuracy,
    so a student's ``overall_accuracy`` cannot pass by luck; asserted here, as a property of the data.
    """
    cuts = np.cumsum(np.round(np.asarray(BLOCK_SHARES[:-1]) * len(predictions)).astype(int))
    parts = [predictions.iloc[start:stop] for start, stop in zip([0, *cuts], [*cuts, len(predictions)])]
    correct = [float(np.mean(p["predicted_label"] == p["ground_truth_label"])) for p in parts]
    overall = float(np.mean(predictions["predicted_label"] == predictions["ground_truth_label"]))
    assert abs(np.mean(correct) - overall) > 1e-3, (
        f"grader data: the blocks' accuracies average {np.mean(correct):.4f}, the overall accuracy is {overall:.4f}; "
        "expected them to differ")
    return parts


# -- read_mnist_images ---------------------------------------------------------------------------
@pytest.fixture(scope="module")
def read_rows(student, png_root, data_context) -> list[dict]:
    """Every row of ``read_mnist_images`` on the public folder, not shuffled."""
    return student.read_mnist_images(png_root, shuffle_files=False).take_all()


@check(points=1, hint=(
    "Each row is one file: its pixels as a 28x28 grayscale array, and the path it came from.",
    "ray.data.read_images reads a folder of images; one of its options adds each file's path as a column.",
    "Return read_images on the root, with the option that keeps paths, and grayscale mode ('L')."))
def test_read_every_file_once(read_rows, digits):
    columns = set(read_rows[0]) if read_rows else set()
    assert {"image", "path"} <= columns, f"expected columns image and path; got {sorted(columns)}"
    keys = [file_key(r["path"]) for r in read_rows]
    assert_every_file_once(keys, digits, "read_mnist_images")
    pixels = dict(zip(digits.keys, digits.pixels))
    differ = sum(not np.array_equal(np.asarray(r["image"]).squeeze(), pixels[k]) for k, r in zip(keys, read_rows))
    assert differ == 0, f"{differ} of {len(keys)} images differ from the pixels of their file (expected 28x28 grayscale)"


@check(points=1, hint=(
    "Reading the files in a random order is a cheap shuffle: it happens before any row exists.",
    "read_images (like every file-based Ray Data reader) takes a shuffle option for the files.",
    "Pass the files-shuffle option only when shuffle_files is true; otherwise read as before."))
def test_read_shuffle_files(student, png_root, digits, read_rows, data_context, thresholds):
    keys = [file_key(r["path"]) for r in student.read_mnist_images(png_root, shuffle_files=True)
            .select_columns(["path"]).take_all()]
    assert_every_file_once(keys, digits, "read_mnist_images(shuffle_files=True)")
    kept, limit = kept_neighbours(keys, digits.keys), thresholds["kept_neighbours_shuffled"]
    assert kept <= limit, (f"with shuffle_files=True, {kept:.0%} of consecutive rows are consecutive files of the "
                           f"folder; expected at most {limit:.0%} (files in a random order)")
    kept = kept_neighbours([file_key(r["path"]) for r in read_rows], digits.keys)
    assert kept > limit, (f"with shuffle_files=False, {kept:.0%} of consecutive rows are consecutive files of the "
                          f"folder; expected more than {limit:.0%} (the files in the reader's order)")


# -- normalize, add_label ------------------------------------------------------------------------
@check(points=2, hint=(
    "The model was trained on pixels scaled to [0, 1] and then normalised to [-1, 1], with a channel axis.",
    "torchvision's ToTensor and Normalize((0.5,), (0.5,)) define the values; in a batch function NumPy "
    "arithmetic on the whole image column gives the same.",
    "Convert the image column to float32, scale by the pixel range, shift and divide by 0.5, add an axis "
    "after the batch axis, put it back in the batch and return the batch."))
def test_normalize_values(student, digits, thresholds):
    batch = on_batch(student.normalize, {"image": digits.pixels, "path": digits.paths})
    shapes.assert_mnist_normalized(as_array(batch["image"]), digits.pixels, thresholds["pixel_tolerance"],
                                   what="normalize")
    assert_paths_kept(batch, digits.paths, "normalize")


@check(points=1, hint=(
    "The digit is the name of the file's parent folder, not of the file.",
    "pathlib.PurePath(path).parent.name, or split the path on its separator.",
    "Build one int per path of the batch, store them as the new column, return the batch."))
def test_add_label_from_folder(student, digits):
    batch = on_batch(student.add_label, {"image": digits.pixels, "path": digits.paths})
    labels = np.asarray(batch["ground_truth_label"])
    assert np.issubdtype(labels.dtype, np.integer), f"ground_truth_label: expected ints, got {labels.dtype}"
    wrong = int(np.sum(labels != digits.labels))
    assert wrong == 0, f"{wrong} of {len(labels)} labels differ from the digit named by the file's folder; expected none"
    assert_paths_kept(batch, digits.paths, "add_label")


# -- MNISTClassifier -----------------------------------------------------------------------------
@check(points=1, hint=(
    "The predicted digit is the position of the largest of the ten logits of each image.",
    "torch.no_grad() around the forward pass; Tensor.argmax(dim=1), or numpy's argmax over axis 1.",
    "Tensor from the batch's images, model forward, argmax per row, back to NumPy ints in a new column."))
def test_classifier_predicts(student, digits, model_path, shifted_model, thresholds):
    rows = slice(0, len(digits.paths), 5)
    for path, expected, what in ((model_path, digits, "MNISTClassifier"),
                                 (shifted_model, digits.shifted(), "MNISTClassifier of another model file, "
                                                                   "whose labels are the first's plus one")):
        batch = on_batch(student.MNISTClassifier(path), digits.batch(rows))
        assert "path" in batch, f"{what}: the batch has columns {sorted(batch)}; expected the other columns kept"
        frame = pd.DataFrame({"path": list(batch["path"]), "predicted_label": list(batch["predicted_label"])})
        assert_predictions(frame, expected.subset(rows), thresholds["logit_tie_tolerance"], what)


@check(points=2, hint=(
    "A Ray Data actor builds the class once and calls it on many batches: expensive loading belongs in __init__.",
    "torch.jit.load(path, map_location=device) in __init__; keep the model as an attribute.",
    "__init__ loads and stores the model (eval mode); __call__ only uses self.model."))
def test_classifier_loads_model_once(student, digits, model_path, tmp_path):
    copy = Path(shutil.copy(model_path, tmp_path / "model.pt"))
    classifier = student.MNISTClassifier(str(copy))

    def classify_two_batches():
        for rows in (slice(0, 50), slice(50, 100)):
            batch = on_batch(classifier, digits.batch(rows))
            got = len(np.asarray(batch["predicted_label"]))
            assert got == rows.stop - rows.start, (f"MNISTClassifier gave {got} predicted labels for "
                                                   f"{rows.stop - rows.start} images; expected one per image")

    shapes.assert_survives_removal(copy.unlink, classify_two_batches, what="MNISTClassifier")


# -- predict ------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def predicted(student, png_root, model_path, use_gpu, data_context) -> tuple[pd.DataFrame, int, dict]:
    """One run of the student's ``predict`` on the grader's read of the folder, on a pool of ``POOL_SIZE``
    actors: (rows, actors started, planned pool)."""
    return run_predict(data_context, student, data_context.make(read_images, png_root), model_path,
                       concurrency=POOL_SIZE, use_gpu=use_gpu)


@pytest.fixture(scope="module")
def unrun_pool(student, model_path, data_context) -> dict:
    """The pool ``predict`` plans when called with ``UNRUN_POOL``; its dataset is never run."""
    with graders_parts(student, "normalize", "MNISTClassifier"):
        unrun = student.predict(data_context.make(from_paths, ["0/0.png"], 1), model_path, **UNRUN_POOL)
        return data_context.apply(planned_pool, unrun)


@check(points=2, hint=(
    "Two stages: a stateless transform, then a stateful one on a pool of actors.",
    "Dataset.map_batches takes a function (a task) or a class (actors), with fn_constructor_kwargs for the class.",
    "map_batches the normalisation, then map_batches the classifier class with its model path as a constructor argument, an actor pool of the given size, the batch size and the GPUs given."))
def test_predict_matches_model(predicted, digits, thresholds):
    rows, _, _ = predicted
    assert_predictions(rows, digits, thresholds["logit_tie_tolerance"], "predict")


@check(points=1, hint=(
    "The prediction is added to the rows: the input's columns stay.",
    "A map_batches function returns the batch it was given, with the new column added.",
    "Do not select or drop columns in predict; return the classifier's output dataset as it is."))
def test_predict_keeps_columns(predicted, digits):
    rows, _, _ = predicted
    assert {"path", "image"} <= set(rows.columns), f"expected the input's path and image columns kept; got {sorted(rows.columns)}"
    shape = np.asarray(rows["image"].iloc[0]).shape
    assert shape == digits.normalized.shape[1:], f"image: expected normalized {digits.normalized.shape[1:]} arrays, got {shape}"


@check(points=1, hint=(
    "The caller chooses the classifier's pool: how many actors, how many images per batch, how many GPUs each.",
    "ray.data.ActorPoolStrategy(size=...) as map_batches' compute argument replaces the notebook's concurrency=; "
    "map_batches also takes batch_size and num_gpus.",
    "compute=ActorPoolStrategy(size=<the concurrency argument>), batch_size=<its argument>, num_gpus=<its argument>."))
def test_predict_actor_pool_size(predicted, unrun_pool, use_gpu):
    _, actors, pool = predicted
    asked = {"concurrency": POOL_SIZE, "batch_size": BATCH_SIZE, "num_gpus": GPUS_PER_ACTOR if use_gpu else 0}
    call = "predict(" + ", ".join(f"{k}={v}" for k, v in asked.items()) + ")"
    assert actors == POOL_SIZE, f"{call} started {actors} classifier actors; expected {POOL_SIZE}"
    assert_pool(pool, asked, call)
    assert_pool(unrun_pool, UNRUN_POOL, "predict(" + ", ".join(f"{k}={v}" for k, v in UNRUN_POOL.items()) + ")")


### BEGIN HIDDEN TESTS
@check(points=2, hidden=True, hint=(
    "read_mnist_images and predict must work on any folder of digits and any model, not just the public ones.",
    "Use the root and model path you are given; assume nothing about the number of files.",))
def test_read_and_predict_other_folder(student, data, shifted_model, use_gpu, data_context, thresholds):
    root = data.path("mnist_png", seed=1)
    rows, _, _ = run_predict(data_context, student, student.read_mnist_images(root), shifted_model, concurrency=1,
                             use_gpu=use_gpu)
    assert_predictions(rows, read_digits(root, shifted_model), thresholds["logit_tie_tolerance"],
                       "another folder and another model file (its labels the first's plus one)")
### END HIDDEN TESTS


# -- compute_accuracy, accuracy_by_label ---------------------------------------------------------
@check(points=1, hint=(
    "A group holds the rows of one true digit: its accuracy is the share of rows predicted right.",
    "numpy: the mean of an elementwise comparison of the two label columns.",
    "Return a dict of two one-element lists: the accuracy, and the group's true label (from ground_truth_label)."))
def test_compute_accuracy_one_row(student, thresholds):
    # The first prediction is wrong, so a label taken from the predictions cannot pass by luck.
    group = {"predicted_label": np.array([3, 7, 7, 1, 7]), "ground_truth_label": np.array([7, 7, 7, 7, 7])}
    row = on_batch(student.compute_accuracy, group)
    accuracy, label = np.asarray(row["accuracy"]).reshape(-1), np.asarray(row["ground_truth_label"]).reshape(-1)
    assert accuracy.shape == label.shape == (1,), (
        f"expected one row: accuracy and ground_truth_label of length 1; got shapes {accuracy.shape}, {label.shape}")
    assert abs(float(accuracy[0]) - 0.6) <= thresholds["accuracy_tolerance"] and int(label[0]) == 7, (
        f"3 of 5 right for digit 7: expected accuracy 0.6 and label 7; got {float(accuracy[0]):.4g} and {label[0]}")


@check(points=2, hint=(
    "Accuracy per digit: group the predictions by their true label.",
    "Dataset.groupby(column).map_groups(fn) runs fn once per group, on the cluster.",
    "groupby on the ground-truth column, map_groups with compute_accuracy, to_pandas, sort by label."))
def test_accuracy_by_label_matches(student, ds_preds, predictions, thresholds):
    with graders_parts(student, "compute_accuracy"):
        got = student.accuracy_by_label(ds_preds)
    assert isinstance(got, pd.DataFrame), f"expected a pandas DataFrame, got {type(got).__name__}"
    assert {"accuracy", "ground_truth_label"} <= set(got.columns), f"expected accuracy and ground_truth_label; got {list(got.columns)}"
    expected = (predictions["predicted_label"] == predictions["ground_truth_label"]).groupby(predictions["ground_truth_label"]).mean()
    labels = sorted(int(x) for x in got["ground_truth_label"])
    assert labels == list(expected.index), f"expected one row per digit {list(expected.index)}; got labels {labels}"
    by_label = got.set_index(got["ground_truth_label"].astype(int))["accuracy"].astype(float)
    gaps = (by_label - expected).abs()
    worst = int(gaps.idxmax())
    assert gaps.max() <= thresholds["accuracy_tolerance"], (
        f"digit {worst}: accuracy {by_label[worst]:.4f}, expected {expected[worst]:.4f} (pandas recomputation)")


# -- overall_accuracy, label_summary -------------------------------------------------------------
@pytest.fixture(scope="module")
def aggregates(student, ds_preds, data_context):
    """``run(name)``: the student's ``name(ds_preds)`` and the rows that reached its driver meanwhile."""
    @functools.cache
    def run(name: str) -> tuple:
        return tuple(data_context.apply(rows_and_driver_rows, getattr(student, name), ds_preds))

    return run


def assert_overall(got, predictions: pd.DataFrame, tolerance: float) -> None:
    expected = float(np.mean(predictions["predicted_label"] == predictions["ground_truth_label"]))
    assert abs(float(got) - expected) <= tolerance, (
        f"overall accuracy {float(got):.6f}, expected {expected:.6f} (tolerance {tolerance:g})")


def assert_summary(got, predictions: pd.DataFrame, tolerance: float) -> None:
    column = predictions["predicted_label"]
    expected = {"count": len(column), "min": column.min(), "max": column.max(), "mean": column.mean(),
                "sum": column.sum(), "std": column.std(ddof=1)}
    assert isinstance(got, dict) and set(expected) <= set(got), (
        f"expected a dict with keys {list(expected)}; got {sorted(got) if isinstance(got, dict) else type(got).__name__}")
    for key, value in expected.items():
        assert abs(float(got[key]) - float(value)) <= tolerance * max(1.0, abs(float(value))), (
            f"{key} of predicted_label: got {float(got[key]):.6g}, expected {float(value):.6g}")


AGGREGATES = {"overall_accuracy": assert_overall, "label_summary": assert_summary}


def checked_aggregate(aggregates, name: str, predictions: pd.DataFrame, thresholds: dict) -> int:
    """Check ``name``'s value against pandas; the rows that reached the driver while it ran."""
    value, rows = aggregates(name)
    AGGREGATES[name](value, predictions, thresholds["accuracy_tolerance"])
    return rows


@check(points=1, hint=(
    "The overall accuracy is the share of all rows predicted right, whatever the batch sizes.",
    "Dataset.map_batches to add a 0/1 column, then Dataset.mean of it: only the mean comes back.",
    "A batch function that returns the column `correct` (labels equal, as ints), then .mean('correct')."))
def test_overall_accuracy_matches(aggregates, predictions, thresholds):
    checked_aggregate(aggregates, "overall_accuracy", predictions, thresholds)


@check(points=1, hint=(
    "Six statistics of predicted_label, computed by Ray Data, not by pandas.",
    "ray.data.aggregate has Count, Min, Max, Mean, Sum and Std (alias_name= names each result); Dataset.min/max/mean/sum/std/count exist too. Std is the sample standard deviation (ddof=1).",
    "One Dataset.aggregate call with the six aggregates, each aliased with its key, returns the dict."))
def test_label_summary_matches(aggregates, predictions, thresholds):
    checked_aggregate(aggregates, "label_summary", predictions, thresholds)


@check(points=2, hint=(
    "Aggregates run where the data lives: only their results should reach your process.",
    "Dataset.mean, .aggregate and friends run on the cluster; to_pandas(), take_all() and iter_rows() bring every row to the driver.",))
def test_aggregates_on_cluster(aggregates, predictions, thresholds):
    # Judges where each function computed, not what: a wrong value costs its own check, a crash too.
    limit, errors = int(thresholds["driver_rows_share"] * len(predictions)), []
    for name in AGGREGATES:
        try:
            _, rows = aggregates(name)
        except Exception as exc:
            errors.append(exc)
            continue
        assert rows <= limit, (f"while {name} ran, {rows} rows of the dataset's {len(predictions)} came to the "
                               f"driver; at most {limit} expected: Ray Data's aggregates send back only their results")
    if len(errors) == len(AGGREGATES):
        raise errors[0]


# -- shuffles ------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def path_rows(digits, data_context):
    """A dataset of the folder's file keys in sorted order, in ``SHUFFLE_BLOCKS`` blocks."""
    return data_context.make(from_paths, digits.keys, SHUFFLE_BLOCKS)


def shuffled_orders(shuffle, ds) -> tuple[list[str], list[str], list[str]]:
    """The orders ``shuffle`` gives with ``SEED``, with ``SEED`` again, and with ``OTHER_SEED``."""
    return tuple([r["path"] for r in shuffle(ds, seed=seed).take_all()] for seed in (SEED, SEED, OTHER_SEED))


@pytest.fixture(scope="module")
def block_orders(student, path_rows):
    return shuffled_orders(student.shuffle_blocks, path_rows)


@pytest.fixture(scope="module")
def row_orders(student, path_rows):
    return shuffled_orders(student.shuffle_rows, path_rows)


def assert_reordered(order: list[str], digits: Digits, what: str) -> float:
    """Same rows as the input, in another order; the share of neighbours kept."""
    assert_every_file_once(order, digits, what)
    assert order != digits.keys, f"{what} returned the rows in their original order; expected another order"
    return kept_neighbours(order, digits.keys)


def assert_seeded(orders, what: str) -> None:
    first, again, other = orders
    assert first == again, f"{what}(seed={SEED}) twice gave two different orders; expected the same order"
    assert first != other, (f"{what} gave the same order for seeds {SEED} and {OTHER_SEED}; expected another order "
                            "for another seed")


@check(points=1, hint=(
    "A cheap shuffle moves whole blocks and leaves the rows inside them alone.",
    "Dataset.randomize_block_order.",))
def test_shuffle_blocks_reorders(block_orders, digits, thresholds):
    kept, limit = assert_reordered(block_orders[0], digits, "shuffle_blocks"), thresholds["kept_neighbours_shuffled"]
    assert kept > limit, (f"shuffle_blocks kept {kept:.0%} of neighbouring rows together; expected more than "
                          f"{limit:.0%}, as a block shuffle keeps (rows stay inside their blocks)")


@check(points=1, hint=(
    "The same seed must give the same order: pass it on.",
    "randomize_block_order takes a seed argument.",))
def test_shuffle_blocks_seeded(block_orders):
    assert_seeded(block_orders, "shuffle_blocks")


@check(points=1, hint=(
    "A global shuffle moves every row, across blocks: the most random, the most expensive.",
    "Dataset.random_shuffle.",))
def test_shuffle_rows_reorders(row_orders, digits, thresholds):
    kept, limit = assert_reordered(row_orders[0], digits, "shuffle_rows"), thresholds["kept_neighbours_shuffled"]
    assert kept <= limit, (f"shuffle_rows kept {kept:.0%} of neighbouring rows together; expected at most "
                           f"{limit:.0%}, as a global shuffle keeps")


@check(points=1, hint=(
    "The same seed must give the same order: pass it on.",
    "random_shuffle takes a seed argument.",))
def test_shuffle_rows_seeded(row_orders):
    assert_seeded(row_orders, "shuffle_rows")


# -- write_predictions ---------------------------------------------------------------------------
@check(points=1, hint=(
    "A results table holds the labels and paths, not the large image arrays.",
    "Dataset.select_columns (or drop_columns), then Dataset.write_parquet(path).",
    "Keep path, ground_truth_label and predicted_label, then write parquet under the path given."))
def test_write_predictions_parquet(student, ds_preds, predictions, storage_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    out = f"{storage_path.rstrip('/')}/{shapes.fresh_name('lesson4-predictions')}"  # a folder or a URI (--storage)
    student.write_predictions(ds_preds, out)
    table = pq.read_table(out)
    assert set(WRITTEN_COLUMNS) <= set(table.column_names), f"expected columns {WRITTEN_COLUMNS}; got {table.column_names}"
    arrays = [f.name for f in table.schema if f.name == "image" or pa.types.is_nested(f.type)
              or isinstance(f.type, pa.ExtensionType) or pa.types.is_binary(f.type)]
    assert not arrays, f"expected no image arrays in the table; got columns {arrays}"
    written = table.select(WRITTEN_COLUMNS).to_pandas()
    written["path"] = written["path"].map(file_key)
    expected = predictions[WRITTEN_COLUMNS].assign(path=predictions["path"].map(file_key))
    merged = expected.merge(written, on="path", how="left", suffixes=("", "_written"))
    assert len(written) == len(expected) and written["path"].is_unique, (
        f"expected one row per prediction ({len(expected)}); got {len(written)} rows")
    wrong = int(sum((merged[c] != merged[f"{c}_written"]).sum() for c in WRITTEN_COLUMNS[1:]))
    assert wrong == 0, f"{wrong} labels in the parquet table differ from the predictions written; expected none"
