"""``build_app`` binds the classifier with no GPU, the value the grader deploys with on a CPU machine,
whatever ``num_gpus`` it is given: on a GPU cluster the classifier would run on the CPU."""


def build_app(model_path: str, *, num_replicas: int = 1, num_gpus: float = 0):
    classifier = OnlineMNISTClassifier.options(num_replicas=num_replicas).bind(model_path)
    return ImageServiceIngress.bind(OnlineMNISTPreprocessor.bind(), classifier)


BREAKS = ["build_app_resources"]
