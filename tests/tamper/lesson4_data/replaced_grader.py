"""A wrong ``overall_accuracy`` that first replaces the grader's own assertions, wherever it can
reach them, with functions that assert nothing."""
BREAKS = ["overall_accuracy_matches"]

import graders.engine.grading.shapes as _shapes  # noqa: E402
import graders.lesson4_data as _grader  # noqa: E402


def _nothing(*args, **kwargs):
    return None


_grader.assert_overall = _grader.AGGREGATES["overall_accuracy"] = _nothing
_grader.assert_summary = _grader.AGGREGATES["label_summary"] = _nothing
_shapes.assert_mnist_normalized = _nothing


def overall_accuracy(ds_preds):
    return 0.5
