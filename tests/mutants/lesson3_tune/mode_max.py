"""`mode="max"` for an error metric: Tune's best trial becomes the one with the highest rmse, the worst."""

BREAKS = ["tune_linear_best_result"]


def tune_linear_model(*, num_samples: int = 5, storage_path: str) -> tune.ResultGrid:
    space = {"lr": tune.loguniform(1e-4, 1e-1), "epochs": tune.randint(1, 100)}
    settings = tune.TuneConfig(metric="rmse", mode="max", num_samples=num_samples)
    return tune.Tuner(train_linear_model, param_space=space, tune_config=settings,
                      run_config=tune.RunConfig(storage_path=storage_path)).fit()
