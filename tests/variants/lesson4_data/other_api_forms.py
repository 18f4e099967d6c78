"""Other valid forms of the same calls: ``read_images`` without ``mode`` (the PNGs are grayscale
already), the deprecated-but-working ``concurrency=`` for the pool, ``drop_columns`` before the
write, keyword seeds, and a mean of a boolean column turned to ints inside one aggregate."""
from ray.data.aggregate import AggregateFn


def read_mnist_images(root, *, shuffle_files=False):
    options = {"shuffle": "files"} if shuffle_files else {}
    return ray.data.read_images(root, include_paths=True, **options)


def predict(ds, model_path, *, concurrency=1, batch_size=100, num_gpus=0):
    return (ds.map_batches(normalize)
            .map_batches(MNISTClassifier, fn_constructor_kwargs={"local_path": model_path},
                         concurrency=concurrency, batch_size=batch_size, num_gpus=num_gpus))


def overall_accuracy(ds_preds):
    marked = ds_preds.map_batches(
        lambda b: {"correct": (b["predicted_label"] == b["ground_truth_label"]).astype(np.float64)})
    return marked.aggregate(Mean("correct", alias_name="accuracy"))["accuracy"]


def shuffle_blocks(ds, *, seed=None):
    return ds.randomize_block_order(seed=seed)


def shuffle_rows(ds, *, seed=None):
    return ds.random_shuffle(seed=seed, num_blocks=None)


def write_predictions(ds_preds, path):
    ds_preds.drop_columns(["image"]).write_parquet(path)
