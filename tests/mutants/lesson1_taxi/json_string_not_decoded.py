"""A service that reads ``await request.json()`` and stops there: the course's body, a JSON string of
records, reaches ``predict`` as a ``str``.

``requests.post(url, json=df.to_json(orient="records"))`` encodes the JSON text a second time; a student
who tested only with a list of records never sees it, and every such request is refused.
"""
BREAKS = ["online_json_string", "online_other_rows"]


@serve.deployment
class OnlinePredictor:
    def __init__(self, checkpoint):
        self.model = RayTrainReportCallback.get_model(checkpoint)

    async def __call__(self, request):
        try:
            return {"prediction": self.predict(await request.json())}
        except (ValueError, KeyError, TypeError) as exc:
            return JSONResponse({"error": f"{type(exc).__name__}: {exc}"}, status_code=400)

    def predict(self, records):
        if not isinstance(records, list) or not all(isinstance(r, dict) for r in records):
            raise TypeError("expected a list of records (JSON objects)")
        frame = pd.DataFrame.from_records(records)
        return self.model.predict(xgboost.DMatrix(frame[FEATURE_COLUMNS])).tolist()
