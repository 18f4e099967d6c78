"""The autoscaling config caps the classifier at 2 replicas, the value of the grader's deployment (and
the contract's default), whatever ``max_replicas`` it is given."""

_autoscaling_config = autoscaling_config


def autoscaling_config(*, min_replicas: int = 1, max_replicas: int = 2) -> dict:
    return _autoscaling_config(min_replicas=min_replicas, max_replicas=2)


BREAKS = ["autoscaling_adds_replicas"]
