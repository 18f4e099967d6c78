"""The grading engine: one small package every lesson grader uses, none repeats.

- ``course``: the table of lessons and thresholds (``graders/course.toml``); ``options``: the options a
  grading run takes, each once; ``notebook``: the runtime of the nbgrader notebooks' test cells.
- ``grading``: grading one submission.
  - ``plugin``: the pytest plugin, hooks and fixtures only, over ``catalog`` (``@check`` and a check's
    marker, read once), ``credit`` (partial credit), ``outcomes`` (a check's end as a status and a message)
    and ``run_state`` (the run's state);
  - ``raysession``: the one place Ray and Serve are started, joined, restored and stopped; ``local_head``:
    a ``ray start`` head on loopback (watch, Gradescope, the kit's tests); ``serving``: Serve's proxy and a
    lesson's apps;
  - ``submission``: a student's files; ``student_side``: the process that imports and runs them, ``plain``
    what comes back from it; ``student_user``: the unprivileged user it runs as on Gradescope;
  - ``stopping``: stopping a check past its budget, or one asking for what the cluster can never give;
    ``supervise``: grading again, in a new process, the checks a dead grading process left;
  - ``probes``: what a student's code started in Ray; ``shapes``: checks several lessons share;
    ``datasets``: the data sets, with ``--data`` applied to every public read; ``polling``: ``wait_for``;
    ``reach``: the student's names each check reads (a plugin for the kit's own tests).
- ``reporting``: ``results`` and ``stream`` (the results stream), ``terminal`` and ``feedback`` (what a
  run prints), ``progress`` (a self-check's record).
- ``commands``: ``cli`` and one module per subcommand, each with a keyword-only ``main``: ``grade``,
  ``batch`` (with ``jobs`` for a cluster), ``assign``, ``release``, ``hint``, ``watch``,
  ``nbgrader_export``, ``gradescope`` (the autograder zip; ``autograder`` is what runs inside Gradescope's
  container).

Importing the package loads neither pytest nor Ray: ``check``, ``skip_without_cuda`` and ``wait_for``
are imported from their modules when first used.
"""
import importlib

_EXPORTS = {"check": "graders.engine.grading.catalog", "skip_without_cuda": "graders.engine.grading.raysession",
            "wait_for": "graders.engine.grading.polling"}
__all__ = list(_EXPORTS)


def __getattr__(name: str):
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
