"""OptunaSearch holding the search space itself (Tune's domains), with its own metric and mode and a
seeded TPESampler, wrapped in a ConcurrencyLimiter; TuneConfig repeats the metric and mode. The PyTorch
tuner asks half a core per trial (`{"cpu": 0.5}`) and leaves Tune's default searcher and scheduler."""

import optuna
from ray.tune.search import ConcurrencyLimiter


def tune_linear_model(*, num_samples=5, storage_path, seed=0):
    space = {"lr": tune.loguniform(1e-4, 1e-1), "epochs": tune.randint(1, 100)}
    searcher = OptunaSearch(space, metric="rmse", mode="min", sampler=optuna.samplers.TPESampler(seed=seed))
    config = tune.TuneConfig(search_alg=ConcurrencyLimiter(searcher, max_concurrent=2), metric="rmse",
                             mode="min", num_samples=num_samples)
    return tune.Tuner(train_linear_model, tune_config=config,
                      run_config=tune.RunConfig(storage_path=storage_path)).fit()


def build_tuner(*, data_root, num_samples=2, num_epochs=1, batch_size=128, use_gpu=False, storage_path):
    trainable = tune.with_resources(train_pytorch, {"gpu": 1} if use_gpu else {"cpu": 0.5})
    space = {"lr": tune.loguniform(1e-4, 1e-1), "data_root": data_root, "batch_size": batch_size,
             "num_epochs": num_epochs}
    return tune.Tuner(trainable, param_space=space,
                      tune_config=tune.TuneConfig(num_samples=num_samples, mode="min", metric="loss"),
                      run_config=tune.RunConfig(storage_path=storage_path))
