"""The label left among the features: the model learns from the answer it should predict.

A student who builds the DMatrix from the whole frame (``DMatrix(frame, label=frame[LABEL_COLUMN])``)
trains on ``is_big_tip`` itself: a near-zero validation loss, and a model that needs the label to predict.
"""
BREAKS = ["trainer_excludes_label", "trainer_logloss"]


def xgboost_train_loop(config):
    def dmatrix(name):
        frame = ray.train.get_dataset_shard(name).materialize().to_pandas()
        return xgboost.DMatrix(frame, label=frame[LABEL_COLUMN])

    dtrain, dvalid = dmatrix("train"), dmatrix("valid")
    params = {"objective": "binary:logistic", "eval_metric": ["logloss", "error"], **config["params"]}
    xgboost.train(params, dtrain, num_boost_round=config["num_boost_round"],
                  evals=[(dtrain, "train"), (dvalid, "valid")], callbacks=[RayTrainReportCallback()])
