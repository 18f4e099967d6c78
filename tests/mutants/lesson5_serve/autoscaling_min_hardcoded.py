"""The autoscaling config scales from zero always: ``min_replicas`` and ``initial_replicas`` 0, the values
of the grader's deployment, whatever ``min_replicas`` it is given (a student who wrote the course's
scale-from-zero exercise into the function). Asked for a floor of replicas, it keeps none."""

_autoscaling_config = autoscaling_config


def autoscaling_config(*, min_replicas: int = 1, max_replicas: int = 2) -> dict:
    return _autoscaling_config(min_replicas=0, max_replicas=max_replicas)


BREAKS = ["autoscaling_from_zero"]
