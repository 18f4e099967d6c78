"""``num_samples=2`` written into the TuneConfig (a small number for a laptop), whatever the caller asks
for: the grader asks for 2 trials in its run, and sees the other count it asked for ignored.
"""
BREAKS = ["tune_trials"]


def tune_max_depth(train_ds, valid_ds, *, num_samples=3, num_workers=1, use_gpu=False, storage_path):
    def fit_one_trial(config):
        trainer = build_trainer(train_ds, valid_ds, params=config["params"], num_workers=num_workers,
                                use_gpu=use_gpu, storage_path=storage_path,
                                name=tune.get_context().get_trial_name())
        result = trainer.fit()
        tune.report(result.metrics, checkpoint=result.checkpoint)

    tuner = tune.Tuner(
        fit_one_trial,
        param_space={"params": {"max_depth": tune.randint(2, 12)}},
        tune_config=tune.TuneConfig(num_samples=2, metric="valid-logloss", mode="min"),
        run_config=tune.RunConfig(storage_path=storage_path),
    )
    return tuner.fit()
