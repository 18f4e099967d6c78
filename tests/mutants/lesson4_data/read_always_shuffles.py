"""``read_mnist_images`` shuffles the files whatever ``shuffle_files`` says (the shuffling part of the
notebook copied into the reader): asked for the reader's order, it gives a random one."""
BREAKS = ["read_shuffle_files"]

_read_mnist_images = read_mnist_images


def read_mnist_images(root, *, shuffle_files=False):
    return _read_mnist_images(root, shuffle_files=True)
