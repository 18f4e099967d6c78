"""The ingress skips the preprocessor and hands the classifier raw 0..255 pixels.

The composed app still answers 200, so only the labels show that the preprocessor was never called.
"""
app = FastAPI()


@serve.deployment
@serve.ingress(app)
class ImageServiceIngress:
    def __init__(self, preprocessor, classifier):
        self.classifier = classifier

    @app.post("/predict")
    async def predict(self, request: Request) -> dict:
        try:
            raw = parse_images(await request.json(), RAW_SHAPE)
        except ValueError as exc:
            raise HTTPException(status_code=400, detail=str(exc)) from None
        result = await self.classifier.predict.remote({"image": raw[:, None, :, :]})
        return {"predicted_label": np.asarray(result["predicted_label"]).tolist()}


BREAKS = ["ingress_predicts", "ingress_other_digits"]
