"""`validate` reports every problem of a spec in one run, in a stable order: the format
errors, the clauses, the balance and the ids together, and every vague phrase."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from conftest import BASE

BROKEN = """\
format: expectmatrix/2
deal:
  id: BRK 1
  title: Broken deal
  segment: tiny
  effective: 2026-02-30
parties:
  vendor: {name: Acme, registration: HRB 1, signatory: {name: Sam Ortiz, title: CEO}}
  customer: {name: Globex, registration: HRB 2, signatory: {name: Lee Chan, title: COO}, colour: red}
expectations:
  of_vendor:
    - {id: V1, area: Setup, text: "Set things up.", measure: Done}
    - {id: V2, clause: no-such-clause}
    - {id: V3, area: Setup, text: "Answer tickets.", measure: SLA, weight: 9}
  of_customer:
    - {id: V1, area: Setup, text: "Name a lead.", measure: Named, owner: Lead}
"""


def validate(run: Any, path: Path) -> tuple[int, list[dict[str, Any]], str]:
    result = run("validate", path, "--json")
    assert "Traceback" not in result.output
    return result.exit_code, json.loads(result.stdout)[0]["findings"], result.output


def test_one_run_reports_format_clauses_balance_and_ids(run, tmp_path):
    spec = tmp_path / "broken.yaml"
    spec.write_text(BROKEN)
    code, found, _ = validate(run, spec)
    assert code == 1
    got = {(f["path"], f["code"]) for f in found}
    assert {("format", "format"),                                   # the format
            ("deal.id", "format"), ("deal.segment", "choice"), ("deal.effective", "value"),
            ("parties.customer.colour", "unknown-field"),
            ("expectations.of_vendor[2].weight", "range"),
            ("expectations.of_vendor[1].clause", "unknown-clause"),  # the clauses
            ("expectations", "unbalanced"),                          # the balance
            ("expectations.of_customer[0].id", "duplicate-id"),      # the ids
            } <= got
    # nothing the set-aside values would cause: the weight 9 is not a second imbalance,
    # the clause that could not be used asks for no measure, owner or text
    assert not [f for f in found if f["path"].startswith("expectations.of_vendor[1]")
                and f["code"] != "unknown-clause"]
    assert [f["message"] for f in found if f["code"] == "unbalanced"] == [
        "unbalanced: 3 of vendor, 1 of customer (add 2 customer expectations or remove 2 "
        "vendor expectations)"]
    assert not any("set-aside" in f["message"] for f in found)


def test_findings_come_in_file_order_and_the_same_every_time(run, tmp_path):
    spec = tmp_path / "broken.yaml"
    spec.write_text(BROKEN)
    _, first, _ = validate(run, spec)
    _, again, _ = validate(run, spec)
    assert first == again
    places = [(f["line"] or 0, f["column"] or 0, f["code"]) for f in first]
    assert places == sorted(places)
    plain = run("validate", spec)
    lines = [line for line in plain.stderr.splitlines() + plain.stdout.splitlines()
             if line.startswith(str(spec))]
    assert [int(line.split(":")[1]) for line in lines] == sorted(
        int(line.split(":")[1]) for line in lines)
    # render says the same, and writes nothing
    out = tmp_path / "out"
    rendered = run("render", spec, "-o", out)
    assert rendered.exit_code == 1 and not (out.exists() and any(out.iterdir()))
    assert "Traceback" not in rendered.output and "is already used by" in rendered.stderr


def test_every_vague_phrase_is_flagged(run, tmp_path):
    data = copy.deepcopy(BASE)
    data["expectations"]["of_vendor"][0]["text"] = (
        "Answer as soon as possible, promptly and with reasonable care, using commercially "
        "reasonable efforts; reply promptly.")
    spec = tmp_path / "deal.json"
    spec.write_text(json.dumps(data))
    code, found, _ = validate(run, spec)
    assert code == 0
    vague = [f["message"] for f in found if f["code"] == "vague"]
    quoted = sorted(m.split("'")[1] for m in vague)
    assert quoted == sorted(["as soon as possible", "promptly", "reasonable",
                             "commercially reasonable"])  # each once, the longest reading


@pytest.mark.parametrize(("change", "reported", "not_reported"), [
    # a measure too long is an error, and the expectation is not also "without measure"
    (lambda d: d["expectations"]["of_vendor"][0].update(measure="m" * 2001),
     ("expectations.of_vendor[0].measure", "too-long"), "no-measure"),
    # an owner that is not text: no "customer expectation has no owner" beside it
    (lambda d: d["expectations"]["of_customer"][0].update(owner=["Lead"]),
     ("expectations.of_customer[0].owner", "type"), "no-owner"),
    # an empty list: said at the list, not as an imbalance of 2 against 0
    (lambda d: d["expectations"].update(of_customer=[]),
     ("expectations.of_customer", "empty-list"), "unbalanced"),
    # a registration too long: no "has no address and no registration" beside it
    (lambda d: d["parties"]["vendor"].update(registration="r" * 201),
     ("parties.vendor.registration", "too-long"), "no-details"),
    # a segment that is not one: no readiness rules of a segment guessed for it
    (lambda d: d["deal"].update(segment="tiny"), ("deal.segment", "choice"), "missing"),
])
def test_what_was_set_aside_causes_no_finding_of_its_own(run, tmp_path, change, reported,
                                                         not_reported):
    data = copy.deepcopy(BASE)
    data["expectations"]["of_vendor"][1]["text"] = "Vendor answers tickets as needed."
    change(data)
    spec = tmp_path / "deal.json"
    spec.write_text(json.dumps(data))
    code, found, _ = validate(run, spec)
    assert code == 1
    got = {(f["path"], f["code"]) for f in found}
    assert reported in got
    assert not_reported not in {f["code"] for f in found}, found
    # and the rest of the spec is still checked in the same run
    assert ("expectations.of_vendor[1].text", "vague") in got


@pytest.mark.parametrize("tree", [
    {"deal": [], "parties": "x", "expectations": {"of_vendor": "V1", "of_customer": None}},
    {"deal": {"id": "A"}, "expectations": [1, 2, 3]},
    {"expectations": {"of_vendor": [{"id": "V1", "clause": "sandbox-delivery",
                                     "params": {"days": "ten"}}],
                      "of_customer": [None, 7, {"id": {"x": 1}}]}},
    {"deal": {"id": "A", "title": "T", "segment": "small", "effective": "2026-01-01",
              "value": {"amount": "lots", "currency": "dollars"}}, "frame": {"law": 3},
     "readiness": [{"question": "Q?", "answer": "maybe"}], "approvals": [{"name": 1}]},
])
def test_a_spec_broken_anywhere_is_reported_without_a_traceback(run, tmp_path, tree):
    spec = tmp_path / "deal.json"
    spec.write_text(json.dumps(tree))
    code, found, _ = validate(run, spec)
    assert code == 1 and found
    assert all(f["message"] and "set-aside" not in f["message"] for f in found)
    out = tmp_path / "out"
    rendered = run("render", spec, "-o", out)
    assert rendered.exit_code == 1 and "Traceback" not in rendered.output
    assert not (out.exists() and any(out.iterdir()))
