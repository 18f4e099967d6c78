"""A service that always decodes the body a second time (``json.loads(await request.json())``): only the
course's JSON string of records works; a plain list of records is refused.

A student who tested only the notebook's way of posting assumes every body is a string.
"""
BREAKS = ["online_records"]


@serve.deployment
class OnlinePredictor:
    def __init__(self, checkpoint):
        self.model = RayTrainReportCallback.get_model(checkpoint)

    async def __call__(self, request):
        try:
            return {"prediction": self.predict(json.loads(await request.json()))}
        except (ValueError, KeyError, TypeError) as exc:
            return JSONResponse({"error": f"{type(exc).__name__}: {exc}"}, status_code=400)

    def predict(self, records):
        if not isinstance(records, list) or not all(isinstance(r, dict) for r in records):
            raise TypeError("expected a list of records (JSON objects)")
        frame = pd.DataFrame.from_records(records)
        return self.model.predict(xgboost.DMatrix(frame[FEATURE_COLUMNS])).tolist()
