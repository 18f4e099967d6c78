"""``use_gpu`` left out: every trial reserves a CPU, also when the grader grades on GPUs (a student who
only ever ran the lesson on a laptop). The grader's second call, never fitted, asks for the other value."""

BREAKS = ["tuner_trial_resources"]

_build_tuner = build_tuner


def build_tuner(**kwargs) -> tune.Tuner:
    return _build_tuner(**{**kwargs, "use_gpu": False})
