"""``build_app`` binds the classifier to the model file the grader deploys it with (a student who copied
the path from a message), whatever ``model_path`` it is given."""

import fixtures

_build_app = build_app


def build_app(model_path: str, *, num_replicas: int = 1, num_gpus: float = 0):
    return _build_app(str(fixtures.mnist_model()), num_replicas=num_replicas, num_gpus=num_gpus)


BREAKS = ["build_app_resources"]
