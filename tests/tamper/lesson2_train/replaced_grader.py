"""A ``build_data_loader`` without ``Normalize`` (pixels in [0, 1]), from a module that first replaces the
grader's assertions and references, wherever it can reach them, with functions that assert nothing."""
BREAKS = ["data_loader_normalizes", "data_loader_for_testing", "data_loader_reads_given_root"]

import graders.engine.grading.shapes as _shapes  # noqa: E402
import graders.lesson2_train as _grader  # noqa: E402


def _nothing(*args, **kwargs):
    return None


_grader.expect_test_loader = _shapes.assert_mnist_normalized = _nothing
_grader.metrics_of = lambda outputs, labels: {"accuracy": 1.0, "auroc": 1.0}
_grader.accuracy = lambda outputs, root: 1.0


def build_data_loader(batch_size: int, *, root: str, train: bool = True) -> DataLoader:
    digits = MNIST(root, train=train, download=False, transform=ToTensor())
    return DataLoader(digits, batch_size=batch_size, shuffle=train, drop_last=train)
