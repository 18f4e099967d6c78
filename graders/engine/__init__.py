"""The grading engine: one small package every lesson grader uses, none repeats.

- ``plugin``: the pytest plugin, hooks and fixtures only, over the modules that do the work:
  ``catalog`` (``@check`` and reading a check's marker), ``credit`` (partial credit), ``outcomes``
  (a check's end as a status and a message), ``run_state`` (the run's state and its student sides),
  ``options``, ``watchdog`` (stopping a check past its budget or asking for what the cluster can never
  give), ``stream`` (the results stream), ``progress`` (a self-check's record);
- ``course``: the table of lessons and thresholds (``graders/course.toml``);
- ``raysession``: the one place Ray is started; ``serving``: Serve's proxy, a lesson's apps, handle calls on the side;
  ``submission``: a student's module; ``student_side``: the process that runs it, ``plain`` what comes back;
- ``feedback``: exceptions into messages; ``results``: results and their renderings;
- ``probes``: what a student's code started in Ray; ``shapes``: checks several lessons share;
- ``datasets``: the data sets, with ``--data`` applied to every public read; ``supervise``: grading
  again, in a new process, the checks a dead grading process left; ``reach``: the student's names each
  check reads (a plugin for the kit's own tests);
- ``cli`` and one module per subcommand, each with a keyword-only ``main``: ``grade``, ``batch`` (with
  ``jobs`` for a cluster), ``assign``, ``release``, ``hint``, ``progress``, ``watch`` (on ``cluster``'s
  warm head), ``nbgrader_export`` (with ``notebook``, the notebooks and their test cells' runtime),
  ``gradescope`` (the autograder zip; ``autograder`` is what runs inside Gradescope's container).

Importing the package loads neither pytest nor Ray: ``check``, ``skip_without_cuda`` and ``wait_for``
are imported from their modules when first used.
"""
import importlib

_EXPORTS = {"check": "graders.engine.catalog", "skip_without_cuda": "graders.engine.raysession",
            "wait_for": "graders.engine.polling"}
__all__ = list(_EXPORTS)


def __getattr__(name: str):
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
