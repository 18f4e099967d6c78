"""A ``build_composed_app`` whose whole body raises the kit's own ``PartialCredit`` with a full share."""
BREAKS = ["build_composed_app"]


def build_composed_app(model_path: str, *, num_gpus: float = 0):
    from graders.engine.grading.credit import PartialCredit

    raise PartialCredit("", 1.0)
