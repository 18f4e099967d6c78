"""Each trial reports its metrics but not its checkpoint: ``tune.report(result.metrics)``.

The metrics alone are enough to rank the trials, so a student may think the checkpoint optional; but then
the best trial's model is lost and ``best_checkpoint`` has nothing to return.
"""
BREAKS = ["tune_trials"]


def tune_max_depth(train_ds, valid_ds, *, num_samples=3, num_workers=1, use_gpu=False, storage_path):
    def metrics_only(config):
        params = {"max_depth": config["max_depth"]}
        fit = build_trainer(train_ds, valid_ds, params=params, num_workers=num_workers, use_gpu=use_gpu,
                            storage_path=storage_path, name=f"depth-{tune.get_context().get_trial_id()}").fit()
        tune.report(fit.metrics)

    config = tune.TuneConfig(mode="min", metric="valid-logloss", num_samples=num_samples)
    space = {"max_depth": tune.randint(2, 12)}
    return tune.Tuner(metrics_only, param_space=space, tune_config=config,
                      run_config=tune.RunConfig(storage_path=storage_path)).fit()
