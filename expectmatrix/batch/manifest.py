"""The batch's bookkeeping, kept on disk rather than in memory, and ``manifest.json``.

A batch of a million CSV rows must not hold a million records, their findings or the
names each would write: a :class:`Ledger` keeps them in a private temporary SQLite
database (flat memory, gone when closed) and ``manifest.json`` is streamed from it. The
manifest keeps the items an earlier run into the same folder listed until this run
replaces them, so an interrupted or partial run never forgets documents on disk.
"""

from __future__ import annotations

import hashlib
import json
import pickle
import re
import sqlite3
import time
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, overload

from expectmatrix.errors import InputError
from expectmatrix.spec.findings import Finding
from expectmatrix.spec.inputs import read_bytes
from expectmatrix.version import __version__
from expectmatrix.writing import write_atomic_stream

MANIFEST = "manifest.json"
MANIFEST_EVERY = 1.0  # seconds at least between rewrites; the last one is always written
MANIFEST_SHARE = 0.05  # and at most this share of the batch's time spent rewriting it
MAX_MANIFEST_BYTES = 4_000_000_000


@dataclass
class Record:
    """What the manifest says of one input."""

    source: str
    status: str  # ok | failed | skipped | conflict
    deal_id: str | None = None
    version: int | None = None
    fingerprint: str | None = None
    outputs: list[dict[str, Any]] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"source": self.source, "deal_id": self.deal_id, "version": self.version,
                "status": self.status, "fingerprint": self.fingerprint, "outputs": self.outputs,
                "findings": [f.to_dict() for f in self.findings], "error": self.error}


@dataclass(frozen=True)
class Prepared:
    """A valid item between the passes: what its record and its rendering need."""

    index: int
    source: str
    deal_id: str
    version: int
    fingerprint: str
    names: tuple[str, ...]


_SCHEMA = """
CREATE TABLE items(idx INTEGER PRIMARY KEY, source TEXT NOT NULL, status TEXT,
                   deal_id TEXT, version INTEGER, fingerprint TEXT, names TEXT,
                   job BLOB, findings BLOB, record BLOB, entry BLOB);
CREATE INDEX items_source ON items(source);
CREATE TABLE claims(name TEXT NOT NULL, idx INTEGER NOT NULL);
CREATE TABLE conflicts(idx INTEGER PRIMARY KEY, others TEXT NOT NULL);
CREATE TABLE duplicates(idx INTEGER PRIMARY KEY, first TEXT NOT NULL);
CREATE TABLE earlier(n INTEGER PRIMARY KEY, source TEXT NOT NULL, entry BLOB NOT NULL);
CREATE INDEX earlier_source ON earlier(source);
CREATE TABLE outputs(file TEXT PRIMARY KEY, sha256 TEXT, fingerprint TEXT);
"""


def _entry(record: Record) -> bytes:
    text = json.dumps(record.to_dict(), indent=1, ensure_ascii=False).replace("\n", "\n  ")
    return text.encode("utf-8")


class Ledger:
    """Every item of one batch, in a temporary database on disk."""

    def __init__(self) -> None:
        # "": a private on-disk database that SQLite deletes when it is closed.
        self.db = sqlite3.connect("", isolation_level=None)
        self.db.executescript("PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF;" + _SCHEMA)
        self.statuses: Counter[str] = Counter()
        self.recorded = 0
        self._pending = 0

    def _commit_now_and_then(self) -> None:
        self._pending += 1
        if self._pending >= 500:
            self.commit()

    def commit(self) -> None:
        if self.db.in_transaction:
            self.db.execute("COMMIT")
        self._pending = 0

    def _begin(self) -> None:
        if not self.db.in_transaction:
            self.db.execute("BEGIN")

    # --- what an earlier run left -----------------------------------------------------

    def load_earlier(self, outdir: Path) -> None:
        """The items of an earlier manifest.json in ``outdir``, kept until replaced."""
        try:
            data = json.loads(read_bytes(outdir / MANIFEST, MAX_MANIFEST_BYTES, "manifest"))
            items = data.get("items", [])
        except (InputError, ValueError, AttributeError, RecursionError):
            return  # not an earlier run's manifest: nothing to keep
        self._begin()
        for n, item in enumerate(items if isinstance(items, list) else []):
            if not isinstance(item, dict) or not isinstance(item.get("source"), str):
                continue
            item["earlier"] = True
            text = json.dumps(item, indent=1, ensure_ascii=False).replace("\n", "\n  ")
            self.db.execute("INSERT INTO earlier VALUES (?, ?, ?)", (n, item["source"],
                                                                      text.encode()))
            if item.get("status") in ("ok", "skipped"):
                for o in item.get("outputs") or []:
                    if isinstance(o, dict) and isinstance(o.get("file"), str):
                        self.db.execute("INSERT OR REPLACE INTO outputs VALUES (?, ?, ?)",
                                        (o["file"], o.get("sha256"), item.get("fingerprint")))
        self.commit()

    def up_to_date(self, outdir: Path, names: Sequence[str],
                   fingerprint: str) -> list[dict[str, Any]] | None:
        """The outputs an earlier run wrote for this spec, if they are all still intact."""
        outputs = []
        for name in names:
            row = self.db.execute("SELECT sha256, fingerprint FROM outputs WHERE file = ?",
                                  (name,)).fetchone()
            if row is None or row[1] != fingerprint:
                return None
            try:
                data = read_bytes(outdir / name, 1_000_000_000, "document")
            except InputError:
                return None
            if hashlib.sha256(data).hexdigest() != row[0]:
                return None
            outputs.append({"file": name, "bytes": len(data), "sha256": row[0]})
        return outputs

    # --- this run -----------------------------------------------------------------------

    def prepare(self, item: Prepared, job: bytes, findings: list[Finding]) -> None:
        self._begin()
        self.db.execute("INSERT INTO items(idx, source, deal_id, version, fingerprint, names, "
                        "job, findings) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                        (item.index, item.source, item.deal_id, item.version, item.fingerprint,
                         json.dumps(item.names), job, pickle.dumps(findings)))
        self.db.executemany("INSERT INTO claims VALUES (?, ?)",
                            [(name.casefold(), item.index) for name in item.names])
        self._commit_now_and_then()

    def find_conflicts(self, shown: int = 3) -> int:
        """Mark the items that would write the same file name (case folded) as another;
        each learns the sources of a few of the others. Items that are the same deal word
        for word (one fingerprint, the same files) do not conflict: the first is rendered,
        the others are marked duplicates of it. Returns how many conflict."""
        self.commit()
        self._begin()
        self.db.execute("CREATE INDEX IF NOT EXISTS claims_name ON claims(name)")
        names = self.db.execute("SELECT name FROM claims GROUP BY name "
                                "HAVING COUNT(DISTINCT idx) > 1").fetchall()
        for (name,) in names:
            group = [row[0] for row in self.db.execute(
                "SELECT DISTINCT claims.idx FROM claims WHERE name = ? ORDER BY idx", (name,))]
            same = self.db.execute(
                "SELECT COUNT(DISTINCT fingerprint || ' ' || names) FROM items WHERE idx IN "
                "(SELECT idx FROM claims WHERE name = ?)", (name,)).fetchone()[0] == 1
            if same:
                source = self._source(group[0])
                self.db.executemany("INSERT OR IGNORE INTO duplicates VALUES (?, ?)",
                                    [(index, source) for index in group[1:]])
                continue
            first = [(i, self._source(i)) for i in group[:shown + 1]]
            for index in group:
                others = [s for i, s in first if i != index][:shown]
                more = len(group) - 1 - len(others)
                text = ", ".join(others) + (f" and {more:,} more" if more else "")
                self.db.execute("INSERT OR IGNORE INTO conflicts VALUES (?, ?)", (index, text))
        self.commit()
        return int(self.db.execute("SELECT COUNT(*) FROM conflicts").fetchone()[0])

    def _source(self, index: int) -> str:
        return str(self.db.execute("SELECT source FROM items WHERE idx = ?",
                                   (index,)).fetchone()[0])

    def duplicate(self, index: int) -> str | None:
        """The source of the item this one repeats word for word, if it does."""
        row = self.db.execute("SELECT first FROM duplicates WHERE idx = ?", (index,)).fetchone()
        return None if row is None else str(row[0])

    def conflict(self, index: int) -> str | None:
        row = self.db.execute("SELECT others FROM conflicts WHERE idx = ?", (index,)).fetchone()
        return None if row is None else str(row[0])

    def prepared(self, chunk: int = 500) -> Iterator[Prepared]:
        """The valid items that have no record yet, in input order, read in chunks."""
        self.commit()
        last = -1
        while True:
            rows = self.db.execute(
                "SELECT idx, source, deal_id, version, fingerprint, names FROM items "
                "WHERE job IS NOT NULL AND record IS NULL AND idx > ? ORDER BY idx LIMIT ?",
                (last, chunk)).fetchall()
            if not rows:
                return
            for idx, source, deal_id, version, fp, names in rows:
                yield Prepared(idx, source, deal_id, version, fp, tuple(json.loads(names)))
            last = rows[-1][0]

    def job(self, index: int) -> bytes:
        return bytes(self.db.execute("SELECT job FROM items WHERE idx = ?",
                                     (index,)).fetchone()[0])

    def findings(self, index: int) -> list[Finding]:
        row = self.db.execute("SELECT findings FROM items WHERE idx = ?", (index,)).fetchone()
        return pickle.loads(row[0]) if row and row[0] is not None else []

    def add(self, index: int, record: Record) -> None:
        self._begin()
        cursor = self.db.execute(
            "UPDATE items SET status = ?, record = ?, entry = ?, job = NULL, findings = NULL "
            "WHERE idx = ? AND record IS NULL", (record.status, pickle.dumps(record),
                                                   _entry(record), index))
        if cursor.rowcount == 0:
            if self.db.execute("SELECT 1 FROM items WHERE idx = ?", (index,)).fetchone():
                raise ValueError(f"item {index} already has a record")
            self.db.execute("INSERT INTO items(idx, source, status, record, entry) "
                            "VALUES (?, ?, ?, ?, ?)", (index, record.source, record.status,
                                                       pickle.dumps(record), _entry(record)))
        self.statuses[record.status] += 1
        self.recorded += 1
        self._commit_now_and_then()

    def entries(self) -> Iterator[bytes]:
        """Manifest entries: this run's in input order, then the earlier run's that this
        run did not replace."""
        self.commit()
        for (entry,) in self.db.execute("SELECT entry FROM items WHERE entry IS NOT NULL "
                                        "ORDER BY idx"):
            yield bytes(entry)
        for (entry,) in self.db.execute(
                "SELECT entry FROM earlier WHERE source NOT IN "
                "(SELECT source FROM items WHERE entry IS NOT NULL) ORDER BY n"):
            yield bytes(entry)

    def close(self) -> None:
        self.db.close()


class Records(Sequence[Record]):
    """This run's records, in input order, read back from the ledger on demand."""

    def __init__(self, ledger: Ledger) -> None:
        self.ledger = ledger
        self.statuses = ledger.statuses

    def __len__(self) -> int:
        return self.ledger.recorded

    @overload
    def __getitem__(self, i: int) -> Record: ...
    @overload
    def __getitem__(self, i: slice) -> list[Record]: ...
    def __getitem__(self, i: int | slice) -> Record | list[Record]:
        if isinstance(i, slice):
            return list(self)[i]
        if i < 0:
            i += len(self)
        row = self.ledger.db.execute("SELECT record FROM items WHERE record IS NOT NULL "
                                     "ORDER BY idx LIMIT 1 OFFSET ?", (i,)).fetchone()
        if row is None:
            raise IndexError(i)
        return pickle.loads(row[0])  # type: ignore[no-any-return]

    def __iter__(self) -> Iterator[Record]:
        self.ledger.commit()
        for (blob,) in self.ledger.db.execute(
                "SELECT record FROM items WHERE record IS NOT NULL ORDER BY idx"):
            yield pickle.loads(blob)


class Manifest:
    """manifest.json in the output folder, rewritten atomically as records arrive."""

    def __init__(self, outdir: Path, inputs: Sequence[str], formats: Sequence[str],
                 ledger: Ledger) -> None:
        self.path = outdir / MANIFEST
        self.head = {"generator": f"expectmatrix {__version__}", "inputs": list(inputs),
                     "formats": list(formats)}
        self.ledger = ledger
        self.records = Records(ledger)
        self.started = time.monotonic()
        self.last = 0.0  # the first record is written at once
        self.spent = 0.0

    def add(self, index: int, record: Record) -> None:
        self.ledger.add(index, record)
        now = time.monotonic()
        # A large manifest is rewritten less often, so rewriting never dominates the batch.
        if now - self.last >= MANIFEST_EVERY and self.spent <= MANIFEST_SHARE * (now - self.started):
            self.write()

    def write(self, summary: dict[str, Any] | None = None) -> None:
        began = time.monotonic()
        head = {**self.head, "complete": summary is not None, "summary": summary}

        def stream(f: IO[bytes]) -> None:
            f.write(json.dumps(head, indent=1, ensure_ascii=False)[:-2].encode())
            f.write(b',\n "items": [')
            n = 0
            for n, entry in enumerate(self.ledger.entries(), start=1):
                f.write((b",\n  " if n > 1 else b"\n  ") + entry)
            f.write(b"\n ]\n}" if n else b"]\n}")

        write_atomic_stream(self.path, stream)
        self.last = time.monotonic()
        self.spent += self.last - began


FAILURES = "failures.csv"
# A spreadsheet runs a cell as a formula when it starts with one of these; some trim
# leading spaces first, and some read full-width or small forms (＝, ﹦) and other minus
# and dash signs as the ASCII ones. A tab or carriage return first hides what follows.
_FORMULA_SIGNS = "=+-@"
_LOOKALIKES = "\u2212\u2010\u2011\u2012\u2013\u2014\u2015\u2795\u2796\u02d7\ufe58"
_HIDING = ("\t", "\r", "\n")
# Invisible characters that are not str.isspace() but display as nothing.
_INVISIBLE = "\u200b\u200c\u200d\u2060\ufeff\u180e"


def failure_rows(records: Iterable[Record]) -> Iterator[tuple[str, str, str, str]]:
    """(source, row or line, field, message) for every error of a failed or conflicting
    item: what sales ops fixes, one line each."""
    for record in records:
        if record.status not in ("failed", "conflict"):
            continue
        source, _, row = record.source.rpartition(":") if re.search(r"\.csv:\d+$",
                                                                     record.source) else (
            record.source, "", "")
        problems = [f for f in record.findings if f.severity == "error"]
        if not problems:
            yield source, row, "", record.error or record.status
        for f in problems:
            yield (source, row or (str(f.line) if f.line else ""), f.field, f.message)


def formula_like(text: str) -> bool:
    """Whether a spreadsheet could take the text for a formula: its first visible
    character is a formula sign in any of its forms (NFKC folds ＝ ﹢ ＠ and the like to
    = + @), or the text starts with a tab or line break."""
    import unicodedata

    if text.startswith(_HIDING):
        return True
    first = next((c for c in text if not c.isspace() and c not in _INVISIBLE), "")
    if not first:
        return False
    return first in _LOOKALIKES or unicodedata.normalize("NFKC", first)[:1] in _FORMULA_SIGNS


def spreadsheet_cell(text: str) -> str:
    """Text a spreadsheet shows as text, never runs as a formula."""
    return "'" + text if formula_like(text) else text


def write_failures(outdir: Path, records: Iterable[Record]) -> Path:
    """failures.csv beside the manifest, to open in a spreadsheet next to the export:
    UTF-8 with a byte order mark (so Excel reads it as such), one finding a line, and
    no cell a spreadsheet would take for a formula."""
    import csv
    import io

    def stream(f: IO[bytes]) -> None:
        text = io.TextIOWrapper(f, encoding="utf-8-sig", newline="")
        writer = csv.writer(text)
        writer.writerow(["source", "row", "field", "message"])
        for row in failure_rows(records):
            writer.writerow([spreadsheet_cell(c) for c in row])
        text.flush()
        text.detach()

    return write_atomic_stream(outdir / FAILURES, stream)
