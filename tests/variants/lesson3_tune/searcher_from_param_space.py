"""The space in Tune's param_space with `epochs` named first, OptunaSearch given the metric and mode
as well as TuneConfig (which then passes them on, the same), the seed through `sampler=`; the
PyTorch tuner written with explicit `{"cpu": 1, "gpu": 0}` and the contract's searcher and scheduler."""

import optuna
from ray.tune.search import BasicVariantGenerator


def tune_linear_model(*, num_samples=5, storage_path, seed=0):
    searcher = OptunaSearch(metric="rmse", mode="min", sampler=optuna.samplers.TPESampler(seed=seed))
    tuner = tune.Tuner(
        train_linear_model,
        param_space={"epochs": tune.randint(1, 100), "lr": tune.loguniform(1e-4, 1e-1)},
        tune_config=tune.TuneConfig(search_alg=searcher, metric="rmse", mode="min", num_samples=num_samples),
        run_config=tune.RunConfig(storage_path=storage_path),
    )
    return tuner.fit()


def build_tuner(*, data_root, num_samples=2, num_epochs=1, batch_size=128, use_gpu=False, storage_path):
    resources = {"cpu": 1, "gpu": 1} if use_gpu else {"cpu": 1, "gpu": 0}
    settings = tune.TuneConfig(metric="loss", mode="min", num_samples=num_samples,
                               search_alg=BasicVariantGenerator(), scheduler=tune.schedulers.FIFOScheduler())
    space = {"lr": tune.loguniform(1e-4, 1e-1), "num_epochs": num_epochs, "batch_size": batch_size,
             "data_root": data_root}
    return tune.Tuner(tune.with_resources(train_pytorch, resources), param_space=space, tune_config=settings,
                      run_config=tune.RunConfig(storage_path=storage_path))
