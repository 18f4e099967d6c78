"""Checks of a made-up lesson: plain, partial credit, a time budget, a hidden check."""
from graders.engine import check


@check(points=2, hint=("Addition is commutative.", "Python's + operator adds two numbers.",
                        "The body is one return statement: the sum of the two arguments."))
def test_add(student):
    assert student.add(2, 3) == 5, f"add(2, 3): expected 5, got {student.add(2, 3)}"


@check(points=4)
def test_accuracy(student, credit, thresholds):
    credit.scale("accuracy", student.accuracy(), **thresholds["accuracy"])


@check(points=1)
def test_finishes(student):
    got = student.spin()
    assert got == "done", f"spin(): expected 'done', got {got!r}"


### BEGIN HIDDEN TESTS
@check(points=1, hidden=True)
def test_hidden_add(student):
    assert student.add(-1, 1) == 0, f"add(-1, 1): expected 0, got {student.add(-1, 1)}"
### END HIDDEN TESTS
