"""A uniform search space outside the range: `tune.uniform(1, 10)` for the learning rate (exponents
taken for values). Every lr is ten times the largest sensible one or more: Adam diverges."""

BREAKS = ["tuner_trials"]


def build_tuner(*, data_root: str, num_samples: int = 2, num_epochs: int = 1, batch_size: int = 128,
                use_gpu: bool = False, storage_path: str) -> tune.Tuner:
    space = {"num_epochs": num_epochs, "batch_size": batch_size, "data_root": data_root, "lr": tune.uniform(1, 10)}
    return tune.Tuner(tune.with_resources(train_pytorch, {"gpu": 1} if use_gpu else {"cpu": 1}), param_space=space,
                      tune_config=tune.TuneConfig(metric="loss", mode="min", num_samples=num_samples),
                      run_config=tune.RunConfig(storage_path=storage_path))
