"""The plain-``__call__`` ingress reads only a JSON object, as the FastAPI one does.

The course posts ``json=json.dumps({...})``: a JSON string holding the object. A student who copied
the FastAPI ingress's reading answers that form with 400.
"""


@serve.deployment
class ImageClassifierIngress(ImageClassifierIngress.func_or_class):
    async def __call__(self, request: Request):
        try:
            payload = await request.json()
            if not isinstance(payload, dict):
                raise ValueError('expected a JSON object {"image": [...]}')
            raw = parse_images(payload, RAW_SHAPE)
        except ValueError as exc:
            return JSONResponse({"error": str(exc)}, status_code=400)
        batch = await self.preprocessor.run.remote({"image": raw})
        result = await self.classifier.predict.remote(batch)
        return {"predicted_label": np.asarray(result["predicted_label"]).tolist()}


BREAKS = ["composed_json_string"]
