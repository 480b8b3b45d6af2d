"""A letterhead .docx made safe to build documents on.

A letterhead gives page set-up, styles, headers, footers and images. Whatever else it
carries that would reach out when our document is opened, or run code, is left out and
said: relationships to outside targets (an attached template is how Word is made to load
macros from a server; a linked image or frame is fetched by Word and LibreOffice alike),
fields that fetch or embed (INCLUDEPICTURE, INCLUDETEXT, LINK, DDE...), mail-merge data
sources, and macros, ActiveX controls, OLE objects and embedded packages.

What refers to a dropped relationship goes with it, so the document stays whole: a
picture whose image is gone loses its drawing, a link keeps its text, a field loses its
whole span from begin to end (its result would be what was fetched last time).
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from docx import Document
from docx.opc.part import XmlPart
from docx.oxml.ns import qn
from lxml import etree

from expectmatrix.errors import InputError, RenderError
from expectmatrix.spec.inputs import check_zip, macro_parts, read_bytes

MAX_LETTERHEAD_BYTES = 20_000_000

# Field kinds that read another file, another program's data, or hold an object: Word runs
# them when the document opens or fields update. IMPORT and INCLUDE are older names.
UNSAFE_FIELDS = frozenset({"INCLUDEPICTURE", "INCLUDETEXT", "LINK", "DDE", "DDEAUTO",
                           "IMPORT", "INCLUDE", "EMBED"})
# Relationship types (their last segment) whose targets run code or are other documents.
_CODE_RELS = {"vbaproject": "macros", "wordvbadata": "macros", "control": "ActiveX control",
              "activexcontrolbinary": "ActiveX control", "oleobject": "OLE object",
              "package": "embedded package", "afchunk": "imported document",
              "attachedtemplate": "attached template", "subdocument": "subdocument"}
_REMOTE_LABELS = {"attachedtemplate": "attached template", "image": "image",
                  "hyperlink": "link", "frame": "frame", "subdocument": "subdocument",
                  "oleobject": "linked object"}
_R_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_VML_RELID = "{urn:schemas-microsoft-com:office:office}relid"
_SAFE_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)


@dataclass
class _Dropped:
    """What was left out, by kind, in the words of the notices."""

    macros: list[str] = field(default_factory=list)
    code: list[str] = field(default_factory=list)
    remote: list[str] = field(default_factory=list)
    fields: list[str] = field(default_factory=list)

    def notices(self, name: str) -> list[str]:
        said = []
        if self.macros:
            said.append(f"{name}: the letterhead's macro parts were left out "
                        f"({_listing(self.macros)}); documents never carry them")
        if self.code:
            said.append(f"{name}: the letterhead's embedded objects that can run code were "
                        f"left out ({_listing(self.code)}); documents never carry them")
        if self.remote:
            said.append(f"{name}: the letterhead's links to outside files were left out "
                        f"({_listing(self.remote)}): a document fetches nothing when opened")
        if self.fields:
            said.append(f"{name}: the letterhead's fields that fetch or embed files were "
                        f"left out ({_listing(self.fields)})")
        return said


def _listing(items: list[str], most: int = 6) -> str:
    unique = list(dict.fromkeys(items))
    more = f" and {len(unique) - most} more" if len(unique) > most else ""
    return ", ".join(unique[:most]) + more


def _shown(target: str) -> str:
    """An outside target as the notice prints it: short, and no control or bidi
    characters that could reorder what the reader sees."""
    text = "".join(c if c.isprintable() else "?" for c in target)
    return text if len(text) <= 80 else text[:77] + "..."


def read_letterhead(path: str | Path) -> tuple[bytes, list[str]]:
    """A letterhead .docx, checked as any zip we are given, rewritten without what
    reaches out or runs code; returns the package and the notices saying what went."""
    name = str(path)
    try:
        data = read_bytes(path, MAX_LETTERHEAD_BYTES, "letterhead")
        archive = check_zip(data, name, "Word letterhead (.docx)")
    except InputError as e:
        raise RenderError(str(e)) from None
    try:
        document = Document(io.BytesIO(data))
    except Exception as e:  # python-docx raises many kinds for a non-DOCX file
        raise RenderError(f"{name}: not a usable Word letterhead (.docx): {e}") from None
    dropped = _Dropped()
    for part_name in macro_parts(archive.namelist()):  # reached by a relationship or not
        _note_code(dropped, part_name)
    package = document.part.package
    for rel_id, rel in list(package.rels.items()):
        if rel.is_external:
            dropped.remote.append(_remote(rel))
            del package.rels[rel_id]
    for part in list(package.iter_parts()):
        _clean_part(part, name, dropped)
    # Saved again even when nothing was dropped: parts no relationship reaches (an
    # orphan vbaProject.bin, say) are then left behind too.
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue(), dropped.notices(name)


def _note_code(dropped: _Dropped, target: str, kind: str = "") -> None:
    if "activex" in target.lower() or kind in ("control", "activexcontrolbinary"):
        dropped.code.append(f"ActiveX control {target}")
    elif macro_parts([target]) or _CODE_RELS.get(kind) == "macros":
        dropped.macros.append(target)
    else:
        dropped.code.append(f"{_CODE_RELS[kind]} {target}")


def _remote(rel: Any) -> str:
    kind = rel.reltype.rsplit("/", 1)[-1]
    return f"{_REMOTE_LABELS.get(kind.lower(), kind)} {_shown(rel.target_ref)}"


def _clean_part(part: Any, name: str, dropped: _Dropped) -> None:
    gone: set[str] = set()
    for rel_id, rel in list(part.rels.items()):
        kind = rel.reltype.rsplit("/", 1)[-1].lower()
        if rel.is_external:
            dropped.remote.append(_remote(rel))
        else:
            target = str(rel.target_part.partname).lstrip("/")
            if kind not in _CODE_RELS and not macro_parts([target]):
                continue
            _note_code(dropped, target, kind)
        gone.add(rel_id)
        del part.rels[rel_id]
    if not part.content_type.endswith("xml"):
        return
    if isinstance(part, XmlPart):
        _clean_xml(part._element, gone, str(part.partname), dropped)
        return
    try:
        root = etree.fromstring(part.blob, _SAFE_PARSER)
    except etree.XMLSyntaxError as e:
        raise RenderError(f"{name}: the part {part.partname} of the letterhead is not "
                          f"well-formed XML: {e}") from None
    if _clean_xml(root, gone, str(part.partname), dropped):
        part._blob = etree.tostring(root, xml_declaration=True, encoding="UTF-8",
                                    standalone=True)


def _clean_xml(root: Any, gone: set[str], partname: str, dropped: _Dropped) -> bool:
    """Take out of one part what refers to a dropped relationship, the settings that
    reach out, and unsafe fields; True if anything changed."""
    changed = _drop_references(root, gone) if gone else False
    # These reach out by what they say, with or without a relationship to drop.
    for tag, what in (("w:attachedTemplate", "attached template"),
                      ("w:mailMerge", "mail-merge data source")):
        for element in list(root.iter(qn(tag))):
            _remove(element)
            dropped.remote.append(what)
            changed = True
    kinds = _drop_fields(root)
    dropped.fields += [f"{kind} in {partname.lstrip('/')}" for kind in kinds]
    return changed or bool(kinds)


def _remove(element: Any) -> None:
    parent = element.getparent()
    if parent is not None:
        parent.remove(element)


def _drop_references(root: Any, gone: set[str]) -> bool:
    changed = False
    for element in list(root.iter()):
        refs = [k for k, v in element.attrib.items()
                if v in gone and (k.startswith(f"{{{_R_NS}}}") or k == _VML_RELID)]
        if not refs:
            continue
        changed = True
        if element.tag == qn("w:hyperlink"):  # the text stays, the link goes
            parent = element.getparent()
            if parent is not None:
                at = parent.index(element)
                for offset, child in enumerate(list(element)):
                    parent.insert(at + offset, child)
                parent.remove(element)
        elif (element.tag == qn("a:blip") and refs == [f"{{{_R_NS}}}link"]
              and element.get(qn("r:embed")) not in (None, *gone)):
            del element.attrib[refs[0]]  # the image is in the package too: keep that one
        else:
            _remove(_run_content(element))
    return changed


def _run_content(element: Any) -> Any:
    """The child of a run that holds ``element`` (a drawing, a VML picture, an object,
    its alternate content), or ``element`` itself outside runs."""
    run = qn("w:r")
    node = element
    while (parent := node.getparent()) is not None:
        if parent.tag == run:
            return node
        node = parent
    return element


_FIELD_WORD = re.compile(r"\s*([A-Za-z]+)")


def _kind(code: str) -> str:
    m = _FIELD_WORD.match(code)
    return m.group(1).upper() if m else ""


@dataclass
class _Field:
    code: str = ""  # the instruction as it stands
    code_all: str = ""  # with deleted instruction text too (a rejected change restores it)
    in_code: bool = True
    computed: bool = False  # its code starts with another field: its kind is decided later
    nested: str | None = None  # the first unsafe field inside it

    def verdict(self) -> str | None:
        for kind in (_kind(self.code), _kind(self.code_all)):
            if kind in UNSAFE_FIELDS:
                return kind
        if self.computed:
            return "a field built from other fields"
        return self.nested


def _drop_fields(root: Any) -> list[str]:
    """Remove unsafe fields: simple ones with their result, complex ones with every run
    from their begin to their end (nested fields included). Returns their kinds."""
    kinds: list[str] = []
    for simple in list(root.iter(qn("w:fldSimple"))):
        kind = _kind(simple.get(qn("w:instr"), ""))
        if kind in UNSAFE_FIELDS:
            kinds.append(kind)
            _remove(simple)
    doomed: list[Any] = []
    stack: list[_Field] = []
    span: list[Any] = []  # the runs of the open outermost field
    begin, separate, end = "begin", "separate", "end"
    instr, deleted = qn("w:instrText"), qn("w:delInstrText")

    def close() -> None:
        done = stack.pop()
        verdict = done.verdict()
        if stack:
            stack[-1].nested = stack[-1].nested or verdict
        elif verdict:
            kinds.append(verdict)
            doomed.extend(span)

    for run in list(root.iter(qn("w:r"))):
        if stack:
            span.append(run)
        for child in run:
            if child.tag == qn("w:fldChar"):
                what = child.get(qn("w:fldCharType"))
                if what == begin:
                    if not stack:
                        span[:] = [run]
                    elif stack[-1].in_code and not stack[-1].code_all.strip():
                        stack[-1].computed = True
                    stack.append(_Field())
                elif what == separate and stack:
                    stack[-1].in_code = False
                elif what == end and stack:
                    close()
            elif child.tag in (instr, deleted):
                if not stack:  # instruction text outside any field: nothing to keep
                    doomed.append(child)
                elif stack[-1].in_code:
                    stack[-1].code_all += child.text or ""
                    if child.tag == instr:
                        stack[-1].code += child.text or ""
    while stack:  # a field never ended: judged on what it has
        close()
    for element in doomed:
        _remove(element)
    return kinds
