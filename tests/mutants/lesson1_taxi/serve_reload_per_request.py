"""A deployment that keeps the checkpoint and loads the booster on every request.

Right answers, but each request pays for reading the model again, and a replica breaks as soon as the
checkpoint it was deployed from moves or is cleaned up.
"""
BREAKS = ["online_loads_once"]


class _ReloadPerRequest(OnlinePredictor.func_or_class):
    def __init__(self, checkpoint):
        self.checkpoint = checkpoint

    @property
    def model(self):
        return RayTrainReportCallback.get_model(self.checkpoint)


OnlinePredictor = serve.deployment(name="OnlinePredictor")(_ReloadPerRequest)
