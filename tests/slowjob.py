"""Jobs for the worker tests, importable by spawned worker processes."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

GATE = "EXPECTMATRIX_TEST_GATE"


def init() -> None:
    pass


def stuck(item: str) -> str:
    """A job no alarm can stop (as one long C-level step would be): only a kill can."""
    if item == "stuck":
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGALRM})
        time.sleep(1000)
    return f"{item} done"


def gate_hook() -> None:
    """In a batch worker: each DOCX waits until the gate file exists, and says it is
    waiting with a file of its own beside the gate."""
    from expectmatrix.render import docx as docx_writer

    original = docx_writer.DocxRenderer.render
    gate = Path(os.environ[GATE])

    def render(self, view):  # type: ignore[no-untyped-def]
        Path(f"{gate}.{os.getpid()}").touch()
        deadline = time.monotonic() + 120
        while not gate.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        return original(self, view)

    docx_writer.DocxRenderer.render = render  # type: ignore[method-assign]


def patch_batch() -> None:
    """In the parent: every batch's workers get the gate."""
    from functools import partial

    from expectmatrix.batch import runner as batch

    batch.run_batch = partial(batch.run_batch, worker_hook=gate_hook)  # type: ignore[assignment]


def pid(item: str) -> int:
    """The worker's process id: tells whether two jobs ran in the same worker."""
    return os.getpid()


def fail(item: str) -> str:
    raise ValueError(f"{item} is refused")
