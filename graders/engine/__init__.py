"""The grading engine: one small package every lesson grader uses, none repeats.

- ``plugin``: the pytest plugin (submission, checks, points, time budgets, Ray, reports);
- ``course``: the table of lessons and thresholds (``graders/course.toml``);
- ``raysession``: the one place Ray is started; ``submission``: importing a student's module;
- ``feedback``: exceptions into messages; ``results``: results and their renderings;
- ``catalog``: the checks declared by each grader; ``probes``: what a student's code started in Ray;
- ``datasets``: the data sets, with ``--data`` applied to every public read; ``watchdog``: stopping a
  check past its budget or asking for what the cluster can never give; ``stream``: the results stream;
  ``supervise``: grading again, in a new process, the checks a dead grading process left; ``reach``: the
  student's names each check reads (a plugin for the kit's own tests);
- ``cli`` and one module per subcommand, each with a keyword-only ``main``: ``grade``, ``batch`` (with
  ``jobs`` for a cluster), ``assign``, ``release``, ``hint``, ``progress``, ``watch`` (on ``cluster``'s
  warm head), ``nbgrader_export`` (with ``notebook``, the notebooks and their test cells' runtime),
  ``gradescope`` (the autograder zip; ``autograder`` is what runs inside Gradescope's container).
"""
from graders.engine.plugin import check, skip_without_cuda, wait_for

__all__ = ["check", "skip_without_cuda", "wait_for"]
