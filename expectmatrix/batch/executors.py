"""Any ``concurrent.futures.Executor`` runs a batch: this machine's worker processes, or
a dask.distributed cluster's workers (``batch --scheduler``).

The batch keeps a bounded number of jobs in flight (a CSV export of a million rows is
never submitted at once) and takes their outcomes as they finish, through the executor's
own way of waiting: dask's futures are not the standard library's.
"""

from __future__ import annotations

import concurrent.futures as cf
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from expectmatrix.errors import ClusterError, TimeUp, WorkerFailed
from expectmatrix.render.workers import GRACE, ProcessExecutor, cpu_count, failure_message

T = TypeVar("T")

CONNECT_TIMEOUT = 30.0  # seconds to reach a scheduler
EXTRA = "pip install 'expectmatrix[dask]'"


def parallelism(executor: cf.Executor) -> int:
    """How many jobs the executor runs at once, as far as it says."""
    if isinstance(executor, ProcessExecutor):
        return executor.jobs
    client = getattr(executor, "_client", None)  # dask's Client.get_executor()
    if client is not None:
        try:
            return max(1, int(sum(client.nthreads().values())))
        except Exception:  # a scheduler that does not answer: the window stays small
            return 1
    workers = getattr(executor, "_max_workers", None)  # the standard library's pools
    return workers if isinstance(workers, int) and workers > 0 else cpu_count()


def first_done(futures: Iterable[Any]) -> set[Any]:
    """The futures among ``futures`` that are done, once at least one is."""
    futures = list(futures)
    if all(isinstance(f, cf.Future) for f in futures):
        return cf.wait(futures, return_when=cf.FIRST_COMPLETED).done
    distributed = sys.modules.get("distributed")
    if distributed is not None and all(isinstance(f, distributed.Future) for f in futures):
        return set(distributed.wait(futures, return_when="FIRST_COMPLETED").done)
    raise TypeError("futures of an unknown kind: give an Executor whose submit returns "
                    "concurrent.futures or dask futures")


def outcome(future: Any) -> Any:
    """The job's result, or WorkerFailed saying why it has none."""
    try:
        return future.result()
    except WorkerFailed as e:
        return e
    except (Exception, TimeUp) as e:
        if type(e).__name__ == "KilledWorker":  # dask gave up on it: it killed workers
            return WorkerFailed("the cluster's workers making this document died (a crash, "
                                "too much memory, or its time limit), each time it was tried")
        return WorkerFailed(failure_message(e))


def each_done(submit: Callable[[T], Any], items: Iterable[T], window: int,
              stop: Callable[[], bool]) -> Iterator[tuple[T, Any]]:
    """``submit(item)`` for each item, at most ``window`` in flight; (item, result or
    WorkerFailed) as each finishes. Once ``stop()``, nothing new is submitted and the
    jobs not started yet are cancelled: those running finish and are yielded."""
    pending: dict[Any, T] = {}
    source = iter(items)
    exhausted = False
    try:
        while True:
            while not exhausted and not stop() and len(pending) < window:
                for item in source:
                    pending[submit(item)] = item
                    break
                else:
                    exhausted = True
            if not pending:
                return
            if stop():  # what has not started is dropped; what runs is awaited
                for future in [f for f in pending if f.cancel()]:
                    del pending[future]
                if not pending:
                    return
            for future in first_done(pending):
                item = pending.pop(future)
                if not future.cancelled():
                    yield item, outcome(future)
    finally:
        for future in pending:
            future.cancel()


@contextmanager
def cluster(address: str) -> Iterator[cf.Executor]:
    """An executor on the dask.distributed scheduler at ``address`` (tcp://host:port)."""
    try:
        import distributed
    except ImportError:
        raise ClusterError(f"--scheduler needs dask.distributed, which is not installed: "
                           f"{EXTRA}") from None
    connect: Any = distributed.Client  # untyped
    try:
        client = connect(address, timeout=CONNECT_TIMEOUT, set_as_default=False)
    except (OSError, TimeoutError, ValueError) as e:
        raise ClusterError(f"cannot reach the dask scheduler at {address}: {e}") from None
    try:
        executor: cf.Executor = client.get_executor(pure=False)
        yield executor
    finally:
        client.close()


# --- on a dask worker -------------------------------------------------------------------

_deadlines: dict[int, float] = {}  # job -> when its worker process must end, if still running
_deadlines_lock = threading.Lock()


@contextmanager
def worker_deadline(seconds: float | None) -> Iterator[None]:
    """On a dask worker that its nanny restarts, end the whole worker process if the job
    runs ``GRACE`` seconds past its time limit, as this machine's executor kills its
    worker. The limit inside the job stops a template between two Python steps; only
    the end of the process stops one long C-level step, and only a timer outside Python
    (faulthandler's, which also logs where the job was) runs while such a step holds
    the interpreter. dask then tries the job again elsewhere, a few times, and fails it.
    """
    if not seconds or not _restartable_dask_worker():
        yield
        return
    job = threading.get_ident()
    with _deadlines_lock:
        _deadlines[job] = time.monotonic() + seconds + GRACE
        _arm()
    try:
        yield
    finally:
        with _deadlines_lock:
            del _deadlines[job]
            _arm()


def _arm() -> None:
    import faulthandler

    try:
        if _deadlines:  # one timer per process: the nearest deadline of the jobs running
            left = max(0.1, min(_deadlines.values()) - time.monotonic())
            faulthandler.dump_traceback_later(left, exit=True)
        else:
            faulthandler.cancel_dump_traceback_later()
    except (ValueError, AttributeError, OSError):  # no usable stderr: no deadline
        pass


def _restartable_dask_worker() -> bool:
    distributed = sys.modules.get("distributed")
    if distributed is None:
        return False
    try:
        worker = distributed.get_worker()
    except ValueError:  # not in a dask worker
        return False
    return getattr(worker, "nanny", None) is not None
