"""``MNISTClassifier`` loads the course's model file, the one the grader's first classifier is given (a
student who wrote its path in), whatever ``local_path`` says."""
import fixtures

BREAKS = ["classifier_predicts"]


class MNISTClassifier(MNISTClassifier):
    def __init__(self, local_path):
        super().__init__(str(fixtures.mnist_model()))
