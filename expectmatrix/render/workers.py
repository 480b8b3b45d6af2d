"""Worker processes that can be stopped: where templates and layout run.

A template is untrusted code, and neither a signal nor a thread can interrupt one long
C-level step (a huge number, a huge string) in the same process. So documents are made
in worker processes, each with a memory bound, and a thread of the parent kills
a worker whose job runs past its time limit and starts a fresh one: the limit holds
whatever the job does. A worker that dies takes only its own job with it.

:class:`ProcessExecutor` is a ``concurrent.futures.Executor``, so the batch drives it as
it drives any other (a dask cluster's, say). Workers are forked from a clean server
process that has imported the writers once (workers forked from a process that has
rendered have crashed), with SIGINT blocked from their first instruction, so a Ctrl-C
reaches the parent alone, which lets the jobs in flight finish and records them. A
worker is replaced after a number of jobs, so caches in the libraries it uses cannot
grow with the length of a batch.

A worker that dies before it is ready is started again, but not forever: the server
re-imports the program's main module, which a program read from standard input does not
have, and a few failed starts in a row fail the work with a message saying so.
"""

from __future__ import annotations

import atexit
import multiprocessing
import os
import threading
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import Executor, Future
from contextlib import suppress
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from typing import Any, Literal

from expectmatrix.errors import WorkerFailed
from expectmatrix.render.worker_process import (
    MEMORY_LIMIT,
    cannot_start,
    failure_message,
    main_module_problem,
    nothing,
    serve_jobs,
    sigint_blocked,
    signal_name,
)

__all__ = ["GRACE", "MEMORY_LIMIT", "START_ATTEMPTS", "ProcessExecutor",
           "cpu_count", "failure_message", "nothing", "run_one"]

# What the server that workers are forked from imports once: a spawned worker would
# import the writers again, about a second each.
PRELOAD = ("expectmatrix.render.worker_process", "weasyprint", "docx", "expectmatrix.render.pdf",
           "expectmatrix.render.docx", "expectmatrix.render.html",
           "expectmatrix.render.standalone")
RECYCLE_AFTER = 250  # jobs, then a fresh process: keeps a long batch's workers flat
GRACE = 2.0  # seconds a job may overrun its limit (the worker stops it itself first)
START_TIMEOUT = 60.0  # seconds a worker may take to import its libraries and be ready
START_ATTEMPTS = 3  # workers that die before they are ready, in a row, before giving up




@dataclass
class _Task:
    future: Future[Any]
    fn: Callable[..., Any]
    args: tuple[Any, ...]
    kwargs: dict[str, Any]


@dataclass
class _Worker:
    process: Any
    conn: Connection
    born: float
    ready: bool = False
    jobs: int = 0
    task: _Task | None = None
    started: float = 0.0


class ProcessExecutor(Executor):
    """``max_workers`` spawned processes, each set up once by ``initializer(*initargs)``;
    every job submitted runs within ``timeout`` seconds (its worker is killed and
    replaced when it runs over) and a job whose worker dies fails alone, with
    :class:`WorkerFailed`. Workers that cannot start fail every job waiting, and every
    later submit, after a few tries."""

    def __init__(self, max_workers: int | None = None,
                 initializer: Callable[..., None] | None = None, initargs: tuple[Any, ...] = (),
                 *, timeout: float | None = None, memory: int | None = MEMORY_LIMIT,
                 recycle_after: int = RECYCLE_AFTER) -> None:
        self.jobs = max(1, max_workers or cpu_count())
        self.initializer, self.initargs = initializer or nothing, initargs
        self.timeout, self.memory, self.recycle_after = timeout, memory, recycle_after
        self.context = _context()
        self.workers: list[_Worker] = []  # the manager thread's alone
        self.failed_starts = 0  # workers that died before they were ready, since one was
        self.broken: str | None = None
        # While set, no job waiting starts (and at shutdown, they are cancelled): a plain
        # flag, so that a signal handler may set it. Ctrl-C: the jobs running finish.
        self.paused = False
        self._tasks: deque[_Task] = deque()
        self._lock = threading.Lock()
        # The manager thread waits on its workers and on this, which a submit writes to.
        self._wake_r, self._wake_w = multiprocessing.Pipe(duplex=False)
        self._thread: threading.Thread | None = None
        self._closing = self._killing = False

    # --- the caller's side ----------------------------------------------------------------

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        with self._lock:
            if self.broken:
                raise WorkerFailed(self.broken)
            if self._closing:
                raise RuntimeError("cannot submit a job after shutdown")
            if self._thread is None:
                problem = main_module_problem()
                if problem:
                    self.broken = problem
                    raise WorkerFailed(problem)
                self._thread = threading.Thread(target=self._manage, daemon=True,
                                                name="expectmatrix-workers")
                self._thread.start()
            future: Future[Any] = Future()
            self._tasks.append(_Task(future, fn, args, kwargs))
        self._wake()
        return future

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        with self._lock:
            self._closing = True
            if cancel_futures:
                for task in self._tasks:
                    if task.future.cancel():  # and tell whoever waits for it
                        task.future.set_running_or_notify_cancel()
                self._tasks.clear()
            thread = self._thread
        self._wake()
        if thread is None:
            self._close_wake()
        elif wait:
            thread.join()

    def terminate(self) -> None:
        """Stop now: the jobs running are killed (and fail), those waiting are cancelled."""
        self._killing = True
        self.shutdown(wait=True, cancel_futures=True)

    def __exit__(self, exc_type: object, *exc: object) -> Literal[False]:
        if exc_type is not None:  # an error or Ctrl-C in the caller: do not wait for jobs
            self.terminate()
        else:
            self.shutdown(wait=True)
        return False

    def _wake(self) -> None:
        with suppress(OSError):
            self._wake_w.send_bytes(b"")

    def _close_wake(self) -> None:
        self._wake_r.close()
        self._wake_w.close()

    # --- the manager thread ---------------------------------------------------------------

    def _manage(self) -> None:
        try:
            while self._step():
                pass
        except BaseException as e:  # a fault here must not leave callers waiting forever
            self._break(f"the worker processes stopped: {failure_message(e)}")
        finally:
            for worker in list(self.workers):
                self._retire(worker, kill=True)
            self._close_wake()

    def _step(self) -> bool:
        if self._killing:
            self._break("stopped before it finished: the work was interrupted")
            return False
        with self._lock:
            done = False
            if self._closing and not any(w.task for w in self.workers):
                if self.paused:  # what waits will never start
                    for waiting in self._tasks:
                        waiting.future.cancel()
                        waiting.future.set_running_or_notify_cancel()
                    self._tasks.clear()
                done = not self._tasks
        if done:
            for worker in list(self.workers):
                self._retire(worker)
            return False
        while len(self.workers) < self.jobs:
            self._start()
        for worker in self.workers:
            if worker.ready and worker.task is None:
                task = self._next_task()
                if task is None:
                    break
                worker.task, worker.started = task, time.monotonic()
                try:
                    worker.conn.send((task.fn, task.args, task.kwargs))
                except OSError:
                    pass  # the worker died: noticed below, and its job fails with it
                except Exception as e:  # the job cannot be sent (not picklable)
                    worker.task = None
                    task.future.set_exception(e)
        return self._collect()

    def _next_task(self) -> _Task | None:
        if self.paused:
            return None
        with self._lock:
            while self._tasks:
                task = self._tasks.popleft()
                if task.future.set_running_or_notify_cancel():
                    return task
        return None

    def _start(self) -> None:
        parent, child = self.context.Pipe()
        process = self.context.Process(target=serve_jobs, daemon=True,
                                       args=(child, self.initializer, self.initargs, self.memory,
                                             dict(os.environ), _cwd()))
        with sigint_blocked():
            process.start()
        child.close()
        self.workers.append(_Worker(process, parent, born=time.monotonic()))

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

    def _collect(self) -> bool:
        now = time.monotonic()
        deadlines = [w.started + self.timeout + GRACE - now
                     for w in self.workers if w.task and self.timeout]
        deadlines += [w.born + START_TIMEOUT - now for w in self.workers if not w.ready]
        handles: list[Any] = [w.conn for w in self.workers]
        handles += [w.process.sentinel for w in self.workers] + [self._wake_r]
        ready = set(wait(handles, timeout=max(0.0, min([5.0, *deadlines]))))
        while self._wake_r.poll():
            self._wake_r.recv_bytes()
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
                    self._break(f"a worker could not start: {value}")
                    return False
                elif worker.task is not None:
                    task, worker.task = worker.task, None
                    worker.jobs += 1
                    if worker.jobs >= self.recycle_after:
                        self._retire(worker)
                    if kind == "ok":
                        task.future.set_result(value)
                    else:
                        task.future.set_exception(WorkerFailed(value))
                continue
            died = not worker.process.is_alive()
            late = (worker.task is not None and self.timeout is not None
                    and time.monotonic() - worker.started > self.timeout + GRACE)
            stalled = not worker.ready and time.monotonic() - worker.born > START_TIMEOUT
            if not worker.ready and (died or stalled):
                if not self._failed_start(worker, stalled):
                    return False
            elif died or late:
                lost = worker.task
                self._retire(worker, kill=True)
                if lost is not None:
                    lost.future.set_exception(WorkerFailed(
                        f"stopped after {self.timeout:g} s: the document took too long (a "
                        "template that loops or is slow to compile, or a table far too large)"
                        if late and not died
                        else "the worker making this document crashed (out of memory, or a "
                        "fault in a library)"))
        return True

    def _failed_start(self, worker: _Worker, stalled: bool) -> bool:
        """Count a worker that died (or hung) before it was ready; give up after a few
        in a row: such a worker would die the same way however often it is started."""
        code = worker.process.exitcode
        self._retire(worker, kill=True)
        self.failed_starts += 1
        if self.failed_starts < START_ATTEMPTS:
            return True
        if stalled:
            last = f"was not ready after {START_TIMEOUT:g} s"
        elif code is not None and code < 0:
            last = f"was stopped by signal {signal_name(-code)}"
        else:
            last = f"exited with code {code}"
        self._break(cannot_start(f"{START_ATTEMPTS} in a row stopped before they were "
                                  f"ready; the last {last}"))
        return False

    def _break(self, message: str) -> None:
        """Fail every job, running or waiting, and every later submit, with ``message``."""
        running = [w.task for w in self.workers if w.task is not None]
        for worker in list(self.workers):
            self._retire(worker, kill=True)
        with self._lock:
            self.broken = self.broken or message
            waiting, self._tasks = list(self._tasks), deque()
        for task in running:
            task.future.set_exception(WorkerFailed(message))
        for task in waiting:
            if task.future.set_running_or_notify_cancel():
                task.future.set_exception(WorkerFailed(message))


def run_one(initializer: Callable[..., None], initargs: tuple[Any, ...], fn: Callable[..., Any],
            item: Any, *args: Any, timeout: float | None) -> Any:
    """Run one job in a worker within ``timeout``; its result, or WorkerFailed. Without a
    timeout the job runs here, in this process.

    The worker is kept, idle, for the next call set up the same way: a render checks its
    templates and then makes its documents in one process, and a program that renders one
    document after another starts a worker once, not per document."""
    if not timeout:
        initializer(*initargs)
        return fn(item, *args)
    key = _Standby(initializer, initargs, timeout, _cwd(), _environment())
    executor = _STANDBY.take(key) or ProcessExecutor(1, initializer, initargs, timeout=timeout)
    try:
        result = executor.submit(fn, item, *args).result()
    except BaseException as e:
        # A job's own error leaves its worker fit for the next one; anything else (the
        # workers broke, the caller was interrupted) ends it.
        if isinstance(e, WorkerFailed) and not executor.broken:
            _STANDBY.put(key, executor)
        else:
            executor.terminate()
        raise
    _STANDBY.put(key, executor)
    return result


def _context() -> Any:
    """Workers are forked from a server process that was itself spawned clean and has done
    nothing but import the writers: forked from a process that has rendered, WeasyPrint
    workers have crashed. The server is started by the first worker, with SIGINT blocked,
    and every worker forked from it inherits that."""
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(list(PRELOAD))
    return context


def _cwd() -> str:
    try:
        return os.getcwd()
    except OSError:  # removed under us: no worker started there is reused
        return ""


def _environment() -> int:
    # A worker sees the environment it was started in: a changed one needs a new worker.
    return hash(tuple(sorted(os.environ.items())))


@dataclass(frozen=True, eq=False)
class _Standby:
    initializer: Callable[..., None]
    initargs: tuple[Any, ...]
    timeout: float
    cwd: str
    environment: int

    def same(self, other: _Standby) -> bool:
        return (self.initializer is other.initializer and self.initargs == other.initargs
                and (self.timeout, self.cwd, self.environment)
                == (other.timeout, other.cwd, other.environment))


class _IdleWorkers:
    """Executors of one worker each, idle, newest last. Few are kept: each holds a
    process with the writers' libraries loaded."""

    KEEP = 2

    def __init__(self) -> None:
        self._idle: list[tuple[_Standby, ProcessExecutor]] = []
        self._lock = threading.Lock()
        self._registered = False

    def take(self, key: _Standby) -> ProcessExecutor | None:
        with self._lock:
            for i, (held, executor) in enumerate(self._idle):
                if held.same(key):
                    del self._idle[i]
                    return executor
        return None

    def put(self, key: _Standby, executor: ProcessExecutor) -> None:
        with self._lock:
            self._idle.append((key, executor))
            retired = self._idle[:-self.KEEP]
            del self._idle[:-self.KEEP]
            if not self._registered:
                atexit.register(self.close)
                self._registered = True
        for _, old in retired:
            old.shutdown(wait=False)

    def close(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, []
        for _, executor in idle:
            executor.shutdown(wait=True)


_STANDBY = _IdleWorkers()


def cpu_count() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
