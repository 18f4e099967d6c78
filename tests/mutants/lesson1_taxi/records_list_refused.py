"""A service that always decodes the body a second time (``json.loads(await request.json())``): only the
course's JSON string of records works; a plain list of records is refused.

A student who tested only the notebook's way of posting assumes every body is a string.
"""
BREAKS = ["online_records"]


class _AlwaysDecodeTwice(OnlinePredictor.func_or_class):
    async def __call__(self, request):
        try:
            return {"prediction": self.predict(json.loads(await request.json()))}
        except (ValueError, KeyError, TypeError) as exc:
            return JSONResponse({"error": f"{type(exc).__name__}: {exc}"}, status_code=400)


OnlinePredictor = serve.deployment(name="OnlinePredictor")(_AlwaysDecodeTwice)
