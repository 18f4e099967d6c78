"""A made-up lesson that uses no Ray itself: a hostile submission stops the run's Serve, then Ray, in its check."""
from graders.engine import check


@check(points=1)
def test_ready(student):
    assert student.ready(), "ready(): expected True"
