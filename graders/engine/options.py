"""The grading options, shared by ``pytest`` and ``python -m graders grade`` (one place for each)."""
from __future__ import annotations

OPTIONS = [  # (flags, keywords)
    (("--submission",), {"metavar": "DIR", "help": "folder holding the student's lessonN_*.py modules "
                                                  "(default: the folder being collected)"}),
    (("--all-checks",), {"action": "store_true", "help": "run hidden checks too (instructor grading); a plain "
                                                         "pytest run is a public self-check"}),
    (("--ray-address",), {"metavar": "ADDR", "help": "address of an existing Ray cluster (default: $RAY_ADDRESS, "
                                                     "else an embedded local Ray)"}),
    (("--use-gpu",), {"choices": ("auto", "yes", "no"), "default": "auto",
                      "help": "auto: use GPUs when the Ray cluster has some; yes: require them; no: CPU only"}),
    (("--storage", "--storage-path"), {
        "dest": "storage_path", "metavar": "URI",
        "help": "where the run's checkpoints and the files the graders write for workers go: a local folder "
                "(default: a temporary one), or on a cluster of several nodes a folder every node mounts at the "
                "same path (NFS) or a URI (s3://...)"}),
    (("--data",), {"metavar": "NAME=PATH", "action": "append", "default": [],
                   "help": "NAME=PATH: read data set NAME (taxi, mnist, mnist_png, mnist_model) from PATH"}),
    (("--json",), {"dest": "json_path", "metavar": "FILE", "help": "write Gradescope's results.json to this file"}),
    (("--report",), {"dest": "report_path", "metavar": "FILE", "help": "write a markdown report to this file"}),
    (("--results-stream",), {"metavar": "FILE", "help": "append each check's result to this JSON-lines file as "
                                                        "soon as it is known (batch grading)"}),
    (("--all",), {"dest": "all_failures", "action": "store_true",
                  "help": "show every failing check in full (as -v does), not just the first of each lesson"}),
    (("--keep-ray",), {"action": "store_true", "help": "leave the connection to --ray-address open when the run "
                                                       "ends (watch's runner: one grading after another)"}),
    (("--skip-check",), {"metavar": "LESSON::CHECK", "action": "append", "default": [],
                         "help": "LESSON::CHECK: leave this check out of the run (batch grading resumes after a "
                                 "crash with it)"}),
]


def add_options(parser) -> None:
    group = parser.getgroup("graders", "Ray AI Libraries kit grading")
    for flags, keywords in OPTIONS:
        group.addoption(*flags, **keywords)


def help_of(flag: str) -> str:
    """The help of the option ``flag``, for the command line that passes it on (``cli``)."""
    return next(keywords["help"] for flags, keywords in OPTIONS if flag in flags)
