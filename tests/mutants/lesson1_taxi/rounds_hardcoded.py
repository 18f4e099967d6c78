"""``num_boost_round=20`` written into the trainer's config (the contract's default), whatever the caller
asked for: the checkpoint's model has the wrong number of rounds, and its loss is not the one plain XGBoost
reaches in the rounds asked for.
"""
BREAKS = ["trainer_logloss", "trainer_checkpoint"]


def build_trainer(train_ds, valid_ds, *, params=None, num_boost_round=20, num_workers=2, use_gpu=False,
                  storage_path, name=None):
    params = {"device": "cuda", **(params or {})} if use_gpu else dict(params or {})
    return XGBoostTrainer(
        xgboost_train_loop,
        train_loop_config={"params": params, "num_boost_round": 20},
        scaling_config=ray.train.ScalingConfig(num_workers=num_workers, use_gpu=use_gpu),
        run_config=ray.train.RunConfig(storage_path=storage_path, name=name),
        datasets={"train": train_ds, "valid": valid_ds},
    )
