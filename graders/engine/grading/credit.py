"""Partial credit: a check that measures a value between a floor (nothing) and a target (full points)."""
from __future__ import annotations


class PartialCredit(AssertionError):
    """A measured value short of full points: the check earns ``share`` of its points.

    Only this failure keeps credit, and only when the grader's process raised it: a check that fails any
    other way, even after ``credit.scale`` reached full points, scores zero.
    """

    def __init__(self, message: str, share: float):
        super().__init__(message)
        self.share = share


class Credit:
    """Partial credit for measured quantities (accuracy, AUC, loss): the ``credit`` fixture."""

    def scale(self, what: str, measured: float, *, floor: float, target: float) -> float:
        """Record the share earned; fail with the numbers when it is short of full points."""
        __tracebackhide__ = True
        span = target - floor
        share = 1.0 if span == 0 else min(1.0, max(0.0, (measured - floor) / span))
        if share < 1.0:
            direction = "at least" if span > 0 else "at most"
            raise PartialCredit(f"{what}: measured {measured:.4g}; full points need {direction} {target:.4g}, "
                                f"none at {floor:.4g}; earned {share:.0%} of the points", share)
        return share
