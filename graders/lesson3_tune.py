import pytest
from graders.engine import check

@check(points=2, hint="look at the docs")
def test_adds(student):
    assert student.add(1, 2) == 3, f"add(1, 2) should be 3, got {student.add(1, 2)}"

@check(points=1)
def test_ray(student, ray_cluster):
    import ray
    assert ray.get(ray.remote(student.add).remote(2, 2)) == 4

@check(points=3, hidden=True)
def test_hidden(student, credit):
    credit.scale("accuracy", 0.9, floor=0.8, target=1.0)
