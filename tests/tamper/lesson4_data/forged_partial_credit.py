"""An ``add_label`` whose whole body raises the kit's own ``PartialCredit`` with a full share."""
BREAKS = ["add_label_from_folder"]


def add_label(batch):
    from graders.engine.grading.credit import PartialCredit

    raise PartialCredit("", 1.0)
