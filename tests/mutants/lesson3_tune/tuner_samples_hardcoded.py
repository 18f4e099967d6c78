"""``num_samples=3`` written into the tuner, the number of trials of the grader's run, whatever the
caller asks for (seen on a real submission, where it scored full marks): the grader's second call,
never fitted, asks for another number."""

BREAKS = ["tuner_trials"]

_build_tuner = build_tuner


def build_tuner(**kwargs) -> tune.Tuner:
    return _build_tuner(**{**kwargs, "num_samples": 3})
