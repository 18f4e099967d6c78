"""A made-up lesson whose check runs the student's function in a Ray worker."""
from graders.engine import check


@check(points=1)
def test_remote_double(student, ray_cluster):
    import ray

    assert student.double(1) == 2, "double(1) in the grading process"
    assert ray.get(ray.remote(student.double).remote(2)) == 4, "double(2) in a Ray worker"
