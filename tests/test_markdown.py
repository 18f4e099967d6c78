"""Feedback renders as written: a CommonMark renderer (markdown-it-py) shows a reader each failing check's
message and hint, underscores and all, with no ANSI code, in results.json and in feedback.md alike.

One grading without Ray: lessons 1, 2, 3 and 5 as their stubs (every check "not started", with its hint),
lesson 4 as the reference whose ``add_label`` and ``MNISTClassifier`` fail with messages full of markdown
characters and Ray's colour codes (only the checks that need no Ray are selected).
"""
from __future__ import annotations

import json
import re
import shutil
from html.parser import HTMLParser

import pytest
from markdown_it import MarkdownIt

import kit
from graders.engine import course
from graders.engine.reporting import feedback, stream

COMMONMARK = MarkdownIt("commonmark")
SGR = re.compile(r"\x1b\[[0-9;]*m")  # the colour codes Ray's errors carry
CODE_SPAN = re.compile(r"(`+)(.+?)\1")
BROKEN_LESSON4 = '''

def add_label(batch):
    raise ValueError("\\x1b[31mno label for __index_level_0__\\x1b[0m: *every* row needs <b>one</b> "
                     "[digit](0-9) | 1_000 & `path` ~~or~~ $x$ \\\\ # end")


class MNISTClassifier:
    def __init__(self, local_path):
        raise RuntimeError("1. __init__ could not load the model_path; see __call__")
'''
LESSON4_CHECKS = ("add_label_from_folder", "classifier_predicts")


class _Reader(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.text, self.tags, self.code, self.open = [], [], [], []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.open.append(tag)

    def handle_endtag(self, tag):
        self.open.pop()

    def handle_data(self, data):
        self.text.append(data)
        if "code" in self.open:
            self.code.append(data)


def seen(markdown: str) -> _Reader:
    """What a reader sees of ``markdown``: ``.text`` (whitespace collapsed), ``.tags``, ``.code`` (code spans' text)."""
    reader = _Reader()
    reader.feed(COMMONMARK.render(markdown))
    reader.text = " ".join("".join(reader.text).split())
    return reader


def as_written(check) -> str:
    """The check's message and hint as their authors wrote them: code spans' backticks aside, no colour codes."""
    def inline(text: str) -> str:
        return CODE_SPAN.sub(lambda m: m[2], SGR.sub("", text))

    first, _, rest = check.message.partition("\n")
    text = f"{inline(first)} {SGR.sub('', rest)}" + (f" Hint: {inline(check.hint)}" if check.hint else "")
    return " ".join(text.split())


def assert_renders_as_written(markdown: str, check) -> None:
    """``markdown`` (a check's feedback) shows exactly its message and hint: no emphasis, link, heading, list or
    HTML made of its characters, no ANSI code, and each name with an underscore in code."""
    shown = seen(markdown)
    assert shown.text == as_written(check), f"{check.qualified_name}:\n{markdown}\nreads\n{shown.text}"
    assert "\x1b" not in markdown and not re.search(r"(?<!x1b)\[\d+(;\d+)*m", shown.text), markdown  # a source line may quote one
    assert set(shown.tags) <= {"p", "code", "pre", "strong"} and shown.tags.count("strong") <= 1, (shown.tags, markdown)
    first_line = check.message.partition("\n")[0]
    names = set(re.findall(r"\w*_\w*", SGR.sub("", first_line + " " + check.hint)))
    assert all(any(name in code for code in shown.code) for name in names), (names, shown.code, markdown)


@pytest.fixture(scope="module")
def graded(tmp_path_factory) -> tuple[dict, str, dict]:
    """results.json, feedback.md and the streamed (raw) results of the grading described above."""
    tmp = tmp_path_factory.mktemp("markdown")
    submission = tmp / "submission"
    submission.mkdir()
    for lesson in course.lessons():
        shutil.copy(kit.KIT / "exercises" / f"{lesson}.py", submission)
    reference = (kit.KIT / "solutions" / "lesson4_data.py").read_text()
    (submission / "lesson4_data.py").write_text(reference + BROKEN_LESSON4)
    json_path, report, stream_path = tmp / "results.json", tmp / "feedback.md", tmp / "stream.jsonl"
    selected = " or ".join([*(name for name in course.lessons() if name != "lesson4_data"), *LESSON4_CHECKS])
    proc = kit.run_graders("grade", str(submission), "--json", str(json_path), "--report", str(report),
                           "--results-stream", str(stream_path), "-k", selected, timeout=600)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return json.loads(json_path.read_text()), report.read_text(), stream.read(stream_path).finished


def test_a_failing_check_of_every_lesson_renders_as_written(graded):
    result, _, raw = graded
    failing = [t for t in result["tests"] if t["status"] == "failed"]
    assert {t["name"].split("::")[0] for t in failing} == set(course.lessons())
    assert {f"lesson4_data::{name}" for name in LESSON4_CHECKS} <= {t["name"] for t in failing}
    for test in failing:
        assert test["output_format"] == "md"
        assert_renders_as_written(test["output"], raw[test["name"]])


def test_ray_colour_codes_and_markdown_characters_are_shown_as_text(graded):
    result, _, raw = graded
    test = next(t for t in result["tests"] if t["name"] == "lesson4_data::add_label_from_folder")
    assert "\x1b[31m" in raw[test["name"]].message  # what the student's code raised
    shown = seen(test["output"]).text
    assert "no label for __index_level_0__: *every* row needs <b>one</b> [digit](0-9) | 1_000 & path" in shown, shown
    assert "ValueError" in shown and "lesson4_data.py" in shown


def test_feedback_md_shows_each_lost_check_as_written(graded):
    result, report, raw = graded
    shown = seen(report)
    assert "\x1b" not in report and "<em>" not in COMMONMARK.render(report)
    for test in result["tests"]:
        if test["status"] == "failed":
            assert as_written(raw[test["name"]]) in shown.text, test["name"]
            assert f"{test['name']}: 0/" in shown.text


@pytest.mark.parametrize("text", [
    "__init__ loads the model once; __call__ uses it on each batch (__index_level_0__ is dropped).",
    "1. not a list", "- nor an item", "# nor a heading", "[0, 1]: not a link definition", "=== nor a line",
    "<lambda> & &amp; *stars* _under_ [a](link) ![an](image) a|b ~~no~~ $x$ back\\slash lone ` tick",
    "`read_images(..., include_paths=True)` kept as code, then ray.data.Dataset.map_batches.",
    "\x1b[36mray::MapBatches(normalize)()\x1b[39m (pid=1, ip=127.0.0.1) failed in lesson4_data.py.",
])
def test_one_paragraph_reads_as_written(text):
    shown = seen(feedback.md_text(text))
    plain = CODE_SPAN.sub(lambda m: m[2], SGR.sub("", text))
    assert shown.text == " ".join(plain.split()) and set(shown.tags) <= {"p", "code"}, (feedback.md_text(text), shown.text)


def test_a_code_block_keeps_its_lines_and_loses_its_colour_codes():
    text = "Traceback:\n  ```inner fence```\n\x1b[1m  File \"lesson4_data.py\", line 3, in __init__\x1b[0m"
    html = COMMONMARK.render(feedback.md_block(text))
    assert html.count("<pre>") == 1 and "File &quot;lesson4_data.py&quot;, line 3, in __init__" in html, html
    assert "\x1b" not in html and "```inner fence```" in html


def test_a_code_span_holds_backticks():
    assert seen(feedback.md_code("a `b` c")).code == ["a `b` c"]
