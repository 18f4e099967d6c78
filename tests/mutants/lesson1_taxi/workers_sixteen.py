"""``ScalingConfig(num_workers=16)`` written in, for the student's own 16-core machine: on the grader's
cluster the fit can never be placed. The request must fail within seconds, and cost the checks that judge
the trainer only: the tuning run and the predictors use the grader's own trainer and model.
"""
BREAKS = ["trainer_config", "trainer_logloss", "trainer_checkpoint", "trainer_excludes_label"]


def build_trainer(train_ds, valid_ds, *, params=None, num_boost_round=20, num_workers=2, use_gpu=False,
                  storage_path, name=None):
    params = {"device": "cuda", **(params or {})} if use_gpu else dict(params or {})
    return XGBoostTrainer(
        xgboost_train_loop,
        train_loop_config={"params": params, "num_boost_round": num_boost_round},
        scaling_config=ray.train.ScalingConfig(num_workers=16, use_gpu=use_gpu),
        run_config=ray.train.RunConfig(storage_path=storage_path, name=name),
        datasets={"train": train_ds, "valid": valid_ds},
    )
