"""Does a PDF or DOCX match the spec it claims to come from?

The checks: the document carries an expectmatrix spec; the SHA-256 of that spec equals the
fingerprint in the metadata and the one printed on every page; the visible text equals
what expectmatrix renders from that spec today (so a text edited after generation shows);
and, when a spec file is given, it is that same spec. This is tamper evidence, not a
signature: whoever has expectmatrix can make a consistent document from any spec.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from expectmatrix.errors import DocumentError
from expectmatrix.review.documents import Embedded, document_bytes, embedded_spec, read_bytes, read_document
from expectmatrix.spec.canonical import fingerprint_of
from expectmatrix.spec.findings import errors

if TYPE_CHECKING:
    from expectmatrix.checks import LibrarySource
    from expectmatrix.render.pipeline import RenderOptions
    from expectmatrix.spec.loading import Loaded
    from expectmatrix.spec.terms import Audience


@dataclass
class Check:
    name: str
    ok: bool
    detail: str = ""
    kind: str = "spec"  # spec, or with --trust: signature | integrity | chain


@dataclass
class Report:
    document: str
    fingerprint: str | None
    checks: list[Check] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # what the checks could not prove
    signer: str | None = None  # who signed, when a signature was checked

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.checks)

    @property
    def failed(self) -> list[str]:
        """The kinds of check that failed, each once: the spec passing while only the
        signature's chain fails is not a document that differs from its spec."""
        return list(dict.fromkeys(c.kind for c in self.checks if not c.ok))

    def add(self, name: str, ok: bool, detail: str = "", kind: str = "spec") -> None:
        self.checks.append(Check(name, ok, detail, kind))


def _fingerprint_label(data: bytes, options: RenderOptions | None) -> str:
    """The label the document's writer printed before the fingerprint: the one of the
    embedded spec's language, from the same template folders."""
    import json

    from expectmatrix.language.labels import labels_for

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


def _readable(text: str) -> tuple[str, list[int]]:
    """The text as a reader sees it (each run of spaces one space, invisible marks out),
    and where each of its letters (what _normalise keeps) stands in it."""
    shown = re.sub(r"\s+", " ", re.sub(r"[\u200e\u200f\u2066-\u2069]", "", text)).strip()
    return shown, [i for i, c in enumerate(shown) if not c.isspace()]


def _first_difference(a: str, b: str) -> str:
    """Where the document's text first differs from the spec's, in words with their
    spaces (the comparison ignores layout, the quotation does not drop it)."""
    x, y = _normalise(a), _normalise(b)
    i = next((i for i, (p, q) in enumerate(zip(x, y, strict=False)) if p != q),
             min(len(x), len(y)))

    def around(text: str) -> str:
        shown, where = _readable(text)
        at = where[i] if i < len(where) else len(shown)
        start = shown.rfind(" ", 0, max(0, at - 30)) + 1  # whole words at the edges
        end = shown.find(" ", at + 40)
        return shown[start:end if end >= 0 else len(shown)]

    return f"document has “…{around(a)}…” where the spec gives “…{around(b)}…”"


def verify(document: str | Path, spec: str | Path | None = None,
           options: RenderOptions | None = None, library: LibrarySource = None,
           trust: str | Path | None = None) -> Report:
    """Check a document against its embedded spec (and against ``spec`` if given).

    ``options`` and ``library`` must be set up as they were when the document was made
    (template folders, organisation settings, letterhead, clause library): the visible
    text is compared with a fresh rendering."""
    data = document_bytes(document)  # read once: for the spec and for the signatures
    report = _verify(document, data, spec, options, library)
    if trust is not None:
        from expectmatrix.review.signing import check_signature

        signature = check_signature(data, trust)
        who = signature.signer or "the signer"
        names = {"signature": "signature: the PDF carries a signature that can be checked",
                 "integrity": f"integrity: nothing changed since {who} signed",
                 "chain": f"chain: the certificate of {who} chains to {trust}"}
        for check in signature.checks:
            report.add(names[check.kind], check.ok, check.detail, check.kind)
        report.signer = signature.signer
    return report


def _verify(document: str | Path, data: bytes, spec: str | Path | None,
            options: RenderOptions | None, library: LibrarySource) -> Report:
    name = str(document)
    embedded = read_bytes(data, Path(document), text=spec is not None)
    if embedded.spec_json is None and spec is not None:
        return _verify_by_text(embedded, spec, name, options, library)
    data = embedded_spec(embedded, name)
    actual = fingerprint_of(data)
    report = Report(name, actual)
    # Each edition states and prints the fingerprint of the spec it carries.
    report.add("the metadata fingerprint is the embedded spec's SHA-256",
               embedded.fingerprint == actual,
               f"metadata says {embedded.fingerprint}, the embedded spec hashes to {actual}")
    label = _fingerprint_label(data, options)
    printed = embedded.printed(label)
    wrong = sorted({p for p in printed if p != actual})
    report.add("every printed fingerprint is the embedded spec's SHA-256",
               bool(printed) and not wrong,
               f"printed: {', '.join(wrong)}" if wrong
               else f"no printed fingerprint found (after “{label}”)")
    loaded = load_embedded(data, name, library)
    if loaded.spec is None:
        problems = "; ".join(str(f) for f in errors(loaded.findings)[:3])
        report.add("the embedded spec is valid", False, problems)
        return report
    same, detail, resaved = _same_text(embedded, loaded, options)
    report.add("the visible text is what this spec renders to", same, detail)
    if same and resaved:
        report.notes.append("re-saved, text unchanged: the file is not byte for byte what "
                            "expectmatrix wrote (saved again in Word or LibreOffice, or "
                            "signed), and every text it renders is as the spec says")
    if spec is not None:
        report.add(f"{spec} is the document's spec",
                   *_same_spec(loaded, spec, name, library))
    elif loaded.spec.withheld:
        report.notes.append("this counterparty edition carries its spec without "
                            f"{', '.join(loaded.spec.withheld)}; to check that it was made "
                            "from your full spec, give it too: verify DOCUMENT SPEC")
    return report


def _same_text(embedded: Embedded, loaded: Loaded, options: RenderOptions | None
               ) -> tuple[bool, str, bool]:
    """Whether the document says what the spec renders to, what differs if not, and
    whether the file was saved again since (its bytes are not a fresh rendering's)."""
    from dataclasses import replace

    from expectmatrix.render.pipeline import RenderJob, RenderOptions, render_documents

    mark = embedded.options.get("mark-nonstandard")
    audience = embedded.options.get("audience", "internal")
    options = replace(options or RenderOptions(), formats=(embedded.kind,),
                      mark_nonstandard=None if mark is None else mark == "yes",
                      audience="counterparty" if audience == "counterparty" else "internal")
    fresh, _ = render_documents(loaded, options, job=RenderJob.of(loaded))
    if hashlib.sha256(fresh[embedded.kind]).hexdigest() == embedded.digest:
        return True, "", False  # untouched: reading its text again would only cost time
    again = read_bytes(fresh[embedded.kind], Path(f"fresh.{embedded.kind}"))
    if _normalise(again.text) == _normalise(embedded.text):
        return True, "", again.digest != embedded.digest
    detail = _first_difference(embedded.text, again.text)
    if embedded.kind == "docx" and _normalise(again.body) == _normalise(embedded.body):
        detail += ("\nthe body is as the spec says; the headers or footers differ. If the "
                   "document was made on a letterhead, give the same one with --docx-base")
    return False, detail, False


def _verify_by_text(embedded: Embedded, spec_path: str | Path, name: str,
                    options: RenderOptions | None, library: LibrarySource) -> Report:
    """A document without its embedded spec (a PDF printed again from Word, say),
    compared by its text with what the spec renders, page furniture left aside."""
    from dataclasses import replace

    from expectmatrix.checks import check_loaded
    from expectmatrix.language.labels import labels_for
    from expectmatrix.render.audience import edition_fingerprint
    from expectmatrix.render.pipeline import RenderJob, RenderOptions, render_documents
    from expectmatrix.spec.loading import load

    options = options or RenderOptions()
    given = check_loaded(load(spec_path), library=library,
                         template_dirs=options.template_dirs)
    if given.spec is None:
        first = errors(given.findings)[:1]
        report = Report(name, None)
        report.add(f"{spec_path} is valid", False, str(first[0]) if first else "")
        return report
    job = RenderJob.of(given)
    report = Report(name, None)
    report.notes.append(
        "the document carries no embedded spec (printed again, or saved by a program that "
        "drops it), so it was compared by its text with what the spec renders: this proves "
        "the text, not the layout, and the fingerprint only as it is printed on the pages")
    labels = labels_for(given.spec.deal.language, tuple(map(Path, options.template_dirs)))
    audience: Audience = ("internal" if str(labels["internal"]) in embedded.text
                          else "counterparty")
    expected = edition_fingerprint(given.spec, replace(options, audience=audience).edition())
    report.fingerprint = expected
    printed = embedded.printed(str(labels["fingerprint"]))
    wrong = sorted({p for p in printed if p != expected})
    report.add(f"every printed fingerprint is the SHA-256 of the spec the {audience} edition "
               "carries", bool(printed) and not wrong,
               f"printed: {', '.join(wrong)}" if wrong else "no printed fingerprint found")
    furniture, furniture_texts = _furniture(given, labels)
    continued, areas = _continued(given, labels)
    mine = furniture.sub("", continued(_normalise(embedded.text)))
    detail = ""
    # Printed from Word, the text is the DOCX's; kept as a PDF, the PDF's.
    for kind in ("docx", "pdf"):
        fresh, _ = render_documents(given, replace(options, formats=(kind,), audience=audience),
                                    job=job)
        again = read_bytes(fresh[kind], Path(f"fresh.{kind}"))
        theirs = furniture.sub("", continued(_normalise(again.body)))
        if mine == theirs:
            report.add(f"the text is what this spec renders to ({audience} edition)", True)
            return report
        # Read back out of order, the heads cannot be told from the text: each area's
        # table has its own, and each page may repeat one area's name.
        pages = len(embedded.footers)
        allowance = (_normalise("".join(furniture_texts)) * (pages + len(areas))
                     + _normalise("".join(areas)) * pages)
        if labels.get("direction") == "rtl" and _same_letters(mine, theirs, allowance):
            report.add(f"the text is what this spec renders to ({audience} edition)", True)
            report.notes.append(
                "right-to-left text read back from pages laid out anew loses its order: "
                "every letter the spec renders was found, and nothing but page headings "
                "besides, but not in which order")
            return report
        detail = detail or _first_difference(mine, theirs)
    report.add(f"the text is what this spec renders to ({audience} edition)", False,
               detail + ("" if audience == "internal" else
                         "\nif this is the internal edition, it lost its INTERNAL mark"))
    return report


def _continued(loaded: Loaded, labels: dict[str, object]
               ) -> tuple[Callable[[str], str], list[str]]:
    """A function that takes out of normalised text the area names an area's table repeats
    (under its column heads) on each page it continues on, as Word and LibreOffice repeat
    a table's head rows: a name under the column heads that is the name of the area
    just before. And the area names, as printed."""
    from expectmatrix.spec.placeholders import fill
    from expectmatrix.spec.shape import expectations_of, sides

    assert loaded.spec is not None
    spec = loaded.spec
    areas = list(dict.fromkeys((e.area or "").upper() for side in sides()
                               for e in expectations_of(spec, side)))
    names = {"vendor": spec.parties.vendor.name, "customer": spec.parties.customer.name}
    heads = "".join(_normalise(fill(str(labels[k]), **names))
                    for k in ("vendor_column", "customer_column"))
    named = [_normalise(a) for a in areas if _normalise(a)]
    if not named:
        return (lambda text: text), areas
    pattern = re.compile(re.escape(heads) + "(" + "|".join(
        re.escape(a) for a in sorted(named, key=len, reverse=True)) + ")")

    def drop(text: str) -> str:
        out, last, at = [], None, 0
        for match in pattern.finditer(text):
            if match.group(1) == last:  # the same area, continued: its name again
                out.append(text[at:match.start(1)])
                at = match.end(1)
            last = match.group(1)
        return "".join(out) + text[at:]

    return drop, areas


def _same_letters(mine: str, theirs: str, allowance: str) -> bool:
    """Every letter of ``theirs`` is in ``mine``, and what ``mine`` has besides is no
    more than ``allowance`` holds (the page furniture of every page)."""
    from collections import Counter

    have, want = Counter(mine), Counter(theirs)
    return not (want - have) and not ((have - want) - Counter(allowance))


def _furniture(loaded: Loaded, labels: dict[str, object]) -> tuple[re.Pattern[str], list[str]]:
    """What every page repeats (header, footer, watermark, the matrix's and the readiness
    table's heading rows), as normalised text: left out of both sides when the pages were
    laid out anew, and so repeat in other places."""
    from expectmatrix.spec.placeholders import fill

    assert loaded.spec is not None
    deal, parties = loaded.spec.deal, loaded.spec.parties
    names = {"vendor": parties.vendor.name, "customer": parties.customer.name}
    fixed = [f"{deal.id} · v{deal.version}", str(labels["draft"]), str(labels["internal"]),
             str(labels["statuses"][deal.status]),  # type: ignore[index]
             f"{labels['fingerprint']}:", fill(str(labels["vendor_column"]), **names),
             fill(str(labels["customer_column"]), **names),
             *(str(labels[k]) for k in ("question", "answer", "note"))]
    fixed.sort(key=len, reverse=True)  # the longest first, so no part of one is left
    page = "".join(r"\d+" if part in ("{page}", "{pages}") else re.escape(_normalise(part))
                   for part in re.split(r"(\{page\}|\{pages\})", str(labels["page"])) if part)
    parts = [re.escape(_normalise(f)) for f in fixed] + [page, r"·", r"[0-9a-f]{64}"]
    numbers = str(labels["page"]).replace("{page}", "0123456789").replace("{pages}", "0123456789")
    return re.compile("|".join(parts)), [*fixed, numbers, loaded.spec.deal.id]


def _same_spec(loaded: Loaded, spec_path: str | Path, name: str, library: LibrarySource
               ) -> tuple[bool, str]:
    """Whether the spec file is the one the document carries: for a counterparty edition,
    once what that edition's copy withholds is left out of the file's spec too."""
    from expectmatrix.checks import check_loaded
    from expectmatrix.render.audience import withhold
    from expectmatrix.review.compare import compare, format_text
    from expectmatrix.spec.canonical import fingerprint
    from expectmatrix.spec.loading import load

    given = check_loaded(load(spec_path), library=library)
    assert loaded.spec is not None
    if given.spec is None:
        first = errors(given.findings)[:1]
        return False, f"the spec is not valid: {first[0] if first else ''}"
    mine = withhold(given.spec, loaded.spec.withheld) if loaded.spec.withheld else given.spec
    if fingerprint(mine) == fingerprint(loaded.spec):
        return True, ""
    diff = compare(loaded.spec, mine, f"{name} (embedded)", str(spec_path))
    return False, format_text(diff).strip()


def extract(document: str | Path) -> bytes:
    """The embedded canonical spec (JSON): rendering it in the document's edition gives
    the same document. A counterparty edition's is the spec without what only the
    internal edition shows, named in its ``withheld``."""
    embedded = read_document(document)
    data = embedded_spec(embedded, str(document))
    if embedded.fingerprint and fingerprint_of(data) != embedded.fingerprint:
        raise DocumentError(f"{document}: the embedded spec does not match the document's "
                            "fingerprint; it was changed after generation")
    # What is written out must be a spec: rendering it is what it is for.
    from expectmatrix.spec.loading import load_bytes

    loaded = load_bytes(data, f"{document} (embedded spec)", "json")
    if not loaded.ok:
        first = (errors(loaded.findings) or loaded.findings)[0]
        where = f"{first.field}: " if first.path else ""
        raise DocumentError(f"{document}: the document's embedded spec is not valid: "
                            f"{where}{first.message}")
    return data
