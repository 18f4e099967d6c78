"""A made-up lesson: a resource request the cluster can never meet, a wait on Ray that never ends, and a
check after them that needs the cluster's CPUs."""
from graders.engine import check


@check(points=1)
def test_reserve(student, ray_cluster):
    assert student.reserve(num_workers=2) == "reserved"


@check(points=1)
def test_waits(student, ray_cluster):
    assert student.wait_on_ray() == "done"


@check(points=1)
def test_after(student, ray_cluster):
    import ray

    assert ray.get([ray.remote(student.double).remote(i) for i in range(4)]) == [0, 2, 4, 6]
