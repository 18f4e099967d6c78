"""OptunaSearch given its own space with `mode="max"` while TuneConfig says "min": Tune's best result
is right, but Optuna believes the highest rmse is best and would steer later trials towards the
worst settings. A student who copied an accuracy example's searcher."""

import optuna

BREAKS = ["tune_linear_searcher_goal"]


def tune_linear_model(*, num_samples: int = 5, storage_path: str, seed: int = 0) -> tune.ResultGrid:
    space = {"lr": tune.loguniform(1e-4, 1e-1), "epochs": tune.randint(1, 100)}
    searcher = OptunaSearch(space, metric="rmse", mode="max", sampler=optuna.samplers.TPESampler(seed=seed))
    return tune.Tuner(train_linear_model,
                      tune_config=tune.TuneConfig(metric="rmse", mode="min", num_samples=num_samples,
                                                  search_alg=searcher),
                      run_config=tune.RunConfig(storage_path=storage_path)).fit()
