def add(a, b):
    import ray
    from ray import serve
    ray.shutdown()
    serve.shutdown()
    return a + b


def accuracy():
    return 0.7


def spin():
    return "done"
