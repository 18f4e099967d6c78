"""``bench/corpus.py``'s comparison of passes: the whole corpus three times is hours on 2 cores, so a pass
can be graded on its own and compared with earlier ones (``--against``), of the same code only."""
from __future__ import annotations

import json
import sys

import pytest

import kit

sys.path.insert(0, str(kit.KIT / "bench"))
import corpus  # noqa: E402


def row(run: int, code: str, **scores: float) -> dict:
    return {"run": run, "code": code, "lesson": "lesson4_data", "entry": "reference", "scores": scores}


def test_earlier_passes_are_numbered_after_each_other_and_compared(tmp_path):
    code = corpus.fingerprint()
    first, second = tmp_path / "first.json", tmp_path / "second.json"
    first.write_text(json.dumps([row(1, code, normalize_values=2.0)]))
    second.write_text(json.dumps([row(2, code, normalize_values=0.0)]))  # a pass --against the first: its run 2
    rows = corpus.earlier_rows([str(first), str(second)], code)
    assert [r["run"] for r in rows] == [1, 2]
    assert corpus.unstable(rows) == ["lesson4_data [reference] normalize_values: [2.0, 0.0]"]
    assert corpus.unstable(corpus.earlier_rows([str(first), str(first)], code)) == []


def test_a_pass_of_other_code_is_refused(tmp_path):
    other = tmp_path / "other.json"
    other.write_text(json.dumps([row(1, "0123456789abcdef", normalize_values=2.0)]))
    with pytest.raises(SystemExit, match="graded other code .* grade again, or leave it out of --against"):
        corpus.earlier_rows([str(other)], corpus.fingerprint())


def test_the_fingerprint_follows_the_graders(tmp_path, monkeypatch):
    before = corpus.fingerprint()
    copy = tmp_path / "kit"
    for folder in ("graders", "solutions", "fixtures", "tests/mutants", "tests/variants"):
        (copy / folder).mkdir(parents=True)
    (copy / "graders" / "course.toml").write_text("[lessons]\n")
    monkeypatch.setattr(kit, "KIT", copy)
    empty = corpus.fingerprint()
    (copy / "graders" / "course.toml").write_text("[lessons]\n# a bar moved\n")
    assert len({before, empty, corpus.fingerprint()}) == 3
