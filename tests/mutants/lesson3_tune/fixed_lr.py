"""A fixed learning rate where a search space belongs (`"lr": 0.01`): every trial trains at the same
rate, and tuning explores nothing but the number of epochs."""

BREAKS = ["tune_linear_trials"]


def tune_linear_model(*, num_samples: int = 5, storage_path: str) -> tune.ResultGrid:
    tuner = tune.Tuner(train_linear_model, param_space={"lr": 0.01, "epochs": tune.randint(1, 100)},
                       tune_config=tune.TuneConfig(metric="rmse", mode="min", num_samples=num_samples),
                       run_config=tune.RunConfig(storage_path=storage_path))
    return tuner.fit()
