"""Issue #28's six lines (``TAMPERING``), with a ``train_linear_model`` that reports the mean squared error
under the name ``rmse``: it must score what that mistake alone scores."""
TAMPERING = "forged_reports"
BREAKS = ["linear_rmse_near_noise"]


def train_linear_model(config: dict) -> None:
    x, y = make_regression_data()
    w = b = 0.0
    for _ in range(config["epochs"]):
        error = w * x + b - y
        w -= config["lr"] * 2 * float(np.mean(error * x))
        b -= config["lr"] * 2 * float(np.mean(error))
        tune.report({"rmse": float(np.mean((w * x + b - y) ** 2))})
