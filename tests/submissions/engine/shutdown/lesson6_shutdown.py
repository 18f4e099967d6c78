"""Hostile: stops the grader's Serve, then Ray, inside a check. (Imported on the student's side before
that side joins the run's Ray, it could stop neither as it is imported.)"""
import ray
from ray import serve


def ready():
    serve.shutdown()
    ray.shutdown()
    return True
