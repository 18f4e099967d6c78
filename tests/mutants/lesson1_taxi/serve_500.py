"""A Serve deployment that lets a bad body crash the handler: Serve answers 500.

Without a ``try``/``except`` around parsing, a body that is not JSON (or lacks a column) raises inside
``__call__``, and the client gets an internal server error instead of a 400 saying what is wrong.
"""
BREAKS = ["online_bad_body"]


@serve.deployment
class OnlinePredictor:
    def __init__(self, checkpoint):
        self.model = RayTrainReportCallback.get_model(checkpoint)

    async def __call__(self, request):
        body = await request.json()
        if isinstance(body, str):
            body = json.loads(body)
        return {"prediction": self.predict(body)}

    def predict(self, records):
        frame = pd.DataFrame.from_records(records)
        return self.model.predict(xgboost.DMatrix(frame[FEATURE_COLUMNS])).tolist()
