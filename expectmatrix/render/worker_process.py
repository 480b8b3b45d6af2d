"""Inside a worker process: its loop over jobs, and what it tells the parent.

Also the messages of workers that fail, said the same way by every executor, and why a
worker might not start at all, when that is known before trying.
"""

from __future__ import annotations

import os
import signal
import sys
import time
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from multiprocessing.connection import Connection
from typing import Any

from expectmatrix.errors import ExpectmatrixError, TimeUp

MEMORY_LIMIT = 3 * 1024**3  # bytes of data a worker may allocate


def failure_message(e: BaseException) -> str:
    """What a job that raised ``e`` tells the user (the same from any executor)."""
    if isinstance(e, MemoryError):
        return ("the document needed more memory than a worker may use "
                f"({MEMORY_LIMIT // 1024**3} GB) and was stopped")
    if isinstance(e, TimeUp):  # the alarm rang just as the job ended, past its time limit
        return "the document took longer than its time limit and was stopped"
    if isinstance(e, ExpectmatrixError):
        return str(e)
    frame = traceback.extract_tb(e.__traceback__)[-1:] if e.__traceback__ else []
    where = f" (at {frame[0].filename}:{frame[0].lineno})" if frame else ""
    return f"unexpected {type(e).__name__}: {e}{where}"


@contextmanager
def sigint_blocked() -> Iterator[None]:
    """A child started in here inherits a blocked SIGINT and never sees Ctrl-C."""
    try:
        old = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    except (AttributeError, ValueError, OSError):  # not POSIX
        yield
        return
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old)


def serve_jobs(conn: Connection, initializer: Callable[..., None], initargs: tuple[Any, ...],
               memory: int | None, environment: dict[str, str] | None = None,
               cwd: str | None = None) -> None:
    """A worker process: set up once, then run the jobs the parent sends, one at a time.
    ``environment`` and ``cwd``: the parent's when it asked for the worker, which a
    worker forked from a server started earlier does not otherwise have."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if environment is not None:
        os.environ.clear()
        os.environ.update(environment)
        time.tzset()
    if cwd:
        with suppress(OSError):
            os.chdir(cwd)
    if memory:
        import resource

        with suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_DATA, (memory, memory))
    try:
        initializer(*initargs)
    except BaseException as e:  # told to the parent, which reports it once
        conn.send(("init-failed", failure_message(e)))
        return
    conn.send(("ready", None))
    while True:
        try:
            message = conn.recv()
        except (EOFError, OSError):
            return
        if message is None:
            return
        fn, args, kwargs = message
        try:
            outcome: tuple[str, Any] = ("ok", fn(*args, **kwargs))
        except (Exception, TimeUp) as e:  # a bug in one job must not stop the others
            outcome = ("error", failure_message(e))
        conn.send(outcome)


def main_module_problem() -> str | None:
    """Why a spawned worker could not load this program's main module, if that is known
    before trying: a program read from standard input names ``<stdin>`` as its file,
    which no worker can read again. (A program without a file, such as an interactive
    session or ``python -c``, is not re-imported and is fine.)"""
    main = sys.modules.get("__main__")
    if main is None or getattr(getattr(main, "__spec__", None), "name", None):
        return None
    path = getattr(main, "__file__", None)
    if isinstance(path, str) and path.startswith("<") and path.endswith(">"):
        return (f"could not start a worker process (this program was read from {path}, "
                "which a worker process cannot load again); save it as a file and run "
                f"that, or {_NO_LIMIT}")
    return None


_NO_LIMIT = "render without a time limit (timeout=None, or --timeout 0 on the command line)"


def cannot_start(reason: str) -> str:
    return (f"could not start a worker process ({reason}); if this program was read from "
            "standard input or an interactive session, save it as a file (with its work "
            f"under `if __name__ == \"__main__\":`), or {_NO_LIMIT}")


def signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return str(number)


def nothing() -> None:
    """An initializer for workers that need no set-up."""
