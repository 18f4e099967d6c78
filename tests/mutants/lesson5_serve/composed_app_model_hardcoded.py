"""``build_composed_app`` binds the classifier to the course's model file (a student who copied the path
the grader deploys with), whatever ``model_path`` it is given."""

import fixtures

_build_composed_app = build_composed_app


def build_composed_app(model_path: str, *, num_gpus: float = 0):
    return _build_composed_app(str(fixtures.mnist_model()), num_gpus=num_gpus)


BREAKS = ["build_composed_app"]
