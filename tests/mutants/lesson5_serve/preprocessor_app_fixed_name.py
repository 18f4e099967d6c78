"""``deploy_preprocessor`` deploys under the course's name and route whatever it is asked.

A student who copied the notebook's ``serve.run(..., name="mnist_preprocessor", route_prefix=
"/preprocess")`` ignores the arguments: a second deployment would replace the first.
"""


def deploy_preprocessor(*, name: str = "mnist_preprocessor", route_prefix: str = "/preprocess"):
    return serve.run(OnlineMNISTPreprocessor.bind(), name="mnist_preprocessor", route_prefix="/preprocess")


BREAKS = ["preprocessor_app"]
