"""A Serve deployment that lets a bad body crash the handler: Serve answers 500.

Without a ``try``/``except`` around parsing, a body that is not JSON (or lacks a column) raises inside
``__call__``, and the client gets an internal server error instead of a 400 saying what is wrong.
"""
BREAKS = ["online_bad_body"]


class _NoErrorHandling(OnlinePredictor.func_or_class):
    async def __call__(self, request):
        body = await request.json()
        return {"prediction": self.predict(json.loads(body) if isinstance(body, str) else body)}


OnlinePredictor = serve.deployment(name="OnlinePredictor")(_NoErrorHandling)
