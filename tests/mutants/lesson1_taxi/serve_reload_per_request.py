"""A deployment that keeps the checkpoint and loads the booster on every request.

Right answers, but each request pays for reading the model again, and a replica breaks as soon as the
checkpoint it was deployed from moves or is cleaned up.
"""
BREAKS = ["online_loads_once"]


@serve.deployment
class OnlinePredictor:
    def __init__(self, checkpoint):
        self.checkpoint = checkpoint

    async def __call__(self, request):
        try:
            body = await request.json()
            if isinstance(body, str):
                body = json.loads(body)
            return {"prediction": self.predict(body)}
        except (ValueError, KeyError, TypeError) as exc:
            return JSONResponse({"error": f"{type(exc).__name__}: {exc}"}, status_code=400)

    def predict(self, records):
        if not isinstance(records, list) or not all(isinstance(r, dict) for r in records):
            raise TypeError("expected a list of records (JSON objects)")
        model = RayTrainReportCallback.get_model(self.checkpoint)
        frame = pd.DataFrame.from_records(records)
        return model.predict(xgboost.DMatrix(frame[FEATURE_COLUMNS])).tolist()
