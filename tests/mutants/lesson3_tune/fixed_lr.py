"""A fixed learning rate where a search space belongs (`"lr": 0.01`): every trial trains at the same
rate, and tuning explores nothing but the number of epochs (nor can Optuna suggest a rate)."""

BREAKS = ["tune_linear_trials", "tune_linear_optuna"]


def tune_linear_model(*, num_samples: int = 5, storage_path: str, seed: int = 0) -> tune.ResultGrid:
    tuner = tune.Tuner(train_linear_model, param_space={"lr": 0.01, "epochs": tune.randint(1, 100)},
                       tune_config=tune.TuneConfig(metric="rmse", mode="min", num_samples=num_samples,
                                                   search_alg=OptunaSearch(seed=seed)),
                       run_config=tune.RunConfig(storage_path=storage_path))
    return tuner.fit()
