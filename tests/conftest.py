"""The kit's own tests. Submission corpora hold lessonN_*.py files: graded by tests, never collected.

With pytest-xdist (`-n 2 --dist loadgroup`, the README's test command), each test module runs whole on
one worker, so its module fixtures (a graded reference, a batch, a course) are computed once, while the
mutant rounds, each an independent grading, spread over the workers and go first, as the longest work;
then the longest modules.
"""
import os
import sys
from pathlib import Path, PurePosixPath

import pytest

# The tools of this interpreter's environment (nbgrader, and the alembic it runs) for every child, as in
# an activated venv: `.venv/bin/python -m pytest` works as `python -m pytest` does after `activate`.
os.environ["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])

collect_ignore_glob = ["mutants/*", "variants/*", "submissions/*", "fakecourse/*"]
INDEPENDENT = {"test_mutants"}  # modules whose tests share no fixture
# The modules that take longest (CI, 2026-12-07: from about 500 s down to 100 s on a worker), started first
# after the independent rounds, so that the two workers end together; the others keep their order.
LONGEST_FIRST = ["test_course", "test_tamper", "test_cluster", "test_gradescope", "test_batch", "test_engine",
                 "test_nbgrader", "test_gpu_path", "test_impossible", "test_student_side", "test_student_loop"]


def module_of(nodeid: str) -> str:
    return PurePosixPath(nodeid.split("::", 1)[0]).stem


def pytest_collection_modifyitems(items):
    def rank(item):
        module = module_of(item.nodeid)
        return (module not in INDEPENDENT,
                LONGEST_FIRST.index(module) if module in LONGEST_FIRST else len(LONGEST_FIRST))

    items.sort(key=rank)  # stable: a module's tests keep their order


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config, log):
    """``--dist loadgroup``, grouped by module here: xdist 3.8 names a test's group by rewriting its node
    id, which pytest 9.2 ignores, so marked groups would be spread over the workers test by test."""
    if config.getvalue("dist") != "loadgroup":
        return None
    from xdist.scheduler import LoadScopeScheduling

    class ByModule(LoadScopeScheduling):
        def __init__(self, config, log=None):
            super().__init__(config, log)
            config.option.loadscopereorder = False  # keep the collection's order: independent rounds first

        def _split_scope(self, nodeid: str) -> str:
            return nodeid if module_of(nodeid) in INDEPENDENT else module_of(nodeid)

    return ByModule(config, log)
