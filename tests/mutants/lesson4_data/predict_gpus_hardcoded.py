"""``predict`` gives its actors no GPU, the value of the grader's run on a CPU machine, whatever
``num_gpus`` says: on a GPU cluster the classifier would run on the CPU."""
BREAKS = ["predict_actor_pool_size"]

_predict = predict


def predict(ds, model_path, *, concurrency=1, batch_size=100, num_gpus=0):
    return _predict(ds, model_path, concurrency=concurrency, batch_size=batch_size, num_gpus=0)
