"""Where `absorb` starts from: the rep's spec (a file, or its bytes as the web app holds
them; its comments and key order are kept), else the spec the document carries. The
document must be one of that deal: legal's edits to another deal's agreement compared
with this spec would read as a rewrite of every row."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from expectmatrix.errors import DocumentError
from expectmatrix.review.absorb_moves import COLUMNS
from expectmatrix.spec.findings import errors
from expectmatrix.spec.shape import expectations_of


@dataclass(frozen=True)
class SpecSource:
    """A spec's bytes, as read already, and the name its findings and messages use (a
    name ending .json is read as JSON, any other as YAML)."""

    data: bytes
    name: str


@dataclass
class Start:
    text: str
    fmt: str
    spec: Any  # the resolved Spec: what each cell printed
    written: Any  # the Spec as written: which fields the spec itself gives

    def written_of(self, eid: str) -> Any:
        for side in COLUMNS:
            for e in expectations_of(self.written, side):
                if e.id == eid:
                    return e
        raise KeyError(eid)


def starting(document: str, embedded: bytes, spec: str | Path | SpecSource | None,
             library: Any) -> Start:
    from expectmatrix.checks import check_loaded
    from expectmatrix.spec.inputs import read_bytes
    from expectmatrix.spec.loading import MAX_BYTES, decode, load_bytes
    from expectmatrix.spec.roundtrip import Document

    if spec is not None:
        if isinstance(spec, SpecSource):
            data, name = spec.data, spec.name
        else:
            data, name = read_bytes(spec, MAX_BYTES, "spec"), str(spec)
        fmt = "json" if name.lower().endswith(".json") else "yaml"
        text = decode(data, name)
    else:
        data, name, fmt = embedded, f"{document} (embedded spec)", "yaml"
        text = Document(json.loads(embedded)).dump()
    loaded = load_bytes(data, name, "json" if spec is None else fmt)
    if spec is not None and loaded.spec is not None:
        _same_deal(document, embedded, name, loaded.spec.deal.id)
    checked = check_loaded(loaded, library=library)
    if checked.spec is None or loaded.spec is None:
        problems = "; ".join(str(f) for f in errors(checked.findings)[:3])
        raise DocumentError(f"{name}: the spec to start from has errors, so the document "
                            f"cannot be compared with it: {problems}")
    return Start(text, fmt, checked.spec, loaded.spec)


def _same_deal(document: str, embedded: bytes, name: str, deal_id: str) -> None:
    try:  # bounded and checked as JSON text when the document was read
        carried = json.loads(embedded)
        theirs = carried["deal"]["id"]
    except (ValueError, KeyError, TypeError):
        return  # the spec it carries is refused, with its reasons, when it is loaded
    if isinstance(theirs, str) and theirs != deal_id:
        raise DocumentError(f"{document} is the agreement of deal {theirs}, not of "
                            f"{Path(name).name}'s deal {deal_id}: legal's edits can only be "
                            "brought into the spec of the deal they were made on")
