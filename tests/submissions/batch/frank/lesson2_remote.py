def double(x):
    """Called on the student's side too: shuts down Serve, and Ray under that side's feet."""
    import ray
    from ray import serve

    serve.shutdown()
    ray.shutdown()
    return 2 * x
