"""The plain-``__call__`` ingress hands the classifier raw 0..255 pixels, skipping the preprocessor.

It still answers 200 with labels; only the labels show that the preprocessor was never called.
"""


@serve.deployment
class ImageClassifierIngress:
    def __init__(self, preprocessor, classifier):
        self.classifier = classifier

    async def __call__(self, request: Request):
        try:
            raw = parse_images(await request.json(), RAW_SHAPE)
        except ValueError as exc:
            return JSONResponse({"error": str(exc)}, status_code=400)
        result = await self.classifier.predict.remote({"image": raw[:, None, :, :]})
        return {"predicted_label": np.asarray(result["predicted_label"]).tolist()}


BREAKS = ["composed_predicts", "composed_json_string"]
