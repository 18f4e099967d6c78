"""``predict`` hands its actors the course's model file, the one of the grader's public run (a student who
wrote its path in), whatever ``model_path`` says."""
import fixtures

BREAKS = ["read_and_predict_other_folder"]

_predict = predict


def predict(ds, model_path, *, concurrency=1, batch_size=100, num_gpus=0):
    return _predict(ds, str(fixtures.mnist_model()), concurrency=concurrency, batch_size=batch_size, num_gpus=num_gpus)
