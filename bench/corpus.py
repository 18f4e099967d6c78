"""Grade every mutant and every correct variant on its own, every check of its lesson run.

    python bench/corpus.py [--lessons 1,4] [--kinds mutants,variants] [--json bench/corpus.json]

A mutant (``tests/mutants/<lesson>/*.py``) must lose exactly the checks in its ``BREAKS``, and no
other check of the lesson: a broken step never costs the steps after it. A correct variant
(``tests/variants/<lesson>/*.py``) must get full marks. The test suite checks the same promises in
fewer gradings (stacked mutants, rounds of variants); this run proves them one fragment at a time,
which costs a full lesson grading each (about an hour for the whole corpus on a 2-core laptop).
Exits 1 when any fragment breaks its promise.
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

import kit  # noqa: E402
from graders.engine import course  # noqa: E402


def lost_checks(result: dict) -> set[str]:
    """Checks (without the lesson) that scored less than their maximum."""
    return {t["name"].split("::", 1)[1] for t in result["tests"] if t["score"] < t["max_score"]}


def grade_fragment(lesson: course.Lesson, fragment: Path) -> dict:
    """Grade the reference with ``fragment`` appended; what it lost against what it should have."""
    folder = kit.make_submission(lesson.name, [fragment], Path(tempfile.mkdtemp(prefix="corpus-")) / "submission")
    started = time.monotonic()
    result = kit.grade(folder, lessons=str(lesson.number))
    lost, expected = lost_checks(result), set(kit.breaks_of(fragment))
    return {"lesson": lesson.name, "fragment": f"{fragment.parent.parent.name}/{fragment.stem}",
            "expected_lost": sorted(expected), "lost": sorted(lost), "ok": lost == expected,
            "seconds": round(time.monotonic() - started, 1)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lessons", help="e.g. 1,4 (default: all)")
    parser.add_argument("--kinds", default="mutants,variants", help="mutants, variants or both")
    parser.add_argument("--json", default=str(Path(__file__).parent / "corpus.json"), help="where to write the results")
    args = parser.parse_args(argv)
    kinds = {k.strip() for k in args.kinds.split(",")}
    rows = []
    for lesson in course.select(args.lessons):
        fragments = (kit.mutants(lesson.name) if "mutants" in kinds else []) + \
                    (kit.variants(lesson.name) if "variants" in kinds else [])
        for fragment in fragments:
            row = grade_fragment(lesson, fragment)
            rows.append(row)
            mark = "ok  " if row["ok"] else "FAIL"
            print(f"{mark} {row['lesson']:14s} {row['fragment']:45s} lost {row['lost'] or '-'}"
                  + ("" if row["ok"] else f"; expected {row['expected_lost'] or 'none'}")
                  + f"  ({row['seconds']:.0f} s)", flush=True)
    Path(args.json).write_text(json.dumps(rows, indent=1) + "\n")
    failed = [r for r in rows if not r["ok"]]
    print(f"{len(rows) - len(failed)} of {len(rows)} fragments kept their promise; wrote {args.json}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
