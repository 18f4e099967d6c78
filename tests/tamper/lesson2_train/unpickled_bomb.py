"""An ``evaluate`` that answers, instead of its metrics, with an object that rewrites pytest's reports
wherever it is unpickled (``TAMPERING``): it never is, on the grader's side."""
TAMPERING = "unpickled_bomb"
BREAKS = ["evaluate"]


def evaluate(model: torch.nn.Module, *, root: str, batch_size: int = 256) -> dict:
    return _Forgery()
