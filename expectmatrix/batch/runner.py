"""Render many specs unattended: folders and CSV exports, on worker processes, resumable.

Two passes over the inputs, both streamed (a CSV export of a million rows is never held
in memory). The first validates every item in the workers and learns the file names
each would write, so that two valid inputs aiming at the same name are both reported as
a conflict and neither is written. The second renders the rest. Each worker builds its
renderers once, in its first job and within that job's time limit (compiling a template
is untrusted work, never done in this process); a job that runs past the time limit, or
a worker that dies, fails only its own item (workers.py). The jobs run on any
``concurrent.futures.Executor`` (executors.py): this machine's worker processes by
default, or a dask cluster's workers (tasks.py says what changes there). Before the
first pass, one
worker builds them on its own, so a broken or far too slow template fails the batch
once rather than every item. Between and after the passes, items and records wait in a
ledger on disk (manifest.py), and the manifest is rewritten atomically as results
arrive, so a batch stopped at any moment leaves a valid manifest of what was finished.

The output folder is locked for the run: a second batch into it is refused.
"""

from __future__ import annotations

import os
import signal
import time
import uuid
import zlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Executor
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from expectmatrix.batch import tasks
from expectmatrix.batch.csvrows import CsvOptions, count_rows, read_rows
from expectmatrix.batch.executors import each_done, parallelism
from expectmatrix.batch.manifest import (
    MANIFEST,
    Ledger,
    Manifest,
    Prepared,
    Record,
    Records,
    write_failures,
)
from expectmatrix.batch.tasks import Item, Setup
from expectmatrix.errors import (
    ExpectmatrixError,
    InputError,
    InvalidFile,
    RenderError,
    WorkerFailed,
    os_problem,
    shown_path,
)
from expectmatrix.render.pipeline import RenderJob, RenderOptions, machine_notices
from expectmatrix.render.workers import ProcessExecutor, cpu_count
from expectmatrix.spec.findings import Finding, errors
from expectmatrix.spec.inputs import read_bytes, walk_folder
from expectmatrix.spec.loading import MAX_BYTES, load
from expectmatrix.spec.terms import is_spec_name
from expectmatrix.version import __version__
from expectmatrix.writing import folder_lock, prepare_dir, remove_stale, write_documents

__all__ = ["MANIFEST", "BatchResult", "Item", "Record", "collect_items", "run_batch"]



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
            except InvalidFile as e:  # the export, or the column map it is read with
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


# --- in the parent ----------------------------------------------------------------------


@dataclass
class _Jobs:
    """Where a batch's jobs run, and how they get there."""

    executor: Executor
    setup: Setup | str  # what each job carries (the key alone where initializers set up)
    outdir: str | None  # where workers write the documents; None: they send them here
    window: int  # jobs in flight at most
    stopping: bool = False  # set by Ctrl-C or --fail-fast: nothing new starts

    def stop(self) -> None:
        self.stopping = True
        if isinstance(self.executor, ProcessExecutor):  # jobs queued there stay unstarted
            self.executor.paused = True

    def run(self, fn: Callable[..., Any], items: Iterable[Any], *args: Any
            ) -> Iterator[tuple[Any, Any]]:
        def submit(item: Any) -> Any:
            return self.executor.submit(tasks.run, self.setup, fn, item, *args)

        return each_done(submit, items, self.window, lambda: self.stopping)

    @property
    def ships(self) -> bool:
        """Whether the parent reads the inputs and writes the outputs for the workers."""
        return self.outdir is None


@contextmanager
def _ctrl_c(jobs: _Jobs, said: Callable[[], None] | None) -> Iterator[list[bool]]:
    """Ctrl-C sets a flag the loop reads, rather than raising wherever the parent
    happens to be: the jobs in flight finish and are recorded, nothing new starts.
    ``said`` is told at the first Ctrl-C, so that whoever waits knows it was heard."""
    seen = [False]

    def stop(signum: int, frame: object) -> None:
        first = not seen[0]
        seen[0] = True
        jobs.stop()
        if first and said is not None:
            said()

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
              on_interrupt: Callable[[], None] | None = None,
              worker_hook: Callable[[], None] | None = None,
              follow_symlinks: bool = False, executor: Executor | None = None) -> BatchResult:
    """Render every input into ``outdir`` and return what happened to each.

    ``on_total(n)`` is called once the inputs are counted, ``on_item(record, done)`` as each
    item ends, ``on_interrupt()`` at the first Ctrl-C. A symbolic link that leads out of a
    folder given is skipped with a warning, unless ``follow_symlinks``. Raises OutputError
    before any rendering if ``outdir`` cannot be written or another batch is using it.

    The jobs run on ``jobs`` worker processes of this machine, or on ``executor`` if
    given: any ``concurrent.futures.Executor``, such as a dask cluster's
    ``Client.get_executor()``, left open for the caller to close. Its workers must run
    this version of expectmatrix and see the templates, letterhead, base specs and logos
    at the same absolute paths; this process reads the specs and writes the documents.
    It cannot kill their workers: the time limit stops a template between two Python
    steps, and only on a dask worker that a nanny restarts does a job that overruns
    further end its worker process (executors.py); elsewhere, one long C-level step is
    not cut short.
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
        setup = Setup(uuid.uuid4().hex, options, strict, worker_hook)
        if executor is None:
            workers = max(1, min(jobs or cpu_count(), max(total, 1)))
            context: Any = ProcessExecutor(workers, tasks.set_up, (setup,),
                                           timeout=options.timeout)
            run = _Jobs(context, setup.key, str(folder), 2 * workers)
        else:
            context = nullcontext()
            setup = replace(setup, options=_portable(options))
            run = _Jobs(executor, setup, None, 2 * parallelism(executor))
        with context:
            _check_setup(run)
            return _run_passes(inputs, folder, options, ledger, started, run,
                               resume=resume, fail_fast=fail_fast, base=base, csv=csv,
                               on_item=on_item, on_interrupt=on_interrupt,
                               follow_symlinks=follow_symlinks)


def _portable(options: RenderOptions) -> RenderOptions:
    """The same options with absolute paths, which a worker elsewhere reads alike."""
    return replace(options, template_dirs=tuple(Path(p).resolve() for p in options.template_dirs),
                   docx_base=Path(options.docx_base).resolve() if options.docx_base else None)


def _check_setup(jobs: _Jobs) -> None:
    """A broken template or letterhead, or one that takes longer than the time limit to
    compile, fails the batch once, up front. Checked in a worker, within the limit."""
    for _, outcome in jobs.run(tasks.check, [None]):
        if isinstance(outcome, WorkerFailed):
            raise RenderError(str(outcome))
        if outcome != __version__:
            raise RenderError(f"the workers run expectmatrix {outcome} and this machine "
                              f"{__version__}: install the same version on both, so that "
                              "their documents are the same")


def _shipped(item: Item) -> Item:
    """An item as a cluster's worker can read it: a spec file's text read here, a CSV
    row's base spec named by its absolute path."""
    if item.skipped is not None or item.problems:
        return item
    if item.row is not None:
        if item.row.base is None:
            return item
        return replace(item, row=replace(item.row, base=os.path.abspath(item.row.base)))
    path = item.path or item.source
    try:
        data = read_bytes(path, MAX_BYTES, "spec")
    except InputError:  # the same message as a worker reading it gives
        return replace(item, problems=tuple(load(path).findings))
    return replace(item, data=data, folder=os.path.dirname(os.path.abspath(path)))


def _write_here(folder: Path, source: str, outcome: dict[str, Any]) -> dict[str, Any]:
    try:
        write_documents(folder, outcome.pop("documents"))
    except ExpectmatrixError as e:
        return tasks.failed(source, e)
    return outcome


def _run_passes(inputs: Sequence[str | Path], folder: Path, options: RenderOptions,
                ledger: Ledger, started: float, jobs: _Jobs, *, resume: bool,
                fail_fast: bool, base: str | Path | None, csv: CsvOptions,
                on_item: Callable[[Record, int], None] | None,
                on_interrupt: Callable[[], None] | None, follow_symlinks: bool
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
            if jobs.ships:
                item = _shipped(item)
            if item.skipped is not None:
                finish(index, Record(item.source, "skipped", findings=[item.skipped],
                                     error=item.skipped.message))
            elif item.problems:
                finish(index, Record(item.source, "failed", findings=list(item.problems),
                                     error=str(item.problems[0])))
            else:
                yield index, item

    with _ctrl_c(jobs, on_interrupt) as interrupted:
        # Pass 1: validate everything, learn the names each valid item would write.
        for (index, item), outcome in jobs.run(tasks.prepare, readable()):
            if isinstance(outcome, dict) and outcome["ok"]:
                job: RenderJob = outcome["job"]
                ledger.prepare(Prepared(index, item.source, outcome["deal_id"],
                                        outcome["version"], outcome["fingerprint"],
                                        tuple(outcome["names"])),
                               zlib.compress(_pickle(job), 1), outcome["findings"])
            else:
                finish(index, _failure(item.source, outcome))
                if fail_fast:
                    jobs.stop()
                    stopped = True
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
            for (info, _), outcome in jobs.run(tasks.render, pending, jobs.outdir):
                if isinstance(outcome, dict) and "documents" in outcome:
                    outcome = _write_here(folder, info.source, outcome)
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
                    jobs.stop()
                    stopped = True
            if fail_fast and ledger.statuses["conflict"]:
                stopped = True
        result = BatchResult(Records(ledger), time.monotonic() - started, documents,
                             interrupted[0], stopped, notices + machine_notices(options.formats))
    manifest.write(result.summary())
    write_failures(folder, result.records)
    return result


def _pickle(value: object) -> bytes:
    import pickle

    return pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)


def _unpickle(data: bytes) -> Any:
    import pickle

    return pickle.loads(data)

