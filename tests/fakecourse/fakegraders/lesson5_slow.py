"""A made-up lesson with a long time budget: a submission that hangs in it runs into a batch's limit."""
from graders.engine import check


@check(points=1)
def test_quick(student):
    assert student.quick() == 1, "quick(): expected 1"


@check(points=1)
def test_last(student):
    assert student.last() == 1, "last(): expected 1"
