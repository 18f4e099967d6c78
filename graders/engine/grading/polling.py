"""Waiting for something to hold, and asking whether a port answers."""
from __future__ import annotations

import contextlib
import socket
import time


def wait_for(condition, *, timeout: float, interval: float = 0.2, what: str = "condition"):
    """Poll ``condition()`` until it returns something truthy; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")
        time.sleep(interval)


def port_answers(port: int) -> bool:
    """Whether something listens on loopback ``port``."""
    with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=2):
        return True
    return False
