"""``1 - p``: the probability of the other class (no big tip) reported as the prediction.

``binary:logistic`` already predicts P(label is True); flipping it turns a good model into a bad one,
in the predictor itself, in ``predict_offline`` (which runs it) and on other trips.
"""
BREAKS = ["offline_predictor", "offline_auc", "offline_other_rows"]


class OfflinePredictor(OfflinePredictor):
    def __call__(self, batch):
        out = super().__call__(batch)
        out["prediction"] = 1 - out["prediction"]
        return out
