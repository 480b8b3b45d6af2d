"""`sign` signs only what may be signed (the counterparty edition of an approved spec,
with the certificate of the block's signatory or party) and writes nothing otherwise;
`verify --trust` names the check that failed, in plain words, without a library's
traceback or warnings."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import BASE, ROOT, SAMPLES
from test_signing import approved_spec, ca_for

HOSPITAL = SAMPLES / "large-hospital.yaml"  # approved; customer: Helen Park for St Mary's


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory, render_cache: Any) -> dict[str, Path]:
    """The hospital deal's two editions, a draft deal's PDF, and certificates under one
    root for: the vendor's signatory, a stranger, a colleague of the customer's
    organisation, and the customer's signatory written in full-width capitals."""
    folder = tmp_path_factory.mktemp("sign-checks")
    draft = folder / "draft.json"
    draft.write_text(json.dumps(BASE), encoding="utf-8")
    for source, audience in ((HOSPITAL, "counterparty"), (HOSPITAL, "internal"),
                             (draft, "counterparty")):
        render_cache.files(source, folder, ("pdf",), audience)
    root, p12s = ca_for(folder, "t", [("Andrea Rossi", None), ("Mallory Doe", "Evil Ltd"),
                                      ("Priya Nair", "st mary's   HEALTH network"),
                                      ("ＨＥＬＥＮ  PARK", None)])
    other_root, _ = ca_for(folder, "other", [])
    return {"counterparty": folder / "SMH-2027-002-v4.pdf",
            "internal": folder / "SMH-2027-002-v4-internal.pdf",
            "draft": folder / "T-1-v1.pdf", "root": root, "other-root": other_root,
            **dict(zip(("vendor", "mallory", "colleague", "helen"), p12s, strict=True))}


@pytest.fixture(autouse=True)
def passphrase(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EXPECTMATRIX_P12_PASSPHRASE", "secret")


def _refused(result: Any, out: Path) -> str:
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output and "error: " in result.stderr
    assert not out.exists()
    return str(result.stderr)


def test_the_internal_edition_is_refused(run, made, tmp_path):
    out = tmp_path / "out.pdf"
    message = _refused(run("sign", made["internal"], "-o", out, "--p12", made["vendor"]), out)
    assert "INTERNAL edition" in message and "--audience counterparty" in message


def test_an_internal_edition_that_claims_to_be_the_counterparty_one_is_refused(run, made,
                                                                                tmp_path):
    from pypdf import PdfReader, PdfWriter

    reader = PdfReader(made["internal"])
    options = str(reader.metadata["/expectmatrixoptions"])
    assert "audience=internal" in options
    writer = PdfWriter(clone_from=reader)
    writer.add_metadata({"/expectmatrixoptions": options.replace("audience=internal",
                                                                 "audience=counterparty")})
    forged = tmp_path / "forged.pdf"
    with forged.open("wb") as f:
        writer.write(f)
    out = tmp_path / "out.pdf"
    message = _refused(run("sign", forged, "-o", out, "--p12", made["vendor"]), out)
    assert "INTERNAL edition" in message


def test_a_draft_is_refused(run, made, tmp_path):
    out = tmp_path / "out.pdf"
    message = _refused(run("sign", made["draft"], "-o", out, "--p12", made["vendor"]), out)
    assert "marked DRAFT" in message and "'draft'" in message and "approved" in message


def test_a_draft_whose_embedded_spec_was_edited_to_approved_is_refused(run, made, tmp_path):
    from pypdf import PdfWriter

    writer = PdfWriter(clone_from=made["draft"])
    [attached] = [f for f in writer.attachment_list if f.name == "expectmatrix-spec.json"]
    spec = json.loads(attached.content)
    spec["deal"]["status"] = "approved"
    attached.content = json.dumps(spec).encode("utf-8")
    forged = tmp_path / "forged.pdf"
    with forged.open("wb") as f:
        writer.write(f)
    out = tmp_path / "out.pdf"
    message = _refused(run("sign", forged, "-o", out, "--p12", made["vendor"]), out)
    assert "changed after it was rendered" in message


def test_a_document_under_review_is_refused(run, made, tmp_path, render_cache):
    render_cache.files(SAMPLES / "small-bakery.yaml", tmp_path, ("pdf",))
    out = tmp_path / "out.pdf"
    message = _refused(run("sign", tmp_path / "HBK-2026-007-v2.pdf", "-o", out, "--p12",
                           made["vendor"]), out)
    assert "marked DRAFT" in message and "'review'" in message


def test_another_persons_certificate_on_the_customer_block_is_refused_naming_both(
        run, made, tmp_path):
    out = tmp_path / "out.pdf"
    message = _refused(run("sign", made["counterparty"], "-o", out, "--p12", made["mallory"],
                           "--side", "customer"), out)
    assert ("the certificate is for 'Mallory Doe' (O=Evil Ltd); the customer block is "
            "signed by Helen Park for St Mary's Health Network") in message


def test_the_vendors_signatory_on_the_customer_block_is_refused(run, made, tmp_path):
    out = tmp_path / "out.pdf"
    message = _refused(run("sign", made["counterparty"], "-o", out, "--p12", made["vendor"],
                           "--side", "customer"), out)
    assert "'Andrea Rossi'" in message and "Helen Park" in message
    assert "--side vendor" in message


@pytest.mark.parametrize("who", ["colleague", "helen"])
def test_a_certificate_naming_the_party_or_signatory_in_other_case_and_width_is_accepted(
        run, made, tmp_path, who):
    from pypdf import PdfReader

    out = tmp_path / "out.pdf"
    result = run("sign", made["counterparty"], "-o", out, "--p12", made[who],
                 "--side", "customer")
    assert result.exit_code == 0, result.output
    fields = PdfReader(out).get_fields() or {}
    assert fields["expectmatrix-signature-customer"].get("/V") is not None
    # The same certificate names nobody of the vendor's block: the match is the block's.
    elsewhere = tmp_path / "elsewhere.pdf"
    _refused(run("sign", made["counterparty"], "-o", elsewhere, "--p12", made[who]), elsewhere)


def test_a_pdf_expectmatrix_did_not_write_is_refused(run, made, tmp_path):
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(612, 792)
    foreign = tmp_path / "foreign.pdf"
    with foreign.open("wb") as f:
        writer.write(f)
    out = tmp_path / "out.pdf"
    message = _refused(run("sign", foreign, "-o", out, "--p12", made["vendor"]), out)
    assert "not made by expectmatrix" in message


def _expectmatrix(*args: str | Path) -> subprocess.CompletedProcess[str]:
    """The command as a person runs it: its own process, so warnings and log records
    reach stderr as they would on a terminal."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ["PYTHONPATH"]]),
           "PYTHONWARNINGS": "default", "EXPECTMATRIX_P12_PASSPHRASE": "secret"}
    return subprocess.run([sys.executable, "-m", "expectmatrix", *map(str, args)],
                          capture_output=True, text=True, env=env, stdin=subprocess.DEVNULL,
                          timeout=300, check=False)


@pytest.fixture(scope="module")
def signed(made: dict[str, Path], tmp_path_factory: pytest.TempPathFactory, render_cache: Any
           ) -> tuple[subprocess.CompletedProcess[str], bytes, Path]:
    """A short approved deal signed by the vendor's signatory, as a person runs `sign`
    (its own process): the run, the signed PDF, and the deal's spec."""
    folder = tmp_path_factory.mktemp("signed")
    spec = approved_spec(folder)
    unsigned = render_cache.files(spec, folder, ("pdf",))["pdf"]
    result = _expectmatrix("sign", unsigned, "-o", folder / "signed.pdf", "--p12",
                           made["vendor"])
    assert result.returncode == 0, result.stderr
    return result, (folder / "signed.pdf").read_bytes(), spec


def test_verify_with_a_wrong_root_says_the_chain_failed_and_the_spec_matched(run, made, signed,
                                                                             tmp_path):
    out = tmp_path / "signed.pdf"
    out.write_bytes(signed[1])
    result = _expectmatrix("verify", out, "--trust", made["other-root"])
    output = result.stdout + result.stderr
    assert result.returncode == 1
    assert "Traceback" not in output and "Warning" not in output
    assert "FAIL chain: the certificate of Andrea Rossi" in result.stderr
    assert "not issued under 'other root'" in result.stderr
    assert "ok   integrity" in result.stdout
    assert "does NOT match" not in output
    assert "matches spec" in result.stdout and ", but the chain check failed" in result.stdout
    # the report's data, as --json gives it (what it says on a terminal is checked above)
    data = json.loads(run("verify", out, signed[2], "--trust", made["other-root"],
                          "--json").stdout)
    assert data["failed"] == ["chain"] and not data["ok"]
    assert all(c["ok"] for c in data["checks"] if c["kind"] == "spec")


def test_sign_and_verify_print_no_dependency_warning(made, signed, tmp_path):
    out = tmp_path / "signed.pdf"
    out.write_bytes(signed[1])
    signing = signed[0]
    verified = _expectmatrix("verify", out, "--trust", made["root"])
    assert signing.returncode == 0 and verified.returncode == 0, signing.stderr + verified.stderr
    for result in (signing, verified):
        assert "Warning" not in result.stderr and "Traceback" not in result.stderr
    assert "signed by Andrea Rossi" in signing.stdout
    assert "ok   chain" in verified.stdout
