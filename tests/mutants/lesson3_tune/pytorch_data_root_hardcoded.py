"""``train_pytorch`` reads the digits at the path of the grader's first config (a student who copied it
from a message), whatever ``config["data_root"]`` says: the grader's second config names another root,
with another number of digits."""

import fixtures

BREAKS = ["train_pytorch_follows_config"]

_train_pytorch = train_pytorch


def train_pytorch(config: dict) -> None:
    _train_pytorch({**config, "data_root": str(fixtures.mnist_root(0, train_limit=256))})
