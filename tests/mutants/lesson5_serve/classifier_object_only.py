"""The classifier's ``__call__`` reads only a JSON object: the course's JSON-string body gets 400.

A student who tested with ``json={"image": ...}`` never saw the form the course posts,
``json=json.dumps({...})``.
"""


@serve.deployment
class OnlineMNISTClassifier(OnlineMNISTClassifier.func_or_class):
    async def __call__(self, request: Request):
        try:
            payload = await request.json()
            if not isinstance(payload, dict):
                raise ValueError('expected a JSON object {"image": [...]}')
            images = parse_images(payload, IMAGE_SHAPE)
        except ValueError as exc:
            return JSONResponse({"error": str(exc)}, status_code=400)
        result = await self.predict({"image": images})
        return {"predicted_label": result["predicted_label"].tolist()}


BREAKS = ["classifier_http_json_string"]
