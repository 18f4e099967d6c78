"""The tuner keeps its runs where Ray likes (``~/ray_results``) instead of the ``storage_path`` given: a
student who copied the notebook's ``RunConfig()`` without the argument."""
import os

BREAKS = ["tuner_trials"]

_build_tuner = build_tuner


def build_tuner(**kwargs) -> tune.Tuner:
    return _build_tuner(**{**kwargs, "storage_path": os.path.expanduser("~/ray_results")})
