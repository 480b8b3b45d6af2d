"""The agreement as a lawyer reads it: a frame that stands on its own, without gaps or
repetitions, with every sentence true of the spec it came from; each checked in the PDF
and the DOCX that are produced."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any

import pytest
from conftest import BASE, docx_text, pdf_text


def squash(text: str) -> str:
    return re.sub(r"[\s\u2066-\u2069\u200e\u200f]+", "", text)


def texts(run: Any, spec: Path, out: Path, *options: str) -> dict[str, str]:
    """{pdf: text, docx: text} of the counterparty edition of ``spec``."""
    result = run(*options, "render", spec, "-o", out, "-f", "pdf", "-f", "docx")
    assert result.exit_code == 0, result.stderr
    pdf = next(out.glob("*.pdf")).read_bytes()
    docx = next(out.glob("*.docx")).read_bytes()
    return {"pdf": pdf_text(pdf)[0], "docx": docx_text(docx)[0]}


def write(tmp_path: Path, data: dict[str, Any], name: str = "deal.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def findings(run: Any, spec: Path, *options: str) -> tuple[int, list[dict[str, Any]]]:
    result = run(*options, "validate", spec, "--json")
    assert "Traceback" not in result.output
    return result.exit_code, json.loads(result.stdout)[0]["findings"]


# --- an `init` draft, given only vendor, customer and segment ----------------------------


@pytest.fixture(scope="module")
def draft(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    from click.testing import CliRunner

    from expectmatrix.cli import cli

    folder = tmp_path_factory.mktemp("draft")
    spec = folder / "deal.yaml"
    runner = CliRunner()
    made = runner.invoke(cli, ["init", "--segment", "small", "--vendor", "Acme Software Ltd",
                               "--customer", "Globex LLC", "-o", str(spec)])
    assert made.exit_code == 0, made.output
    out = folder / "out"
    result = runner.invoke(cli, ["render", str(spec), "-o", str(out), "-f", "pdf", "-f", "docx"])
    assert result.exit_code == 0, result.output
    return spec, {"pdf": pdf_text((out / "DEAL-1-v1.pdf").read_bytes())[0],
                  "docx": docx_text((out / "DEAL-1-v1.docx").read_bytes())[0]}


FRAME_SENTENCES = (
    # whether and how the expectations bind, and what a missed one leads to
    "Each expectation in this matrix binds the party it is expected of.",
    "take away no other right or remedy a party has in law",
    "the time for the other’s is extended by the delay caused, and it is not missed.",
    # how the matrix ends
    "Either party may end this matrix by written notice to the other, taking effect 30 days "
    "after the notice is received.",
    # governing law and jurisdiction
    "This matrix is governed by the law of the country in which Acme Software Ltd has its "
    "registered office, and the courts of that country have exclusive jurisdiction",
    # what a readiness answer of no or unknown means for both sides
    "A readiness answer of “No” or “Unknown” records a risk that both parties know of at "
    "signing; it is not a breach by either party.",
    "within 10 business days of the effective date",
    # escalation without named signatories: no name is made up, none is repeated
    "goes to the persons who sign this matrix for Acme Software Ltd and for Globex LLC, who "
    "meet within 5 business days to settle it.",
)


@pytest.mark.parametrize("kind", ["pdf", "docx"])
def test_an_init_draft_renders_a_frame_that_stands_on_its_own(draft, kind):
    text = squash(draft[1][kind])
    for sentence in FRAME_SENTENCES:
        assert squash(sentence) in text, (kind, sentence)
        assert text.count(squash(sentence)) == 1, (kind, sentence)  # said once
    # no gap: no placeholder left, no promise of details the draft does not give
    assert "{" not in text and "}" not in text
    assert squash("whose details are given below") not in text
    # no repetition of the parties where no signatory is named
    assert "Acme Software Ltd for Acme Software Ltd" not in draft[1][kind]
    assert squash("for Globex LLC for Globex LLC") not in text
    assert squash("the person signing for") not in text


def test_validate_lists_what_an_init_draft_still_needs(run, draft):
    code, found = findings(run, draft[0])
    assert code == 0  # warnings: the draft is usable, and says what is missing
    by_path = {(f["path"], f["code"]) for f in found if f["severity"] == "warning"}
    for side in ("vendor", "customer"):
        assert (f"parties.{side}", "no-details") in by_path
        assert (f"parties.{side}", "no-signatory") in by_path
    named = [f["message"] for f in found if f["code"] == "no-signatory"]
    assert any("Globex LLC" in m and "signatory:" in m for m in named)
    # each at the line of the party it is about
    lines = {f["path"]: f["line"] for f in found if f["code"] == "no-details"}
    spec_lines = draft[0].read_text().splitlines()
    assert spec_lines[lines["parties.customer"] - 1].strip() == "name: Globex LLC"


def test_given_signatories_are_named_once_with_their_titles(run, tmp_path):
    spec = tmp_path / "deal.yaml"
    assert run("init", "--segment", "medium", "--vendor", "Acme Software Ltd", "--customer",
               "Globex LLC", "--vendor-signatory", "Sam Ortiz, VP Customer Success",
               "--customer-signatory", "Lee Chan, COO", "-o", spec).exit_code == 0
    code, found = findings(run, spec)
    assert code == 0 and not [f for f in found if f["code"].startswith("no-signatory")]
    for kind, text in texts(run, spec, tmp_path / "out").items():
        flat = squash(text)
        assert squash("goes to the signatories of this matrix, Sam Ortiz, VP Customer Success "
                      "for Acme Software Ltd, and Lee Chan, COO for Globex LLC") in flat, kind
        # label and value may sit in cells of their own (the DOCX's signature table)
        assert re.search(r"Name:\s*Sam Ortiz", text) and re.search(r"Title:\s*COO", text), kind


def test_init_asks_for_the_signatories_on_a_terminal(tmp_path, monkeypatch):
    from click.testing import CliRunner

    from expectmatrix import cli
    from expectmatrix.checks import check_loaded
    from expectmatrix.cli import drafting
    from expectmatrix.spec.loading import load

    monkeypatch.setattr(drafting, "_can_ask", lambda: True)
    out = tmp_path / "asked.yaml"
    result = CliRunner().invoke(cli.cli, ["init", "--segment", "small", "--vendor", "Acme",
                                          "--customer", "Globex", "-o", str(out)],
                                input="Sam Ortiz, CEO\n\n")
    assert result.exit_code == 0, result.output
    assert "Who signs for Acme" in result.output and "Who signs for Globex" in result.output
    spec = check_loaded(load(out)).spec
    assert spec is not None
    assert spec.parties.vendor.signatory is not None
    assert (spec.parties.vendor.signatory.name, spec.parties.vendor.signatory.title) == (
        "Sam Ortiz", "CEO")
    assert spec.parties.customer.signatory is None  # Enter: left for later, and reported


# --- the frame follows the spec and the organisation -------------------------------------


def test_a_main_agreement_brings_its_own_binding_ending_and_law(run, tmp_path):
    data = copy.deepcopy(BASE)
    data["deal"]["agreement"] = {"title": "Master Subscription Agreement",
                                 "reference": "MSA-7", "date": "2026-05-01"}
    for kind, text in texts(run, write(tmp_path, data), tmp_path / "out").items():
        flat = squash(text)
        for expected in ("take away no right or remedy a party has under that agreement",
                         "This matrix ends at the latest when that agreement ends.",
                         "The governing law and the courts chosen in that agreement apply "
                         "to this matrix."):
            assert squash(expected) in flat, (kind, expected)
        assert squash("registered office") not in flat  # the agreement's law, not a default
        assert flat.count(squash("Master Subscription Agreement (MSA-7)")) == 1  # named once


def test_the_spec_names_the_governing_law_and_chooses_how_the_matrix_binds(run, tmp_path):
    data = copy.deepcopy(BASE)
    data["frame"] = {"law": {"params": {"law": "England and Wales", "courts": "London"}},
                     "binding": {"clause": "binding-intent"},
                     "ending": {"params": {"notice_days": 1}}}
    for kind, text in texts(run, write(tmp_path, data), tmp_path / "out").items():
        flat = squash(text)
        assert squash("This matrix is governed by the law of England and Wales. The courts of "
                      "London have exclusive jurisdiction") in flat, kind
        assert squash("they create no legal obligation") in flat, kind
        assert squash("taking effect 1 day after the notice is received") in flat, kind
    data["frame"] = {"law": {"params": {"law": "England and Wales", "court": "London"}}}
    code, found = findings(run, write(tmp_path, data, "typo.json"))
    assert code == 1
    assert ("frame.law.params.court", "unknown-param") in {(f["path"], f["code"]) for f in found}


def test_the_organisation_chooses_the_frame_clauses_and_a_spec_may_differ(run, tmp_path):
    (tmp_path / "expectmatrix.toml").write_text(
        '[frame.binding]\nclause = "binding-intent"\n'
        '[frame.law]\nclause = "law-named"\n'
        'params = {law = "the Netherlands", courts = "Amsterdam"}\n'
        '[frame.missed]\nparams = {answer_days = 7}\n')
    config = ("--config", str(tmp_path / "expectmatrix.toml"))
    data = copy.deepcopy(BASE)
    for kind, text in texts(run, write(tmp_path, data), tmp_path / "out", *config).items():
        flat = squash(text)
        assert squash("they create no legal obligation") in flat, kind
        assert squash("governed by the law of the Netherlands. The courts of Amsterdam") in flat
        assert squash("answers within 7 business days") in flat, kind
    data["frame"] = {"binding": {"clause": "binding-obligations"}}
    own = texts(run, write(tmp_path, data, "own.json"), tmp_path / "own", *config)
    assert squash("bears its own costs of doing so") in squash(own["pdf"])
    assert squash("they create no legal obligation") not in squash(own["pdf"])
    (tmp_path / "bad.toml").write_text('[frame.binding]\nclause = "binding-nope"\n')
    code, found = findings(run, write(tmp_path, BASE, "plain.json"), "--config",
                           str(tmp_path / "bad.toml"))
    assert code == 1 and any(f["code"] == "unknown-clause" and "binding-nope" in f["message"]
                             for f in found)


def test_the_preamble_promises_details_only_where_they_are_given(run, tmp_path):
    data = copy.deepcopy(BASE)  # both parties have a registration
    given = texts(run, write(tmp_path, data), tmp_path / "given")
    data["parties"]["customer"].pop("registration")
    missing = texts(run, write(tmp_path, data, "missing.json"), tmp_path / "missing")
    for kind in ("pdf", "docx"):
        assert squash("Vendor Co and Customer Co, whose details are given below") in squash(
            given[kind])
        assert "Company no. 07654321" in given[kind]
        assert squash("whose details are given below") not in squash(missing[kind])
        assert squash("agreed between Vendor Co and Customer Co. It states") in squash(
            missing[kind])
    code, found = findings(run, tmp_path / "missing.json")
    assert code == 0
    assert [f["path"] for f in found if f["code"] == "no-details"] == ["parties.customer"]


def test_a_weight_balanced_matrix_says_so_and_not_equal_numbers(run, tmp_path):
    data = copy.deepcopy(BASE)
    data["balance"] = "weight"
    data["expectations"]["of_vendor"].append(
        {"id": "V3", "area": "Setup", "text": "Vendor trains users.", "measure": "Trained"})
    data["expectations"]["of_customer"] = [
        {"id": "C1", "area": "Setup", "text": "Customer names a lead.", "measure": "Named",
         "owner": "Lead", "weight": 3}]
    for kind, text in texts(run, write(tmp_path, data), tmp_path / "out").items():
        flat = squash(text)
        assert squash("It states, with equal total weight on each side, what") in flat, kind
        assert squash("in equal number") not in flat, kind
        assert squash("Customer Co can expect 3 things of Vendor Co, and Vendor Co can expect "
                      "1 thing of Customer Co. Both sides carry the same total weight: 3.") in flat
    data["frame"] = {"preamble": {"text": "The parties agree these expectations in equal "
                                          "number."}}
    code, found = findings(run, write(tmp_path, data, "own.json"))
    assert code == 0
    assert [(f["path"], f["severity"]) for f in found if f["code"] == "balance-wording"] == [
        ("frame.preamble", "warning")]


def test_details_are_printed_as_written(run, tmp_path):
    data = copy.deepcopy(BASE)
    data["expectations"]["of_vendor"][0]["measure"] = "x < y for every shop"
    data["expectations"]["of_vendor"][1]["measure"] = "iOS app published"
    data["expectations"]["of_vendor"][1]["due"] = "weekly until go-live"
    data["expectations"]["of_customer"][0]["owner"] = "eBay seller account lead"
    for kind, text in texts(run, write(tmp_path, data), tmp_path / "out").items():
        for written in ("Measure: x < y for every shop", "Measure: iOS app published",
                        "Due: weekly until go-live", "Owner: eBay seller account lead"):
            assert written in text, (kind, written)
        for recased in ("X < y", "IOS app", "Weekly until", "EBay"):
            assert recased not in text, (kind, recased)


def test_open_readiness_answers_are_explained_and_settled_ones_are_not(run, tmp_path):
    data = copy.deepcopy(BASE)
    data["readiness"] = [{"question": "Is there an administrator?", "answer": "no"}]
    data["frame"] = {"readiness": {"params": {"settle_days": 1}}}
    for kind, text in texts(run, write(tmp_path, data), tmp_path / "open").items():
        flat = squash(text)
        meaning = squash("A readiness answer of “No” or “Unknown” records a risk")
        assert meaning in flat, kind
        assert squash("within 1 business day of the effective date") in flat, kind
        if kind == "pdf":  # printed beside the answers: after them, before the remedies
            assert flat.index(squash("Is there an administrator?")) < flat.index(meaning) < \
                flat.index(squash("When an expectation is missed"))
    data["readiness"][0]["answer"] = "yes"
    settled = texts(run, write(tmp_path, data, "settled.json"), tmp_path / "settled")
    for kind, text in settled.items():
        assert squash("records a risk") not in squash(text), kind


def test_batch_and_verify_use_the_organisations_frame_too(run, tmp_path):
    (tmp_path / "expectmatrix.toml").write_text('[frame.binding]\nclause = "binding-intent"\n')
    config = ("--config", str(tmp_path / "expectmatrix.toml"))
    spec = write(tmp_path, BASE)
    out = tmp_path / "out"
    batch = run(*config, "batch", spec, "-o", out, "-f", "pdf", "--jobs", "1")
    assert batch.exit_code == 0, batch.stderr
    pdf = out / "T-1-v1.pdf"
    assert squash("they create no legal obligation") in squash(pdf_text(pdf.read_bytes())[0])
    assert run(*config, "verify", pdf, spec).exit_code == 0
