"""``deploy_preprocessor`` makes its route from the application's name (``"/" + name``), whatever
``route_prefix`` it is given: right only when the two happen to agree."""


def deploy_preprocessor(*, name: str = "mnist_preprocessor", route_prefix: str = "/preprocess"):
    return serve.run(OnlineMNISTPreprocessor.bind(), name=name, route_prefix=f"/{name}")


BREAKS = ["preprocessor_app"]
