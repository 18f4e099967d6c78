"""An ``autoscaling_config`` that caps the classifier at one replica, from a module that first replaces
the grader's assertions, wherever it can reach them, with functions that assert nothing."""
BREAKS = ["autoscaling_adds_replicas"]

import graders.engine.grading.shapes as _shapes  # noqa: E402
import graders.lesson5_serve as _grader  # noqa: E402


def _nothing(*args, **kwargs):
    return None


_grader.assert_labels = _grader.assert_answer = _grader.assert_composition = _nothing
_grader.outdated_settings = lambda config: []
_shapes.assert_mnist_normalized = _shapes.assert_bad_bodies_refused = _shapes.assert_survives_removal = _nothing


def autoscaling_config(*, min_replicas: int = 1, max_replicas: int = 2) -> dict:
    return {"min_replicas": min_replicas, "initial_replicas": min_replicas, "max_replicas": 1,
            "target_ongoing_requests": 2, "upscale_delay_s": 1, "look_back_period_s": 12}
