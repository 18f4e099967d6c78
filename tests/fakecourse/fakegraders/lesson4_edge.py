"""Checks of a made-up lesson on the engine's edge cases: credit then a failure, "not started" or not."""
from graders.engine import check


@check(points=2)
def test_credit_then_fails(student, credit):
    credit.scale("score", student.score(), floor=0.0, target=1.0)
    assert student.confirm() == "ok", f"confirm(): expected 'ok', got {student.confirm()!r}"


@check(points=1)
def test_cast(student):
    student.cast_column()


@check(points=1)
def test_handler(student):
    student.log_record()


@check(points=1)
def test_todo(student):
    student.todo()
