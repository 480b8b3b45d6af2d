"""What a batch's workers run, on this machine's worker processes or on a cluster's.

A worker sets itself up once per batch: the writers' libraries imported, the renderers
built on first use and kept. Its own worker processes are set up by their initializer;
any other executor's workers (a dask cluster's, a ``ProcessPoolExecutor``'s) on their
first job of the batch, from the :class:`Setup` each job carries, and keep it per thread.

The worker processes of this machine read the inputs and write the documents in the
output folder themselves. A cluster's may not see either: the parent sends each spec's
text and writes the documents the workers send back.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from expectmatrix.batch.csvrows import Row, load_row
from expectmatrix.batch.executors import worker_deadline
from expectmatrix.batch.manifest import Prepared
from expectmatrix.checks import check_loaded
from expectmatrix.errors import ExpectmatrixError
from expectmatrix.render.audience import edition_fingerprint
from expectmatrix.render.output import output_name
from expectmatrix.render.pipeline import (
    RenderJob,
    RenderOptions,
    init_worker,
    prepare_job,
    render_job,
    worker_renderers,
)
from expectmatrix.spec.findings import Finding, errors
from expectmatrix.spec.loading import load, load_bytes
from expectmatrix.writing import write_documents


@dataclass(frozen=True)
class Item:
    """One input: a spec file, a CSV row, or an input that could not be read at all."""

    source: str
    path: str | None = None
    row: Row | None = None
    problems: tuple[Finding, ...] = ()
    skipped: Finding | None = None  # why it is not read at all (a link out of its folder)
    data: bytes | None = None  # the spec file's text, read here for a cluster's workers
    folder: str | None = None  # and the folder its logo and fonts are in, absolute


@dataclass(frozen=True)
class Setup:
    """What a worker needs for one batch's jobs; ``key`` names the batch."""

    key: str
    options: RenderOptions
    strict: bool
    hook: Callable[[], None] | None = None


_state = threading.local()


def set_up(setup: Setup) -> None:
    from functools import cache

    from expectmatrix.settings import library_for

    init_worker(setup.options, setup.hook)
    options = setup.options
    # read on first use: a batch whose specs name no clause never needs it
    _state.library = (setup.strict, cache(lambda: library_for(options.settings)))
    _state.key = setup.key


def run(setup: Setup | str, fn: Callable[..., Any], *args: Any) -> Any:
    """A job: ``fn(*args)`` in a worker set up for this batch. ``setup`` is the batch's
    key alone where the initializer set the worker up (this machine's processes)."""
    if isinstance(setup, Setup):
        if getattr(_state, "key", None) != setup.key:
            set_up(setup)
        with worker_deadline(setup.options.timeout):
            return fn(*args)
    if getattr(_state, "key", None) != setup:
        raise RuntimeError("a batch job reached a worker that was not set up for it")
    return fn(*args)


def check(_: object = None) -> str:
    """Build the writers (compile the templates, read the letterhead) within the time
    limit; this worker's version of expectmatrix, which must be the parent's."""
    from expectmatrix.version import __version__

    prepare_job()
    return __version__


def prepare(pair: tuple[int, Item]) -> dict[str, Any]:
    """Pass 1: load and check one item; what its record and its rendering need."""
    _index, item = pair
    strict, library = _state.library
    try:
        if item.row is not None:
            loaded = load_row(item.row)
        elif item.data is not None:
            loaded = load_bytes(item.data, item.source)
            loaded.folder = Path(item.folder) if item.folder else None
        else:
            loaded = load(item.path or item.source)
        options, _ = worker_renderers()
        loaded = check_loaded(loaded, strict=strict, library=library,
                              template_dirs=options.template_dirs,
                              approvals=options.settings.approval_rules)
    except ExpectmatrixError as e:
        return {"ok": False, "findings": [Finding("failed", str(e), file=item.source)]}
    spec = loaded.spec
    if errors(loaded.findings) or spec is None:
        return {"ok": False, "findings": loaded.findings}
    job = RenderJob.of(loaded)
    return {"ok": True, "findings": loaded.findings, "deal_id": spec.deal.id,
            "version": spec.deal.version,
            # the one the documents print: what a reader checks them against, and what
            # --resume compares (a change the edition does not carry renders nothing anew)
            "fingerprint": edition_fingerprint(spec, options.edition()),
            "job": job, "names": [output_name(spec.deal.id, spec.deal.version, f,
                                              options.edition().suffix)
                                  for f in options.formats]}


def render(pair: tuple[Prepared, RenderJob], outdir: str | None) -> dict[str, Any]:
    """Pass 2: make one item's documents and write them into ``outdir``; without one,
    send them back (under "documents") for the parent to write."""
    # The first pass already parsed and checked this item; its canonical form rebuilds the
    # same Spec without reading and parsing the file again.
    job = pair[1]
    try:
        documents, notices = render_job(job)
        spec = job.spec()
        suffix = worker_renderers()[0].edition().suffix
        names = {output_name(spec.deal.id, spec.deal.version, fmt, suffix): data
                 for fmt, data in documents.items()}
        if outdir is not None:
            write_documents(Path(outdir), names)
    except ExpectmatrixError as e:
        return failed(job.source, e)
    outcome = {"ok": True, "findings": [replace(f, file=job.source) for f in notices],
               "outputs": [{"file": name, "bytes": len(data),
                            "sha256": hashlib.sha256(data).hexdigest()}
                           for name, data in names.items()]}
    if outdir is None:
        outcome["documents"] = names
    return outcome


def failed(source: str, e: Exception) -> dict[str, Any]:
    return {"ok": False, "findings": [Finding("failed", str(e), file=source)]}
