"""``build_composed_app`` gives the classifier half a GPU, the value of the grader's first inspection,
whatever ``num_gpus`` it is given."""

_build_composed_app = build_composed_app


def build_composed_app(model_path: str, *, num_gpus: float = 0):
    return _build_composed_app(model_path, num_gpus=0.5)


BREAKS = ["build_composed_app"]
