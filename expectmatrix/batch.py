"""Render many specs unattended: folders and CSV exports, on a process pool, resumable.

Two passes over the inputs. The first validates every item (in the pool) and learns the
file names each would write, so that two valid inputs aiming at the same name are both
reported as a conflict and neither is written. The second renders the rest. Each worker
builds its renderers once. A worker that dies takes only its own item with it: the pool
is rebuilt and the items that were in flight are retried one by one. The manifest is
rewritten atomically as results arrive, so a batch stopped at any moment leaves a valid
manifest of what was finished. Between and after the passes, items and records wait on
disk (manifest.Spool), so memory does not grow with the number of inputs.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import time
import zlib
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, NamedTuple

from .checks import check_loaded
from .csvinput import Row, load_row, read_rows
from .findings import ExpectmatrixError, Finding, SpecError, errors
from .loading import Loaded, load
from .manifest import MANIFEST, Manifest, Record, Spool, previous_outputs, up_to_date
from .output import output_name, prepare_dir
from .rendering import time_limit
from .settings import Settings

__all__ = ["MANIFEST", "BatchResult", "Item", "Record", "collect_items", "run_batch"]

SPEC_SUFFIXES = (".yaml", ".yml", ".json")


@dataclass(frozen=True)
class Item:
    """One input: a spec file, a CSV row, or an input that could not be read at all."""

    source: str
    path: str | None = None
    row: Row | None = None
    problems: tuple[Finding, ...] = ()


def collect_items(inputs: Iterable[str | Path], base: str | Path | None = None) -> Iterator[Item]:
    """Spec files, folders (searched recursively) and CSV files -> items, in order."""
    for raw in inputs:
        path = Path(raw)
        if path.is_dir():
            for found in sorted(p for p in path.rglob("*") if p.suffix.lower() in SPEC_SUFFIXES
                                and p.is_file() and not p.name.startswith(".")):
                yield Item(str(found), path=str(found))
        elif path.suffix.lower() == ".csv":
            try:
                for row in read_rows(path, base):
                    yield Item(row.source, row=row)
            except SpecError as e:
                yield Item(str(path), problems=tuple(e.findings))
        else:
            yield Item(str(path), path=str(path))


@dataclass
class BatchResult:
    records: Sequence[Record]  # in input order; read back from disk, not held in memory
    wall: float
    documents: int
    interrupted: bool = False
    stopped_early: bool = False

    def count(self, status: str) -> int:
        statuses = getattr(self.records, "statuses", None)
        if statuses is not None:
            return statuses[status]
        return sum(r.status == status for r in self.records)

    @property
    def ok(self) -> bool:
        return not (self.count("failed") or self.count("conflict")) and not (
            self.interrupted or self.stopped_early)

    def summary(self) -> dict[str, Any]:
        return {"ok": self.count("ok"), "failed": self.count("failed"),
                "conflict": self.count("conflict"), "skipped": self.count("skipped"),
                "wall_seconds": round(self.wall, 3), "documents": self.documents,
                "documents_per_second": round(self.documents / self.wall, 2) if self.wall else 0.0,
                "interrupted": self.interrupted, "stopped_early": self.stopped_early}


class _Prepared(NamedTuple):
    """What the parent keeps of a valid item between the passes: a few small values, and
    where the rest waits in the spool: what a worker needs to render it (canonical spec,
    non-standard lines) apart from what its record needs (findings), so each is read once."""

    deal_id: str
    version: int
    fingerprint: str
    names: tuple[str, ...]
    job: tuple[int, int]
    findings: tuple[int, int]


# --- in the workers ---------------------------------------------------------------------

_WORKER: dict[str, Any] = {}


def _init_worker(formats: Sequence[str], template_dirs: Sequence[str], strict: bool,
                 settings: Settings, mark: bool | None, options: dict[str, Any],
                 hook: Callable[[], None] | None) -> None:
    # The parent handles Ctrl-C and lets running items finish their (atomic) writes.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    from .rendering import Renderers
    from .settings import library_for

    renderers = Renderers(template_dirs, options["pdf_variant"], settings, options["docx_base"])
    for fmt in formats:
        renderers.get(fmt)  # build once, up front
    _WORKER.update(renderers=renderers, formats=tuple(formats), strict=strict,
                   # read on first use: a batch whose specs name no clause never needs it
                   library=cache(lambda: library_for(settings)), mark=mark,
                   timeout=options["timeout"])
    if hook is not None:
        hook()


def _load(item: Item) -> Loaded:
    if item.row is not None:
        loaded = load_row(item.row)
    else:
        assert item.path is not None
        loaded = load(item.path)
    return check_loaded(loaded, strict=_WORKER["strict"], library=_WORKER["library"])


def _prepare(item: Item) -> dict[str, Any]:
    loaded = _load(item)
    spec = loaded.spec
    if errors(loaded.findings) or spec is None:
        return {"ok": False, "findings": loaded.findings}
    from .canonical import canonical_json, fingerprint_of

    canonical = canonical_json(spec)
    # Spooled to disk by the parent until the second pass; compressed, a 15x15 spec is 3 kB.
    return {"ok": True, "findings": loaded.findings, "deal_id": spec.deal.id,
            "version": spec.deal.version, "fingerprint": fingerprint_of(canonical),
            "data": zlib.compress(canonical, 1), "nonstandard": loaded.nonstandard,
            "names": [output_name(spec.deal.id, spec.deal.version, f) for f in _WORKER["formats"]]}


def _render(item: Item, data: bytes, nonstandard: dict[str, str], outdir: str) -> dict[str, Any]:
    # The first pass already parsed and checked this item; its canonical form rebuilds the
    # same Spec without reading and parsing the file again.
    from .loading import Positions
    from .rendering import render_loaded
    from .spec import Spec

    spec = Spec.model_validate_json(zlib.decompress(data))
    loaded = Loaded(item.source, spec, [], Positions(), nonstandard=nonstandard)
    with time_limit(_WORKER["timeout"]):
        result = render_loaded(loaded, outdir, _WORKER["formats"], _WORKER["renderers"],
                               _WORKER["mark"])
    return {"ok": result.ok, "findings": result.findings,
            "outputs": [f.to_dict() for f in result.files]}


# --- in the parent ----------------------------------------------------------------------


class WorkerCrashed(Exception):
    pass


class _Pool:
    """A process pool that survives a dying worker and blames only the item it ran."""

    def __init__(self, jobs: int, initargs: tuple[Any, ...]) -> None:
        self.jobs = jobs
        self.initargs = initargs
        self.context = multiprocessing.get_context("spawn")  # forked WeasyPrint workers crash
        self.executor = self._new()

    def _new(self) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(self.jobs, mp_context=self.context,
                                   initializer=_init_worker, initargs=self.initargs)

    def _rebuild(self) -> None:
        self.executor.shutdown(wait=False, cancel_futures=True)
        self.executor = self._new()

    def map(self, fn: Callable[..., Any], items: Iterable[Any], *args: Any
            ) -> Iterator[tuple[Any, Any]]:
        """Yield (item, result or exception) as items finish; at most a few per worker queued."""
        source = iter(items)
        pending: dict[Future[Any], Any] = {}

        def fill() -> None:
            while len(pending) < self.jobs * 2:
                item = next(source, None)
                if item is None:
                    return
                pending[self.executor.submit(fn, item, *args)] = item

        fill()
        while pending:
            done, _ = wait(pending, return_when=FIRST_COMPLETED)
            suspects = []
            for future in done:
                item = pending.pop(future)
                try:
                    yield item, future.result()
                except BrokenProcessPool:
                    suspects.append(item)
                except Exception as e:  # a bug in one item must not stop the others
                    yield item, e
            if suspects:
                suspects += list(pending.values())
                pending.clear()
                self._rebuild()
                for item in suspects:  # alone, so a second crash names its item
                    try:
                        yield item, self.executor.submit(fn, item, *args).result()
                    except BrokenProcessPool:
                        self._rebuild()
                        yield item, WorkerCrashed("the worker rendering this item crashed "
                                                  "(out of memory or a fault in a library)")
                    except Exception as e:
                        yield item, e
            fill()

    def close(self, cancel: bool = False) -> None:
        self.executor.shutdown(wait=True, cancel_futures=cancel)


def run_batch(inputs: Sequence[str | Path], outdir: str | Path,
              formats: Sequence[str] = ("pdf", "docx"), *, jobs: int | None = None,
              resume: bool = False, fail_fast: bool = False, strict: bool = False,
              base: str | Path | None = None, template_dirs: Sequence[str | Path] = (),
              settings: Settings | None = None, mark_nonstandard: bool | None = None,
              pdf_variant: str | None = None, docx_base: str | Path | None = None,
              timeout: float | None = 120.0,
              on_item: Callable[[Record, int], None] | None = None,
              on_total: Callable[[int], None] | None = None,
              worker_hook: Callable[[], None] | None = None) -> BatchResult:
    """Render every input into ``outdir`` and return what happened to each.

    ``on_total(n)`` is called once the inputs are counted, ``on_item(record, done)`` as each
    item ends. Raises OutputError before any rendering if ``outdir`` cannot be written.
    """
    started = time.monotonic()
    folder = prepare_dir(outdir)
    if "pdf" in formats or "html" in formats:
        from .html_writer import HtmlRenderer

        HtmlRenderer(template_dirs)  # a broken template fails the batch once, up front
    if "docx" in formats and (docx_base or (settings and settings.docx_base)):
        from .docx_writer import DocxRenderer

        DocxRenderer(docx_base or settings.docx_base)  # so does a broken letterhead
    formats = tuple(dict.fromkeys(formats))
    items = list(collect_items(inputs, base))
    if on_total:
        on_total(len(items))
    before = previous_outputs(folder) if resume else {}
    spool = Spool()
    manifest = Manifest(folder, [str(i) for i in inputs], formats, spool)
    jobs = max(1, min(jobs or os.cpu_count() or 1, max(len(items), 1)))
    done = 0
    documents = 0
    interrupted = stopped = False

    def finish(index: int, record: Record) -> None:
        nonlocal done
        done += 1
        manifest.add(index, record)
        if on_item:
            on_item(record, done)

    def failure(item: Item, outcome: Any) -> Record:
        if isinstance(outcome, dict):
            findings = outcome["findings"]
            first = errors(findings)[:1]
            return Record(item.source, "failed", findings=findings,
                          error=str(first[0]) if first else "failed")
        return Record(item.source, "failed", error=str(outcome))

    options = {"pdf_variant": pdf_variant, "docx_base": docx_base, "timeout": timeout}
    pool = _Pool(jobs, (formats, [str(d) for d in template_dirs], strict,
                        settings or Settings(), mark_nonstandard, options, worker_hook))
    try:
        # Pass 1: validate everything, learn the names each valid item would write.
        prepared: dict[int, _Prepared] = {}
        readable = []
        for index, item in enumerate(items):
            if item.problems:
                finish(index, Record(item.source, "failed", findings=list(item.problems),
                                     error=str(item.problems[0])))
            else:
                readable.append((index, item))
        for (index, item), outcome in pool.map(_prepare_indexed, readable):
            if isinstance(outcome, dict) and outcome["ok"]:
                prepared[index] = _Prepared(outcome["deal_id"], outcome["version"],
                                            outcome["fingerprint"], tuple(outcome["names"]),
                                            spool.put((outcome["data"], outcome["nonstandard"])),
                                            spool.put(outcome["findings"]))
                items[index] = Item(item.source)  # a CSV row's cells are not needed again
            else:
                finish(index, failure(item, outcome))
                items[index] = Item(item.source)
                if fail_fast:
                    stopped = True
                    break
        del readable
        claims: dict[str, list[int]] = defaultdict(list)
        for index, info in prepared.items():
            for name in info.names:
                claims[name.casefold()].append(index)
        clashing = {i for owners in claims.values() if len(owners) > 1 for i in owners}
        todo = []
        for index in sorted(prepared):
            info, item = prepared[index], items[index]
            if index in clashing:
                others = sorted({items[j].source for name in info.names
                                 for j in claims[name.casefold()] if j != index})
                finish(index, Record(item.source, "conflict", info.deal_id, info.version,
                                     info.fingerprint, findings=spool.get(info.findings),
                                     error=f"would write the same file as {', '.join(others)}; "
                                     "nothing written for either"))
            elif resume and (kept := up_to_date(folder, info.names, info.fingerprint,
                                                before)) is not None:
                finish(index, Record(item.source, "skipped", info.deal_id, info.version,
                                     info.fingerprint, kept, spool.get(info.findings)))
            else:
                todo.append(index)
        stopped = stopped or (fail_fast and (manifest.records.statuses["failed"]
                                             or manifest.records.statuses["conflict"]) > 0)

        def jobs_to_render() -> Iterator[tuple[int, Item, bytes, dict[str, str]]]:
            for index in todo:  # read back from the spool only as workers take them
                data, nonstandard = spool.get(prepared[index].job)
                yield index, items[index], data, nonstandard

        # Pass 2: render.
        if not stopped:
            for (index, item, *_), outcome in pool.map(_render_indexed, jobs_to_render(),
                                                       str(folder)):
                info = prepared[index]
                if isinstance(outcome, dict) and outcome["ok"]:
                    # The first pass's warnings (readiness, wording...) stay on the record.
                    record = Record(item.source, "ok", info.deal_id, info.version,
                                    info.fingerprint, outcome["outputs"],
                                    spool.get(info.findings) + outcome["findings"])
                    documents += len(outcome["outputs"])
                else:
                    record = failure(item, outcome)
                    record.deal_id, record.version = info.deal_id, info.version
                finish(index, record)
                if fail_fast and record.status == "failed":
                    stopped = True
                    break
        pool.close(cancel=stopped)
    except KeyboardInterrupt:
        interrupted = True
        pool.close(cancel=True)
    result = BatchResult(manifest.records, time.monotonic() - started, documents, interrupted,
                         stopped)
    manifest.write(result.summary())
    return result


def _as_outcome(work: Callable[..., dict[str, Any]], item: Item, *args: Any) -> dict[str, Any]:
    """An error of ours becomes this item's failure, reported like a spec's findings."""
    try:
        return work(item, *args)
    except ExpectmatrixError as e:
        return {"ok": False, "findings": [Finding("failed", str(e), file=item.source)]}


def _prepare_indexed(pair: tuple[int, Item]) -> dict[str, Any]:
    return _as_outcome(_prepare, pair[1])


def _render_indexed(job: tuple[int, Item, bytes, dict[str, str]], outdir: str) -> dict[str, Any]:
    return _as_outcome(_render, job[1], job[2], job[3], outdir)
