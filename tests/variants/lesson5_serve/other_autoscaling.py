"""Other valid autoscaling settings (no ``initial_replicas``: it defaults to ``min_replicas``; a
target of one request per replica, half a second of upscale delay, a short downscale delay, a longer
look-back); ``deploy_preprocessor`` asks Serve for the app's handle by name; ``build_composed_app``
names its handles otherwise and binds them by keyword.
"""


def autoscaling_config(*, min_replicas: int = 1, max_replicas: int = 2) -> dict:
    return dict(min_replicas=min_replicas, max_replicas=max_replicas, target_ongoing_requests=1,
                upscale_delay_s=0.5, downscale_delay_s=5, look_back_period_s=15)


def deploy_preprocessor(*, name: str = "mnist_preprocessor", route_prefix: str = "/preprocess"):
    serve.run(OnlineMNISTPreprocessor.bind(), name=name, route_prefix=route_prefix)
    return serve.get_app_handle(name)


@serve.deployment
class ImageClassifierIngress(ImageClassifierIngress.func_or_class):
    def __init__(self, preprocessing, model):
        super().__init__(preprocessing, model)


def build_composed_app(model_path: str, *, num_gpus: float = 0):
    model = OnlineMNISTClassifier.options(ray_actor_options={"num_gpus": num_gpus}).bind(model_path)
    return ImageClassifierIngress.bind(preprocessing=OnlineMNISTPreprocessor.bind(), model=model)
