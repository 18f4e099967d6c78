"""A ``best_checkpoint`` whose whole body raises the kit's own ``PartialCredit`` with a full share."""
BREAKS = ["best_checkpoint"]


def best_checkpoint(results):
    from graders.engine.grading.credit import PartialCredit

    raise PartialCredit("", 1.0)
