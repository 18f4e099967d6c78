"""``predict`` that drops the images after classifying them: the caller loses the input's columns."""
BREAKS = ["predict_keeps_columns"]


def predict(ds, model_path, *, concurrency=1, batch_size=100, num_gpus=0):
    labelled = ds.map_batches(normalize).map_batches(
        MNISTClassifier, fn_constructor_kwargs={"local_path": str(model_path)},
        compute=ray.data.ActorPoolStrategy(size=concurrency), batch_size=batch_size, num_gpus=num_gpus)
    return labelled.drop_columns(["image"])
