"""OptunaSearch without the seed (`OptunaSearch()`), or with a seed of its own: Optuna chooses the
trials, but another run with the same `seed` argument gives other trials."""

BREAKS = ["tune_linear_optuna"]


def tune_linear_model(*, num_samples: int = 5, storage_path: str, seed: int = 0) -> tune.ResultGrid:
    return tune.Tuner(
        train_linear_model,
        param_space={"lr": tune.loguniform(1e-4, 1e-1), "epochs": tune.randint(1, 100)},
        tune_config=tune.TuneConfig(metric="rmse", mode="min", num_samples=num_samples, search_alg=OptunaSearch(seed=0)),
        run_config=tune.RunConfig(storage_path=storage_path),
    ).fit()
