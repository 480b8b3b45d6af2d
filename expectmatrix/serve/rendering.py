"""The app's documents, made in worker processes kept warm: a download, a preview or a
redline runs the organisation's templates, which may loop or grow without end, so each
is made in a process that is killed when the time limit is up, and the app keeps
answering. A worker is started once and reused (its renderers stay built, so a preview
costs what a render costs in a running process); one that overran is replaced."""

from __future__ import annotations

import contextlib
import queue
import time
from collections.abc import Callable
from concurrent.futures import CancelledError
from typing import Any

from expectmatrix.errors import ExpectmatrixError

DEFAULT_TIMEOUT = 120.0  # seconds, as `render --timeout`
WORKERS = 2  # one slow document leaves the other worker to the rest of the team


class RenderTimedOut(ExpectmatrixError):
    """A document ran past the time limit; its worker was stopped."""


class RenderFailed(ExpectmatrixError):
    """A document could not be made (a template error, or its worker died)."""


class ShuttingDown(RenderFailed):
    """The app is stopping: its workers make no more documents."""


# --- in the worker process -----------------------------------------------------------------

_renderers: Any = None  # built by the first job, under its time limit, then reused


def warm_up() -> None:
    """A worker's start: the libraries are imported, nobody's template is read yet (that
    is a job's work, under the limit)."""
    import weasyprint  # noqa: F401

    import expectmatrix.render.docx
    import expectmatrix.render.html
    import expectmatrix.render.pdf  # noqa: F401


def make_document(job: Any, options: Any) -> bytes:
    """One format of a checked spec, as `render` makes it; compiling the templates on
    first use counts under the limit."""
    from expectmatrix.render.pipeline import render_spec, time_limit

    global _renderers
    (fmt,) = options.formats
    with time_limit(options.timeout):
        if _renderers is None:
            _renderers = options.renderers()
        documents = render_spec(job.spec(), (fmt,), _renderers, job.nonstandard,
                                options.mark_nonstandard, job.folder, job.canonical,
                                options.edition(), job.frame)
    return documents[fmt]


def limited(fn: Callable[..., Any], timeout: float, *args: Any) -> Any:
    """``fn(*args)`` within the time limit (a redline, which builds its own renderers)."""
    from expectmatrix.render.pipeline import time_limit

    with time_limit(timeout):
        return fn(*args)


# --- in the app ----------------------------------------------------------------------------


class Rendering:
    """The app's render workers. Each request takes an idle worker (the last used first:
    it is the warmest), so at most ``workers`` documents are made at a time."""

    def __init__(self, settings: Any, timeout: float = DEFAULT_TIMEOUT,
                 workers: int = WORKERS) -> None:
        self.settings = settings
        self.timeout = timeout
        self._idle: queue.LifoQueue[Any] = queue.LifoQueue()
        self._all = [self._pool() for _ in range(max(1, workers))]
        for pool in self._all:
            self._idle.put(pool)
        self._closed = False

    def _pool(self) -> Any:
        """One warm worker, killed when a document overruns the time limit."""
        from expectmatrix.render.workers import ProcessExecutor

        return ProcessExecutor(1, warm_up, (), timeout=self.timeout)

    def options(self, fmt: str, audience: str) -> Any:
        from expectmatrix.render.pipeline import RenderOptions

        return RenderOptions.from_settings(self.settings, formats=(fmt,), timeout=self.timeout,
                                           audience=audience)  # type: ignore[arg-type]

    def document(self, loaded: Any, fmt: str, audience: str = "counterparty") -> bytes:
        """A checked spec's document (pdf, docx or html) in a worker."""
        from expectmatrix.render.pipeline import RenderJob

        return bytes(self._run(make_document, RenderJob.of(loaded), self.options(fmt, audience)))

    def redline(self, fn: Callable[..., bytes], *args: Any) -> bytes:
        """``fn(*args)``, a redline of review.redline, in a worker."""
        return bytes(self.job(fn, *args))

    def job(self, fn: Callable[..., Any], *args: Any) -> Any:
        """``fn(*args)`` in a worker, within the time limit: any work that runs the
        organisation's templates (a redline; legal's DOCX compared with a fresh one)."""
        return self._run(limited, fn, self.timeout, *args)

    def warm(self) -> None:
        """Start a worker before the first request needs it."""
        with contextlib.suppress(ExpectmatrixError):
            self._run(ready, None)

    def _run(self, fn: Callable[..., Any], item: Any, *args: Any) -> Any:
        from expectmatrix.errors import WorkerFailed

        pool = self._take()
        started = time.monotonic()
        failure: ExpectmatrixError = RenderFailed("the document could not be made: its "
                                                  "worker stopped")
        try:
            return pool.submit(fn, item, *args).result()
        except WorkerFailed as e:  # overran, died, or could not even start
            failure = self._failure(e, time.monotonic() - started)
        except CancelledError:  # the app stopped the worker before the job began
            failure = _shutting_down()
        finally:
            self._give_back(pool, discard=isinstance(failure, RenderTimedOut))
        raise _shutting_down() if self._closed else failure

    def _failure(self, outcome: Exception, elapsed: float) -> ExpectmatrixError:
        if self._closed:  # stopped on purpose
            return _shutting_down()
        if elapsed >= self.timeout:
            return RenderTimedOut(f"rendering took longer than {self.timeout:g} s and was "
                                  "stopped: the template loops, or the document is far too "
                                  "large")
        return RenderFailed(f"the document could not be made: {outcome}")

    def _take(self) -> Any:
        while True:
            if self._closed:
                raise _shutting_down()
            try:  # woken now and then, so that a waiting request sees the app close
                return self._idle.get(timeout=0.5)
            except queue.Empty:
                continue

    def _give_back(self, pool: Any, discard: bool) -> None:
        if discard or self._closed:  # an overrun may leave a library half-way: start afresh
            pool.terminate()
            pool.shutdown(wait=False)
            if self._closed:
                return
            fresh = self._pool()
            self._all[self._all.index(pool)] = fresh
            pool = fresh
        self._idle.put(pool)

    def stop(self) -> None:
        """Kill every worker, busy or not, and make no more documents: the app is
        shutting down, and a document in flight must not hold it. Only kills processes,
        so a signal handler may call it."""
        self._closed = True
        for pool in list(self._all):
            pool.paused = True  # a worker starting now is sent no job
            pool.terminate()

    def close(self) -> None:
        """Stop, and close the pools no request is using (a busy one is closed by its
        request when it returns)."""
        self.stop()
        while True:
            try:
                self._idle.get_nowait().shutdown(wait=False)
            except queue.Empty:
                return


def _shutting_down() -> ShuttingDown:
    return ShuttingDown("the app is shutting down: the document was not made")


def ready(_: object) -> None:
    """A job that only waits for a worker to have started."""


