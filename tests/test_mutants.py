"""The graders' promises, proven on the kit's own corpus (rustlings' ``dev check``, for a grader):

- every check, hidden ones included, is shown to fail by some mutant (``tests/mutants/<lesson>/*.py``:
  the reference with one mistake a student could make, and ``BREAKS``, the checks it must lose);
- every correct variant (``tests/variants/<lesson>/*.py``: the reference written another valid way)
  gets full marks on every check that reads what it redefines (``tests/reach.json``).

Gradings are shared to keep the suite short. Mutants that redefine different names and break
different checks are stacked into one submission (a "layer"), and one grading run takes one layer of
every lesson, running the checks those mutants must break.

The suite grades a cover of the corpus: the fewest mutants, picked greedily, that between them lose
every check, and the fewest variants that between them reach every check any variant reaches.
``KIT_SLOW_TESTS=1`` grades every mutant and every variant. The other half of the promise, that a mutant
loses no check beyond its ``BREAKS`` (a broken step never costs the steps after it), needs every check
of every layer run: ``bench/corpus.py`` proves it for the whole corpus; here, the rounds that hold a
mistake of ``IN_FULL`` run every check of its lesson, and there the layer must lose exactly its ``BREAKS``.
"""
from __future__ import annotations

import ast
import functools
import os
from pathlib import Path
from typing import Callable

import pytest

import kit
from graders.engine.grading import catalog
from graders.engine import course

LESSONS = [l.name for l in course.lessons().values()]


def defined_names(fragment: Path) -> set[str]:
    """The top-level names a fragment (re)defines, ``BREAKS`` and ``TAMPERING`` (what it declares) aside."""
    names = set()
    for node in ast.parse(fragment.read_text()).body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.Assign):
            names |= {t.id for t in node.targets if isinstance(t, ast.Name)}
    return names - {"BREAKS", "TAMPERING"}


def names_in(node: ast.AST) -> set[str]:
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}


@functools.cache
def reference_uses(lesson: str) -> dict[str, set[str]]:
    """For each top-level definition of the lesson's reference, the names it mentions."""
    tree = ast.parse((kit.KIT / "solutions" / f"{lesson}.py").read_text())
    return {node.name: names_in(node) for node in tree.body
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))}


def reached_from(lesson: str, names) -> set[str]:
    """``names``, and every name the reference's definitions among them reach in turn (``tune_max_depth``
    calls ``build_trainer``, which runs the train loop)."""
    uses = reference_uses(lesson)
    reached, todo = set(), list(names)
    while todo:
        name = todo.pop()
        if name not in reached:
            reached.add(name)
            todo += uses.get(name, ())
    return reached


def used_names(fragment: Path) -> set[str]:
    """Every name a fragment's code reaches: those it mentions, and those they reach in the reference."""
    return reached_from(fragment.parent.name, names_in(ast.parse(fragment.read_text())))


def only_defines(fragment: Path) -> bool:
    """Whether a fragment's top level only defines names (no call made at import, say)."""
    body = ast.parse(fragment.read_text()).body
    return all(isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Assign, ast.Import,
                                 ast.ImportFrom)) or isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)
               for node in body)


def imports(tree: ast.Module) -> set[tuple[str, str]]:
    """(name bound, what it is) for each top-level import: ``import numpy as np`` is ("np", "numpy")."""
    return {(a.asname or a.name.partition(".")[0], f"{getattr(node, 'module', '') or ''}:{a.name}")
            for node in tree.body if isinstance(node, (ast.Import, ast.ImportFrom)) for a in node.names}


def rebound_names(fragment: Path) -> set[str]:
    """The names a fragment binds to something else than the reference does: those it defines, and those
    it imports from elsewhere (a reference function reads the new binding when it runs)."""
    reference = imports(ast.parse((kit.KIT / "solutions" / f"{fragment.parent.name}.py").read_text()))
    return defined_names(fragment) | {name for name, what in imports(ast.parse(fragment.read_text())) - reference}


def reaching_checks(lesson: str, fragments: list[Path]) -> list[str]:
    """The checks of ``lesson`` that can tell ``fragments`` from the reference: those that read (as the
    reference's grading recorded, ``tests/reach.json``) a name that reaches one the fragments rebind.
    Every check when a fragment does more than bind names, or a check was not recorded."""
    checks = [c.name for c in catalog.checks(lesson)]
    if not all(map(only_defines, fragments)):
        return checks
    redefined = set().union(*map(rebound_names, fragments))
    read = kit.recorded_reach().get(lesson, {})
    return [c for c in checks if c not in read or reached_from(lesson, read[c]) & redefined]


def clash(a: Path, b: Path) -> bool:
    """Two mutants that cannot share a layer: one redefines a name the other defines or reaches (its
    mistake could hide or cause the other's), or they must break the same check."""
    return bool(defined_names(a) & (defined_names(b) | used_names(b)) or defined_names(b) & used_names(a)
                or set(kit.breaks_of(a)) & set(kit.breaks_of(b)))


def clash_counts(found: list[Path]) -> dict[Path, int]:
    """For each fragment, how many of the others it clashes with."""
    return {m: sum(clash(m, other) for other in found if other != m) for m in found}


def layers(lesson: str, found: list[Path] | None = None) -> list[list[Path]]:
    """The lesson's mutants (or ``found``: its correct variants) stacked greedily, those that clash with
    most others first: no two fragments of a layer clash."""
    found = kit.mutants(lesson) if found is None else found
    clashes = clash_counts(found)
    stacked: list[list[Path]] = []
    for mutant in sorted(found, key=lambda m: (-clashes[m], m.name)):
        layer = next((members for members in stacked if not any(clash(mutant, m) for m in members)), None)
        if layer is None:
            stacked.append([mutant])
        else:
            layer.append(mutant)
    return stacked


def cover(found: list[Path], judged: Callable[[Path], set[str]]) -> list[Path]:
    """The fewest of ``found`` (one lesson's fragments), picked greedily, that between them cover every
    check any of them does (``judged``: the checks a fragment is graded on). Each pick covers the most
    checks not yet covered, and among those clashes with the fewest others (so the picks stack into
    few layers)."""
    clashes = clash_counts(found)
    left, picked = set().union(*map(judged, found)), []
    while left:
        best = min(found, key=lambda f: (-len(left & judged(f)), clashes[f], f.name))
        picked.append(best)
        left -= judged(best)
    return picked


def breaks(mutant: Path) -> set[str]:
    return set(kit.breaks_of(mutant))


def reaching(variant: Path) -> set[str]:
    return set(reaching_checks(variant.parent.name, [variant]))


def every_fragment() -> bool:
    return os.environ.get("KIT_SLOW_TESTS") == "1"


# Mistakes that once cost checks far from their own (a trainer asking for 16 workers hung the steps after
# it): always graded, and the round that grades each runs every check of its lesson.
IN_FULL = {"lesson1_taxi": ["workers_sixteen"]}


def graded_mutants(lesson: str) -> list[Path]:
    """The mutants this run grades: a cover of the lesson's checks and those ``IN_FULL``, or all of them
    with KIT_SLOW_TESTS=1."""
    found = kit.mutants(lesson)
    if every_fragment():
        return found
    picked = cover(found, breaks)
    return picked + [m for m in found if m.stem in IN_FULL.get(lesson, ()) and m not in picked]


def in_full(lesson: str, layer: list[Path]) -> bool:
    """Whether a layer holds a mistake graded with every check of its lesson run."""
    return any(m.stem in IN_FULL.get(lesson, ()) for m in layer)


def graded_variants(lesson: str) -> list[Path]:
    """The correct variants this run grades: the fewest that reach every check any variant of the lesson
    reaches, or all of them with KIT_SLOW_TESTS=1."""
    return kit.variants(lesson) if every_fragment() else cover(kit.variants(lesson), reaching)


def rounds(per_lesson: dict[str, list]) -> list[list[tuple[str, object]]]:
    """Round i takes the i-th entry of each lesson that has one."""
    depth = max(map(len, per_lesson.values()), default=0)
    return [[(lesson, found[i]) for lesson, found in per_lesson.items() if i < len(found)] for i in range(depth)]


def round_id(graded: list[tuple[str, object]]) -> str:
    return "+".join(f"{lesson.split('_')[0]}:{len(f) if isinstance(f, list) else f.stem}" for lesson, f in graded)


def lost_by_lesson(result: dict) -> dict[str, set[str]]:
    """lesson -> the checks that scored less than their maximum."""
    lost: dict[str, set[str]] = {}
    for t in result["tests"]:
        lesson, _, name = t["name"].partition("::")
        lost.setdefault(lesson, set())
        if t["score"] < t["max_score"]:
            lost[lesson].add(name)
    return lost


def test_every_check_is_broken_by_some_mutant():
    for lesson in LESSONS:
        checks = {c.name for c in catalog.checks(lesson)}
        broken = {name for m in kit.mutants(lesson) for name in kit.breaks_of(m)}
        assert not broken - checks, f"{lesson}: mutants name checks that do not exist: {sorted(broken - checks)}"
        assert not checks - broken, f"{lesson}: no mutant shows these checks can fail: {sorted(checks - broken)}"


def test_stacking_keeps_mutants_apart():
    for lesson in LESSONS:
        for layer in layers(lesson):
            together = [(a.stem, b.stem) for a in layer for b in layer if a != b and clash(a, b)]
            assert not together, f"{lesson}: a layer holds mutants that clash: {together}"


def stack(graded: list[tuple[str, list[Path]]], folder: Path) -> dict[str, set[str]]:
    """Write each lesson's layer of mutants into ``folder``; lesson -> the checks the layer must lose."""
    for lesson, layer in graded:
        kit.make_submission(lesson, layer, folder)
    return {lesson: {name for m in layer for name in kit.breaks_of(m)} for lesson, layer in graded}


def test_the_cover_loses_every_check_the_corpus_does():
    for lesson in LESSONS:
        lost = {name for m in kit.mutants(lesson) for name in kit.breaks_of(m)}
        assert set().union(*map(breaks, graded_mutants(lesson))) == lost, lesson


def test_the_graded_variants_reach_every_check_the_variants_do():
    for lesson in LESSONS:
        reached = set().union(*map(reaching, kit.variants(lesson)))
        assert set().union(*map(reaching, graded_variants(lesson))) == reached, lesson


@pytest.mark.parametrize("graded", rounds({l: layers(l, graded_mutants(l)) for l in LESSONS}), ids=round_id)
def test_stacked_mutants_lose_their_breaks(graded, tmp_path):
    expected = stack(graded, tmp_path / "submission")
    full = {lesson for lesson, layer in graded if in_full(lesson, layer)}
    every = {lesson: {c.name for c in catalog.checks(lesson)} for lesson in full}
    result = kit.grade(tmp_path / "submission", lessons=",".join(expected),
                       checks=sorted(set().union(*expected.values(), *every.values())))
    lost = lost_by_lesson(result)

    def mutants_of(lesson):
        return [m.stem for other, layer in graded if other == lesson for m in layer]

    kept = [f"{lesson}::{name} (mutants {mutants_of(lesson)})"
            for lesson, names in expected.items() for name in sorted(names - lost.get(lesson, set()))]
    assert not kept, "checks that kept their points under a mutant that must break them:\n" + "\n".join(kept)
    unread = {f"{lesson}::{c}" for lesson, cs in every.items() for c in cs} - {t["name"] for t in result["tests"]}
    assert not unread, f"checks of a lesson graded in full that were not graded: {sorted(unread)}"
    reasons = {t["name"]: t["output"][:300] for t in result["tests"] if t["score"] < t["max_score"]}
    besides = [f"{lesson}::{name} (mutants {mutants_of(lesson)}): {reasons[f'{lesson}::{name}']}"
               for lesson in full for name in sorted(lost.get(lesson, set()) - expected[lesson])]
    assert not besides, "checks lost beyond the BREAKS of a layer graded in full:\n" + "\n".join(besides)


def test_stacking_keeps_variants_apart():
    for lesson in LESSONS:
        for layer in layers(lesson, kit.variants(lesson)):
            together = [(a.stem, b.stem) for a in layer for b in layer if a != b and clash(a, b)]
            assert not together, f"{lesson}: a layer holds variants that clash: {together}"


def test_every_variant_reaches_a_check():
    for lesson in LESSONS:
        idle = [v.stem for v in kit.variants(lesson) if not reaching_checks(lesson, [v])]
        assert not idle, f"{lesson}: variants that no check reads, so no grading can tell them apart: {idle}"


# Correct variants that redefine different names, stacked as mutants are. Each round grades the checks
# that read what its variants redefine (every check of every variant: ``bench/corpus.py``).
@pytest.mark.parametrize("graded", rounds({l: layers(l, graded_variants(l)) for l in LESSONS}), ids=round_id)
def test_correct_variants_get_full_marks(graded, tmp_path):
    folder = tmp_path / "submission"
    for lesson, layer in graded:
        kit.make_submission(lesson, layer, folder)
    reaching = {lesson: reaching_checks(lesson, layer) for lesson, layer in graded}
    result = kit.grade(folder, lessons=",".join(reaching), checks=sorted({c for cs in reaching.values() for c in cs}))
    unread = {f"{lesson}::{c}" for lesson, cs in reaching.items() for c in cs} - {t["name"] for t in result["tests"]}
    assert not unread, f"checks of the variants' lessons that were not graded: {sorted(unread)}"
    lost = [f"{t['name']} ({[v.stem for v in dict(graded)[t['name'].split('::')[0]]]}): {t['output'][:300]}"
            for t in result["tests"] if t["score"] < t["max_score"]]
    assert not lost, "correct variants lost points:\n" + "\n".join(lost)


def test_every_lesson_has_four_correct_variants():
    few = {lesson: len(kit.variants(lesson)) for lesson in LESSONS if len(kit.variants(lesson)) < 4}
    assert not few, f"lessons with fewer than four correct variants in tests/variants/: {few}"
