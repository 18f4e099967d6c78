"""Ray Serve for the graders: its HTTP proxy on a loopback port, the applications one lesson deploys, and
functions that lessons run on the student's side (``StudentSide.apply``) to ask a deployment through its
handle, so that the handle and its answer's objects stay there and what comes back is plain data
(lessons 1 and 5)."""
from __future__ import annotations

import contextlib

import numpy as np

from graders.engine.grading import shapes


def answered(value):
    """A method's answer as data the grader can judge: a dict's array-likes (torch tensors) as arrays."""
    if isinstance(value, dict):
        return {key: np.asarray(item) if hasattr(item, "__array__") else item for key, item in value.items()}
    return value


def handle_answer(handle, method: str, batch):
    """``handle.<method>.remote(batch).result()``."""
    return answered(getattr(handle, method).remote(batch).result(timeout_s=shapes.REQUEST_TIMEOUT_S))


# -- the proxy and a lesson's apps (the grader's process) --------------------------------------------
def start_serve(port: int) -> None:
    """Start Ray Serve's HTTP proxy on loopback ``port`` (a Serve already running keeps its own)."""
    from ray import serve

    serve.start(http_options={"host": "127.0.0.1", "port": port})


def serve_base_url() -> tuple[str, int]:
    """The base URL and port of the running Serve's proxy."""
    from ray.serve.context import _get_global_client

    http = _get_global_client().http_config
    return f"http://{'127.0.0.1' if http.host in ('0.0.0.0', '::') else http.host}:{http.port}", http.port


class ServeApps:
    """Serve applications deployed by one lesson's grader, all deleted when the lesson ends."""

    def __init__(self, base_url: str, token: str):
        self.base_url, self.token, self.names = base_url, token, []

    def new(self, base: str) -> tuple[str, str]:
        """A unique (app name, route prefix), so graders of two submissions never collide."""
        name = f"{base}-{self.token}"
        self.names.append(name)
        return name, f"/{name}"

    def url(self, route_prefix: str, path: str = "") -> str:
        return f"{self.base_url}{route_prefix}{path}"

    def delete_all(self, *, but: str | None = None, wait: bool = True) -> None:
        """Delete every app named so far (``but`` one: its replicas get the CPUs the others held).

        ``wait=False`` returns while the replicas stop: the next lesson starts meanwhile.
        """
        from ray import serve

        for name in [n for n in self.names if n != but]:
            with contextlib.suppress(Exception):
                serve.delete(name, _blocking=wait)
            self.names.remove(name)
