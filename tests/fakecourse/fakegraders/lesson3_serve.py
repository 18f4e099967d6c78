"""A made-up lesson whose check deploys the student's class with Ray Serve."""
from graders.engine import check
from graders.engine.grading.serving import handle_answer


def deploy(cls, name: str, route_prefix: str):
    """``serve.run`` of a deployment of ``cls``, on the student's side (``student_side.apply``): its handle."""
    from ray import serve

    return serve.run(serve.deployment(cls).bind(), name=name, route_prefix=route_prefix)


@check(points=1, hint="A deployment's constructor runs in its replica.")
def test_deploys(student, student_side, serve_apps):
    handle = student_side.apply(deploy, student.Greeter, *serve_apps.new("greeter"))
    assert student_side.apply(handle_answer, handle, "__call__", "Ada") == "hello Ada"
