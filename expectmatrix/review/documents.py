"""Read back what expectmatrix put into a PDF or DOCX: the embedded spec, the fingerprint
in the metadata, the fingerprints printed on the pages, and the visible text."""

from __future__ import annotations

import io
import re
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from xml.etree import ElementTree

from expectmatrix.errors import DocumentError, InputError
from expectmatrix.spec.inputs import check_zip, read_member
from expectmatrix.spec.inputs import read_bytes as read_file

_HEX64 = re.compile(r"(?<![0-9a-f])[0-9a-f]{64}(?![0-9a-f])")
_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"




@dataclass
class Embedded:
    kind: str  # pdf | docx
    spec_json: bytes | None
    fingerprint: str | None  # from the metadata
    footers: list[str]  # the text of each page (PDF) or footer (DOCX)
    options: dict[str, str]
    text: str  # visible text, for comparing with a fresh rendering
    body: str = ""  # the text without headers and footers (DOCX); the PDF's is its text
    digest: str = ""  # SHA-256 of the file: equal to a fresh rendering's when untouched

    def printed(self, label: str) -> list[str]:
        """The fingerprints printed after ``label`` (in the document's language, as its
        writer printed it): one per page or footer. A line counts when it holds every
        word of the label, in any order and without its brackets, so right-to-left text
        read back reversed (and its brackets mirrored) does."""
        words = re.findall(r"\w[\w-]*", label)
        found = []
        for footer in self.footers:
            for line in footer.splitlines():
                if all(w in line for w in words):
                    found += _HEX64.findall(line)
        return found


MAX_DOCUMENT_BYTES = 100_000_000


def read_document(path: str | Path, text: bool = False) -> Embedded:
    """``text``: read a PDF's text even when it carries no spec (to compare it with a
    spec file given beside it)."""
    return read_bytes(document_bytes(path), Path(path), text)


def document_bytes(path: str | Path) -> bytes:
    """A document file's bytes, within the bound for documents."""
    try:
        return read_file(Path(path), MAX_DOCUMENT_BYTES, "document")
    except InputError as e:
        raise DocumentError(str(e)) from None


def read_bytes(data: bytes, path: Path, text: bool = False) -> Embedded:
    import hashlib
    from dataclasses import replace

    if data.startswith(b"%PDF"):
        found = _read_pdf(data, path, text)
    elif data.startswith(b"PK"):
        found = _read_docx(data, path)
    else:
        raise DocumentError(f"{path}: neither a PDF nor a DOCX file")
    if found.spec_json is not None:
        _check_embedded(found.spec_json, path)
    return replace(found, digest=hashlib.sha256(data).hexdigest())


MAX_EMBEDDED_BYTES = 5_000_000  # as for a spec file


def _check_embedded(data: bytes, path: Path) -> None:
    """Whoever made the file chose the embedded spec's bytes: every reader of it (verify,
    extract, diff, sign) may hand them to json.loads, which must not meet a bare
    RecursionError, a number too long for int() or undecodable bytes."""
    from expectmatrix.spec.bounds import structure_problem

    def refuse(why: str) -> None:
        raise DocumentError(f"{path}: the document's embedded spec is not valid: {why}")

    if len(data) > MAX_EMBEDDED_BYTES:
        refuse(f"it is larger than {MAX_EMBEDDED_BYTES // 1_000_000} MB")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        refuse(f"it is not UTF-8 text (byte {e.start + 1})")
        return
    problem = structure_problem(text)
    if problem is not None:
        refuse(problem[1])


MAX_PAGES = 2000  # far beyond any matrix; a hostile PDF's page tree is not walked further


def _options(text: str | None) -> dict[str, str]:
    pairs = (item.split("=", 1) for item in (text or "").split(";") if "=" in item)
    return {k.strip(): v.strip() for k, v in pairs}


def _read_pdf(data: bytes, path: Path, text: bool = False) -> Embedded:
    import logging

    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    from expectmatrix.render.pdf import SPEC_ATTACHMENT

    # pypdf logs what it repairs in a damaged file; our own error says it once, plainly.
    logging.getLogger("pypdf").setLevel(logging.ERROR + 10)
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            raise DocumentError(f"{path}: the PDF is encrypted; expectmatrix only reads the "
                                "unencrypted PDFs it makes")
        meta = {str(k).lower(): str(v) for k, v in (reader.metadata or {}).items()}
        attachments = reader.attachments
        specs = attachments.get(SPEC_ATTACHMENT, [])
        if len(specs) > 1:
            raise DocumentError(f"{path}: the PDF carries {len(specs)} embedded specs; a "
                                "document expectmatrix made carries one, so this one was "
                                "tampered with")
        spec = specs[0] if specs else None
        # Text only of a document that carries a spec, or is compared with a spec file:
        # there is nothing to compare it with otherwise, and a hostile PDF's streams are
        # not worth inflating (pypdf bounds each stream's output).
        if len(reader.pages) > MAX_PAGES:
            raise DocumentError(f"{path}: the PDF has {len(reader.pages)} pages; an "
                                f"expectations matrix has far fewer than {MAX_PAGES}")
        pages = [page.extract_text() or "" for page in reader.pages] if spec or text else []
    except DocumentError:
        raise
    except MemoryError:
        raise DocumentError(f"{path}: the PDF is too large to read") from None
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError, IndexError,
            RecursionError, OverflowError, OSError, AssertionError, zipfile.BadZipFile,
            zlib.error) as e:
        raise DocumentError(f"{path}: not a readable PDF (corrupt or truncated?): {e}") from None
    return Embedded("pdf", spec, meta.get("/expectmatrixfingerprint"), pages,
                    _options(meta.get("/expectmatrixoptions")), "\n".join(pages),
                    "\n".join(pages))


def _read_docx(data: bytes, path: Path) -> Embedded:
    from expectmatrix.render.docx import CUSTOM_XML_NS, FINGERPRINT_PROPERTY, OPTIONS_PROPERTY

    try:
        with check_zip(data, str(path), "DOCX document") as z:
            names = set(z.namelist())
            if "word/document.xml" not in names:
                raise DocumentError(f"{path}: a zip file, but not a DOCX document")
            parts = {n: read_member(z, n, str(path)) for n in sorted(names)
                     if n.startswith(("customXml/item", "word/header", "word/footer"))
                     or n in ("docProps/custom.xml", "word/document.xml")}
    except InputError as e:
        raise DocumentError(str(e)) from None
    for name, blob in parts.items():
        refuse_entities(blob, str(path), name)
    spec = fingerprint = None
    specs: list[str] = []
    options: dict[str, str] = {}
    try:
        for name, blob in parts.items():
            if not name.startswith("customXml/item") or "Props" in name or "_rels" in name:
                continue
            root = ElementTree.fromstring(blob)
            if root.tag == f"{{{CUSTOM_XML_NS}}}expectmatrix":
                node = root.find(f"{{{CUSTOM_XML_NS}}}spec")
                spec = (node.text or "").encode("utf-8") if node is not None else None
                specs.append(name)
        if len(specs) > 1:
            raise DocumentError(f"{path}: the DOCX carries {len(specs)} spec parts "
                                f"({', '.join(specs)}); a document expectmatrix made carries "
                                "one, so this one was tampered with")
        if "docProps/custom.xml" in parts:
            for prop in ElementTree.fromstring(parts["docProps/custom.xml"]):
                value = "".join(prop.itertext()).strip()
                if prop.get("name") == FINGERPRINT_PROPERTY:
                    fingerprint = value
                elif prop.get("name") == OPTIONS_PROPERTY:
                    options = _options(value)
        footers, text, body = [], [], ""
        for name in sorted(parts):
            if name.startswith(("word/document", "word/header", "word/footer")):
                part_text = _docx_text(parts[name])
                text.append(part_text)
                if name.startswith("word/footer"):
                    footers.append(part_text)
                elif name == "word/document.xml":
                    body = part_text
    except (ElementTree.ParseError, RecursionError, OverflowError) as e:
        raise DocumentError(f"{path}: a damaged DOCX part: {e}") from None
    return Embedded("docx", spec, fingerprint, footers, options, "\n".join(text), body)


def refuse_entities(data: bytes, name: str, part: str) -> None:
    """A part that declares a DOCTYPE (which could declare entities that expand a
    thousandfold) is refused before any parser sees it: Word never writes one."""
    if b"<!DOCTYPE" in data or b"<!ENTITY" in data:
        raise DocumentError(f"{name}: the part {part} declares XML entities, which Word never "
                            "writes; the document was not made by expectmatrix and Word")


def _docx_text(xml: bytes) -> str:
    """Paragraph texts as the document says them: insertions kept, deletions left out,
    and neither field results (the page numbers Word and LibreOffice refresh on save) nor
    text boxes' alternate copies, which a re-saved file carries differently."""
    root = ElementTree.fromstring(xml)
    lines = []
    for p in root.iter(f"{_W}p"):
        lines.append("".join(_paragraph_texts(p, [])))
    return "\n".join(lines)


_FIELD_CHAR, _SIMPLE_FIELD = f"{_W}fldChar", f"{_W}fldSimple"
# Not this paragraph's own text: a text box's paragraphs are read as paragraphs of their
# own, and a drawing's fallback repeats what its choice shows.
_ELSEWHERE = {f"{_W}txbxContent", f"{_W}p",
              "{http://schemas.openxmlformats.org/markup-compatibility/2006}Fallback"}


def _paragraph_texts(node: ElementTree.Element, fields: list[bool]) -> Iterator[str]:
    """The w:t texts under ``node`` in order; ``fields`` holds, per open complex field,
    whether its result has begun."""
    for child in node:
        if child.tag == _SIMPLE_FIELD or child.tag in _ELSEWHERE:
            continue
        if child.tag == _FIELD_CHAR:
            kind = child.get(f"{_W}fldCharType")
            if kind == "begin":
                fields.append(False)
            elif kind == "separate" and fields:
                fields[-1] = True
            elif kind == "end" and fields:
                fields.pop()
        elif child.tag == f"{_W}t":
            if not any(fields):
                yield child.text or ""
        else:
            yield from _paragraph_texts(child, fields)


def embedded_spec(embedded: Embedded, name: str) -> bytes:
    """The spec the document carries, or an error saying it carries none."""
    if embedded.spec_json is None:
        raise DocumentError(f"{name}: carries no expectmatrix spec; it was not made by "
                            "expectmatrix, or the embedded spec was removed")
    return embedded.spec_json
