"""Grading a submission: the pytest plugin and what it plugs into (the Ray session, the student's side, the checks' clock, supervision)."""
