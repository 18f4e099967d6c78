"""``python -m graders``: a thin command line over each subcommand's keyword-only ``main``."""
from __future__ import annotations

import argparse
import importlib
import os


# Argument types: a bad value ends in argparse's usage error (exit 2) naming the problem and the fix.
def _lessons(value: str) -> str:
    from graders.engine import course

    try:
        course.select(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc).removeprefix("--lessons: ")) from None
    return value


def _lesson(value: str) -> str:
    _lessons(value)
    if "," in value:
        raise argparse.ArgumentTypeError(f"one lesson, not {value!r}: e.g. 4 or lesson4_data")
    return value


def _folder(value: str) -> str:
    if not os.path.isdir(value):
        raise argparse.ArgumentTypeError(f"{value} is not a folder; give an existing folder (e.g. exercises)")
    return value


def _new_path(value: str) -> str:
    if os.path.exists(value):
        raise argparse.ArgumentTypeError(f"{value} already exists; name a new folder")
    return value


def _positive(kind):
    def parse(value: str):
        try:
            number = kind(value)
        except ValueError:
            number = 0
        if not number > 0:
            raise argparse.ArgumentTypeError(f"{value!r}: give a {kind.__name__} above 0")
        return number
    parse.__name__ = f"positive {kind.__name__}"
    return parse


def _data(value: str) -> str:
    from graders.engine.grading.datasets import parse_spec

    try:
        parse_spec(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc).removeprefix(f"--data {value!r}: ")) from None
    return value


def _storage(value: str) -> str:
    """``--storage``: a URI (``s3://...``) as given, or an existing folder, made absolute (workers run elsewhere)."""
    if "://" in value:
        return value
    if not os.path.isdir(value):
        raise argparse.ArgumentTypeError(f"{value} is not a folder; give an existing folder (on a cluster: one "
                                         "mounted at the same path on every node) or a URI such as s3://BUCKET/PATH")
    return os.path.abspath(value)


def _parser() -> argparse.ArgumentParser:
    from graders.engine.commands.autograder import TIMEOUT_MIN
    from graders.engine.options import help_of

    parser = argparse.ArgumentParser(prog="python -m graders", description="Grade the Ray AI Libraries course.")
    sub = parser.add_subparsers(dest="command", required=True)

    grading = argparse.ArgumentParser(add_help=False)  # the options of a grading run, for grade and batch alike
    grading.add_argument("--lessons", type=_lessons, help="which lessons, e.g. 1,4 (default: all)")
    grading.add_argument("--use-gpu", choices=("auto", "yes", "no"), default="auto", help=help_of("--use-gpu"))
    grading.add_argument("--storage", type=_storage, metavar="URI", help=help_of("--storage"))

    grade = sub.add_parser("grade", parents=[grading], help="grade one submission folder (every check, hidden ones included)")
    grade.add_argument("directory", type=_folder, help="folder holding lesson1_taxi.py ... lesson5_serve.py")
    grade.add_argument("--json", dest="json_path", metavar="FILE", help=help_of("--json"))
    grade.add_argument("--report", dest="report_path", metavar="FILE", help=help_of("--report"))
    grade.add_argument("--ray-address", metavar="ADDR", help=help_of("--ray-address"))
    grade.add_argument("--data", action="append", default=[], metavar="NAME=PATH", type=_data,
                       help=help_of("--data"))
    # Set by a batch, which supervises and resumes gradings itself.
    grade.add_argument("--results-stream", help=argparse.SUPPRESS)
    grade.add_argument("--skip-check", action="append", default=[], help=argparse.SUPPRESS)

    assign = sub.add_parser("assign", help="regenerate exercises/ from solutions/ (for the kit's maintainers)")
    assign.add_argument("--check", action="store_true", help="only report stale exercises; exit 1 if any")

    release = sub.add_parser("release", help="write the bundle handed to students (no solutions, no hidden checks)")
    release.add_argument("out", type=_new_path, help="a new folder")

    batch = sub.add_parser("batch", parents=[grading], help="grade every submission folder under ROOT into a gradebook")
    batch.add_argument("root", type=_folder, help="a folder with one subfolder per student")
    batch.add_argument("--out", required=True, help="the gradebook CSV; per-student files go beside it")
    batch.add_argument("--jobs", type=_positive(int), default=1, help="submissions graded at once (default 1)")
    batch.add_argument("--force", action="store_true", help="grade again students already graded")
    batch.add_argument("--limit", type=_positive(float), default=1800, help="wall-clock seconds per submission")
    batch.add_argument("--ray-address", help="a Ray cluster: each submission runs there as a Ray Job")

    hint = sub.add_parser("hint", help="print the hint of a lesson's checks, or of one check")
    hint.add_argument("lesson", type=_lesson, help="lesson number or module name, e.g. 4 or lesson4_data")
    hint.add_argument("check", nargs="?", help="a check's name, e.g. normalize")
    hint.add_argument("--more", action="store_true", help="the next hint step not yet seen (up to three)")
    hint.add_argument("--submission", default="exercises", help="the folder whose hint record to keep (default: exercises)")

    watch = sub.add_parser("watch", help="re-run a lesson's self-check whenever a file in exercises/ is saved")
    watch.add_argument("lesson", nargs="?", type=_lesson, help="lesson number or name (default: the file saved last)")
    watch.add_argument("--submission", default="exercises", type=_folder, help="the folder to watch (default: exercises)")
    watch.add_argument("--once", action="store_true", help="check once and exit")

    progress = sub.add_parser("progress", help="checks passed per lesson, from the last self-checks")
    progress.add_argument("--submission", default="exercises", type=_folder,
                          help="the folder self-checked (default: exercises)")

    nbgrader = sub.add_parser("nbgrader", help="write an nbgrader course directory (one notebook per lesson)")
    nbgrader.add_argument("out", help="the course directory (nbgrader_config.py, source/<lesson>/)")
    nbgrader.add_argument("--lessons", type=_lessons,
                          help="which lessons, e.g. 1,4 (default: all with a solution and a grader)")
    nbgrader.add_argument("--solutions", type=_folder, help="the folder of reference solutions (default: solutions/)")

    gradescope = sub.add_parser("gradescope", help="write the autograder zip for Gradescope (hidden checks, no solutions)")
    gradescope.add_argument("out", help="the zip to write, e.g. autograder.zip")
    gradescope.add_argument("--lessons", type=_lessons, help="which lessons it grades, e.g. 1,4 (default: all)")
    gradescope.add_argument("--timeout", type=_positive(float), default=TIMEOUT_MIN, metavar="MIN",
                            help="the whole run's budget in minutes, the assignment's autograder timeout on "
                                 "Gradescope (default: %(default)s)")
    return parser


COMMANDS = {name: f"graders.engine.commands.{name}" for name in ("grade", "batch", "assign", "release", "hint", "watch",
                                                                     "gradescope")} | {
    "nbgrader": "graders.engine.commands.nbgrader_export", "progress": "graders.engine.reporting.progress"}


def main(argv: list[str] | None = None) -> int:
    args, extra = _parser().parse_known_args(argv)
    options = {k: v for k, v in vars(args).items() if k != "command"}
    if extra:
        if args.command != "grade":
            _parser().error(f"unrecognized arguments: {' '.join(extra)}")
        options["extra"] = extra  # passed on to pytest, e.g. -k split
    return importlib.import_module(COMMANDS[args.command]).main(**options)
