"""``train_linear_model`` steps at lr 0.1, the rate of the grader's first config, whatever ``config["lr"]``
says: the line still reaches the noise, but tuning ``lr`` changes nothing. At the grader's second, small
rate the rmse falls far faster than that rate allows."""

BREAKS = ["linear_rmse_near_noise"]

_train_linear_model = train_linear_model


def train_linear_model(config: dict) -> None:
    _train_linear_model({**config, "lr": 0.1})
