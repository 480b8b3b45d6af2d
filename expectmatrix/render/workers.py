"""Worker processes that can be stopped: where templates and layout run.

A template is untrusted code, and neither a signal nor a thread can interrupt one long
C-level step (a huge number, a huge string) in the same process. So documents are made
in spawned worker processes, each with a memory bound, and the parent kills a worker
whose job runs past its time limit and starts a fresh one: the limit holds whatever the
job does. A worker that dies takes only its own job with it.

Workers are spawned (forked WeasyPrint workers have crashed) with SIGINT blocked from
their first instruction, so a Ctrl-C reaches the parent alone, which lets the jobs in
flight finish and records them. A worker is replaced after a number of jobs, so caches
in the libraries it uses cannot grow with the length of a batch.

A worker that dies before it is ready is started again, but not forever: spawning
re-imports the program's main module, which a program read from standard input does not
have, and a few failed starts in a row fail the work with a message saying so.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import sys
import time
import traceback
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from typing import Any

from expectmatrix.errors import ExpectmatrixError, TimeUp, WorkerFailed

MEMORY_LIMIT = 3 * 1024**3  # bytes of data a worker may allocate
RECYCLE_AFTER = 250  # jobs, then a fresh process: keeps a long batch's workers flat
GRACE = 2.0  # seconds a job may overrun its limit (the worker stops it itself first)
START_TIMEOUT = 60.0  # seconds a worker may take to import its libraries and be ready
START_ATTEMPTS = 3  # workers that die before they are ready, in a row, before giving up




@dataclass
class _Worker:
    process: Any
    conn: Connection
    ready: bool = False
    jobs: int = 0
    started: float = 0.0
    item: Any = None
    busy: bool = False
    born: float = 0.0


@contextmanager
def _sigint_blocked() -> Iterator[None]:
    """A child started in here inherits a blocked SIGINT and never sees Ctrl-C; the
    parent's own Ctrl-C waits, pending, and arrives when this ends."""
    try:
        old = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    except (AttributeError, ValueError, OSError):  # not POSIX, or not the main thread
        yield
        return
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old)


def _main(conn: Connection, initializer: Callable[..., None], initargs: tuple[Any, ...],
          memory: int | None) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if memory:
        import resource

        with suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_DATA, (memory, memory))
    try:
        initializer(*initargs)
    except BaseException as e:  # told to the parent, which reports it once
        conn.send(("init-failed", _describe(e)))
        return
    conn.send(("ready", None))
    while True:
        try:
            message = conn.recv()
        except (EOFError, OSError):
            return
        if message is None:
            return
        fn, args = message
        try:
            outcome: tuple[str, Any] = ("ok", fn(*args))
        except MemoryError:
            outcome = ("error", "the document needed more memory than a worker may use "
                                f"({MEMORY_LIMIT // 1024**3} GB) and was stopped")
        except ExpectmatrixError as e:
            outcome = ("error", str(e))
        except TimeUp:  # the alarm rang just as the job ended, past its time limit
            outcome = ("error", "the document took longer than its time limit and was stopped")
        except Exception as e:  # a bug in one job must not stop the others
            outcome = ("error", _describe(e))
        conn.send(outcome)


def _describe(e: BaseException) -> str:
    if isinstance(e, ExpectmatrixError):
        return str(e)
    frame = traceback.extract_tb(e.__traceback__)[-1:] if e.__traceback__ else []
    where = f" (at {frame[0].filename}:{frame[0].lineno})" if frame else ""
    return f"unexpected {type(e).__name__}: {e}{where}"


class Pool:
    """``jobs`` worker processes built with ``initializer(*initargs)``; :meth:`map` runs
    a function over items, each within ``timeout`` seconds, and yields (item, result or
    WorkerFailed) as they finish. Set :attr:`stopping` to take no new items."""

    def __init__(self, jobs: int, initializer: Callable[..., None], initargs: tuple[Any, ...],
                 timeout: float | None, memory: int | None = MEMORY_LIMIT,
                 recycle_after: int = RECYCLE_AFTER) -> None:
        self.jobs = max(1, jobs)
        self.initializer, self.initargs = initializer, initargs
        self.timeout, self.memory, self.recycle_after = timeout, memory, recycle_after
        self.context = multiprocessing.get_context("spawn")
        self.workers: list[_Worker] = []
        self.stopping = False
        self.failed_starts = 0  # workers that died before they were ready, since one was

    def _start(self) -> _Worker:
        problem = _main_module_problem()
        if problem:
            self.close()
            raise WorkerFailed(problem)
        parent, child = self.context.Pipe()
        process = self.context.Process(target=_main, daemon=True,
                                       args=(child, self.initializer, self.initargs, self.memory))
        with _sigint_blocked():
            process.start()
        child.close()
        worker = _Worker(process, parent, born=time.monotonic())
        self.workers.append(worker)
        return worker

    def _retire(self, worker: _Worker, kill: bool = False) -> None:
        self.workers.remove(worker)
        try:
            if not kill:
                worker.conn.send(None)
        except OSError:
            kill = True
        if kill and worker.process.is_alive():
            worker.process.kill()
        worker.process.join(5 if not kill else None)
        if worker.process.is_alive():
            worker.process.kill()
            worker.process.join()
        worker.conn.close()

    def map(self, fn: Callable[..., Any], items: Iterable[Any], *args: Any
            ) -> Iterator[tuple[Any, Any]]:
        source = iter(items)
        exhausted = False
        while len(self.workers) < self.jobs:
            self._start()
        while True:
            for worker in list(self.workers):
                if worker.ready and not worker.busy and not exhausted and not self.stopping:
                    item = next(source, _END)
                    if item is _END:
                        exhausted = True
                        break
                    worker.item, worker.busy, worker.started = item, True, time.monotonic()
                    worker.conn.send((fn, (item, *args)))
            busy = [w for w in self.workers if w.busy]
            if not busy and (exhausted or self.stopping):
                return
            yield from self._collect()

    def _collect(self) -> Iterator[tuple[Any, Any]]:
        now = time.monotonic()
        deadlines = [w.started + self.timeout + GRACE - now
                     for w in self.workers if w.busy and self.timeout]
        wait_for = max(0.0, min([0.2, *deadlines]))
        handles = [w.conn for w in self.workers] + [w.process.sentinel for w in self.workers]
        ready = set(wait(handles, timeout=wait_for))
        for worker in list(self.workers):
            message = None
            if worker.conn in ready:
                try:
                    message = worker.conn.recv()
                except (EOFError, OSError):
                    message = None
            if message is not None:
                kind, value = message
                if kind == "ready":
                    worker.ready = True
                    self.failed_starts = 0
                elif kind == "init-failed":
                    self.close()
                    raise WorkerFailed(f"a worker could not start: {value}")
                else:
                    item = worker.item
                    worker.busy, worker.item = False, None
                    worker.jobs += 1
                    if worker.jobs >= self.recycle_after:
                        self._retire(worker)
                        self._start()
                    yield item, value if kind == "ok" else WorkerFailed(value)
                continue
            died = not worker.process.is_alive()
            late = (worker.busy and self.timeout is not None
                    and time.monotonic() - worker.started > self.timeout + GRACE)
            stalled = not worker.ready and time.monotonic() - worker.born > START_TIMEOUT
            if not worker.ready and (died or stalled):
                self._failed_start(worker, stalled)
                self._start()
            elif died or late:
                item, busy = worker.item, worker.busy
                self._retire(worker, kill=True)
                self._start()
                if busy:
                    yield item, WorkerFailed(
                        f"stopped after {self.timeout:g} s: the document took too long (a "
                        "template that loops or is slow to compile, or a table far too large)"
                        if late and not died
                        else "the worker making this document crashed (out of memory, or a "
                        "fault in a library)")

    def _failed_start(self, worker: _Worker, stalled: bool) -> None:
        """Count a worker that died (or hung) before it was ready; give up after a few
        in a row: such a worker would die the same way however often it is started."""
        code = worker.process.exitcode
        self._retire(worker, kill=True)
        self.failed_starts += 1
        if self.failed_starts < START_ATTEMPTS:
            return
        if stalled:
            last = f"was not ready after {START_TIMEOUT:g} s"
        elif code is not None and code < 0:
            last = f"was stopped by signal {_signal_name(-code)}"
        else:
            last = f"exited with code {code}"
        self.close()
        raise WorkerFailed(_cannot_start(f"{START_ATTEMPTS} in a row stopped before they were "
                                         f"ready; the last {last}"))

    def close(self) -> None:
        for worker in list(self.workers):
            self._retire(worker, kill=worker.busy)

    def __enter__(self) -> Pool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


_END = object()


def _main_module_problem() -> str | None:
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


def _cannot_start(reason: str) -> str:
    return (f"could not start a worker process ({reason}); if this program was read from "
            "standard input or an interactive session, save it as a file (with its work "
            f"under `if __name__ == \"__main__\":`), or {_NO_LIMIT}")


def _signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return str(number)


def nothing() -> None:
    """An initializer for workers that need no set-up."""


def run_one(initializer: Callable[..., None], initargs: tuple[Any, ...], fn: Callable[..., Any],
            item: Any, *args: Any, timeout: float | None) -> Any:
    """Run one job in a fresh worker within ``timeout``; its result, or WorkerFailed.
    Without a timeout the job runs here, in this process."""
    if not timeout:
        initializer(*initargs)
        return fn(item, *args)
    with Pool(1, initializer, initargs, timeout) as pool:
        for _, outcome in pool.map(fn, [item], *args):
            if isinstance(outcome, WorkerFailed):
                raise outcome
            return outcome
    raise WorkerFailed("the worker stopped before it made the document")


def cpu_count() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
