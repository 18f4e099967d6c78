"""Grade the reference, the mutants and the correct variants with every check of their lesson run.

    python bench/corpus.py [--lessons 1,4] [--kinds reference,mutants,variants] [--alone] [--repeat 3]
                           [--json bench/corpus.json] [--against EARLIER.json ...]

A mutant (``tests/mutants/<lesson>/*.py``) must lose exactly the checks in its ``BREAKS``, and no
other check of the lesson: a broken step never costs the steps after it. A correct variant
(``tests/variants/<lesson>/*.py``) and the reference must get full marks. The test suite proves that
each variant gets full marks and that the mutants of a cover of the checks lose their ``BREAKS``; this
run grades every mutant, and adds the "no other check" half. Mutants are graded in the suite's layers
(mutants that redefine different names and break different checks, stacked: the layer must lose
exactly the union of their ``BREAKS``), or one at a time with ``--alone``. As in the suite, one grading takes one entry of every lesson (one Ray start).

``--repeat N`` grades everything N times and prints every check whose points differ between the runs
of the same code: the same code must get the same score every time. Exits 1 when an entry breaks its
promise in any run, or when a check's points differ between runs. ``--against`` adds the runs of
earlier JSON files to the comparison (the whole corpus three times is hours on 2 cores: it can be
graded a pass at a time), provided they graded the same code: each row carries a fingerprint of the
graders, the solutions, the fixtures and the corpus.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

import kit  # noqa: E402
import test_mutants  # noqa: E402
from graders.engine import course  # noqa: E402


def fingerprint() -> str:
    """A hash of everything that decides a grade: the graders and their course table, the reference, the
    fixtures, the mutants and the variants."""
    digest = hashlib.sha256()
    for folder in ("graders", "solutions", "fixtures", "tests/mutants", "tests/variants"):
        for path in sorted((kit.KIT / folder).rglob("*")):
            if path.is_file() and path.suffix in (".py", ".toml") and "__pycache__" not in path.parts:
                digest.update(str(path.relative_to(kit.KIT)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]


def earlier_rows(files: list[str], code: str) -> list[dict]:
    """The rows of earlier runs, numbered after each other; refused when they graded other code."""
    rows: list[dict] = []
    for file in files:
        found = json.loads(Path(file).read_text())
        other = {r.get("code") for r in found} - {code}
        if other:
            sys.exit(f"{file} graded other code (fingerprint {sorted(map(str, other))}, now {code}): "
                     "its points cannot be compared with this run's; grade again, or leave it out of --against")
        offset = max((r["run"] for r in rows), default=0)
        number = {run: offset + i for i, run in enumerate(sorted({r["run"] for r in found}), 1)}
        rows += [{**r, "run": number[r["run"]]} for r in found]
    return rows


def entries(lesson: str, kinds: set[str], alone: bool) -> list[list[Path]]:
    """The lesson's gradings: the reference (no fragment), its mutants (in layers, or alone), its variants."""
    found: list[list[Path]] = [[]] if "reference" in kinds else []
    if "mutants" in kinds:
        found += [[m] for m in kit.mutants(lesson)] if alone else test_mutants.layers(lesson)
    if "variants" in kinds:
        found += [[v] for v in kit.variants(lesson)]
    return found


def label(fragments: list[Path]) -> str:
    return ", ".join(f"{f.parent.parent.name}/{f.stem}" for f in fragments) or "reference"


def grade_round(graded: list[tuple[str, list[Path]]], repeat: int, code: str) -> list[dict]:
    """One grading of one entry of each lesson: per entry, what it lost against what it should have."""
    folder = Path(tempfile.mkdtemp(prefix="corpus-")) / "submission"
    for lesson, fragments in graded:
        kit.make_submission(lesson, fragments, folder)
    started = time.monotonic()
    result = kit.grade(folder, lessons=",".join(str(course.lessons()[lesson].number) for lesson, _ in graded))
    seconds = round(time.monotonic() - started, 1)
    rows = []
    for lesson, fragments in graded:
        scores = {t["name"].split("::", 1)[1]: t["score"] for t in result["tests"] if t["name"].startswith(f"{lesson}::")}
        lost = test_mutants.lost_by_lesson(result).get(lesson, set())
        expected = {name for f in fragments for name in kit.breaks_of(f)}
        rows.append({"run": repeat, "code": code, "lesson": lesson, "entry": label(fragments), "expected_lost": sorted(expected),
                     "lost": sorted(lost), "ok": lost == expected, "scores": scores, "seconds": seconds})
    return rows


def unstable(rows: list[dict]) -> list[str]:
    """``lesson entry::check: points per run`` for each check whose points differ between runs of one entry."""
    runs: dict[tuple[str, str], dict[str, list[float]]] = {}
    for row in rows:
        for check, score in row["scores"].items():
            runs.setdefault((row["lesson"], row["entry"]), {}).setdefault(check, []).append(score)
    return [f"{lesson} [{entry}] {check}: {points}" for (lesson, entry), checks in runs.items()
            for check, points in checks.items() if len(set(points)) > 1]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lessons", help="e.g. 1,4 (default: all)")
    parser.add_argument("--kinds", default="reference,mutants,variants", help="reference, mutants, variants")
    parser.add_argument("--alone", action="store_true", help="grade each mutant on its own, not in layers")
    parser.add_argument("--repeat", type=int, default=1, help="grade everything this many times")
    parser.add_argument("--json", default=str(Path(__file__).parent / "corpus.json"), help="where to write the results")
    parser.add_argument("--against", nargs="+", default=[], metavar="EARLIER.json",
                        help="compare with the runs in these earlier results (the same code graded before)")
    args = parser.parse_args(argv)
    kinds = {k.strip() for k in args.kinds.split(",")}
    per_lesson = {lesson.name: entries(lesson.name, kinds, args.alone) for lesson in course.select(args.lessons)}
    code = fingerprint()
    earlier = earlier_rows(args.against, code)
    first = max((r["run"] for r in earlier), default=0) + 1
    rows = []
    for repeat in range(first, first + args.repeat):
        for graded in test_mutants.rounds(per_lesson):
            for row in grade_round(graded, repeat, code):
                rows.append(row)
                print(f"{'ok  ' if row['ok'] else 'FAIL'} run {repeat} {row['lesson']:14s} {row['entry']}\n"
                      f"     lost {row['lost'] or '-'}" + ("" if row["ok"] else f"; expected {row['expected_lost'] or 'none'}")
                      + f"  ({row['seconds']:.0f} s for the round)", flush=True)
            Path(args.json).write_text(json.dumps(rows, indent=1) + "\n")
    failed = [r for r in rows if not r["ok"]]
    print(f"{len(rows) - len(failed)} of {len(rows)} gradings kept their promise; wrote {args.json}")
    differing = unstable(earlier + rows)
    runs = len({r["run"] for r in earlier + rows})
    if runs > 1:
        print(f"checks whose points differ between the {runs} runs of the same code: {len(differing)}")
        print("\n".join(f"  {line}" for line in differing))
    return 1 if failed or differing else 0


if __name__ == "__main__":
    sys.exit(main())
