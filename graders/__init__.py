"""Graders of the Ray AI Libraries kit.

One module per lesson (``lesson1_taxi.py`` ... ``lesson5_serve.py``) holds that lesson's checks;
``engine/`` is the grading engine they share (pytest plugin, points, Ray session, reports, CLI);
``course.toml`` is the one table of lessons, time budgets and thresholds.
"""
