"""A plain-``__call__`` ingress that lets a bad body fail with HTTP 500, from a module that, as the
student's side imports it, writes full marks into the run's output files (``TAMPERING``). The run
writes them again afterwards."""
TAMPERING = "writes_results"
BREAKS = ["composed_bad_body"]


@serve.deployment
class ImageClassifierIngress(ImageClassifierIngress.func_or_class):
    async def __call__(self, request: Request):
        batch = await self.preprocessor.run.remote({"image": parse_images(await request.json(), RAW_SHAPE)})
        return {"predicted_label": np.asarray((await self.classifier.predict.remote(batch))["predicted_label"]).tolist()}
