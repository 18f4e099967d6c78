"""Creates the torchmetrics metrics once and never resets them, as the course's own solution to the
activity does: each epoch's accuracy and AUROC then also count every earlier epoch's batches, so the
later epochs' values lag behind what the model does now. Written as the reference with `reset`
doing nothing."""

BREAKS = ["reports_epoch_metrics"]

_reference_loop = train_loop_per_worker


def train_loop_per_worker(config: dict) -> None:
    import torchmetrics

    torchmetrics.Metric.reset = lambda metric: None  # the states keep growing across epochs
    _reference_loop(config)
