"""What a tagged PDF (``--pdf-variant pdf/ua-1``) says of its tables, completed.

WeasyPrint tags header cells as /TH without the /Scope PDF/UA asks of each, and links a
data cell to every header cell above it in its column, across row groups. Here, after it
has built the structure tree: a header cell of a table's head, or alone in its row (an
area's name over its rows), heads columns; any other heads its row. A data cell is headed
by the column heads over it, the heading of its row group and the row header before it.
"""

from __future__ import annotations

from typing import Any

Element = dict[str, Any]


def tag_tables(document: object, pdf: Any) -> None:
    """A WeasyPrint finisher: called with the document and the pydyf PDF before writing."""
    if "StructTreeRoot" not in pdf.catalog:
        return
    import pydyf

    # pydyf's objects know their own reference (b"12 0 R"), which is what /K and /P hold
    elements: dict[bytes, Element] = {
        o.reference: o for o in pdf.objects  # type: ignore[attr-defined]
        if isinstance(o, dict) and o.get("Type") == "/StructElem"}
    for table in [e for e in elements.values() if e.get("S") == "/Table"]:
        _tag_table(table, elements, pydyf.Array)


def _kids(element: Element, elements: dict[bytes, Element], *kinds: str) -> list[Element]:
    found = (elements.get(k) for k in element.get("K", ()) if isinstance(k, bytes))
    return [e for e in found if e is not None and e.get("S") in kinds]


def _tag_table(table: Element, elements: dict[bytes, Element], array: Any) -> None:
    column_heads: dict[int, list[Any]] = {}
    for section in _kids(table, elements, "/THead", "/TBody", "/TFoot", "/TR"):
        rows = [section] if section["S"] == "/TR" else _kids(section, elements, "/TR")
        group: list[Any] = []  # the heading of this row group, when it has one
        for row in rows:
            cells = _kids(row, elements, "/TH", "/TD")
            column = 0
            row_head: list[Any] = []
            for cell in cells:
                attributes = cell.setdefault("A", {"O": "/Table"})
                span = range(column, column + int(attributes.get("ColSpan", 1)))
                column = span.stop
                if cell["S"] == "/TH":
                    heads_columns = section["S"] == "/THead" or len(cells) == 1
                    attributes["Scope"] = "/Column" if heads_columns else "/Row"
                    key = cell.get("ID")
                    if key is None:
                        continue
                    if section["S"] == "/THead":
                        for c in span:
                            column_heads.setdefault(c, []).append(key)
                    elif heads_columns:
                        group = [key]
                    else:
                        row_head = [key]
                else:
                    headers = [h for c in span for h in column_heads.get(c, ())]
                    attributes["Headers"] = array(dict.fromkeys(headers + group + row_head))
