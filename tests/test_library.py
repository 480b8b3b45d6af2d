"""Clause library, playbooks, init, non-standard marking, settings and wording lint."""

from __future__ import annotations

import copy
import json
from collections import Counter

import pytest
from conftest import BASE, docx_text, pdf_text

from expectmatrix.checks import check, check_loaded
from expectmatrix.errors import LibraryError
from expectmatrix.library.files import load_library
from expectmatrix.render.audience import Edition
from expectmatrix.render.pipeline import render_spec
from expectmatrix.spec.findings import errors
from expectmatrix.spec.loading import load
from expectmatrix.spec.models import Spec
from expectmatrix.spec.shape import located

# Documents made in this process (--timeout 0): what is checked is the document, not
# the worker process that makes it with a time limit.
HERE = ("--timeout", "0")

LIB = load_library()


def test_library_is_large_and_even():
    sides = Counter(c.side for c in LIB.clauses.values())
    assert len(LIB.clauses) >= 40 and sides["vendor"] == sides["customer"]
    areas = {c.area for c in LIB.clauses.values()}
    assert {"Implementation", "Training", "Support", "Communication", "Data", "Governance",
            "Commercial", "Success measures"} <= areas
    for area in areas:  # both sides in every area
        assert {c.side for c in LIB.clauses.values() if c.area == area} == {"vendor", "customer"}


@pytest.mark.parametrize("segment", ["small", "medium", "large"])
def test_init_drafts_a_valid_balanced_spec_that_renders(run, tmp_path, segment):
    out = tmp_path / "deal.yaml"
    result = run("init", "--segment", segment, "--vendor", "Acme: Ltd", "--customer", "No",
                 "-o", out)
    assert result.exit_code == 0, result.stderr
    loaded = check_loaded(load(out))
    assert loaded.ok, [str(f) for f in errors(loaded.findings)]
    spec = loaded.spec
    assert spec.parties.vendor.name == "Acme: Ltd" and spec.parties.customer.name == "No"
    assert len(spec.expectations.of_vendor) == len(spec.expectations.of_customer)
    assert loaded.nonstandard == {}
    book = LIB.playbooks[segment]
    for _, _, e in located(spec):
        assert segment in LIB.clauses[e.clause].segments
    assert [r.question for r in spec.readiness] == [q.question for q in book.readiness]
    areas = {e.area for _, _, e in located(spec)}
    assert "Communication" in areas
    docs = render_spec(spec, ("pdf",), edition=Edition("internal"))
    text, _ = pdf_text(docs["pdf"])
    assert f"All {2 * len(spec.expectations.of_vendor)} expectations use the standard" in text


def test_init_never_overwrites_and_needs_names_without_a_terminal(run, tmp_path):
    out = tmp_path / "deal.yaml"
    out.write_text("mine")
    result = run("init", "--segment", "small", "--vendor", "V", "--customer", "C", "-o", out)
    assert result.exit_code == 2 and "--force" in result.stderr and out.read_text() == "mine"
    assert run("init", "--segment", "small", "--vendor", "V", "--customer", "C", "-o", out,
               "--force").exit_code == 0
    missing = run("init", "--segment", "small", "-o", tmp_path / "x.yaml")
    assert missing.exit_code == 2 and "--vendor" in missing.stderr


def test_init_asks_on_a_terminal_for_what_is_missing(tmp_path, monkeypatch):
    from click.testing import CliRunner

    from expectmatrix import cli
    from expectmatrix.cli import drafting

    monkeypatch.setattr(drafting, "_can_ask", lambda: True)
    out = tmp_path / "asked.yaml"
    result = CliRunner().invoke(cli.cli, ["init", "-o", str(out)],
                                input="large\nAcme Software Ltd\nGlobex LLC\n\n\n")
    assert result.exit_code == 0, result.output
    assert "Segment" in result.output and "Vendor" in result.output
    spec = check_loaded(load(out)).spec
    assert spec.deal.segment == "large" and spec.parties.customer.name == "Globex LLC"


def spec_with(expectations_vendor, expectations_customer, **extra):
    data = copy.deepcopy(BASE)
    data["expectations"] = {"of_vendor": expectations_vendor, "of_customer": expectations_customer}
    data.update(extra)
    return data


def loaded_from(write_spec, data, library=LIB):
    return check_loaded(load(write_spec(data)), library=library)


def test_clause_fills_text_and_deviations_are_found(write_spec):
    data = spec_with(
        [{"id": "V1", "clause": "sandbox-delivery", "params": {"days": 5}},
         {"id": "V2", "clause": "p1-response", "text": "Respond when we can."}],
        [{"id": "C1", "clause": "project-lead-authority"},
         {"id": "C2", "clause": "admin-time", "measure": "Trust us"}])
    loaded = loaded_from(write_spec, data)
    assert loaded.ok, loaded.findings
    v1 = loaded.spec.expectations.of_vendor[0]
    assert v1.text == "Deliver a configured sandbox within 5 business days of signature."
    assert v1.due == "5 business days after signature" and v1.area == "Implementation"
    assert set(loaded.nonstandard) == {"V2", "C2"}
    assert "text differs from clause p1-response" in loaded.nonstandard["V2"]
    assert "measure differs" in loaded.nonstandard["C2"]
    info = [f for f in loaded.findings if f.code == "nonstandard"]
    assert {f.severity for f in info} == {"info"} and info[0].line is not None


def test_same_text_as_the_clause_is_standard(write_spec):
    text = "Name a project lead with authority to take configuration decisions within 2 business days."
    data = spec_with([{"id": "V1", "clause": "status-calls"}],
                     [{"id": "C1", "clause": "project-lead-authority", "text": text}])
    assert loaded_from(write_spec, data).nonstandard == {}


def test_expectation_without_clause_is_nonstandard(write_spec, spec_data):
    loaded = check_loaded(load(write_spec(spec_data)))
    assert set(loaded.nonstandard) == {"V1", "V2", "C1", "C2"}


@pytest.mark.parametrize(("entry", "code", "words"), [
    ({"id": "V1", "clause": "sandbox-delivry"}, "unknown-clause", "did you mean 'sandbox-delivery'"),
    ({"id": "V1", "clause": "admin-time"}, "clause-side", "customer expectation"),
    ({"id": "V1", "clause": "sandbox-delivery", "params": {"days": "ten"}}, "param-type",
     "must be a whole number"),
    ({"id": "V1", "clause": "sandbox-delivery", "params": {"dayz": 3}}, "unknown-param",
     "did you mean 'days'"),
    ({"id": "V1", "area": "A"}, "missing", "required field missing"),
])
def test_bad_clause_use_is_a_located_error(run, write_spec, tmp_path, entry, code, words):
    data = spec_with([entry], [{"id": "C1", "clause": "admin-time"}])
    path = write_spec(data)
    loaded = check_loaded(load(path), library=LIB)
    [f] = [f for f in errors(loaded.findings) if f.code == code]
    assert words in f.message and f.file == str(path) and f.line == 1
    result = run("render", *HERE, path, "-o", tmp_path / "out")
    assert result.exit_code == 1 and not (tmp_path / "out").exists()


CUSTOM = """\
clauses:
  - id: uptime
    side: vendor
    area: Support
    text: Keep the service available {percent}% of each month.
    measure: Monthly availability report
    params: {percent: {type: number}}
  - id: uptime-reporting
    side: customer
    area: Support
    text: Report outages to the service desk within {minutes} minutes.
    params: {minutes: {type: integer, default: 30}}
"""


def test_missing_parameter_needs_a_value(write_spec, tmp_path):
    (tmp_path / "lib.yaml").write_text(CUSTOM)
    library = load_library([tmp_path / "lib.yaml"])
    data = spec_with([{"id": "V1", "clause": "uptime"}], [{"id": "C1", "clause": "uptime-reporting"}])
    [f] = errors(loaded_from(write_spec, data, library).findings)
    assert f.code == "missing-param" and "'percent'" in f.message
    data["expectations"]["of_vendor"][0]["params"] = {"percent": "99.9"}
    loaded = loaded_from(write_spec, data, library)
    assert loaded.ok and "99.9%" in loaded.spec.expectations.of_vendor[0].text


def test_broken_library_file_is_a_located_error(tmp_path):
    (tmp_path / "lib.yaml").write_text("clauses:\n  - id: x\n    side: seller\n    area: A\n"
                                       "    text: T\n")
    with pytest.raises(LibraryError) as caught:
        load_library([tmp_path / "lib.yaml"])
    [f] = caught.value.findings
    assert f.file == str(tmp_path / "lib.yaml") and f.line == 3 and f.field == "clauses[0].side"


def test_settings_extend_or_replace_the_library(run, tmp_path, monkeypatch):
    (tmp_path / "legal").mkdir()
    (tmp_path / "legal" / "clauses.yaml").write_text(CUSTOM)
    (tmp_path / "expectmatrix.toml").write_text('[library]\nclauses = ["legal/clauses.yaml"]\n')
    deal = tmp_path / "deals" / "d.json"
    deal.parent.mkdir()
    deal.write_text(json.dumps(spec_with(
        [{"id": "V1", "clause": "uptime", "params": {"percent": 99.5}},
         {"id": "V2", "clause": "status-calls"}],
        [{"id": "C1", "clause": "uptime-reporting"}, {"id": "C2", "clause": "status-attendance"}])))
    monkeypatch.chdir(deal.parent)  # the settings are found in a parent folder
    assert run("validate", deal).exit_code == 0
    listed = json.loads(run("clauses", "--area", "support", "--side", "vendor", "--json").stdout)
    assert "uptime" in {c["id"] for c in listed} and "p1-response" in {c["id"] for c in listed}
    (tmp_path / "expectmatrix.toml").write_text(
        '[library]\nclauses = ["legal/clauses.yaml"]\nreplace = true\n')
    replaced = run("validate", deal)
    assert replaced.exit_code == 1 and "unknown clause 'status-calls'" in replaced.stderr
    (tmp_path / "expectmatrix.toml").write_text("[library]\nclause = []\n")
    broken = run("validate", deal)
    assert broken.exit_code == 1 and "expectmatrix.toml" in broken.stderr
    other = tmp_path / "other.toml"
    other.write_text("")  # --config wins over the expectmatrix.toml found in a parent
    chosen = run("--config", other, "validate", deal)
    assert chosen.exit_code == 1 and "unknown clause 'uptime'" in chosen.stderr


def test_clauses_command_filters(run):
    result = run("clauses", "--segment", "large", "--side", "customer", "--json")
    listed = json.loads(result.stdout)
    assert listed and all(c["side"] == "customer" and "large" in c["segments"] for c in listed)
    text = run("clauses", "--area", "Training").stdout
    assert "key-user-training" in text and "p1-response" not in text


def test_documents_mark_nonstandard_rows(tmp_path):
    spec = Spec.model_validate(copy.deepcopy(BASE))
    nonstandard = {"V2": "written for this deal"}
    internal = Edition("internal")
    docs = render_spec(spec, ("pdf", "docx"), nonstandard=nonstandard, edition=internal)
    pdf, _ = pdf_text(docs["pdf"])
    docx, _ = docx_text(docs["docx"])
    for text in (pdf, docx):
        assert "† V2" in text and "† V1" not in text
        assert "1 of 4 expectations are non-standard (marked †)." in text
        assert "† marks a non-standard expectation" in text
    plain = render_spec(spec, ("pdf",), nonstandard=nonstandard, mark_nonstandard=False,
                        edition=internal)
    assert "†" not in pdf_text(plain["pdf"])[0]
    # The counterparty never sees the marks, their count or their legend.
    sent = render_spec(spec, ("pdf", "docx"), nonstandard=nonstandard)
    for text in (pdf_text(sent["pdf"])[0], docx_text(sent["docx"])[0]):
        assert "†" not in text and "non-standard" not in text
    # Without a non-standard row, no legend explains a mark that is not there.
    none = render_spec(spec, ("pdf",), edition=internal)
    text = pdf_text(none["pdf"])[0]
    assert "All 4 expectations use the standard" in text and "† marks" not in text
    approved = Spec.model_validate({**copy.deepcopy(BASE), "approvals": [
        {"name": "L", "side": "vendor", "role": "GC", "date": "2026-11-01"}]}
        | {"deal": {**BASE["deal"], "status": "approved"}})
    assert "†" not in pdf_text(render_spec(approved, ("pdf",), nonstandard=nonstandard)["pdf"])[0]


def test_render_flag_turns_marking_off(run, write_spec, spec_data, tmp_path):
    result = run("render", *HERE, write_spec(spec_data), "-o", tmp_path, "-f", "pdf",
                 "--no-mark-nonstandard")
    assert result.exit_code == 0
    assert "†" not in pdf_text((tmp_path / "T-1-v1.pdf").read_bytes())[0]


def test_wording_lint(spec_data):
    data = copy.deepcopy(spec_data)
    data["expectations"]["of_vendor"][0].update(text="Fix bugs promptly.", measure=None)
    data["expectations"]["of_vendor"][1]["text"] = "Customer names a lead."
    data["expectations"]["of_customer"][1]["area"] = "Billing"
    found = {f.code: f for f in check(Spec.model_validate(data))}
    assert "'promptly'" in found["vague"].message
    assert "repeats the text of" in found["duplicate-text"].message
    assert "only on the" in found["one-sided-area"].message
    assert all(f.severity == "warning" for f in found.values() if f.code != "no-measure")


def test_json_schema_mentions_weight(run):
    schema = json.loads(run("schema").stdout)
    weight = schema["$defs"]["Expectation"]["properties"]["weight"]
    assert weight["minimum"] == 1 and weight["maximum"] == 5
