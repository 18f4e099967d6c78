"""``OptunaSearch(seed=10)``, the seed of the grader's run written in (a student who read it in a failing
check's message), whatever ``seed`` the caller gives: the grader's second call, with another seed, is
suggested the first call's settings."""

BREAKS = ["tune_linear_optuna"]

_tune_linear_model = tune_linear_model


def tune_linear_model(*, num_samples: int = 5, storage_path: str, seed: int = 0) -> tune.ResultGrid:
    return _tune_linear_model(num_samples=num_samples, storage_path=storage_path, seed=10)
