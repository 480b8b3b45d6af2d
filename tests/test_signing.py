"""`sign` and `verify --trust`: a test CA made here (no private key lives in the
repository), signed PDFs checked, and every change after signing caught."""

from __future__ import annotations

import copy
import datetime as dt
import json
from pathlib import Path

import pytest
from conftest import BASE


def _ca(folder: Path, name: str) -> tuple[Path, Path]:
    """A root certificate (PEM) and a signer's PKCS#12 (passphrase 'secret') under it."""
    root, [p12] = ca_for(folder, name, [("Andrea Rossi", None)])
    return root, p12


def ca_for(folder: Path, name: str,
           people: list[tuple[str | None, str | None]]) -> tuple[Path, list[Path]]:
    """A root certificate (PEM) and a PKCS#12 (passphrase 'secret') under it for each
    (common name, organisation) given; None leaves the name out (organisation: the CA's)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.hazmat.primitives.serialization import pkcs12
    from cryptography.x509.oid import NameOID

    def subject(cn: str | None, org: str | None = None) -> x509.Name:
        return x509.Name([*([x509.NameAttribute(NameOID.COMMON_NAME, cn)] if cn else []),
                          x509.NameAttribute(NameOID.ORGANIZATION_NAME,
                                             org or "Test CA of " + name)])

    now = dt.datetime.now(dt.UTC)
    usage = dict(key_encipherment=False, data_encipherment=False, key_agreement=False,
                 encipher_only=False, decipher_only=False)
    root_key = ec.generate_private_key(ec.SECP256R1())
    root = (x509.CertificateBuilder().subject_name(subject(f"{name} root"))
            .issuer_name(subject(f"{name} root")).public_key(root_key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(1))
            .not_valid_after(now + dt.timedelta(30))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True,
                                         crl_sign=True, content_commitment=False, **usage),
                           critical=True)
            .sign(root_key, hashes.SHA256()))
    pem = folder / f"{name}-root.pem"
    pem.write_bytes(root.public_bytes(serialization.Encoding.PEM))
    found = []
    for i, (cn, org) in enumerate(people):
        key = ec.generate_private_key(ec.SECP256R1())
        cert = (x509.CertificateBuilder().subject_name(subject(cn, org))
                .issuer_name(root.subject).public_key(key.public_key())
                .serial_number(x509.random_serial_number())
                .not_valid_before(now - dt.timedelta(1)).not_valid_after(now + dt.timedelta(30))
                .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=False,
                                             crl_sign=False, content_commitment=True, **usage),
                               critical=True)
                .sign(root_key, hashes.SHA256()))
        p12 = folder / f"{name}-signer{i or ''}.p12"
        p12.write_bytes(pkcs12.serialize_key_and_certificates(
            b"signer", key, cert, [root], serialization.BestAvailableEncryption(b"secret")))
        found.append(p12)
    return pem, found


def approved_spec(folder: Path) -> Path:
    """A short approved deal (what may be signed), Andrea Rossi signing for the vendor
    and Helen Park for the customer: its documents are T-1-v1.*."""
    data = copy.deepcopy(BASE)
    data["deal"]["status"] = "approved"
    data["parties"]["vendor"]["signatory"] = {"name": "Andrea Rossi", "title": "CEO"}
    data["parties"]["customer"]["signatory"] = {"name": "Helen Park", "title": "COO"}
    data["approvals"] = [{"name": "Lee Chan", "side": "vendor", "role": "Deal desk",
                          "date": "2026-11-20"}]
    path = folder / "approved.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def approved(tmp_path_factory) -> Path:
    return approved_spec(tmp_path_factory.mktemp("approved"))


@pytest.fixture(scope="module")
def signed_once(tmp_path_factory, render_cache, approved) -> dict[str, bytes]:
    """The approved deal's PDF, signed once for the module: {file name: bytes}."""
    from click.testing import CliRunner

    from expectmatrix.cli import cli

    folder = tmp_path_factory.mktemp("signed")
    root, p12 = _ca(folder, "acme")
    unsigned = render_cache.files(approved, folder, ("pdf",))["pdf"]
    assert unsigned.name == "T-1-v1.pdf"
    result = CliRunner().invoke(cli, ["sign", str(unsigned), "-o", str(folder / "signed.pdf"),
                                      "--p12", str(p12)],
                                env={"EXPECTMATRIX_P12_PASSPHRASE": "secret"})
    assert result.exit_code == 0, result.stderr
    assert "signed by Andrea Rossi" in result.stdout
    return {p.name: p.read_bytes() for p in (root, p12, unsigned, folder / "signed.pdf")}


@pytest.fixture
def signed(signed_once, tmp_path, monkeypatch) -> tuple[Path, Path, Path]:
    """(signed PDF, its root certificate, the signer's PKCS#12), fresh copies in tmp_path,
    beside the unsigned PDF."""
    for name, data in signed_once.items():
        (tmp_path / name).write_bytes(data)
    monkeypatch.setenv("EXPECTMATRIX_P12_PASSPHRASE", "secret")
    return tmp_path / "signed.pdf", tmp_path / "acme-root.pem", tmp_path / "acme-signer.p12"


def test_a_signed_pdf_verifies_against_its_root_and_its_spec(run, signed, approved):
    out, root, _ = signed
    result = run("verify", out, approved, "--trust", root, "--json")
    data = json.loads(result.stdout)
    assert result.exit_code == 0 and data["ok"] and data["signer"] == "Andrea Rossi"
    assert all(c["ok"] for c in data["checks"]) and data["failed"] == []
    assert [c["kind"] for c in data["checks"]] == ["spec"] * 4 + ["integrity", "chain"]


def test_the_signers_name_is_on_the_signature_page(signed):
    from pypdf import PdfReader

    out, _, _ = signed
    reader = PdfReader(out)
    last = reader.pages[-1]
    [widget] = [a.get_object() for a in last["/Annots"]
                if a.get_object().get("/FT") == "/Sig"]
    appearance = widget["/AP"]["/N"].get_object().get_data()
    assert b"Andrea Rossi" in appearance
    x1, y1, x2, y2 = (float(v) for v in widget["/Rect"])
    assert x1 >= 0
    # Above the vendor's signature line: the left half of the page, in its lower part.
    assert x2 <= float(last.mediabox.width) / 2 + 1 and 0 < y1 < y2


def test_one_byte_changed_after_signing_fails(run, signed, tmp_path):
    out, root, _ = signed
    data = bytearray(out.read_bytes())
    at = data.index(b"/Producer")
    data[at + 12] ^= 0x01
    changed = tmp_path / "changed.pdf"
    changed.write_bytes(bytes(data))
    result = run("verify", changed, "--trust", root)
    assert result.exit_code == 1 and "FAIL integrity" in result.stderr
    assert "ok   chain" in result.stdout


def test_anything_added_after_signing_fails(run, signed, tmp_path):
    from pypdf import PdfWriter

    out, root, _ = signed
    writer = PdfWriter(str(out), incremental=True)
    writer.add_metadata({"/Title": "Another title"})
    added = tmp_path / "added.pdf"
    with added.open("wb") as f:
        writer.write(f)
    result = run("verify", added, "--trust", root)
    assert result.exit_code == 1 and "after" in result.stderr


def test_both_parties_may_sign(run, signed, tmp_path):
    root, [vendor, customer] = ca_for(tmp_path, "both", [("Andrea Rossi", None),
                                                           ("Helen Park", None)])
    once, both = tmp_path / "once.pdf", tmp_path / "both.pdf"
    unsigned = tmp_path / "T-1-v1.pdf"
    assert run("sign", unsigned, "-o", once, "--p12", vendor).exit_code == 0
    assert run("sign", once, "-o", both, "--p12", customer, "--side", "customer").exit_code == 0
    result = run("verify", both, "--trust", root, "--json")
    assert result.exit_code == 0 and json.loads(result.stdout)["signer"] == (
        "Andrea Rossi, Helen Park")


def test_another_root_an_unsigned_pdf_and_bad_certificates_fail(run, signed, tmp_path,
                                                                monkeypatch):
    out, _, p12 = signed
    other_root, _ = _ca(tmp_path, "other")
    result = run("verify", out, "--trust", other_root)
    assert result.exit_code == 1 and "does not chain" in result.stderr
    unsigned = tmp_path / "T-1-v1.pdf"
    result = run("verify", unsigned, "--trust", other_root)
    assert result.exit_code == 1 and "not signed" in result.stderr
    monkeypatch.setenv("EXPECTMATRIX_P12_PASSPHRASE", "wrong")
    result = run("sign", unsigned, "-o", tmp_path / "x.pdf", "--p12", p12)
    assert result.exit_code == 1 and "passphrase" in result.stderr
    assert not (tmp_path / "x.pdf").exists()
    fake = tmp_path / "fake.p12"
    fake.write_bytes(b"not a certificate")
    result = run("sign", unsigned, "-o", tmp_path / "x.pdf", "--p12", fake)
    assert result.exit_code == 1 and "Traceback" not in result.stderr
    not_pem = tmp_path / "root.pem"
    not_pem.write_text("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n")
    result = run("verify", out, "--trust", not_pem)
    assert result.exit_code == 1 and "certificate" in result.stderr


def test_no_private_key_ships_in_the_repository():
    root = Path(__file__).resolve().parent.parent
    for path in root.rglob("*"):
        if ".venv" in path.parts or ".git" in path.parts or not path.is_file():
            continue
        if path.suffix.lower() in (".p12", ".pfx", ".key"):
            pytest.fail(f"{path} looks like a private key")
        if path.suffix.lower() in (".pem", ".txt", ".yaml", ".py") and path.stat().st_size < 1e6:
            assert "PRIVATE" + " KEY-----" not in path.read_text(errors="replace"), path
