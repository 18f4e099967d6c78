"""A made-up lesson whose check deploys the student's class with Ray Serve."""
from graders.engine import check


@check(points=1, hint="A deployment's constructor runs in its replica.")
def test_deploys(student, serve_apps):
    from ray import serve

    name, prefix = serve_apps.new("greeter")
    handle = serve.run(serve.deployment(student.Greeter).bind(), name=name, route_prefix=prefix)
    assert handle.remote("Ada").result(timeout_s=60) == "hello Ada"
