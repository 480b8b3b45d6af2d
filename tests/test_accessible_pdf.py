"""The accessible edition (--pdf-variant pdf/ua-1), read back from its structure tree:
headings by level, header cells with a scope, data cells tied to their headers.

No PDF/UA validator is packaged here; these are the rules of PDF/UA-1 (ISO 14289-1,
7.4 headings and 7.5 tables) that the documents' structure must meet."""

from __future__ import annotations

import io
from itertools import pairwise
from typing import Any

import pytest
from conftest import SAMPLES


@pytest.fixture(scope="module")
def tree() -> Any:
    from pypdf import PdfReader

    from expectmatrix.checks import check_loaded
    from expectmatrix.render.pdf import PdfRenderer
    from expectmatrix.render.view import build_view
    from expectmatrix.spec.loading import load

    loaded = check_loaded(load(SAMPLES / "medium-logistics.yaml"))
    pdf = PdfRenderer(variant="pdf/ua-1").render(build_view(loaded.spec, frame=loaded.frame))
    return PdfReader(io.BytesIO(pdf)).trailer["/Root"]["/StructTreeRoot"].get_object()


def _kids(element: Any) -> list[Any]:
    kids = element.get("/K", [])
    kids = kids if isinstance(kids, list) else [kids]
    out = []
    for kid in kids:
        kid = kid.get_object() if hasattr(kid, "get_object") else kid
        if hasattr(kid, "get") and "/S" in kid:
            out.append(kid)
    return out


def _walk(element: Any) -> list[Any]:
    """Every structure element below ``element``, in reading order."""
    out = []
    for kid in _kids(element):
        out.append(kid)
        out += _walk(kid)
    return out


def test_headings_are_numbered_by_level_and_skip_none(tree):
    tags = [str(e["/S"]) for e in _walk(tree)]
    headings = [t for t in tags if t == "/H" or (t[:2] == "/H" and t[2:].isdigit())]
    assert "/H" not in headings  # no generic heading
    assert headings[0] == "/H1" and headings.count("/H1") == 1  # the title, once
    assert set(headings) <= {"/H1", "/H2", "/H3"}
    levels = [int(h[2:]) for h in headings]
    assert all(b <= a + 1 for a, b in pairwise(levels))
    assert levels.count(2) >= 6  # about, the parties, matrix, readiness, remedies, signatures


def test_every_header_cell_has_a_scope_and_every_data_cell_its_headers(tree):
    tables = [e for e in _walk(tree) if e["/S"] == "/Table"]
    scopes: dict[str, int] = {}
    matrix = 0
    for table in tables:
        column_heads: set[str] = set()
        for section in _kids(table):
            rows = _kids(section) if section["/S"] != "/TR" else [section]
            for row in rows:
                cells = [c for c in _kids(row) if c["/S"] in ("/TH", "/TD")]
                for cell in cells:
                    attributes = cell.get("/A", {})
                    if cell["/S"] == "/TH":
                        scope = str(attributes.get("/Scope"))
                        scopes[scope] = scopes.get(scope, 0) + 1
                        # a head row's cells and a heading alone in its row head columns
                        alone = len(cells) == 1
                        expected = "/Column" if section["/S"] == "/THead" or alone else "/Row"
                        assert scope == expected, (section["/S"], len(cells))
                        if section["/S"] == "/THead":
                            column_heads.add(str(cell["/ID"]))
                    elif column_heads:
                        headers = {str(h) for h in attributes.get("/Headers", [])}
                        assert headers & column_heads, "a data cell without its column head"
        heads = [r for s in _kids(table) if s["/S"] == "/THead" for r in _kids(s)]
        matrix += len(heads) == 2  # an area's table: the columns, then the area's name
    assert set(scopes) == {"/Column", "/Row"} and scopes["/Row"] >= 5  # the facts' labels
    assert matrix >= 2


def test_a_matrix_cell_is_tied_to_its_column_and_its_area(tree):
    """A screen reader reading C3 names its column and its area, not every area's."""
    for table in (e for e in _walk(tree) if e["/S"] == "/Table"):
        head = [s for s in _kids(table) if s["/S"] == "/THead"]
        head_rows = _kids(head[0]) if head else []
        if len(head_rows) != 2:
            continue
        columns = [str(c["/ID"]) for c in _kids(head_rows[0])]
        [area] = [str(c["/ID"]) for c in _kids(head_rows[1])]
        for body in (s for s in _kids(table) if s["/S"] == "/TBody"):
            for row in _kids(body):
                for n, cell in enumerate(c for c in _kids(row) if c["/S"] == "/TD"):
                    headers = [str(h) for h in cell["/A"]["/Headers"]]
                    assert headers == [columns[n], area]
