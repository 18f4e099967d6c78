"""A made-up lesson that needs the run's Ray and Serve (its serve_url too), graded after lesson 6."""
import urllib.request

from graders.engine import check


def in_a_worker(fn, *args):
    """``fn(*args)`` in a Ray task, run on the student's side (``student_side.apply``)."""
    import ray

    return ray.get(ray.remote(fn).remote(*args))


def deploy(cls, name: str, route_prefix: str) -> None:
    """``serve.run`` of a deployment of ``cls``, on the student's side (``student_side.apply``)."""
    from ray import serve

    serve.run(serve.deployment(cls).bind(), name=name, route_prefix=route_prefix)


@check(points=1)
def test_remote_triple(student, student_side):
    assert student_side.apply(in_a_worker, student.triple, 2) == 6, "triple(2) in a Ray worker"


@check(points=1)
def test_http_echo(student, student_side, serve_apps):
    name, prefix = serve_apps.new("echo")
    student_side.apply(deploy, student.Echo, name, prefix)
    with urllib.request.urlopen(serve_apps.url(prefix), timeout=60) as response:
        assert response.read() == b"ok", "GET on the app: expected ok"
