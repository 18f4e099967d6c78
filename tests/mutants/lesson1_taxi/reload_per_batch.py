"""An ``OfflinePredictor`` that loads the model in ``__call__``: once per batch instead of once per actor.

The answers are right, but every batch pays for reading the checkpoint again: the point of a stateful
actor pool is lost.
"""
BREAKS = ["offline_loads_once"]


class OfflinePredictor(OfflinePredictor):
    def __init__(self, checkpoint):
        self.checkpoint = checkpoint

    @property
    def model(self):
        return RayTrainReportCallback.get_model(self.checkpoint)
