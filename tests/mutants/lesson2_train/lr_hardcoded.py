"""Adam's usual learning rate written in (``lr=1e-3``), whatever ``config["lr"]`` says: the caller (or
Tune) can no longer choose it. Training still works, so only the learning rate's own check sees it."""

BREAKS = ["loss_falls"]

_reference_loop = train_loop_per_worker


def train_loop_per_worker(config: dict) -> None:
    _reference_loop({**config, "lr": 1e-3})
