"""A made-up lesson that needs the run's Ray and Serve (its serve_url too), graded after lesson 6."""
import urllib.request

from graders.engine import check


@check(points=1)
def test_remote_triple(student, ray_cluster):
    import ray

    assert ray.get(ray.remote(student.triple).remote(2)) == 6, "triple(2) in a Ray worker"


@check(points=1)
def test_http_echo(student, serve_apps):
    from ray import serve

    name, prefix = serve_apps.new("echo")
    serve.run(serve.deployment(student.Echo).bind(), name=name, route_prefix=prefix)
    with urllib.request.urlopen(serve_apps.url(prefix), timeout=60) as response:
        assert response.read() == b"ok", "GET on the app: expected ok"
