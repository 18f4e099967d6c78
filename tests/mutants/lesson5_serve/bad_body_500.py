"""Bodies are parsed without catching errors, as the course notebook did: a bad body becomes HTTP 500.

``json.loads(await request.json())`` raises on anything unexpected; Serve answers an unhandled
exception with 500, blaming the server for the client's mistake.
"""
app = FastAPI()


def parse_unchecked(payload) -> np.ndarray:
    if isinstance(payload, str):
        payload = json.loads(payload)
    return np.asarray(payload["image"], dtype=np.float32)


@serve.deployment
class OnlineMNISTClassifier(OnlineMNISTClassifier.func_or_class):
    async def __call__(self, request: Request):
        result = await self.predict({"image": parse_unchecked(await request.json())})
        return {"predicted_label": result["predicted_label"].tolist()}


@serve.deployment
@serve.ingress(app)
class ImageServiceIngress:
    def __init__(self, preprocessor, classifier):
        self.preprocessor, self.classifier = preprocessor, classifier

    @app.post("/predict")
    async def predict(self, request: Request) -> dict:
        batch = await self.preprocessor.run.remote({"image": parse_unchecked(await request.json())})
        result = await self.classifier.predict.remote(batch)
        return {"predicted_label": np.asarray(result["predicted_label"]).tolist()}


@serve.deployment
class ImageClassifierIngress(ImageClassifierIngress.func_or_class):
    async def __call__(self, request: Request):
        batch = await self.preprocessor.run.remote({"image": parse_unchecked(await request.json())})
        result = await self.classifier.predict.remote(batch)
        return {"predicted_label": np.asarray(result["predicted_label"]).tolist()}


BREAKS = ["classifier_bad_body", "ingress_bad_body", "composed_bad_body"]
