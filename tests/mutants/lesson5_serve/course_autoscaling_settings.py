"""The course notebook's autoscaling settings, copied as they were: ``metrics_interval_s`` and a
``look_back_period_s`` of 0.1.

The replicas still come and go, but today's Serve deprecates ``metrics_interval_s`` (the push
interval is Serve's own setting now) and asks for a look-back period longer than that interval.
"""


def autoscaling_config(*, min_replicas: int = 1, max_replicas: int = 2) -> dict:
    return {"min_replicas": min_replicas, "initial_replicas": min_replicas, "max_replicas": max_replicas,
            "target_ongoing_requests": 2, "upscale_delay_s": 1, "downscale_delay_s": 5,
            "metrics_interval_s": 0.1, "look_back_period_s": 0.1}


BREAKS = ["autoscaling_from_zero"]
