"""The tuner keeps its runs where Ray likes (``~/ray_results``) instead of the ``storage_path`` given:
a student who copied the notebook's ``RunConfig()`` without the argument. On a cluster the grader
would then find nothing where it looks."""

BREAKS = ["tune_linear_trials"]


def tune_linear_model(*, num_samples=5, storage_path, seed=0):
    tuner = tune.Tuner(
        train_linear_model,
        param_space={"lr": tune.loguniform(1e-4, 1e-1), "epochs": tune.randint(1, 100)},
        tune_config=tune.TuneConfig(metric="rmse", mode="min", num_samples=num_samples,
                                    search_alg=OptunaSearch(seed=seed)),
    )
    return tuner.fit()
