"""Hostile: stops the grader's Serve when imported, and its Ray inside a check."""
import ray
from ray import serve

serve.shutdown()


def ready():
    ray.shutdown()
    return True
