"""Grade the mutants and correct variants with every check of their lesson run.

    python bench/corpus.py [--lessons 1,4] [--kinds mutants,variants] [--alone] [--json bench/corpus.json]

A mutant (``tests/mutants/<lesson>/*.py``) must lose exactly the checks in its ``BREAKS``, and no
other check of the lesson: a broken step never costs the steps after it. A correct variant
(``tests/variants/<lesson>/*.py``) must get full marks. The test suite proves that each mutant loses
its ``BREAKS`` and that each variant gets full marks; this run adds the "no other check" half. Mutants
are graded in the suite's layers (mutants that redefine different names and break different checks,
stacked: the layer must lose exactly the union of their ``BREAKS``), or one at a time with ``--alone``
(a full lesson grading each: over an hour for the whole corpus on a 2-core laptop). Exits 1 when a
fragment, or a layer, breaks its promise.
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
import test_mutants  # noqa: E402
from graders.engine import course  # noqa: E402


def lost_checks(result: dict) -> set[str]:
    """Checks (without the lesson) that scored less than their maximum."""
    return {t["name"].split("::", 1)[1] for t in result["tests"] if t["score"] < t["max_score"]}


def grade_fragments(lesson: course.Lesson, fragments: list[Path]) -> dict:
    """Grade the reference with ``fragments`` appended; what it lost against what it should have."""
    folder = kit.make_submission(lesson.name, fragments, Path(tempfile.mkdtemp(prefix="corpus-")) / "submission")
    started = time.monotonic()
    result = kit.grade(folder, lessons=str(lesson.number))
    lost, expected = lost_checks(result), {name for f in fragments for name in kit.breaks_of(f)}
    return {"lesson": lesson.name, "fragments": [f"{f.parent.parent.name}/{f.stem}" for f in fragments],
            "expected_lost": sorted(expected), "lost": sorted(lost), "ok": lost == expected,
            "seconds": round(time.monotonic() - started, 1)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lessons", help="e.g. 1,4 (default: all)")
    parser.add_argument("--kinds", default="mutants,variants", help="mutants, variants or both")
    parser.add_argument("--alone", action="store_true", help="grade each mutant on its own, not in layers")
    parser.add_argument("--json", default=str(Path(__file__).parent / "corpus.json"), help="where to write the results")
    args = parser.parse_args(argv)
    kinds = {k.strip() for k in args.kinds.split(",")}
    rows = []
    for lesson in course.select(args.lessons):
        groups = []
        if "mutants" in kinds:
            groups += [[m] for m in kit.mutants(lesson.name)] if args.alone else test_mutants.layers(lesson.name)
        if "variants" in kinds:
            groups += [[v] for v in kit.variants(lesson.name)]
        for fragments in groups:
            row = grade_fragments(lesson, fragments)
            rows.append(row)
            print(f"{'ok  ' if row['ok'] else 'FAIL'} {row['lesson']:14s} {', '.join(row['fragments'])}\n"
                  f"     lost {row['lost'] or '-'}" + ("" if row["ok"] else f"; expected {row['expected_lost'] or 'none'}")
                  + f"  ({row['seconds']:.0f} s)", flush=True)
    Path(args.json).write_text(json.dumps(rows, indent=1) + "\n")
    failed = [r for r in rows if not r["ok"]]
    print(f"{len(rows) - len(failed)} of {len(rows)} gradings kept their promise; wrote {args.json}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
