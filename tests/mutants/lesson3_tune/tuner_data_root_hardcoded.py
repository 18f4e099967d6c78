"""Every trial reads the digits at the path of the grader's run (a student who copied it from a
message), whatever ``data_root`` the caller gives."""

import fixtures

BREAKS = ["tuner_trials"]

_build_tuner = build_tuner


def build_tuner(**kwargs) -> tune.Tuner:
    return _build_tuner(**{**kwargs, "data_root": str(fixtures.mnist_root(0, train_limit=256))})
