"""Reports once, after the last epoch (the `report` call outdented out of the epoch loop): the driver
sees no progress while training runs, and no per-epoch checkpoint to resume from. Written as the
reference with every report but the last one dropped."""

BREAKS = ["reports_every_epoch", "loss_falls"]

_reference_loop = train_loop_per_worker


def train_loop_per_worker(config: dict) -> None:
    report, last = ray.train.report, config["num_epochs"] - 1

    def report_last_epoch_only(metrics, checkpoint=None):
        if metrics["epoch"] == last:
            report(metrics, checkpoint=checkpoint)

    ray.train.report = report_last_epoch_only
    _reference_loop(config)
