"""``predict_offline`` keeps the label, and the predictor returns every column it was given.

A student who predicts from the feature columns but returns the whole batch, and skips the drop in
``predict_offline``, ships the answer (``is_big_tip``) beside each prediction: batch inference must run
on data without labels.
"""
BREAKS = ["offline_rows"]


class OfflinePredictor:
    def __init__(self, checkpoint):
        self.model = RayTrainReportCallback.get_model(checkpoint)

    def __call__(self, batch):
        out = batch.copy()
        out["prediction"] = self.model.predict(xgboost.DMatrix(batch[FEATURE_COLUMNS]))
        return out


def predict_offline(checkpoint, ds, *, concurrency=2, batch_size=None):
    return ds.map_batches(OfflinePredictor, fn_constructor_kwargs={"checkpoint": checkpoint},
                          batch_format="pandas", batch_size=batch_size,
                          compute=ray.data.ActorPoolStrategy(size=concurrency))
