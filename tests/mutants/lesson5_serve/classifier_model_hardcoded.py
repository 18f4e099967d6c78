"""The classifier loads the course's model file, the one the grader deploys it from, whatever
``local_path`` it is given (a student who wrote the path in while trying the deployment). Built from
another model file, it answers as the course's model."""

import fixtures


@serve.deployment
class OnlineMNISTClassifier(OnlineMNISTClassifier.func_or_class):
    def __init__(self, local_path: str):
        super().__init__(str(fixtures.mnist_model()))


BREAKS = ["classifier_loads_model_once"]
