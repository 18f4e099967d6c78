"""build_tuner runs the tuning itself and returns `tuner.fit()`, as the notebook's cell did in one
go: the caller can no longer choose when to run it (nor restore or inspect it first)."""

BREAKS = ["tuner_not_run"]

_build_tuner = build_tuner


def build_tuner(**kwargs):
    return _build_tuner(**kwargs).fit()
