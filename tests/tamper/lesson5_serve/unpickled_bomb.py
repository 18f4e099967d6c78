"""A ``deploy_preprocessor`` that deploys as asked but answers, instead of the handle, with an object that
rewrites pytest's reports wherever it is unpickled (``TAMPERING``): it never is, on the grader's side."""
TAMPERING = "unpickled_bomb"
BREAKS = ["preprocessor_app"]


def deploy_preprocessor(*, name: str = "mnist_preprocessor", route_prefix: str = "/preprocess"):
    serve.run(OnlineMNISTPreprocessor.bind(), name=name, route_prefix=route_prefix)
    return _Forgery()
