"""A made-up lesson whose check runs the student's function in a Ray worker."""
from graders.engine import check


def in_a_worker(fn, *args):
    """``fn(*args)`` in a Ray task, run on the student's side (``student_side.apply``)."""
    import ray

    return ray.get(ray.remote(fn).remote(*args))


@check(points=1)
def test_remote_double(student, student_side):
    assert student_side.apply(in_a_worker, student.double, 2) == 4, "double(2) in a Ray worker"
    assert student.double(1) == 2, "double(1) called directly"
