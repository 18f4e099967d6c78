"""Reports the mean squared error under the name `rmse` (the square root forgotten): the numbers
still fall, but are not the rmse: below the noise level no line can beat."""

BREAKS = ["linear_rmse_near_noise"]


def train_linear_model(config: dict) -> None:
    x, y = make_regression_data()
    w = b = 0.0
    for _ in range(config["epochs"]):
        error = w * x + b - y
        w -= config["lr"] * 2 * float(np.mean(error * x))
        b -= config["lr"] * 2 * float(np.mean(error))
        tune.report({"rmse": float(np.mean((w * x + b - y) ** 2))})
