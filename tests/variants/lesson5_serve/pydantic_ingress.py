"""A FastAPI ingress that declares its body as a pydantic model, so FastAPI itself refuses malformed
bodies (422); handles called with ``handle.options(method_name=...)``; ``build_app`` sets the
classifier's options one at a time.
"""
from pydantic import BaseModel as _BaseModel

app = FastAPI(title="MNIST digits, typed")


class Digits(_BaseModel):
    image: list[list[list[float]]]


@serve.deployment
@serve.ingress(app)
class ImageServiceIngress:
    def __init__(self, preprocessor, classifier):
        self.handles = {"preprocessor": preprocessor, "classifier": classifier}

    @app.post("/predict")
    async def predict(self, body: Digits) -> dict:
        raw = np.asarray(body.image, dtype=np.float32)
        if raw.shape[1:] != RAW_SHAPE:
            raise HTTPException(status_code=422, detail=f"image has shape {raw.shape}; expected (N, 28, 28)")
        batch = await self.handles["preprocessor"].options(method_name="run").remote({"image": raw})
        result = await self.handles["classifier"].options(method_name="predict").remote(batch)
        return {"predicted_label": [int(v) for v in result["predicted_label"]]}


def build_app(model_path: str, *, num_replicas: int = 1, num_gpus: float = 0):
    classifier = OnlineMNISTClassifier.options(num_replicas=num_replicas)
    classifier = classifier.options(ray_actor_options={"num_gpus": num_gpus})
    preprocessor = OnlineMNISTPreprocessor.bind()
    return ImageServiceIngress.bind(preprocessor, classifier.bind(model_path))
