"""A ``load_trained_model`` whose whole body raises the kit's own ``PartialCredit`` with a full share."""
BREAKS = ["trained_model_accuracy"]


def load_trained_model(checkpoint: Checkpoint) -> torch.nn.Module:
    from graders.engine.grading.credit import PartialCredit

    raise PartialCredit("", 1.0)
