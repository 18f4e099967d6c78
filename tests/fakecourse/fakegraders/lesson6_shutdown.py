"""A made-up lesson without Ray: a hostile submission stops Ray and Serve when its module is imported."""
from graders.engine import check


@check(points=1)
def test_ready(student):
    assert student.ready(), "ready(): expected True"
