"""An autoscaling config whose ``max_replicas`` is 1: Serve can never add a replica, however long the queue."""


def autoscaling_config() -> dict:
    return {"min_replicas": 1, "max_replicas": 1, "target_ongoing_requests": 2, "upscale_delay_s": 1,
            "look_back_period_s": 2}


BREAKS = ["autoscaling_adds_replicas"]
