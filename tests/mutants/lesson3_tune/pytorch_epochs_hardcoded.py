"""``train_pytorch`` trains two epochs, the number of the grader's first config, whatever
``config["num_epochs"]`` says: the grader's second config asks for another number."""

BREAKS = ["train_pytorch_reports_every_epoch"]

_train_pytorch = train_pytorch


def train_pytorch(config: dict) -> None:
    _train_pytorch({**config, "num_epochs": 2})
