"""``build_composed_app`` binds the classifier without its GPUs: ``num_gpus`` is taken and dropped.

On a GPU cluster the composed app's classifier then runs on the CPU.
"""


def build_composed_app(model_path: str, *, num_gpus: float = 0):
    return ImageClassifierIngress.bind(OnlineMNISTPreprocessor.bind(), OnlineMNISTClassifier.bind(model_path))


BREAKS = ["build_composed_app"]
