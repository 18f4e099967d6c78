"""The kit's own tests. Submission corpora hold lessonN_*.py files: graded by tests, never collected.

With pytest-xdist (`-n 2 --dist loadgroup`, the README's test command), each test module runs whole on
one worker, so its module fixtures (a graded reference, a batch, a course) are computed once, while the
mutant rounds, each an independent grading, spread over the workers.
"""
import pytest

collect_ignore_glob = ["mutants/*", "variants/*", "submissions/*", "fakecourse/*"]
INDEPENDENT = {"test_mutants"}  # modules whose tests share no fixture


def pytest_configure(config):
    config.addinivalue_line("markers", "xdist_group(name): run these tests on one xdist worker")


@pytest.hookimpl(tryfirst=True)  # before xdist reads the groups
def pytest_collection_modifyitems(items):
    for item in items:
        if item.module.__name__ not in INDEPENDENT:
            item.add_marker(pytest.mark.xdist_group(item.module.__name__))
