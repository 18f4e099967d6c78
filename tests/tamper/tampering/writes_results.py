"""A module that, as the student's side imports it, finds the grading run's output files in the command
lines of its parent processes and writes full marks for every check of its lesson into each:
results.json, the markdown report and the results stream. The run writes them again afterwards.

Not here, because the kit does not withstand it yet (#28: signed stream lines, the student's code run
as another user): the same writes from a Ray worker or a Serve replica that imports the module after
some checks have finished forge those checks (measured on lesson 5: build_app_resources,
preprocessor_app and autoscaling_adds_replicas came back full).
"""
import json as _json  # noqa: E402
import os as _os  # noqa: E402
import sys as _sys  # noqa: E402


def _forged_stream() -> str:
    from graders.engine.grading import catalog

    return "".join(_json.dumps({"check": f"{c.lesson}::{c.name}", "lesson": c.lesson, "name": c.name,
                                "max_points": c.points, "fraction": 1.0, "status": "passed"}) + "\n"
                   for c in catalog.checks(__name__))


def _forge() -> None:
    forged = {b"--json": _json.dumps({"score": 1000, "tests": []}), b"--report": "# Every check passes\n",
              b"--results-stream": _forged_stream()}
    pid = _os.getpid()
    while pid > 1:
        try:
            args = open(f"/proc/{pid}/cmdline", "rb").read().split(b"\0")
            parent = int(open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            return
        for flag, text in forged.items():
            if flag in args and args.index(flag) + 1 < len(args):
                try:
                    with open(args[args.index(flag) + 1].decode(), "a" if flag == b"--results-stream" else "w") as f:
                        f.write(text)
                except OSError:
                    pass
        pid = parent


if _os.path.basename(_sys.argv[0]) == "student_side.py":
    _forge()
