"""``predict`` with a pool of three actors written in, the size the grader's run asks for, whatever
``concurrency`` says."""
BREAKS = ["predict_actor_pool_size"]

_predict = predict


def predict(ds, model_path, *, concurrency=1, batch_size=100, num_gpus=0):
    return _predict(ds, model_path, concurrency=3, batch_size=batch_size, num_gpus=num_gpus)
