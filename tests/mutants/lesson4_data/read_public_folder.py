"""``read_mnist_images`` reads the course's public folder, the one the grader's public checks give it (a
student who wrote its path in while trying the lesson), whatever ``root`` it is given."""
import fixtures

BREAKS = ["read_and_predict_other_folder"]

_read_mnist_images = read_mnist_images


def read_mnist_images(root, *, shuffle_files=False):
    return _read_mnist_images(str(fixtures.mnist_png(0)), shuffle_files=shuffle_files)
