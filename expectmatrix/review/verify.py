"""Does a PDF or DOCX match the spec it claims to come from?

The checks: the document carries an expectmatrix spec; the SHA-256 of that spec equals the
fingerprint in the metadata and the one printed on every page; the visible text equals
what expectmatrix renders from that spec today (so a text edited after generation shows);
and, when a spec file is given, it is that same spec. This is tamper evidence, not a
signature: whoever has expectmatrix can make a consistent document from any spec.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from expectmatrix.review.documents import DocumentError, Embedded, read_bytes, read_document
from expectmatrix.spec.canonical import fingerprint_of
from expectmatrix.spec.findings import errors

if TYPE_CHECKING:
    from expectmatrix.checks import LibrarySource
    from expectmatrix.render.pipeline import RenderOptions
    from expectmatrix.spec.loading import Loaded


@dataclass
class Check:
    name: str
    ok: bool
    detail: str = ""


@dataclass
class Report:
    document: str
    fingerprint: str | None
    checks: list[Check] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # what the checks could not prove

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.checks)

    def add(self, name: str, ok: bool, detail: str = "") -> None:
        self.checks.append(Check(name, ok, detail))


def embedded_spec(embedded: Embedded, name: str) -> bytes:
    if embedded.spec_json is None:
        raise DocumentError(f"{name}: carries no expectmatrix spec; it was not made by "
                            "expectmatrix, or the embedded spec was removed")
    return embedded.spec_json


def _fingerprint_label(data: bytes, options: RenderOptions | None) -> str:
    """The label the document's writer printed before the fingerprint: the one of the
    embedded spec's language, from the same template folders."""
    import json

    from expectmatrix.spec.i18n import labels_for

    try:
        language = json.loads(data).get("deal", {}).get("language", "en")
    except (ValueError, AttributeError):
        language = "en"
    dirs = tuple(Path(d) for d in options.template_dirs) if options else ()
    return str(labels_for(str(language), dirs)["fingerprint"])


def load_embedded(data: bytes, name: str, library: LibrarySource = None) -> Loaded:
    """The embedded canonical spec -> a checked Loaded, as a spec file would be."""
    from expectmatrix.checks import check_loaded
    from expectmatrix.spec.loading import load_bytes

    return check_loaded(load_bytes(data, f"{name} (embedded spec)", "json"),
                        library=library)


def _normalise(text: str) -> str:
    # Whitespace is layout; bidi isolates and marks are invisible and readers drop them.
    return re.sub(r"[\s\u200e\u200f\u2066-\u2069]+", "", text)


def _first_difference(a: str, b: str) -> str:
    a, b = _normalise(a), _normalise(b)
    i = next((i for i, (x, y) in enumerate(zip(a, b, strict=False)) if x != y), min(len(a), len(b)))
    return f"document has “…{a[max(0, i - 30):i + 40]}…” where the spec gives “…{b[max(0, i - 30):i + 40]}…”"


def verify(document: str | Path, spec: str | Path | None = None,
           options: RenderOptions | None = None, library: LibrarySource = None) -> Report:
    """Check a document against its embedded spec (and against ``spec`` if given).

    ``options`` and ``library`` must be set up as they were when the document was made
    (template folders, organisation settings, letterhead, clause library): the visible
    text is compared with a fresh rendering."""
    name = str(document)
    embedded = read_document(document)
    data = embedded_spec(embedded, name)
    actual = fingerprint_of(data)
    audience = embedded.options.get("audience", "internal")
    # A counterparty edition carries its spec without what it does not show; the
    # fingerprint it prints and states is still the whole spec's.
    redacted = audience == "counterparty" and embedded.fingerprint != actual
    whole = embedded.fingerprint or actual if redacted else actual
    report = Report(name, whole)
    if redacted:
        stated = embedded.options.get("embedded")
        report.add("the embedded spec is this counterparty copy's (the SHA-256 the metadata "
                   "states)", stated == actual,
                   f"metadata says {stated}, the embedded spec hashes to {actual}")
    else:
        report.add("the metadata fingerprint is the embedded spec's SHA-256",
                   embedded.fingerprint == actual,
                   f"metadata says {embedded.fingerprint}, the embedded spec hashes to {actual}")
    label = _fingerprint_label(data, options)
    printed = embedded.printed(label)
    wrong = sorted({p for p in printed if p != whole})
    report.add("every printed fingerprint is the " + (
        "metadata's" if redacted else "embedded spec's SHA-256"),
               bool(printed) and not wrong,
               f"printed: {', '.join(wrong)}" if wrong
               else f"no printed fingerprint found (after “{label}”)")
    loaded = load_embedded(data, name, library)
    if loaded.spec is None:
        problems = "; ".join(str(f) for f in errors(loaded.findings)[:3])
        report.add("the embedded spec is valid", False, problems)
        return report
    report.add("the visible text is what this spec renders to",
               *_same_text(embedded, loaded, options, whole))
    if spec is not None:
        report.add(f"{spec} is the document's spec",
                   *_same_spec(loaded, spec, name, library, whole if redacted else None, options))
    elif redacted:
        report.notes.append("this counterparty copy carries its spec without the internal "
                            "fields, so the fingerprint of the whole spec is checked only "
                            "when the spec file is given: verify DOCUMENT SPEC")
    return report


def _same_text(embedded: Embedded, loaded: Loaded, options: RenderOptions | None,
               fingerprint: str) -> tuple[bool, str]:
    from dataclasses import replace

    from expectmatrix.render.pipeline import RenderJob, RenderOptions, render_documents

    mark = embedded.options.get("mark-nonstandard")
    audience = embedded.options.get("audience", "internal")
    options = replace(options or RenderOptions(), formats=(embedded.kind,),
                      mark_nonstandard=None if mark is None else mark == "yes",
                      audience="counterparty" if audience == "counterparty" else "internal")
    fresh, _ = render_documents(loaded, options, job=RenderJob.of(loaded, fingerprint))
    again = read_bytes(fresh[embedded.kind], Path(f"fresh.{embedded.kind}"))
    if _normalise(again.text) == _normalise(embedded.text):
        return True, ""
    return False, _first_difference(embedded.text, again.text)


def _same_spec(loaded: Loaded, spec_path: str | Path, name: str, library: LibrarySource,
               whole: str | None, options: RenderOptions | None) -> tuple[bool, str]:
    """``whole``: the fingerprint a counterparty copy states for the spec it leaves
    fields out of (None: the document carries the whole spec)."""
    from expectmatrix.checks import check_loaded
    from expectmatrix.render.audience import Edition, redact
    from expectmatrix.review.compare import compare, format_text
    from expectmatrix.spec.canonical import fingerprint
    from expectmatrix.spec.loading import load

    given = check_loaded(load(spec_path), library=library)
    assert loaded.spec is not None
    if given.spec is None:
        first = errors(given.findings)[:1]
        return False, f"the spec is not valid: {first[0] if first else ''}"
    mine = given.spec
    if whole is not None:
        fields = options.settings.internal_fields if options else Edition().internal_fields
        mine = redact(given.spec, Edition("counterparty", fields))
        if fingerprint(given.spec) == whole and fingerprint(mine) == fingerprint(loaded.spec):
            return True, ""
        if fingerprint(mine) == fingerprint(loaded.spec):
            return False, (f"the spec's fingerprint is {fingerprint(given.spec)}, the document "
                           f"states {whole}: they differ in fields this counterparty copy "
                           "leaves out (notes, margin, approvals and the like)")
    elif fingerprint(mine) == fingerprint(loaded.spec):
        return True, ""
    diff = compare(loaded.spec, mine, f"{name} (embedded)", str(spec_path))
    return False, format_text(diff).strip()


def extract(document: str | Path) -> bytes:
    """The embedded canonical spec (JSON); rendering it gives the same document. A
    counterparty copy's is the spec without its internal fields."""
    embedded = read_document(document)
    data = embedded_spec(embedded, str(document))
    stated = (embedded.options.get("embedded")
              if embedded.options.get("audience") == "counterparty" else embedded.fingerprint)
    if stated and fingerprint_of(data) != stated:
        raise DocumentError(f"{document}: the embedded spec does not match the document's "
                            "fingerprint; it was changed after generation")
    return data
