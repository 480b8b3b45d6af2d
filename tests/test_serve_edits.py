"""The form editor's edits: each changes what it names and nothing else of the file (its
comments, key order, quoting and indentation stay), and a hostile edit is refused."""

from __future__ import annotations

import difflib
import json

import pytest
from conftest import SAMPLES

from expectmatrix.errors import EditRefused
from expectmatrix.serve.edits import Edit, apply
from expectmatrix.serve.versions import bump, new_version_name
from expectmatrix.spec.roundtrip import load, where


def _changed(before: str, after: str) -> list[str]:
    return [line for line in difflib.unified_diff(before.splitlines(), after.splitlines(),
                                                  lineterm="", n=0)
            if line[:1] in "+-" and not line.startswith(("+++", "---"))]


@pytest.mark.parametrize("path", sorted(SAMPLES.rglob("*.yaml")), ids=lambda p: p.name)
def test_every_sample_comes_back_byte_for_byte(path):
    text = path.read_text(encoding="utf-8")
    assert load(text).dump() == text


def test_setting_a_field_changes_that_line_only():
    text = (SAMPLES / "small-bakery.yaml").read_text(encoding="utf-8")
    after = apply(text, Edit("set", "expectations.of_vendor[1].due", "Two weeks before go-live"))
    assert _changed(text, after) == ["-      due: Before go-live",
                                     "+      due: Two weeks before go-live"]
    assert after.startswith(text.split("\n", 1)[0])  # the leading comment is kept


def test_typed_values_and_emptied_fields():
    text = (SAMPLES / "small-bakery.yaml").read_text(encoding="utf-8")
    after = apply(text, Edit("set", "deal.value.amount", "9700.50", "number"))
    assert "value: {amount: 9700.5, currency: EUR}" in after
    after = apply(after, Edit("set", "deal.version", "3", "integer"))
    assert "  version: 3\n" in after
    # A number field given words keeps them, for validation to explain.
    assert "version: three" in apply(text, Edit("set", "deal.version", "three", "integer"))
    # Emptying an optional field takes it out, and a map it leaves empty with it.
    after = apply(text, Edit("set", "parties.customer.signatory.title", ""))
    assert "signatory: {name: Siobhán O'Connell}" in after
    gone = apply(apply(text, Edit("set", "parties.vendor.signatory.title", "")),
                 Edit("set", "parties.vendor.signatory.name", ""))
    assert "Martin Brandt" not in gone and "signatory" in gone  # the customer's stays
    # A field that is not there yet is made, maps on the way too.
    made = apply(text, Edit("set", "deal.agreement.title", "Master Subscription Agreement"))
    assert "  agreement:\n    title: Master Subscription Agreement\n" in made
    # Text that YAML could read as something else stays text, as the loader reads it.
    from expectmatrix.spec.loading import load_bytes

    for words in ("yes", "123", "2026-01-01", "null", "a: b", "#1", "- x"):
        spec = load_bytes(apply(text, Edit("set", "deal.title", words)).encode(), "t.yaml").spec
        assert spec is not None and spec.deal.title == words


def test_rows_are_added_removed_and_moved():
    text = (SAMPLES / "small-bakery.yaml").read_text(encoding="utf-8")
    added = apply(text, Edit("add", "expectations.of_customer"))
    assert _changed(text, added) == ["+    - id: C5", "+      area: Support", "+      text: ''"]
    removed = apply(text, Edit("remove", "expectations.of_vendor[0]"))
    assert "id: V1\n" not in removed and "Configure the menu" not in removed
    moved = apply(text, Edit("move", "expectations.of_vendor[2]", delta=-1))
    assert moved.index("id: V3") < moved.index("id: V2")
    with pytest.raises(EditRefused, match="cannot move further"):
        apply(text, Edit("move", "expectations.of_vendor[0]", delta=-1))
    question = apply(text, Edit("add", "readiness"))
    assert question.endswith("  - question: ''\n    answer: unknown\n")
    approval = apply(text, Edit("add", "approvals"))
    assert "approvals:\n  - name: ''\n    side: vendor\n" in approval
    contact = apply(text, Edit("add", "parties.customer.contacts"))
    assert "      - name: ''\n" in contact


def test_a_clause_replaces_the_rows_own_wording():
    text = (SAMPLES / "small-bakery.yaml").read_text(encoding="utf-8")
    after = apply(text, Edit("clause", "expectations.of_vendor[3]", "p1-response"))
    block = after[after.index("- id: V4"):after.index("of_customer")]
    assert "clause: p1-response" in block and "text:" not in block and "measure:" not in block
    assert "area: Support" in block


def test_own_text_copies_the_librarys_wording():
    from expectmatrix.checks import check_loaded
    from expectmatrix.spec.loading import load_bytes

    text = (SAMPLES / "playbook-small.yaml").read_text(encoding="utf-8")
    resolved = check_loaded(load_bytes(text.encode(), "p.yaml")).spec
    row = resolved.expectations.of_vendor[0]
    after = apply(text, Edit("own-text", "expectations.of_vendor[0]"), resolved=resolved)
    first = after[after.index("- id: V1"):after.index("- id: V2")]
    assert "clause:" not in first and row.text in first
    with pytest.raises(EditRefused, match="valid"):
        apply(text, Edit("own-text", "expectations.of_vendor[0]"))


def test_a_json_spec_stays_json():
    spec = {"deal": {"id": "X", "title": "T"}, "expectations": {"of_vendor": []}}
    after = apply(json.dumps(spec), Edit("add", "expectations.of_vendor"), fmt="json")
    assert json.loads(after)["expectations"]["of_vendor"] == [{"id": "V1", "text": ""}]


@pytest.mark.parametrize("path", ["", ".deal", "deal..title", "deal.title[x]", "[0]",
                                  "a." * 200, "deal.title; rm -rf /", "deal['title']",
                                  ".".join(["a"] * 13), "a[1234567]", "0.a", "a.b c"])
def test_hostile_paths_are_refused(path):
    with pytest.raises(EditRefused):
        where(path)
    with pytest.raises(EditRefused):
        apply("a: b\n", Edit("set", path, "x"))


def test_hostile_edits_are_refused_and_leave_no_trace():
    text = (SAMPLES / "minimal.yaml").read_text(encoding="utf-8")
    for edit in (Edit("remove", "expectations.of_vendor[99]"),
                 Edit("add", "deal.title"),
                 Edit("add", "deal"),
                 Edit("set", "expectations.of_vendor[5].text", "x"),
                 Edit("clause", "deal.title", "x")):
        with pytest.raises(EditRefused):
            apply(text, edit)
    with pytest.raises(EditRefused):
        Edit.from_json({"op": "exec", "path": "deal"})
    with pytest.raises(EditRefused):
        Edit.from_json({"op": "move", "path": "x", "delta": 1000})
    with pytest.raises(EditRefused, match="too deeply"):
        apply("a: " + "[" * 5000 + "]" * 5000, Edit("set", "a", "b"))
    with pytest.raises(EditRefused, match="not valid YAML"):
        apply("deal: [unclosed", Edit("set", "deal.title", "b"))
    with pytest.raises(EditRefused, match="mapping"):
        apply("- a list\n", Edit("set", "deal.title", "b"))


def test_a_new_version_changes_the_version_only():
    text = (SAMPLES / "small-bakery.yaml").read_text(encoding="utf-8")
    assert _changed(text, bump(text, "yaml", 3)) == ["-  version: 2", "+  version: 3"]
    assert new_version_name("small-bakery.yaml", 3) == "small-bakery-v3.yaml"
    assert new_version_name("deal-v2.yaml", 3) == "deal-v3.yaml"
    assert new_version_name("deal-v2.json", 3) == "deal-v3.json"


def test_recent_documents_are_handed_out_once_and_match_a_fresh_read():
    from expectmatrix.serve.edits import Recent
    from expectmatrix.spec.roundtrip import Document

    recent = Recent(keep=2)
    text = (SAMPLES / "small-bakery.yaml").read_text(encoding="utf-8")
    changed = apply(text, Edit("set", "deal.title", "Changed"), recent=recent)
    again = recent.load(changed)
    assert again.data["deal"]["title"] == "Changed"  # the document the edit made
    recent.remember(changed, again)
    assert recent.load(changed) is again  # no second parse of the text the last edit made
    assert recent.load(changed) is not again  # handed out once: a new read after
    assert recent.load(changed).dump() == changed
    for n in range(3):
        recent.remember(f"t{n}", Document({}))
    assert len(recent._documents) == 2


def test_comments_above_a_row_go_with_it_when_rows_move_or_go():
    """A drafted spec writes each clause's wording in a comment above its row: after a
    move or a removal, every comment still stands above the row it was written for."""
    text = (SAMPLES / "playbook-small.yaml").read_text(encoding="utf-8")

    def above(spliced: str, eid: str) -> str:
        lines = spliced.splitlines()
        at = lines.index(f"    - id: {eid}")
        return lines[at - 1].strip()

    wording = {eid: above(text, eid) for eid in ("V1", "V2", "V3")}
    assert all(w.startswith("# ") for w in wording.values())
    moved = apply(text, Edit("move", "expectations.of_vendor[1]", delta=-1))
    assert moved.index("id: V2") < moved.index("id: V1")
    assert {eid: above(moved, eid) for eid in wording} == wording
    removed = apply(text, Edit("remove", "expectations.of_vendor[1]"))
    assert wording["V2"] not in removed and "id: V2\n" not in removed
    assert above(removed, "V1") == wording["V1"] and above(removed, "V3") == wording["V3"]
    assert len(removed.splitlines()) == len(text.splitlines()) - 4
    last = apply(text, Edit("remove", "readiness[4]"))
    assert last == text[:text.rindex("  - question:")]
    # A flow list and a list emptied by the edit go through the round trip.
    flow = apply("a: [1, 2, 3]\n", Edit("remove", "a[1]"))
    assert flow == "a: [1, 3]\n"
    assert apply("a:\n  - 1\n", Edit("remove", "a[0]")) == "a: []\n"
