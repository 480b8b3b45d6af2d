"""Render many specs unattended: folders and CSV exports, on worker processes, resumable.

Two passes over the inputs, both streamed (a CSV export of a million rows is never held
in memory). The first validates every item in the workers and learns the file names
each would write, so that two valid inputs aiming at the same name are both reported as
a conflict and neither is written. The second renders the rest. Each worker builds its
renderers once, in its first job and within that job's time limit (compiling a template
is untrusted work, never done in this process); a job that runs past the time limit, or
a worker that dies, fails only its own item (workers.py). Before the first pass, one
worker builds them on its own, so a broken or far too slow template fails the batch
once rather than every item. Between and after the passes, items and records wait in a
ledger on disk (manifest.py), and the manifest is rewritten atomically as results
arrive, so a batch stopped at any moment leaves a valid manifest of what was finished.

The output folder is locked for the run: a second batch into it is refused.
"""

from __future__ import annotations

import signal
import time
import zlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from expectmatrix.batch.csvrows import CsvOptions, Row, count_rows, load_row, read_rows
from expectmatrix.batch.manifest import (
    MANIFEST,
    Ledger,
    Manifest,
    Prepared,
    Record,
    Records,
    write_failures,
)
from expectmatrix.checks import check_loaded
from expectmatrix.render.audience import edition_fingerprint
from expectmatrix.render.output import folder_lock, output_name, prepare_dir, remove_stale, write_documents
from expectmatrix.render.pipeline import (
    RenderJob,
    RenderOptions,
    init_worker,
    machine_notices,
    prepare_job,
    render_job,
    worker_renderers,
)
from expectmatrix.render.workers import Pool, WorkerFailed, cpu_count
from expectmatrix.spec.findings import ExpectmatrixError, Finding, RenderError, SpecError, errors
from expectmatrix.spec.inputs import os_problem, shown_path, walk_folder
from expectmatrix.spec.loading import load
from expectmatrix.spec.terms import is_spec_name

__all__ = ["MANIFEST", "BatchResult", "Item", "Record", "collect_items", "run_batch"]



@dataclass(frozen=True)
class Item:
    """One input: a spec file, a CSV row, or an input that could not be read at all."""

    source: str
    path: str | None = None
    row: Row | None = None
    problems: tuple[Finding, ...] = ()
    skipped: Finding | None = None  # why it is not read at all (a link out of its folder)


def _folder_items(folder: Path, follow_symlinks: bool) -> Iterator[Item]:
    # A folder that cannot be searched (too deep for the system's paths) fails as one
    # item, after the files that could be found.
    refused: list[Item] = []

    def refuse(path: Path, e: OSError) -> None:
        problem = Finding("unreadable", f"cannot search this folder: {os_problem(e)}",
                          file=shown_path(path))
        refused.append(Item(shown_path(path), problems=(problem,)))

    for path, outside in walk_folder(folder, is_spec_name, follow_symlinks, refuse):
        if outside is None:
            yield Item(str(path), path=str(path))
        else:
            yield Item(str(path), skipped=Finding(
                "outside-folder", f"skipped: a symbolic link out of the folder {folder} (to "
                f"{outside}); not read unless links are followed (--follow-symlinks)",
                "warning", file=str(path)))
    yield from refused


def collect_items(inputs: Iterable[str | Path], base: str | Path | None = None,
                  csv: CsvOptions | None = None, notices: list[Finding] | None = None,
                  follow_symlinks: bool = False) -> Iterator[Item]:
    """Spec files, folders (searched recursively) and CSV files -> items, in order,
    one at a time. What concerns a whole CSV file (columns left out) goes to
    ``notices``, once. A symbolic link that leads out of a folder is a skipped item,
    unless ``follow_symlinks``."""
    for raw in inputs:
        path = Path(raw)
        if path.is_dir():
            yield from _folder_items(path, follow_symlinks)
        elif path.suffix.lower() == ".csv":
            try:
                for row in read_rows(path, base, csv, notices):
                    yield Item(row.source, row=row)
            except SpecError as e:
                yield Item(str(path), problems=tuple(e.findings))
        else:
            yield Item(str(path), path=str(path))


def count_items(inputs: Iterable[str | Path], follow_symlinks: bool = False) -> int:
    """How many items :func:`collect_items` will yield (for progress), read as cheaply."""
    total = 0
    for raw in inputs:
        path = Path(raw)
        if path.is_dir():
            total += sum(1 for _ in _folder_items(path, follow_symlinks))
        elif path.suffix.lower() == ".csv":
            total += count_rows(path)
        else:
            total += 1
    return total


@dataclass
class BatchResult:
    records: Sequence[Record]  # in input order; read back from disk, not held in memory
    wall: float
    documents: int
    interrupted: bool = False
    stopped_early: bool = False
    notices: list[Finding] = field(default_factory=list)  # about the machine, said once

    def count(self, status: str) -> int:
        statuses = getattr(self.records, "statuses", None)
        if statuses is not None:
            return int(statuses[status])
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
                "interrupted": self.interrupted, "stopped_early": self.stopped_early,
                "notices": [f.message for f in self.notices]}


# --- in the workers ---------------------------------------------------------------------

_library: Any = None


def _init(options: RenderOptions, strict: bool, hook: Callable[[], None] | None) -> None:
    global _library
    from functools import cache

    from expectmatrix.settings import library_for

    init_worker(options, hook)
    # read on first use: a batch whose specs name no clause never needs it
    _library = (strict, cache(lambda: library_for(options.settings)))


def _prepare(pair: tuple[int, Item]) -> dict[str, Any]:
    _index, item = pair
    strict, library = _library
    try:
        loaded = load_row(item.row) if item.row is not None else load(item.path or item.source)
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


def _render(job: RenderJob, outdir: str) -> dict[str, Any]:
    # The first pass already parsed and checked this item; its canonical form rebuilds the
    # same Spec without reading and parsing the file again.
    import hashlib

    try:
        documents, notices = render_job(job)
        spec = job.spec()
        suffix = worker_renderers()[0].edition().suffix
        names = {output_name(spec.deal.id, spec.deal.version, fmt, suffix): data
                 for fmt, data in documents.items()}
        write_documents(Path(outdir), names)
    except ExpectmatrixError as e:
        return {"ok": False, "findings": [Finding("failed", str(e), file=job.source)]}
    return {"ok": True, "findings": [replace(f, file=job.source) for f in notices],
            "outputs": [{"file": name, "bytes": len(data),
                         "sha256": hashlib.sha256(data).hexdigest()}
                        for name, data in names.items()]}


# --- in the parent ----------------------------------------------------------------------


@contextmanager
def _ctrl_c(pool: Pool) -> Iterator[list[bool]]:
    """Ctrl-C sets a flag the loop reads, rather than raising wherever the parent
    happens to be: the jobs in flight finish and are recorded, nothing new starts."""
    seen = [False]

    def stop(signum: int, frame: object) -> None:
        seen[0] = True
        pool.stopping = True

    try:
        previous = signal.signal(signal.SIGINT, stop)
    except ValueError:  # not the main thread: the caller handles interrupts
        yield seen
        return
    try:
        yield seen
    finally:
        signal.signal(signal.SIGINT, previous)


def _failure(source: str, outcome: Any) -> Record:
    if isinstance(outcome, dict):
        findings = outcome["findings"]
        first = errors(findings)[:1]
        return Record(source, "failed", findings=findings,
                      error=str(first[0]) if first else "failed")
    return Record(source, "failed", findings=[Finding("failed", str(outcome), file=source)],
                  error=f"{source}: {outcome}")


def run_batch(inputs: Sequence[str | Path], outdir: str | Path,
              formats: Sequence[str] | None = None, *, options: RenderOptions | None = None,
              jobs: int | None = None, resume: bool = False, fail_fast: bool = False,
              strict: bool = False, base: str | Path | None = None,
              csv: CsvOptions | None = None,
              on_item: Callable[[Record, int], None] | None = None,
              on_total: Callable[[int], None] | None = None,
              worker_hook: Callable[[], None] | None = None,
              follow_symlinks: bool = False) -> BatchResult:
    """Render every input into ``outdir`` and return what happened to each.

    ``on_total(n)`` is called once the inputs are counted, ``on_item(record, done)`` as each
    item ends. A symbolic link that leads out of a folder given is skipped with a warning,
    unless ``follow_symlinks``. Raises OutputError before any rendering if ``outdir`` cannot be written or
    another batch is using it.
    """
    options = options or RenderOptions(timeout=120.0)
    if formats:
        options = replace(options, formats=tuple(dict.fromkeys(formats)))
    started = time.monotonic()
    folder = prepare_dir(outdir)
    with folder_lock(folder):
        remove_stale(folder)  # what a killed run left; nobody else writes here now
        total = count_items(inputs, follow_symlinks)
        if on_total:
            on_total(total)
        # Lives as long as the result's records, which are read back from it.
        ledger = Ledger()
        csv = replace(csv or CsvOptions(), strict=strict)
        return _run(inputs, folder, options, ledger, total, started, jobs=jobs,
                    resume=resume, fail_fast=fail_fast, strict=strict, base=base, csv=csv,
                    on_item=on_item, worker_hook=worker_hook, follow_symlinks=follow_symlinks)


def _check_setup(pool: Pool) -> None:
    """A broken template or letterhead, or one that takes longer than the time limit to
    compile, fails the batch once, up front. Checked in a worker, within the limit."""
    for _, outcome in pool.map(prepare_job, [None]):
        if isinstance(outcome, WorkerFailed):
            raise RenderError(str(outcome))


def _run(inputs: Sequence[str | Path], folder: Path, options: RenderOptions, ledger: Ledger,
         total: int, started: float, *, jobs: int | None, resume: bool, fail_fast: bool,
         strict: bool, base: str | Path | None, csv: CsvOptions,
         on_item: Callable[[Record, int], None] | None,
         worker_hook: Callable[[], None] | None, follow_symlinks: bool) -> BatchResult:
    workers = max(1, min(jobs or cpu_count(), max(total, 1)))
    pool = Pool(workers, _init, (options, strict, worker_hook), options.timeout)
    with pool:
        _check_setup(pool)
        return _run_passes(inputs, folder, options, ledger, started, pool,
                           resume=resume, fail_fast=fail_fast, base=base, csv=csv,
                           on_item=on_item, follow_symlinks=follow_symlinks)


def _run_passes(inputs: Sequence[str | Path], folder: Path, options: RenderOptions,
                ledger: Ledger, started: float, pool: Pool, *, resume: bool,
                fail_fast: bool, base: str | Path | None, csv: CsvOptions,
                on_item: Callable[[Record, int], None] | None, follow_symlinks: bool
                ) -> BatchResult:
    ledger.load_earlier(folder)
    manifest = Manifest(folder, [str(i) for i in inputs], options.formats, ledger)
    done = documents = 0
    stopped = False

    def finish(index: int, record: Record) -> None:
        nonlocal done
        done += 1
        manifest.add(index, record)
        if on_item:
            on_item(record, done)

    notices: list[Finding] = []

    def readable() -> Iterator[tuple[int, Item]]:
        for index, item in enumerate(collect_items(inputs, base, csv, notices,
                                                   follow_symlinks)):
            if item.skipped is not None:
                finish(index, Record(item.source, "skipped", findings=[item.skipped],
                                     error=item.skipped.message))
            elif item.problems:
                finish(index, Record(item.source, "failed", findings=list(item.problems),
                                     error=str(item.problems[0])))
            else:
                yield index, item

    with _ctrl_c(pool) as interrupted:
        # Pass 1: validate everything, learn the names each valid item would write.
        for (index, item), outcome in pool.map(_prepare, readable()):
            if isinstance(outcome, dict) and outcome["ok"]:
                job: RenderJob = outcome["job"]
                ledger.prepare(Prepared(index, item.source, outcome["deal_id"],
                                        outcome["version"], outcome["fingerprint"],
                                        tuple(outcome["names"])),
                               zlib.compress(_pickle(job), 1), outcome["findings"])
            else:
                finish(index, _failure(item.source, outcome))
                if fail_fast:
                    stopped = pool.stopping = True
        ledger.find_conflicts()

        def to_render() -> Iterator[tuple[Prepared, RenderJob]]:
            for info in ledger.prepared():
                others = ledger.conflict(info.index)
                if others is not None:
                    finish(info.index, Record(
                        info.source, "conflict", info.deal_id, info.version, info.fingerprint,
                        findings=ledger.findings(info.index),
                        error=f"would write the same file as {others}; nothing written for "
                        "either"))
                    if fail_fast:
                        return
                elif (first := ledger.duplicate(info.index)) is not None:
                    said = Finding("duplicate", f"a duplicate of {first} (the same deal, word "
                                   f"for word): its documents are made once, from {first}",
                                   "warning", file=info.source)
                    finish(info.index, Record(info.source, "skipped", info.deal_id,
                                              info.version, info.fingerprint,
                                              findings=[said], error=said.message))
                elif resume and (kept := ledger.up_to_date(folder, info.names,
                                                           info.fingerprint)) is not None:
                    finish(info.index, Record(info.source, "skipped", info.deal_id,
                                              info.version, info.fingerprint, kept,
                                              ledger.findings(info.index)))
                else:
                    yield info, _unpickle(zlib.decompress(ledger.job(info.index)))

        # Pass 2: render.
        if not (stopped or interrupted[0]):
            pending = to_render()
            for (info, _), outcome in pool.map(_render_pair, pending, str(folder)):
                if isinstance(outcome, dict) and outcome["ok"]:
                    # The first pass's warnings (readiness, wording...) stay on the record.
                    record = Record(info.source, "ok", info.deal_id, info.version,
                                    info.fingerprint, outcome["outputs"],
                                    ledger.findings(info.index) + outcome["findings"])
                    documents += len(outcome["outputs"])
                else:
                    record = _failure(info.source, outcome)
                    record.deal_id, record.version = info.deal_id, info.version
                finish(info.index, record)
                if fail_fast and record.status == "failed":
                    stopped = pool.stopping = True
            if fail_fast and ledger.statuses["conflict"]:
                stopped = True
        result = BatchResult(Records(ledger), time.monotonic() - started, documents,
                             interrupted[0], stopped, notices + machine_notices(options.formats))
    manifest.write(result.summary())
    write_failures(folder, result.records)
    return result


def _render_pair(pair: tuple[Prepared, RenderJob], outdir: str) -> dict[str, Any]:
    return _render(pair[1], outdir)


def _pickle(value: object) -> bytes:
    import pickle

    return pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)


def _unpickle(data: bytes) -> Any:
    import pickle

    return pickle.loads(data)

