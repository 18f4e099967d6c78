"""``build_app`` gives the classifier its GPUs but not its ``num_replicas``: one replica, whatever was asked."""


def build_app(model_path: str, *, num_replicas: int = 1, num_gpus: float = 0):
    classifier = OnlineMNISTClassifier.options(ray_actor_options={"num_gpus": num_gpus}).bind(model_path)
    return ImageServiceIngress.bind(OnlineMNISTPreprocessor.bind(), classifier)


BREAKS = ["build_app_resources"]
