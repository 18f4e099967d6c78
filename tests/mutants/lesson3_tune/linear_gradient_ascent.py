"""The gradient added instead of subtracted (`w += lr * grad`): each step climbs the error, which
grows every epoch and never gets near the noise."""

BREAKS = ["linear_rmse_falls", "linear_rmse_near_noise"]


def train_linear_model(config: dict) -> None:
    x, y = make_regression_data()
    w = b = 0.0
    for _ in range(config["epochs"]):
        error = w * x + b - y
        w += config["lr"] * 2 * float(np.mean(error * x))
        b += config["lr"] * 2 * float(np.mean(error))
        tune.report({"rmse": float(np.sqrt(np.mean((w * x + b - y) ** 2)))})
