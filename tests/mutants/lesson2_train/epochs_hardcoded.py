"""The course's two epochs written in (``range(2)``), whatever ``config["num_epochs"]`` says: a caller
asking for another number of epochs gets two reports."""

BREAKS = ["reports_every_epoch"]

_reference_loop = train_loop_per_worker


def train_loop_per_worker(config: dict) -> None:
    _reference_loop({**config, "num_epochs": 2})
