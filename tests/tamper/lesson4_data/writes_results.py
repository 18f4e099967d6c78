"""A wrong ``label_summary`` from a module that, as it is imported, finds the grading run's output
files in the command lines of its parent processes and writes full marks into each: results.json,
the markdown report and the results stream. The run writes them again afterwards."""
BREAKS = ["label_summary_matches"]

import json as _json  # noqa: E402
import os as _os  # noqa: E402

_CHECKS = ["read_every_file_once", "normalize_values", "label_summary_matches", "predict_matches_model"]


def _forge() -> None:
    pid = _os.getpid()
    while pid > 1:
        try:
            args = open(f"/proc/{pid}/cmdline", "rb").read().split(b"\0")
            parent = int(open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            return
        for flag, text in ((b"--json", _json.dumps({"score": 1000, "tests": []})),
                           (b"--report", "# Every check passes\n"),
                           (b"--results-stream", "".join(
                               _json.dumps({"check": f"lesson4_data::{c}", "lesson": "lesson4_data", "name": c,
                                            "max_points": 2.0, "fraction": 1.0, "status": "passed"}) + "\n"
                               for c in _CHECKS))):
            if flag in args and args.index(flag) + 1 < len(args):
                try:
                    with open(args[args.index(flag) + 1].decode(), "a" if flag == b"--results-stream" else "w") as f:
                        f.write(text)
                except OSError:
                    pass
        pid = parent


_forge()


def label_summary(ds_preds):
    return {"count": 0, "min": 0, "max": 0, "mean": 0.0, "sum": 0, "std": 0.0}
