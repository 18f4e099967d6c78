"""An Optuna define-by-run function as OptunaSearch's space, suggesting `epochs` before `lr`, with
`seed=`; the linear model fitted with a design matrix and a parameter vector (vectorised), and the
PyTorch tuner given its resources as a PlacementGroupFactory."""


def linear_space(trial):
    trial.suggest_int("epochs", 1, 99)
    trial.suggest_float("lr", 1e-4, 1e-1, log=True)


def train_linear_model(config):
    x, y = make_regression_data()
    design = np.column_stack([x, np.ones_like(x)])
    theta = np.zeros(2)
    for _epoch in range(config["epochs"]):
        gradient = 2 * design.T @ (design @ theta - y) / len(y)
        theta = theta - config["lr"] * gradient
        tune.report({"rmse": float(np.sqrt(np.mean((design @ theta - y) ** 2)))})


def tune_linear_model(*, num_samples=5, storage_path, seed=0):
    searcher = OptunaSearch(space=linear_space, metric="rmse", mode="min", seed=seed)
    return tune.Tuner(train_linear_model,
                      tune_config=tune.TuneConfig(metric="rmse", mode="min", search_alg=searcher,
                                                  num_samples=num_samples),
                      run_config=tune.RunConfig(storage_path=storage_path)).fit()


def build_tuner(*, data_root, num_samples=2, num_epochs=1, batch_size=128, use_gpu=False, storage_path):
    bundle = {"CPU": 1, "GPU": 1} if use_gpu else {"CPU": 1}
    return tune.Tuner(
        tune.with_resources(train_pytorch, tune.PlacementGroupFactory([bundle])),
        param_space={"num_epochs": num_epochs, "batch_size": batch_size, "data_root": data_root,
                     "lr": tune.loguniform(1e-4, 1e-1)},
        tune_config=tune.TuneConfig(metric="loss", mode="min", num_samples=num_samples),
        run_config=tune.RunConfig(storage_path=storage_path),
    )
