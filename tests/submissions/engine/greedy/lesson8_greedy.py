"""Hostile: ignores the num_workers it is given and asks for 64 CPUs, then waits on Ray forever."""
import time

import ray
from ray.util.placement_group import placement_group


def reserve(num_workers):
    group = placement_group([{"CPU": 1}] * 64)  # hard-coded: more than the grader's cluster has
    ray.get(group.ready())
    return "reserved"


@ray.remote
def _sleep():
    time.sleep(3600)


def wait_on_ray():
    ray.get(_sleep.remote())
    return "done"


def double(x):
    return 2 * x
