"""The batch manifest: what happened to each input, kept on disk rather than in memory.

A batch of 10,000 specs must not hold 10,000 records with their findings (a 15x15 spec
written without the clause library has 30 of them). Each finished record is pickled into
an anonymous temporary file, which the system removes however the process ends; memory
keeps a few numbers per item. ``manifest.json`` is streamed from that file.
"""

from __future__ import annotations

import hashlib
import json
import pickle
import tempfile
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, overload

from . import __version__
from .findings import Finding
from .output import write_atomic_stream

MANIFEST = "manifest.json"
MANIFEST_EVERY = 1.0  # seconds at least between rewrites; the last one is always written
MANIFEST_SHARE = 0.05  # and at most this share of the batch's time spent rewriting it


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


class Spool:
    """Bytes and pickled objects in an anonymous temporary file, read back by reference."""

    def __init__(self) -> None:
        # Lives as long as the records read from it, so no with-block; gone when closed.
        self.file: IO[bytes] = tempfile.TemporaryFile()  # noqa: SIM115
        self.end = 0

    def put_bytes(self, data: bytes) -> tuple[int, int]:
        self.file.seek(self.end)
        self.file.write(data)
        ref = (self.end, len(data))
        self.end += len(data)
        return ref

    def get_bytes(self, ref: tuple[int, int]) -> bytes:
        self.file.seek(ref[0])
        return self.file.read(ref[1])

    def put(self, value: object) -> tuple[int, int]:
        return self.put_bytes(pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL))

    def get(self, ref: tuple[int, int]) -> Any:
        return pickle.loads(self.get_bytes(ref))


class Records(Sequence[Record]):
    """Every input's record, in input order, read back from the spool on demand."""

    def __init__(self, spool: Spool) -> None:
        self.spool = spool
        # input index -> where its Record and its manifest entry (JSON) are
        self.refs: dict[int, tuple[tuple[int, int], tuple[int, int]]] = {}
        self.statuses: Counter[str] = Counter()
        self._order: list[int] | None = []

    def add(self, index: int, record: Record) -> None:
        if index in self.refs:
            raise ValueError(f"item {index} already has a record")
        text = json.dumps(record.to_dict(), indent=1, ensure_ascii=False).replace("\n", "\n  ")
        self.refs[index] = (self.spool.put(record), self.spool.put_bytes(text.encode()))
        self.statuses[record.status] += 1
        self._order = None

    def order(self) -> list[int]:
        if self._order is None:
            self._order = sorted(self.refs)
        return self._order

    def json_entries(self) -> Iterator[bytes]:
        for index in self.order():
            yield self.spool.get_bytes(self.refs[index][1])

    def __len__(self) -> int:
        return len(self.refs)

    @overload
    def __getitem__(self, i: int) -> Record: ...
    @overload
    def __getitem__(self, i: slice) -> list[Record]: ...
    def __getitem__(self, i: int | slice) -> Record | list[Record]:
        if isinstance(i, slice):
            return [self.spool.get(self.refs[k][0]) for k in self.order()[i]]
        return self.spool.get(self.refs[self.order()[i]][0])

    def __iter__(self) -> Iterator[Record]:
        for index in self.order():
            yield self.spool.get(self.refs[index][0])


class Manifest:
    """manifest.json in the output folder, rewritten atomically as records arrive."""

    def __init__(self, outdir: Path, inputs: Sequence[str], formats: Sequence[str],
                 spool: Spool) -> None:
        self.path = outdir / MANIFEST
        self.head = {"generator": f"expectmatrix {__version__}", "inputs": list(inputs),
                     "formats": list(formats)}
        self.records = Records(spool)
        self.started = time.monotonic()
        self.last = 0.0  # the first record is written at once
        self.spent = 0.0

    def add(self, index: int, record: Record) -> None:
        self.records.add(index, record)
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
            for n, entry in enumerate(self.records.json_entries()):
                f.write((b",\n  " if n else b"\n  ") + entry)
            f.write(b"\n ]\n}" if self.records else b"]\n}")

        write_atomic_stream(self.path, stream)
        self.last = time.monotonic()
        self.spent += self.last - began


def previous_outputs(outdir: Path) -> dict[str, tuple[str, str]]:
    """From an earlier manifest: file name -> (sha256, fingerprint of its spec)."""
    def drop_findings(obj: dict[str, Any]) -> dict[str, Any] | None:
        # Resuming needs none of them: dropped as they are parsed, a large manifest stays small.
        return None if "code" in obj and "message" in obj else obj

    try:
        data = json.loads((outdir / MANIFEST).read_text(encoding="utf-8"),
                          object_hook=drop_findings)
        return {o["file"]: (o["sha256"], item["fingerprint"])
                for item in data.get("items", []) if item.get("status") in ("ok", "skipped")
                for o in item.get("outputs", [])}
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return {}


def up_to_date(outdir: Path, names: Sequence[str], fp: str,
               before: dict[str, tuple[str, str]]) -> list[dict[str, Any]] | None:
    """The outputs an earlier run wrote for this spec, if they are all still intact."""
    outputs = []
    for name in names:
        recorded = before.get(name)
        if recorded is None or recorded[1] != fp:
            return None
        try:
            data = (outdir / name).read_bytes()
        except OSError:
            return None
        if hashlib.sha256(data).hexdigest() != recorded[0]:
            return None
        outputs.append({"file": name, "bytes": len(data), "sha256": recorded[0]})
    return outputs
