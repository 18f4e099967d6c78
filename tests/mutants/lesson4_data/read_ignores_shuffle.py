"""``read_mnist_images`` that takes ``shuffle_files`` and ignores it: the files come in folder order."""
BREAKS = ["read_shuffle_files"]


def read_mnist_images(root, *, shuffle_files=False):
    return ray.data.read_images(str(root), include_paths=True, mode="L")
