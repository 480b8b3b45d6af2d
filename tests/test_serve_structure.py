"""serve's structure: one handler style, all of it off the event loop; one edit path (the
form's edits are spec/roundtrip.py's edits of the text); the spec's shape asked of
spec/shape.py (the form's fields, labels and list bounds come from the models); dates
shown in the deal's own order."""

from __future__ import annotations

import datetime as dt
import inspect
import json
import re
import threading
from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest import ROOT, SAMPLES
from liveserver import HOST, app_client, csrf_token, deals_folder, in_thread, live

from expectmatrix.errors import EditRefused
from expectmatrix.serve.edits import Edit, apply
from expectmatrix.spec import roundtrip, shape

BAKERY = (SAMPLES / "small-bakery.yaml").read_text(encoding="utf-8")


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    return deals_folder(tmp_path, SAMPLES / "small-bakery.yaml", SAMPLES / "minimal.yaml")


def _edit(client: Any, text: str, edit: dict[str, Any] | None, form: bool = False,
          name: str = "small-bakery.yaml") -> Any:
    return client.post(f"/api/edit?name={name}", headers={"X-CSRF-Token": csrf_token(client)},
                       content=json.dumps({"text": text, "edit": edit, "form": form}))


# --- one handler style, off the event loop ------------------------------------------------


def test_every_route_is_a_plain_handler_of_one_table():
    from starlette.routing import Route

    from expectmatrix.serve.app import ROUTES, create_app

    for path, handler, _ in ROUTES:
        assert not inspect.iscoroutinefunction(handler), path  # run on a thread
        assert list(inspect.signature(handler).parameters) == ["served", "request", "body"]
    app = create_app(SAMPLES, frozenset({HOST})).app.app  # inside the guard
    routes = [(r.path, sorted(r.methods or ())) for r in app.routes if isinstance(r, Route)]
    assert len(routes) == len(ROUTES)


def test_the_apps_pages_are_compiled_once_per_process(tmp_path):
    """Every app of a process shows the same built-in pages: a second app (another folder,
    another token) reuses the first one's compiled templates, and both answer."""
    from expectmatrix.serve.app import create_app

    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    one = deals_folder(tmp_path / "a", SAMPLES / "minimal.yaml")
    other = deals_folder(tmp_path / "b", SAMPLES / "minimal.yaml")
    first = create_app(one, frozenset({HOST})).app.app.state.served.pages
    assert create_app(other, frozenset({HOST}), "s3cret").app.app.state.served.pages is first
    for client, params in ((app_client(one), {}),
                           (app_client(other, token="s3cret"), {"token": "s3cret"})):
        assert "Pilot of the reporting module" in client.get("/", params=params).text


@pytest.mark.parametrize("method, url", [
    ("GET", "/deals/big.yaml"),
    ("POST", "/api/preview?name=big.yaml"),
    ("POST", "/deals/big.yaml/versions"),
])
def test_a_slow_editor_request_does_not_hold_the_others(folder, monkeypatch, method, url):
    """The editor's page, its previews and new versions check the spec too: while that
    check is held, the deals list (a folder scan) still answers."""
    from expectmatrix import checks

    armed, checking, gate = threading.Event(), threading.Event(), threading.Event()
    original = checks.check_loaded

    def held(loaded: Any, *args: Any, **kwargs: Any) -> Any:
        if loaded.file == "big.yaml" and armed.is_set():
            checking.set()
            assert gate.wait(60)
        return original(loaded, *args, **kwargs)

    monkeypatch.setattr(checks, "check_loaded", held)
    (folder / "big.yaml").write_text(BAKERY.replace("HBK-2026-007", "BIG-1"))
    with live(folder) as (base, _, _, _), httpx.Client(base_url=base, timeout=120) as client:
        csrf = {"X-CSRF-Token": csrf_token(client)}
        armed.set()
        body = json.dumps({"text": BAKERY, "audience": "counterparty"}).encode()
        thread, slow = in_thread(lambda: client.request(method, url, content=body,
                                                         headers=csrf))
        assert checking.wait(60), "the check never started"
        other = client.post("/api/validate", content=BAKERY.encode(), timeout=30)
        assert other.status_code == 200 and other.json()[0]["ok"] is True
        assert thread.is_alive()
        gate.set()
        thread.join(120)
    assert slow["response"].status_code == 200, slow


# --- one edit path ------------------------------------------------------------------------


@pytest.mark.parametrize("edit", [
    {"op": "set", "path": "expectations.of_vendor[1].due", "value": "Two weeks before go-live"},
    {"op": "set", "path": "deal.version", "value": "3", "kind": "integer"},
    {"op": "add", "path": "expectations.of_customer"},
    {"op": "remove", "path": "expectations.of_vendor[0]"},
    {"op": "move", "path": "readiness[1]", "delta": 1},
    {"op": "clause", "path": "expectations.of_vendor[3]", "value": "p1-response"},
])
def test_the_browsers_edit_is_the_libraries_edit(folder, edit):
    """What /api/edit answers is what edits.apply makes of the text, twice in a row (the
    second from the document the first remembered)."""
    client = app_client(folder)
    first = _edit(client, BAKERY, edit).json()["text"]
    assert first == apply(BAKERY, Edit.from_json(edit))
    again = {**edit, "op": "set", "path": "deal.title", "value": "Next", "kind": "text"}
    second = _edit(client, first, again).json()["text"]
    assert second == apply(first, Edit.from_json(again))
    assert second != first


def test_form_edits_are_the_round_trips_edits():
    """The form's plain operations are spec/roundtrip.py's, comments kept."""
    path = "expectations.of_vendor[1]"
    assert apply(BAKERY, Edit("remove", path)) == roundtrip.remove_at(BAKERY, path)
    assert apply(BAKERY, Edit("move", path, delta=1)) == roundtrip.move_at(BAKERY, path, 1)
    assert apply(BAKERY, Edit("set", "deal.term", "Two years")) == \
        roundtrip.set_at(BAKERY, "deal.term", "Two years")


def test_a_spec_text_is_edited_in_place_at_field_paths():
    text = ("# the deal\ndeal:\n  id: A-1  # never changes\n  title: 'Quoted'\n"
            "expectations:\n  of_vendor:\n    # first\n    - id: V1\n      text: One\n"
            "    # second\n    - id: V2\n      text: Two\n")
    doc = roundtrip.load(text)
    doc.set(("deal", "effective"), dt.date(2027, 1, 15))
    doc.set("expectations.of_vendor[1].text", "Two, reworded")
    doc.insert("readiness", {"question": "Who?", "answer": "unknown"})
    after = doc.dump()
    assert after.startswith("# the deal\ndeal:\n  id: A-1  # never changes\n  title: 'Quoted'\n")
    assert "  effective: 2027-01-15\n" in after  # a date, not a quoted text
    assert "      text: Two, reworded\n" in after
    assert after.endswith("readiness:\n  - question: Who?\n    answer: unknown\n")
    # A row inserted, removed or moved leaves each comment above the row it was written for.
    inserted = roundtrip.insert_at(text, "expectations.of_vendor", {"id": "V3", "text": "Three"},
                                   index=1)
    assert "      text: One\n    - id: V3\n      text: Three\n    # second\n    - id: V2\n" \
        in inserted
    moved = roundtrip.move_at(text, "expectations.of_vendor[1]", -1)
    assert moved.index("# second") < moved.index("id: V2") < moved.index("# first")
    removed = roundtrip.remove_at(text, "expectations.of_vendor[0]")
    assert "# first" not in removed and "# second\n    - id: V2" in removed
    # What is not there is said, and the text is left alone.
    for change in (lambda d: d.get("deal.value.amount"), lambda d: d.remove("parties"),
                   lambda d: d.set("expectations.of_vendor[7].text", "x")):
        with pytest.raises(roundtrip.NoSuchField):
            change(roundtrip.load(text))
    with pytest.raises(EditRefused, match=r"deal\.title holds a value"):
        roundtrip.set_at(text, "deal.title.x", "y")
    # Emptied maps go with the field that emptied them, when asked.
    pruned = roundtrip.load("deal:\n  agreement:\n    title: MSA\n  id: A\n")
    pruned.remove("deal.agreement.title", prune=True)
    assert pruned.dump() == "deal:\n  id: A\n"
    # JSON stays JSON, a date as its ISO text.
    json_text = roundtrip.set_at('{"deal": {"id": "A"}}', "deal.effective",
                                 dt.date(2027, 1, 15), fmt="json")
    assert json.loads(json_text) == {"deal": {"id": "A", "effective": "2027-01-15"}}


def test_the_round_trip_lives_in_the_spec_stage_and_edits_stay_small():
    for module in ("expectmatrix/serve/edits.py", "expectmatrix/spec/roundtrip.py"):
        assert len((ROOT / module).read_text().splitlines()) < 400, module


# --- the spec's shape, asked of spec/shape.py --------------------------------------------


def test_serve_names_no_side_list_of_its_own():
    for path in (ROOT / "expectmatrix" / "serve").glob("*.py"):
        code = path.read_text()
        assert "of_vendor" not in code and "of_customer" not in code, path.name


def test_field_paths_read_as_csv_headers_and_findings_write_them():
    """One grammar: a CSV header is read by spec/shape.py, as an edit's path is, and a
    finding prints the path the same way back."""
    import inspect

    from expectmatrix.batch import columns, csvrows

    for text in ("deal.id", "expectations.of_vendor[0].text", "expectations.of_vendor.0.text",
                 "parties.customer.contacts[2].email", "deal.milestones.go-live",
                 "expectations.of_customer[3].due_by.from", "readiness.12.note"):
        path = shape.parse_path(text)
        assert shape.parse_path(shape.format_path(path)) == path
    for module in (columns, csvrows):
        code = inspect.getsource(module)
        assert "re.compile" not in code or "_SEGMENT" not in code, module.__name__
        assert "model_fields" not in code.replace("Spec.model_fields", ""), module.__name__


def test_list_bounds_and_deal_fields_come_from_the_models():
    from expectmatrix.spec.models import Deal, Money

    assert shape.list_bound(("approvals",)) == 50
    assert shape.list_bound(("readiness",)) == 100
    assert shape.list_bound(("parties", "vendor", "contacts")) == 50
    assert shape.list_bound(("expectations", shape.list_name("vendor"))) == 500
    fields = {shape.format_path(f.path): f for f in shape.deal_fields()}
    expected = {f"deal.{name}" for name, info in Deal.model_fields.items()
                if "dict" not in str(info.annotation) and name not in ("value", "margin",
                                                                         "agreement")}
    expected |= {f"deal.{m}.{n}" for m in ("value", "margin") for n in Money.model_fields}
    expected |= {"deal.agreement.title", "deal.agreement.reference", "deal.agreement.date"}
    assert set(fields) == expected
    assert fields["deal.id"].label == "Deal id" and fields["deal.effective"].field.kind == "date"
    assert fields["deal.status"].field.choices == ("draft", "review", "approved")
    assert fields["deal.notes"].field.multiline and not fields["deal.title"].field.multiline
    assert {p for p, f in fields.items() if f.internal} == {
        "deal.segment", "deal.notes", "deal.margin.amount", "deal.margin.currency", "deal.nps"}
    own = {shape.format_path(f.path) for f in shape.deal_fields(internal=["deal.term"])
           if f.internal}
    assert own == {"deal.term"}  # an organisation's own list of internal fields


def test_the_form_shows_the_models_fields_and_stops_at_their_bounds(folder):
    client = app_client(folder)
    page = client.get("/deals/small-bakery.yaml").text
    for path in ("deal.agreement.title", "deal.calendar", "deal.margin.currency",
                 "parties.customer.signatory.title", "approvals"):
        assert f'data-path="{path}"' in page or f'data-for="{path}"' in page, path
    assert re.search(r'<label for="f-deal-margin-amount">Margin \(internal\)</label>', page)
    assert re.search(r'<label for="f-deal-id">Deal id</label>', page)
    assert "What the customer can expect of the vendor" in page  # the model's words
    many = BAKERY.replace("    contacts:\n      - {name: Siobhán", "    contacts:\n" + "".join(
        f"      - {{name: Person {n}}}\n" for n in range(49)) + "      - {name: Siobhán")
    form = _edit(client, many, None, form=True).json()["form"]
    assert re.search(r'data-path="parties.customer.contacts" disabled>Add customer contact',
                     form)
    refused = _edit(client, many, {"op": "add", "path": "parties.customer.contacts"})
    assert refused.status_code == 400
    assert "at most 50 rows in parties.customer.contacts" in refused.json()["error"]


# --- dates in the deal's own order --------------------------------------------------------


@pytest.mark.parametrize("language, shown, pattern, typed", [
    (None, "01/12/2026", "DD/MM/YYYY", "15/01/2027"),
    ("en-GB", "01/12/2026", "DD/MM/YYYY", "15/01/2027"),
    ("de", "01.12.2026", "DD.MM.YYYY", "15.01.2027"),
    ("en-US", "12/01/2026", "MM/DD/YYYY", "01/15/2027"),
])
def test_dates_are_shown_and_read_in_the_deals_order(folder, language, shown, pattern, typed):
    text = BAKERY if language is None else BAKERY.replace(
        "  status: review\n", f"  status: review\n  language: {language}\n")
    client = app_client(folder)
    form = _edit(client, text, None, form=True).json()["form"]
    field = re.search(r'<input id="f-deal-effective"[^>]*>', form).group(0)  # type: ignore[union-attr]
    assert 'type="text"' in field and f'value="{shown}"' in field
    assert f'placeholder="{pattern}"' in field and 'data-kind="date"' in field
    assert f"Day, month and year as {pattern}" in form
    edited = _edit(client, text, {"op": "set", "path": "deal.effective", "value": typed,
                                  "kind": "date"}).json()
    assert "  effective: 2027-01-15\n" in edited["text"] and edited["ok"] is True
    # A day that is not in the calendar stays as typed, and validate says why.
    wrong = _edit(client, text, {"op": "set", "path": "deal.effective", "value": "31/02/2027",
                                 "kind": "date"}).json()
    assert "effective: 31/02/2027" in wrong["text"] and wrong["ok"] is False
    assert any(f["path"] == "deal.effective" for f in wrong["findings"])


def test_numeric_dates_per_language():
    import datetime as dt

    from expectmatrix.language.formats import format_numeric_date, numeric_date_pattern, parse_numeric_date

    day = dt.date(2027, 1, 31)
    for language, written in (("en", "31/01/2027"), ("en-US", "01/31/2027"),
                              ("de-AT", "31.01.2027"), ("sv", "2027-01-31"),
                              ("ja", "2027/01/31"), ("xx-unknown", "31/01/2027")):
        assert format_numeric_date(day, language) == written
        assert parse_numeric_date(written, language) == day
        assert parse_numeric_date("2027-01-31", language) == day  # ISO is always understood
    assert numeric_date_pattern("en-US") == "MM/DD/YYYY"
    for never in ("31/01/27", "01/31/2027", "2027-02-30", "", "31 Jan 2027"):
        assert parse_numeric_date(never, "en") is None, never
