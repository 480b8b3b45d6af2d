"""Edit a rendered DOCX the way Word does (tracked or typed over, rows deleted, added and
moved, comments, a tracked insertion in the frame), also after LibreOffice re-saved it
(style ids renamed, runs split); and the absorb helpers the absorb test files share."""

from __future__ import annotations

import copy
import io
import zipfile
from pathlib import Path
from typing import Any

from lxml import etree

W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
W = f"{{{W_NS}}}"
XML_SPACE = "{http://www.w3.org/XML/1998/namespace}space"
AUTHOR, DATE = "Lena Legal", "2027-01-05T10:00:00Z"
BIDI = "\u200e\u200f\u2066\u2067\u2068\u2069"


class Edited:
    """A rendered DOCX opened for editing its document.xml (and adding parts)."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            self.root = etree.fromstring(z.read("word/document.xml"))
            styles = etree.fromstring(z.read("word/styles.xml"))
        # LibreOffice renames style ids after their names ("Matrix id" -> "Matrixid").
        names = {"Matrix id": "id", "Matrix label": "label", "Matrix non-standard": "mark"}
        self.style: dict[str, str] = {}
        for s in styles.iter(f"{W}style"):
            name = s.find(f"{W}name")
            if name is not None and name.get(f"{W}val") in names:
                self.style[s.get(f"{W}styleId")] = names[name.get(f"{W}val")]
        self.extra: dict[str, bytes] = {}  # parts added, by name
        self.next_id = 100

    def kind(self, run: etree._Element) -> str:
        ref = run.find(f"{W}rPr/{W}rStyle")
        return self.style.get(ref.get(f"{W}val"), "") if ref is not None else ""

    def mark(self, kind: str) -> etree._Element:
        self.next_id += 1
        m = etree.Element(f"{W}{kind}")
        m.set(f"{W}id", str(self.next_id))
        m.set(f"{W}author", AUTHOR)
        m.set(f"{W}date", DATE)
        return m

    def ids(self) -> list[str]:
        return [self._id_of(tc) for tc in self.root.iter(f"{W}tc") if self._id_of(tc)]

    def _id_of(self, tc: etree._Element) -> str:
        return "".join(t.text or "" for r in tc.iter(f"{W}r") if self.kind(r) == "id"
                       for t in r.iter(f"{W}t")).strip(BIDI + " ")

    def cell(self, eid: str) -> etree._Element:
        for tc in self.root.iter(f"{W}tc"):
            if self._id_of(tc) == eid:
                return tc
        raise AssertionError(eid)

    def _value_runs(self, eid: str, paragraph: int) -> tuple[etree._Element, list[Any]]:
        p = [p for p in self.cell(eid).findall(f"{W}p")
             if "".join(p.itertext()).strip()][paragraph]
        # runs as the paragraph now reads: its own and those inserted (an edit edited again)
        now = [r for r in p.iter(f"{W}r") if r.getparent().tag in (f"{W}p", f"{W}ins")]
        runs = [r for r in now if self.kind(r) not in ("id", "label", "mark")
                and "".join(t.text or "" for t in r.iter(f"{W}t")).strip(BIDI + " ")]
        assert runs, (eid, paragraph)
        return p, runs

    def tracked_replace(self, eid: str, new: str, paragraph: int = 0) -> None:
        """The paragraph's value runs (text, or a detail's value) deleted and ``new``
        inserted, as Word tracks typing over a selection."""
        _, runs = self._value_runs(eid, paragraph)
        deleted = self.mark("del")
        first = runs[0] if runs[0].getparent().tag == f"{W}p" else runs[0].getparent()
        first.addprevious(deleted)
        template = copy.deepcopy(runs[0])
        for run in runs:
            holder = run.getparent()
            if holder.tag == f"{W}ins":  # typing over one's own insertion drops it
                holder.remove(run)
                if not len(holder):
                    holder.getparent().remove(holder)
                continue
            deleted.append(run)
            for t in run.iter(f"{W}t"):
                t.tag = f"{W}delText"
        inserted = self.mark("ins")
        deleted.addnext(inserted)
        new_run = template
        for t in list(new_run.iter(f"{W}t")):
            new_run.remove(t)
        t = etree.SubElement(new_run, f"{W}t")
        t.text = new
        t.set(XML_SPACE, "preserve")
        inserted.append(new_run)

    def typed_over(self, eid: str, new: str, paragraph: int = 0) -> None:
        """Untracked: the value typed over."""
        _, runs = self._value_runs(eid, paragraph)
        first = runs[0].find(f"{W}t")
        first.text = new
        for t in [t for r in runs for t in r.iter(f"{W}t")][1:]:
            t.getparent().remove(t)

    def delete_row(self, eid: str, tracked: bool = True) -> None:
        tr = self.cell(eid).getparent()
        if not tracked:
            tr.getparent().remove(tr)
            return
        trpr = tr.find(f"{W}trPr")
        if trpr is None:
            trpr = etree.Element(f"{W}trPr")
            tr.insert(0, trpr)
        trpr.append(self.mark("del"))
        self._wrap_runs(tr, "del")

    def _wrap_runs(self, tr: etree._Element, kind: str) -> None:
        for r in list(tr.iter(f"{W}r")):
            holder = self.mark(kind)
            r.addprevious(holder)
            holder.append(r)
            if kind in ("del", "moveFrom"):
                for t in r.iter(f"{W}t"):
                    t.tag = f"{W}delText"

    def insert_row_after(self, eid: str, vendor: str | None, customer: str | None,
                         detail: tuple[str, str] | None = None, tracked: bool = True) -> None:
        """A row typed below ``eid``'s: plain runs (no id), each cell one paragraph of
        text and an optional (label, value) detail paragraph."""
        tr = self.cell(eid).getparent()
        new = copy.deepcopy(tr)
        if tracked:
            new.find(f"{W}trPr").append(self.mark("ins"))
        for tc, text in zip(new.findall(f"{W}tc"), (vendor, customer), strict=True):
            for p in tc.findall(f"{W}p"):
                tc.remove(p)
            if text is None:
                etree.SubElement(tc, f"{W}p")
                continue
            for line in [text] + ([f"{detail[0]}: {detail[1]}"] if detail else []):
                p = etree.SubElement(tc, f"{W}p")
                holder = self.mark("ins") if tracked else p
                if tracked:
                    p.append(holder)
                t = etree.SubElement(etree.SubElement(holder, f"{W}r"), f"{W}t")
                t.text = line
                t.set(XML_SPACE, "preserve")
        tr.addnext(new)

    def move_row(self, eid: str, after: str, tracked: bool = True) -> None:
        """The row of ``eid`` moved below the row of ``after``: as Word tracks it, the
        old row deleted with its runs in w:moveFrom, a copy inserted with w:moveTo."""
        tr = self.cell(eid).getparent()
        target = self.cell(after).getparent()
        if not tracked:
            target.addnext(tr)
            return
        copied = copy.deepcopy(tr)
        copied.find(f"{W}trPr").append(self.mark("ins"))
        self._wrap_runs(copied, "moveTo")
        tr.find(f"{W}trPr").append(self.mark("del"))
        self._wrap_runs(tr, "moveFrom")
        target.addnext(copied)

    def comment(self, eid: str, text: str) -> None:
        """A comment by AUTHOR on the first paragraph of ``eid``'s cell."""
        p = self.cell(eid).find(f"{W}p")
        start = etree.Element(f"{W}commentRangeStart")
        start.set(f"{W}id", "7")
        p.insert(1, start)
        end = etree.SubElement(p, f"{W}commentRangeEnd")
        end.set(f"{W}id", "7")
        self.extra["word/comments.xml"] = (
            f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<w:comments '
            f'xmlns:w="{W_NS}"><w:comment w:id="7" w:author="{AUTHOR}" w:date="{DATE}">'
            f"<w:p><w:r><w:t>{text}</w:t></w:r></w:p></w:comment></w:comments>").encode()

    def frame_insert(self, text: str) -> None:
        """A tracked insertion into the first paragraph of the body (the document kind)."""
        p = self.root.find(f"{W}body/{W}p")
        holder = self.mark("ins")
        t = etree.SubElement(etree.SubElement(holder, f"{W}r"), f"{W}t")
        t.text = text
        p.append(holder)

    def accept_all(self) -> None:
        """Every tracked change accepted, as Word's Accept All leaves the document."""
        for tag in ("del", "moveFrom"):
            for m in list(self.root.iter(f"{W}{tag}")):
                parent = m.getparent()
                if parent.tag == f"{W}trPr":
                    parent.getparent().getparent().remove(parent.getparent())
                elif parent.tag != f"{W}rPr":
                    parent.remove(m)
        for tag in ("ins", "moveTo"):
            for m in list(self.root.iter(f"{W}{tag}")):
                parent = m.getparent()
                if parent.tag in (f"{W}trPr", f"{W}rPr"):
                    parent.remove(m)
                    continue
                for child in list(m):
                    m.addprevious(child)
                parent.remove(m)

    def save(self, path: Path) -> Path:
        out = io.BytesIO()
        with zipfile.ZipFile(io.BytesIO(self.data)) as a, \
                zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as b:
            for info in a.infolist():
                data = a.read(info.filename)
                if info.filename == "word/document.xml":
                    data = etree.tostring(self.root, xml_declaration=True, encoding="UTF-8")
                b.writestr(info, data)
            for name, data in self.extra.items():
                b.writestr(name, data)
        path.write_bytes(out.getvalue())
        return path


def expectations(text_or_path: str | Path) -> dict[str, dict[str, Any]]:
    """Each expectation's fields as written (clauses not filled in), by id."""
    from expectmatrix.spec.loading import load, load_bytes

    if isinstance(text_or_path, Path):
        loaded = load(text_or_path)
    else:
        loaded = load_bytes(text_or_path.encode("utf-8"), "spec.yaml", "yaml")
    assert loaded.spec is not None, loaded.findings
    return {e.id: e.model_dump(exclude_none=True)
            for e in [*loaded.spec.expectations.of_vendor, *loaded.spec.expectations.of_customer]}


def order(text: str) -> dict[str, list[str]]:
    from expectmatrix.spec.loading import load_bytes

    spec = load_bytes(text.encode("utf-8"), "spec.yaml", "yaml").spec
    assert spec is not None
    return {"vendor": [e.id for e in spec.expectations.of_vendor],
            "customer": [e.id for e in spec.expectations.of_customer]}


def row_ids(doc: Edited, eid: str) -> list[str]:
    """The ids printed in the row of ``eid``."""
    tr = doc.cell(eid).getparent()
    return [doc._id_of(tc) for tc in tr.findall(f"{W}tc") if doc._id_of(tc)]


def edit_every_way(doc: Edited, spec: Path, language: str = "en", tracked: bool = True
                   ) -> dict[str, dict[str, Any]]:
    """Legal's usual round on ``doc``: the first vendor text rewritten, the first customer
    measure typed over, the last vendor row deleted, a row added below the first; returns
    the expectations the absorbed spec must then hold, field by field."""
    from expectmatrix.language.labels import labels_for
    from expectmatrix.spec.shape import next_id

    want = expectations(spec)
    vendor = [k for k in want if k.startswith("V")]
    customer = [k for k in want if k.startswith("C")]
    measure = str(labels_for(language, ())["measure"])
    first_v, first_c, last_v = vendor[0], customer[0], vendor[-1]
    if tracked:
        doc.tracked_replace(first_v, "Vendor rewrites this line.")
    else:
        doc.typed_over(first_v, "Vendor rewrites this line.")
    want[first_v]["text"] = "Vendor rewrites this line."
    doc.typed_over(first_c, "Agreed in writing", paragraph=1)
    want[first_c]["measure"] = "Agreed in writing"
    for gone in row_ids(doc, last_v):
        del want[gone]
    doc.delete_row(last_v, tracked=tracked)
    area = want[first_v].get("area")
    doc.insert_row_after(first_v, "Vendor adds a line.", "Customer adds a line.",
                         detail=(measure, "Seen"), tracked=tracked)
    for side, text in (("vendor", "Vendor adds a line."), ("customer", "Customer adds a line.")):
        new = next_id(vendor + customer, side)  # type: ignore[arg-type]
        want[new] = {"id": new, "text": text, "measure": "Seen", "weight": 1,
                     **({"area": area} if area else {})}
    return want
