"""``read_mnist_images`` without ``include_paths=True``: the rows carry no ``path``.

The notebook adds it in one call and it is easy to drop when copying ``read_images(url)`` from the
shuffling part. Every later use of the path (labels, tracing a prediction to its file) is lost.
"""
BREAKS = ["read_every_file_once", "read_shuffle_files", "read_and_predict_other_folder"]


def read_mnist_images(root, *, shuffle_files=False):
    return ray.data.read_images(str(root), mode="L", shuffle="files" if shuffle_files else None)
