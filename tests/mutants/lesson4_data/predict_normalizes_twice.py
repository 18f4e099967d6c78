"""``predict`` that normalizes its input twice, as if the caller had not normalized it already.

The second pass maps [-1, 1] to other values: the shapes are right, the predictions are not.
"""
BREAKS = ["predict_matches_model", "read_and_predict_other_folder"]


def predict(ds, model_path, *, concurrency=1, batch_size=100, num_gpus=0):
    twice = ds.map_batches(normalize).map_batches(normalize)
    return twice.map_batches(MNISTClassifier, fn_constructor_kwargs={"local_path": str(model_path)},
                             compute=ray.data.ActorPoolStrategy(size=concurrency), batch_size=batch_size,
                             num_gpus=num_gpus)
