"""Lesson 1 (made up): the reference solution of the kit's tests' tiny course.

Exported to a notebook by ``python -m graders nbgrader`` in ``tests/test_nbgrader.py``: a module
docstring, given code (imports, a constant, a helper), and answers inside solution regions.
"""
from __future__ import annotations

import statistics

SCORES = [0.8, 1.0]
"""Made-up scores whose mean is the accuracy."""


def mean(values: list[float]) -> float:
    """A given helper: the mean of ``values``."""
    return statistics.fmean(values)


def add(a, b):
    """Return ``a + b``."""
    ### BEGIN SOLUTION
    return a + b
    ### END SOLUTION


def accuracy() -> float:
    """The mean of ``SCORES`` (use ``mean``)."""
    ### BEGIN SOLUTION
    return mean(SCORES)
    ### END SOLUTION


def spin():
    """Return ``"done"``, promptly."""
    ### BEGIN SOLUTION
    return "done"
    ### END SOLUTION
