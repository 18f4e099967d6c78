"""``predict`` with the notebook's pool of two actors written in, whatever ``concurrency`` says."""
BREAKS = ["predict_actor_pool_size"]


def predict(ds, model_path, *, concurrency=1, batch_size=100, num_gpus=0):
    return ds.map_batches(normalize).map_batches(
        MNISTClassifier, fn_constructor_kwargs={"local_path": str(model_path)},
        compute=ray.data.ActorPoolStrategy(size=2), batch_size=batch_size, num_gpus=num_gpus)
