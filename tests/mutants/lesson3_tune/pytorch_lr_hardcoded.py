"""``train_pytorch`` trains at Adam's usual 1e-3, the rate of the grader's first config, whatever
``config["lr"]`` says: every trial of a tuner trains at the same rate, and tuning ``lr`` tunes nothing."""

BREAKS = ["train_pytorch_follows_config"]

_train_pytorch = train_pytorch


def train_pytorch(config: dict) -> None:
    _train_pytorch({**config, "lr": 1e-3})
