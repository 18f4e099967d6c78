"""Issue #28's six lines (``TAMPERING``), with a ``build_app`` that drops ``num_replicas``: it must score
what that mistake alone scores."""
TAMPERING = "forged_reports"
BREAKS = ["build_app_resources"]


def build_app(model_path: str, *, num_replicas: int = 1, num_gpus: float = 0):
    classifier = OnlineMNISTClassifier.options(ray_actor_options={"num_gpus": num_gpus}).bind(model_path)
    return ImageServiceIngress.bind(OnlineMNISTPreprocessor.bind(), classifier)
