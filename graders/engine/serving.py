"""Serve on the student's side: functions that lessons run there (``StudentSide.apply``) to ask a
deployment through its handle, so that the handle and its answer's objects stay there and what comes
back is plain data (lessons 1 and 5)."""
from __future__ import annotations

import numpy as np

from graders.engine import shapes


def answered(value):
    """A method's answer as data the grader can judge: a dict's array-likes (torch tensors) as arrays."""
    if isinstance(value, dict):
        return {key: np.asarray(item) if hasattr(item, "__array__") else item for key, item in value.items()}
    return value


def handle_answer(handle, method: str, batch):
    """``handle.<method>.remote(batch).result()``."""
    return answered(getattr(handle, method).remote(batch).result(timeout_s=shapes.REQUEST_TIMEOUT_S))
