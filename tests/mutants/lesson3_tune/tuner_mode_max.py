"""`mode="max"` for the loss: the tuner's best trial becomes the one of highest loss."""

BREAKS = ["tuner_best_result"]


def build_tuner(*, data_root: str, num_samples: int = 2, num_epochs: int = 1, batch_size: int = 128,
                use_gpu: bool = False, storage_path: str) -> tune.Tuner:
    return tune.Tuner(
        tune.with_resources(train_pytorch, {"gpu": 1} if use_gpu else {"cpu": 1}),
        param_space={"num_epochs": num_epochs, "batch_size": batch_size, "data_root": data_root,
                     "lr": tune.loguniform(1e-4, 1e-1)},
        tune_config=tune.TuneConfig(metric="loss", mode="max", num_samples=num_samples),
        run_config=tune.RunConfig(storage_path=storage_path),
    )
