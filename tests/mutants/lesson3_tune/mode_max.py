"""`mode="max"` for an error metric: Tune's best trial becomes the one with the highest rmse, the worst,
and Optuna (which takes the tuner's mode) would steer later trials towards worse settings."""

BREAKS = ["tune_linear_best_result", "tune_linear_searcher_goal"]


def tune_linear_model(*, num_samples: int = 5, storage_path: str, seed: int = 0) -> tune.ResultGrid:
    space = {"lr": tune.loguniform(1e-4, 1e-1), "epochs": tune.randint(1, 100)}
    settings = tune.TuneConfig(metric="rmse", mode="max", num_samples=num_samples, search_alg=OptunaSearch(seed=seed))
    return tune.Tuner(train_linear_model, param_space=space, tune_config=settings,
                      run_config=tune.RunConfig(storage_path=storage_path)).fit()
