"""The autoscaling config keeps one replica always, whatever ``min_replicas`` it is given.

A student who wrote the autoscaling exercise before the scale-from-zero one hard-codes
``min_replicas`` 1: the classifier then holds a replica, and its CPU, with no request in sight.
"""


def autoscaling_config(*, min_replicas: int = 1, max_replicas: int = 2) -> dict:
    return {"min_replicas": 1, "initial_replicas": 1, "max_replicas": max_replicas,
            "target_ongoing_requests": 2, "upscale_delay_s": 1, "look_back_period_s": 12}


BREAKS = ["autoscaling_from_zero"]
