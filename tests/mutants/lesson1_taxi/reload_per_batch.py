"""An ``OfflinePredictor`` that loads the model in ``__call__``: once per batch instead of once per actor.

The answers are right, but every batch pays for reading the checkpoint again: the point of a stateful
actor pool is lost.
"""
BREAKS = ["offline_loads_once"]


class OfflinePredictor:
    def __init__(self, checkpoint):
        self.checkpoint = checkpoint

    def __call__(self, batch):
        model = RayTrainReportCallback.get_model(self.checkpoint)
        out = batch[FEATURE_COLUMNS].copy()
        out["prediction"] = model.predict(xgboost.DMatrix(out))
        return out
