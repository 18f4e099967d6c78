"""The floor: the reference solutions' calls that grading makes, as a plain script without the graders.

    python bench/floor.py

One Ray start (the graders' own settings, so that the ratio measures the graders, not Ray's tuning),
then per lesson the same calls with the same sizes as ``graders/<lesson>.py``: the fits, tuning runs,
actor pools and Serve applications, each once, and nothing checked. Prints one JSON line of seconds
per lesson (Ray's start counted apart).
"""
from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

KIT = Path(__file__).resolve().parent.parent
SOLUTIONS = KIT / "solutions"
sys.path[:0] = [str(SOLUTIONS), str(KIT)]

import fixtures  # noqa: E402
from graders.engine import course  # noqa: E402
from graders.engine.grading.raysession import RaySession, driver_env, free_port  # noqa: E402


def lesson1(storage: str) -> None:
    import lesson1_taxi as L
    import requests
    from ray import serve

    train_ds, valid_ds = L.load_and_split(str(fixtures.taxi(with_index=True)))
    train_ds, valid_ds = train_ds.materialize(), valid_ds.materialize()
    result = L.build_trainer(train_ds, valid_ds, params={"max_depth": 4, "eta": 0.3}, num_boost_round=10,
                             num_workers=2, storage_path=storage).fit()
    L.best_checkpoint(L.tune_max_depth(train_ds, valid_ds, num_samples=2, num_workers=1, storage_path=storage))
    L.predict_offline(result.checkpoint, valid_ds, concurrency=1, batch_size=1000).to_pandas()
    L.deploy_online(result.checkpoint, name="floor-taxi", route_prefix="/floor-taxi")
    records = valid_ds.drop_columns([L.LABEL_COLUMN]).take(40)
    requests.post(f"{SERVE_URL}/floor-taxi", json=records, timeout=60).raise_for_status()
    serve.delete("floor-taxi")  # as the grader does when a lesson ends


def lesson2(storage: str) -> None:
    import lesson2_train as L

    budget = course.lessons()["lesson2_train"].thresholds["training_budget"]
    root = str(fixtures.mnist_root(train_limit=budget["train_digits"]))
    config = {"lr": budget["lr"], "global_batch_size": budget["global_batch_size"], "num_epochs": budget["num_epochs"],
              "data_root": root}
    result = L.build_trainer(train_loop_config=config, num_workers=2, storage_path=storage).fit()
    L.load_trained_model(result.checkpoint)


def lesson3(storage: str) -> None:
    import lesson3_tune as L
    from ray import tune

    root = str(fixtures.mnist_root(train_limit=course.lessons()["lesson3_tune"].thresholds["train_digits"]))
    tune.Tuner(L.train_linear_model, param_space={"lr": 0.1, "epochs": 50},
               run_config=tune.RunConfig(storage_path=storage)).fit()
    L.tune_linear_model(num_samples=3, storage_path=storage)
    tune.Tuner(tune.with_resources(L.train_pytorch, {"cpu": 1}),
               param_space={"lr": 1e-3, "batch_size": 64, "num_epochs": 2, "data_root": root},
               run_config=tune.RunConfig(storage_path=storage)).fit()
    L.build_tuner(data_root=root, num_samples=2, num_epochs=1, batch_size=64, storage_path=storage).fit()


def lesson4(storage: str) -> None:
    import lesson4_data as L

    root, model = str(fixtures.mnist_png()), str(fixtures.mnist_model())
    L.read_mnist_images(root).take_all()
    L.read_mnist_images(root, shuffle_files=True).take_all()
    predicted = L.predict(L.read_mnist_images(root), model, concurrency=2, batch_size=100).map_batches(L.add_label)
    predicted = predicted.materialize()
    L.accuracy_by_label(predicted)
    L.overall_accuracy(predicted)
    L.label_summary(predicted)
    for shuffle in (L.shuffle_blocks, L.shuffle_rows):
        for seed in (7, 7, 8):
            shuffle(predicted.select_columns(["path"]), seed=seed).take_all()
    L.write_predictions(predicted, f"{storage}/floor-predictions")


def lesson5(storage: str) -> None:
    import lesson5_serve as L
    import numpy as np
    import requests
    from PIL import Image
    from ray import serve

    model = str(fixtures.mnist_model())
    raw = np.stack([np.asarray(Image.open(p)) for p in sorted(fixtures.mnist_png().glob("*/*.png"))[::5]])
    normalized = ((raw / 255.0 - 0.5) / 0.5)[:, None].astype(np.float32)
    classifier = L.OnlineMNISTClassifier.options(autoscaling_config=L.autoscaling_config()).bind(model)
    serve.run(L.build_app(model), name="floor-service", route_prefix="/floor-service")
    requests.post(f"{SERVE_URL}/floor-service/predict", json={"image": raw.tolist()}, timeout=60).raise_for_status()
    serve.delete("floor-service")
    serve.run(classifier, name="floor-classifier", route_prefix="/floor-classifier")
    url = f"{SERVE_URL}/floor-classifier"
    requests.post(url, json={"image": normalized.tolist()}, timeout=60).raise_for_status()
    body = json.dumps({"image": normalized[:20].tolist()})

    def replicas() -> int:
        (status,) = serve.status().applications["floor-classifier"].deployments.values()
        return sum(status.replica_states.values())

    with ThreadPoolExecutor(16) as pool:  # the grader's burst: until a second replica shows
        deadline = time.monotonic() + 60
        while replicas() < 2 and time.monotonic() < deadline:
            list(pool.map(lambda _: requests.post(url, data=body, timeout=10), range(16)))


LESSONS = {"lesson1_taxi": lesson1, "lesson2_train": lesson2, "lesson3_tune": lesson3, "lesson4_data": lesson4,
           "lesson5_serve": lesson5}
SERVE_URL = ""


def main() -> int:
    global SERVE_URL
    from ray import serve

    fixtures.public_fixtures()
    seconds = {}
    with tempfile.TemporaryDirectory() as storage:
        start = time.monotonic()
        os.environ.update(driver_env(SOLUTIONS, embedded=True))  # this script is the driver, as a student's side is
        RaySession(submission=SOLUTIONS, storage_path=Path(storage)).start()
        port = free_port()
        serve.start(http_options={"host": "127.0.0.1", "port": port})
        SERVE_URL = f"http://127.0.0.1:{port}"
        seconds["ray_start"] = round(time.monotonic() - start, 1)
        for name, run in LESSONS.items():
            start = time.monotonic()
            run(storage)
            seconds[name] = round(time.monotonic() - start, 1)
    print(json.dumps(seconds))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
