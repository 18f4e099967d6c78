"""``predict`` takes a DataFrame, not the list of records the contract names: HTTP works (``__call__``
builds the frame), but a caller of the handle who passes records gets an error.

A student who moves the DataFrame construction into ``__call__`` changes ``predict``'s signature
without noticing that other callers depend on it.
"""
BREAKS = ["online_handle"]


@serve.deployment
class OnlinePredictor:
    def __init__(self, checkpoint):
        self.model = RayTrainReportCallback.get_model(checkpoint)

    async def __call__(self, request):
        try:
            body = await request.json()
            if isinstance(body, str):
                body = json.loads(body)
            if not isinstance(body, list) or not all(isinstance(r, dict) for r in body):
                raise TypeError("expected a list of records (JSON objects)")
            return {"prediction": self.predict(pd.DataFrame.from_records(body))}
        except (ValueError, KeyError, TypeError) as exc:
            return JSONResponse({"error": f"{type(exc).__name__}: {exc}"}, status_code=400)

    def predict(self, frame):
        return self.model.predict(xgboost.DMatrix(frame[FEATURE_COLUMNS])).tolist()
