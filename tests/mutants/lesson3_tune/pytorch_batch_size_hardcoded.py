"""``train_pytorch`` loads batches of 64, the size of the grader's first config, whatever
``config["batch_size"]`` says."""

BREAKS = ["train_pytorch_follows_config"]

_train_pytorch = train_pytorch


def train_pytorch(config: dict) -> None:
    _train_pytorch({**config, "batch_size": 64})
