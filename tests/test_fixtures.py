"""Checks of the data fixtures through their real consumers: torchvision, Ray Data, TorchScript, XGBoost."""
import concurrent.futures
import os
import pathlib

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
import torch
import xgboost

import fixtures
from fixtures import taxi_gen
from graders.engine.grading.raysession import embedded_env

TAXI_SCHEMA = [("passenger_count", pa.float64()), ("trip_distance", pa.float64()),
               ("fare_amount", pa.float64()), ("trip_duration", pa.int64()), ("hour", pa.int64()),
               ("day_of_week", pa.int64()), ("is_big_tip", pa.bool_())]
INDEX = ("__index_level_0__", pa.int64())
pytestmark = pytest.mark.filterwarnings("ignore::FutureWarning", "ignore::DeprecationWarning")


@pytest.fixture(scope="module")
def ray_session(tmp_path_factory):
    """An embedded Ray shared by the module's tests, started as the graders start theirs."""
    import ray

    from graders.engine.grading.raysession import RaySession

    before = dict(os.environ)
    try:
        with RaySession(submission=tmp_path_factory.mktemp("no-submission"), storage_path=tmp_path_factory.mktemp("storage")):
            ENVIRON_CHANGES.update({k: os.environ.get(k) for k in {*before, *os.environ} if before.get(k) != os.environ.get(k)})
            yield ray
    finally:  # what Ray set (RAY_AUTH_MODE=token) would reach the children of this xdist worker's later tests
        os.environ.clear()
        os.environ.update(before)


ENVIRON_CHANGES: dict[str, str | None] = {}  # what starting the session changed in this process's environment


def test_starting_ray_leaves_the_graders_environment_as_it_was(ray_session):
    """The kit's settings for Ray (``embedded_env``) reach the processes Ray starts (raylet, workers), not the
    grader's own environment. (Ray sets a few of its own as it starts, such as its authentication mode.)"""
    kit_settings = set(embedded_env(pathlib.Path.cwd()))
    assert kit_settings and not set(ENVIRON_CHANGES) & kit_settings, ENVIRON_CHANGES


def auc(labels, scores) -> float:
    """Area under the ROC curve (Mann-Whitney, ties averaged)."""
    labels = np.asarray(labels, dtype=bool)
    ranks = pd.Series(scores).rank().to_numpy()
    pos, neg = labels.sum(), (~labels).sum()
    return (ranks[labels].sum() - pos * (pos + 1) / 2) / (pos * neg)


def accuracy(images: np.ndarray, labels: np.ndarray) -> float:
    """Accuracy of the TorchScript model on uint8 (N, 28, 28) images, normalized as the course does."""
    model = torch.jit.load(str(fixtures.mnist_model()))
    x = torch.from_numpy(images).float().div(255).sub(0.5).div(0.5).unsqueeze(1)
    with torch.no_grad():
        logits = model(x)
    assert logits.shape == (len(images), 10)
    return float((logits.argmax(1).numpy() == labels).mean())


def png_folder(seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Images and folder labels of ``mnist_png(seed)``, read with Pillow."""
    from PIL import Image

    files = sorted(fixtures.mnist_png(seed).glob("*/*.png"))
    for f in files[:3]:
        with Image.open(f) as im:
            assert (im.mode, im.size) == ("L", (28, 28))
    images = np.stack([np.asarray(Image.open(f)) for f in files])
    return images, np.array([int(f.parent.name) for f in files])


@pytest.mark.parametrize("train, n", [(True, 4000), (False, 1000)])
def test_mnist_loads_with_torchvision(train, n):
    from torchvision.datasets import MNIST

    ds = MNIST(str(fixtures.mnist_root()), train=train, download=False)
    assert len(ds) == n
    assert ds.data.shape == (n, 28, 28) and ds.data.dtype == torch.uint8
    assert torch.bincount(ds.targets).tolist() == [n // 10] * 10
    image, label = ds[0]
    assert image.size == (28, 28) and 0 <= label <= 9


def test_png_folder_reads_with_ray(ray_session):
    ds = ray_session.data.read_images(str(fixtures.mnist_png()), include_paths=True)
    rows = ds.to_pandas()
    assert len(rows) == 500
    labels = rows["path"].map(lambda p: int(pathlib.Path(p).parent.name))
    assert labels.value_counts().to_dict() == {d: 50 for d in range(10)}
    images = np.stack(rows["image"].to_list())
    assert images.shape == (500, 28, 28) and images.dtype == np.uint8
    assert accuracy(images, labels.to_numpy()) >= 0.95


def test_model_accuracy_on_other_png_variant():
    images, labels = png_folder(1)
    assert len(images) == 500
    assert accuracy(images, labels) >= 0.95


@pytest.mark.parametrize("with_index", [False, True])
def test_taxi_reads_with_ray(ray_session, with_index):
    ds = ray_session.data.read_parquet(str(fixtures.taxi(with_index=with_index)))
    schema = ds.schema()
    expected = TAXI_SCHEMA + [INDEX] * with_index
    assert list(zip(schema.names, schema.types)) == expected
    df = ds.to_pandas()
    assert 20_000 <= len(df) <= 50_000
    assert 0.4 <= df["is_big_tip"].mean() <= 0.6
    assert set(df["day_of_week"]) == set(range(1, 8)) and set(df["hour"]) == set(range(24))
    assert (df["trip_duration"] >= 0).all() and (df["trip_distance"] >= 0).all()


def test_taxi_label_has_learnable_signal():
    df = pd.read_parquet(fixtures.taxi())
    features, label = df.drop(columns="is_big_tip"), df["is_big_tip"]
    order = np.random.default_rng(42).permutation(len(df))
    train, valid = order[: int(0.7 * len(df))], order[int(0.7 * len(df)):]

    def valid_auc(max_depth: int) -> float:
        booster = xgboost.train({"objective": "binary:logistic", "max_depth": max_depth},
                                xgboost.DMatrix(features.iloc[train], label.iloc[train]), 20)
        return auc(label.iloc[valid], booster.predict(xgboost.DMatrix(features.iloc[valid])))

    deep, stump = valid_auc(6), valid_auc(1)
    assert auc(label.iloc[valid], np.full(len(valid), label.iloc[train].mean())) == 0.5
    assert 0.75 <= deep <= 0.9
    assert stump < deep - 0.02  # depth matters: interactions are part of the signal


def test_builders_are_deterministic_and_seeded(tmp_path):
    def sums(cache, seed):
        return {"mnist": fixtures.checksum(fixtures.mnist_root(seed, cache=cache)),
                "png": fixtures.checksum(fixtures.mnist_png(seed, cache=cache)),
                "taxi": fixtures.checksum(fixtures.taxi(seed, cache=cache)),
                "taxi_index": fixtures.checksum(fixtures.taxi(seed, with_index=True, cache=cache))}

    first, second = sums(tmp_path / "a", 0), sums(tmp_path / "b", 0)
    assert first == second
    other = sums(tmp_path / "a", 1)
    assert all(first[k] != other[k] for k in first)
    default = {k: fixtures.checksum(p) for k, p in
               [("mnist", fixtures.mnist_root()), ("png", fixtures.mnist_png()), ("taxi", fixtures.taxi())]}
    assert default == {k: first[k] for k in default}


def test_taxi_generator_matches_schema_and_index():
    table = taxi_gen.generate(3, n=1000)
    assert list(zip(table.schema.names, table.schema.types)) == TAXI_SCHEMA
    index = taxi_gen.with_index(table, 3).column(INDEX[0]).to_numpy()
    assert len(np.unique(index)) == 1000 and (np.diff(index) > 0).all()


def test_png_variants_differ_but_come_from_the_canonical_test_part(tmp_path):
    from torchvision.datasets import MNIST

    test_images = MNIST(str(fixtures.mnist_root(cache=tmp_path)), train=False, download=False).data.numpy()
    known = {im.tobytes() for im in test_images}
    zero, one = png_folder(0)[0], png_folder(1)[0]
    assert {im.tobytes() for im in zero} <= known and {im.tobytes() for im in one} <= known
    assert {im.tobytes() for im in zero} != {im.tobytes() for im in one}


def test_cache_is_concurrency_safe(tmp_path):
    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        paths = list(pool.map(lambda _: fixtures.taxi(2, cache=tmp_path), range(4)))
    assert len(set(paths)) == 1 and paths[0].is_file()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["taxi-v1-s2", "taxi-v1-s2.lock"]


def test_cache_env_variable(tmp_path, monkeypatch):
    monkeypatch.setenv("RAY_AI_KIT_CACHE", str(tmp_path))
    assert fixtures.taxi(4).is_relative_to(tmp_path)
    with pytest.raises(ValueError):
        fixtures.taxi(-1)
