"""Each trial reports its metrics but not its checkpoint: ``tune.report(result.metrics)``.

The metrics alone are enough to rank the trials, so a student may think the checkpoint optional; but then
the best trial's model is lost and ``best_checkpoint`` has nothing to return.
"""
BREAKS = ["tune_trials"]


def tune_max_depth(train_ds, valid_ds, *, num_samples=3, num_workers=1, use_gpu=False, storage_path):
    def fit_one_trial(config):
        trainer = build_trainer(train_ds, valid_ds, params=config["params"], num_workers=num_workers,
                                use_gpu=use_gpu, storage_path=storage_path,
                                name=tune.get_context().get_trial_name())
        tune.report(trainer.fit().metrics)

    tuner = tune.Tuner(
        fit_one_trial,
        param_space={"params": {"max_depth": tune.randint(2, 12)}},
        tune_config=tune.TuneConfig(num_samples=num_samples, metric="valid-logloss", mode="min"),
        run_config=tune.RunConfig(storage_path=storage_path),
    )
    return tuner.fit()
