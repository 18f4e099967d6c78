"""Other ways to read a request and to shape a batch: ``await request.body()`` with ``json.loads``, a
frame built with ``pandas.DataFrame(records)``, ``DataFrame.assign`` in the offline predictor, and
``select_columns`` instead of dropping the label.

How students differ from the reference: they read the raw body and decode it themselves (twice when the
course posts a JSON string); they answer with ``starlette``'s JSONResponse for success too; they select
the features to keep rather than the label to drop; they predict with numpy arrays.
"""
import io as _io


class OfflinePredictor:
    def __init__(self, checkpoint):
        self.booster = RayTrainReportCallback.get_model(checkpoint)

    def __call__(self, batch):
        features = batch[FEATURE_COLUMNS]
        return features.assign(prediction=self.booster.predict(xgboost.DMatrix(features.to_numpy(),
                                                                                 feature_names=FEATURE_COLUMNS)))


def predict_offline(checkpoint, ds, *, concurrency=2, batch_size=None):
    features = ds.select_columns(FEATURE_COLUMNS)
    return features.map_batches(OfflinePredictor, fn_constructor_kwargs=dict(checkpoint=checkpoint),
                                batch_size=batch_size, batch_format="pandas",
                                compute=ray.data.ActorPoolStrategy(min_size=concurrency, max_size=concurrency))


@serve.deployment
class OnlinePredictor:
    def __init__(self, checkpoint):
        self.booster = RayTrainReportCallback.get_model(checkpoint)

    async def __call__(self, request):
        raw = await request.body()
        try:
            body = json.loads(raw)
            while isinstance(body, str):
                body = json.loads(body)
            return JSONResponse({"prediction": self.predict(body)})
        except Exception as exc:  # any unreadable body is the client's mistake
            return JSONResponse({"error": repr(exc)}, status_code=400)

    def predict(self, records):
        frame = pd.DataFrame(records)
        if frame.empty or not set(FEATURE_COLUMNS) <= set(frame.columns):
            raise ValueError(f"need records with {FEATURE_COLUMNS}")
        values = frame[FEATURE_COLUMNS].to_numpy(dtype=float)
        return [float(p) for p in self.booster.predict(xgboost.DMatrix(values, feature_names=FEATURE_COLUMNS))]
