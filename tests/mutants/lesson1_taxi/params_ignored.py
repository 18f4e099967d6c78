"""The training loop ignores ``config["params"]``: every fit runs with XGBoost's default parameters.

A student who writes the objective and metrics into the loop and forgets to merge the caller's params
trains the same trees whatever the caller asked for: the fit's loss is off and its trees are deeper than
``max_depth``. The tuning run fits the grader's own trainer, so the mistake costs the trainer's checks only.
"""
BREAKS = ["trainer_logloss", "trainer_checkpoint"]


def xgboost_train_loop(config):
    def dmatrix(name):
        frame = ray.train.get_dataset_shard(name).materialize().to_pandas()
        return xgboost.DMatrix(frame[FEATURE_COLUMNS], label=frame[LABEL_COLUMN])

    dtrain, dvalid = dmatrix("train"), dmatrix("valid")
    params = {"objective": "binary:logistic", "eval_metric": ["logloss", "error"]}
    xgboost.train(params, dtrain, num_boost_round=config["num_boost_round"],
                  evals=[(dtrain, "train"), (dvalid, "valid")], callbacks=[RayTrainReportCallback()])
