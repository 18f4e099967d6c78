"""The grading engine: one small package every lesson grader uses, none repeats.

- ``plugin``: the pytest plugin (submission, checks, points, time budgets, Ray, reports);
- ``course``: the table of lessons and thresholds (``graders/course.toml``);
- ``raysession``: the one place Ray is started; ``submission``: importing a student's module;
- ``feedback``: exceptions into messages; ``results``: results and their renderings;
- ``cli`` and one module per subcommand (``grade``, ...), each with a keyword-only ``main``.
"""
from graders.engine.plugin import check, wait_for

__all__ = ["check", "wait_for"]
