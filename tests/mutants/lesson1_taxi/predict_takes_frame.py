"""``predict`` takes a DataFrame, not the list of records the contract names: HTTP works (``__call__``
builds the frame), but a caller of the handle who passes records gets an error.

A student who moves the DataFrame construction into ``__call__`` changes ``predict``'s signature
without noticing that other callers depend on it.
"""
BREAKS = ["online_handle"]


class _PredictTakesFrame(OnlinePredictor.func_or_class):
    async def __call__(self, request):
        try:
            body = await request.json()
            records = json.loads(body) if isinstance(body, str) else body
            return {"prediction": self.predict(pd.DataFrame.from_records(records))}
        except (ValueError, KeyError, TypeError) as exc:
            return JSONResponse({"error": f"{type(exc).__name__}: {exc}"}, status_code=400)

    def predict(self, frame):
        return self.model.predict(xgboost.DMatrix(frame[FEATURE_COLUMNS])).tolist()


OnlinePredictor = serve.deployment(name="OnlinePredictor")(_PredictTakesFrame)
