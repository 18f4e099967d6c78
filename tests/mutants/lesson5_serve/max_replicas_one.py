"""An autoscaling config whose ``max_replicas`` is 1, whatever it is given: Serve can never add a second
replica, however long the queue (a student who copies a one-replica config and ignores the argument)."""


def autoscaling_config(*, min_replicas: int = 1, max_replicas: int = 2) -> dict:
    return {"min_replicas": min_replicas, "initial_replicas": min_replicas, "max_replicas": 1,
            "target_ongoing_requests": 2, "upscale_delay_s": 1, "look_back_period_s": 12}


BREAKS = ["autoscaling_adds_replicas"]
