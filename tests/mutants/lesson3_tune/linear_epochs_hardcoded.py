"""``train_linear_model`` runs the 50 epochs of the grader's first config, whatever ``config["epochs"]``
says (a student who copied the count from the grader's message): the grader's second config asks for
another count, and gets 50 reports."""

BREAKS = ["linear_reports_every_epoch"]

_train_linear_model = train_linear_model


def train_linear_model(config: dict) -> None:
    _train_linear_model({**config, "epochs": 50})
