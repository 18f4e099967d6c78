"""A ``train_pytorch`` that trains one epoch whatever ``config["num_epochs"]`` says, from a module that
first replaces the grader's assertions, wherever it can reach them, with functions that assert nothing."""
BREAKS = ["train_pytorch_reports_every_epoch"]

import graders.engine.grading.probes as _probes  # noqa: E402
import graders.engine.grading.shapes as _shapes  # noqa: E402
import graders.lesson3_tune as _grader  # noqa: E402


def _nothing(*args, **kwargs):
    return None


_grader.assert_every_epoch = _grader.assert_lr_sampled = _grader.assert_replayed = _nothing
_grader.assert_tuner_settings = _grader.assert_trial_bundle = _grader.assert_lowest_inside = _nothing
_shapes.assert_best_is_lowest = _probes.assert_stored_under = _nothing

_train_pytorch = train_pytorch


def train_pytorch(config: dict) -> None:
    _train_pytorch({**config, "num_epochs": 1})
