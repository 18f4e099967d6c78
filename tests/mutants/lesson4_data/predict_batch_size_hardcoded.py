"""``predict`` classifies batches of 100 images, the contract's default and the size of the grader's run,
whatever ``batch_size`` says."""
BREAKS = ["predict_actor_pool_size"]

_predict = predict


def predict(ds, model_path, *, concurrency=1, batch_size=100, num_gpus=0):
    return _predict(ds, model_path, concurrency=concurrency, batch_size=100, num_gpus=num_gpus)
