"""Adds absolute values (right on the public check, wrong on the hidden one) and reads one score only
(accuracy 0.8 earns partial credit)."""

BREAKS = ["hidden_add", "accuracy"]


def add(a, b):
    return abs(a) + b


def accuracy() -> float:
    return SCORES[0]
