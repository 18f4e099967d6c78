"""A service that reads ``await request.json()`` and stops there: the course's body, a JSON string of
records, reaches ``predict`` as a ``str``.

``requests.post(url, json=df.to_json(orient="records"))`` encodes the JSON text a second time; a student
who tested only with a list of records never sees it, and every such request is refused.
"""
BREAKS = ["online_json_string", "online_other_rows"]


class _NoSecondDecode(OnlinePredictor.func_or_class):
    async def __call__(self, request):
        try:
            return {"prediction": self.predict(await request.json())}
        except (ValueError, KeyError, TypeError) as exc:
            return JSONResponse({"error": f"{type(exc).__name__}: {exc}"}, status_code=400)


OnlinePredictor = serve.deployment(name="OnlinePredictor")(_NoSecondDecode)
