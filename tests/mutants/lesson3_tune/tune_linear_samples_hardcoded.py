"""``num_samples=3`` written into the lab's TuneConfig, the number of trials of the grader's run,
whatever the caller gives: the grader's second call asks for another number."""

BREAKS = ["tune_linear_trials"]

_tune_linear_model = tune_linear_model


def tune_linear_model(*, num_samples: int = 5, storage_path: str, seed: int = 0) -> tune.ResultGrid:
    return _tune_linear_model(num_samples=3, storage_path=storage_path, seed=seed)
