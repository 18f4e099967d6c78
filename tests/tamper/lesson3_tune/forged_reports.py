"""Issue #28's six lines (``TAMPERING``), with a ``train_linear_model`` that steps at lr 0.1 whatever
``config["lr"]`` says: it must score what that mistake alone scores."""
TAMPERING = "forged_reports"
BREAKS = ["linear_rmse_near_noise"]

_train_linear_model = train_linear_model


def train_linear_model(config: dict) -> None:
    _train_linear_model({**config, "lr": 0.1})
