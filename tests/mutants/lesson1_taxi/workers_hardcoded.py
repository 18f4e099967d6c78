"""``ScalingConfig(num_workers=2)`` written in, as the course's notebook had it: the caller's count is ignored.

The grader (or an instructor's cluster) chooses the resources; a hard-coded count runs too many workers
on a laptop and too few on a cluster.
"""
BREAKS = ["trainer_config"]


def build_trainer(train_ds, valid_ds, *, params=None, num_boost_round=20, num_workers=2, use_gpu=False,
                  storage_path, name=None):
    params = {"device": "cuda", **(params or {})} if use_gpu else dict(params or {})
    return XGBoostTrainer(
        xgboost_train_loop,
        train_loop_config={"params": params, "num_boost_round": num_boost_round},
        scaling_config=ray.train.ScalingConfig(num_workers=2, use_gpu=use_gpu),
        run_config=ray.train.RunConfig(storage_path=storage_path, name=name),
        datasets={"train": train_ds, "valid": valid_ds},
    )
