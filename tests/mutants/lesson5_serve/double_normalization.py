"""The classifier's HTTP endpoint normalizes what it is posted, as if it received raw pixels.

A student unsure which deployment normalizes does it in both: the posted images are already in
[-1, 1], so the model sees a nearly blank image and answers one label for every digit.
"""


@serve.deployment
class OnlineMNISTClassifier(OnlineMNISTClassifier.func_or_class):
    async def __call__(self, request: Request):
        try:
            images = parse_images(await request.json(), IMAGE_SHAPE)
        except ValueError as exc:
            return JSONResponse({"error": str(exc)}, status_code=400)
        result = await self.predict({"image": (images / 255.0 - 0.5) / 0.5})
        return {"predicted_label": result["predicted_label"].tolist()}


BREAKS = ["classifier_http", "classifier_http_json_string"]
