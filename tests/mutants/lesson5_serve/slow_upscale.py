"""The autoscaling config leaves ``upscale_delay_s`` at Serve's default, 30 s.

Serve starts the first replica for the first request, but waits 30 s of sustained load before adding
the second: longer than a burst lasts, so the queue never gets its extra replica.
"""


def autoscaling_config(*, min_replicas: int = 1, max_replicas: int = 2) -> dict:
    return {"min_replicas": min_replicas, "initial_replicas": min_replicas, "max_replicas": max_replicas,
            "target_ongoing_requests": 2, "look_back_period_s": 12}


BREAKS = ["autoscaling_adds_replicas"]
