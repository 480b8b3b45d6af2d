"""PAdES signatures (pyHanko): sign a rendered PDF with an organisation's PKCS#12
certificate, and check a signed PDF against a trusted root.

The visible signature goes where the template asks for one: above the signature line of
the signing party's block on the signature page, found by its label in the document's
language. A signature proves who signed and that nothing changed since; ``verify``
still checks the document against its spec.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from expectmatrix.review.documents import DocumentError, read_bytes
from expectmatrix.spec.findings import ExpectmatrixError
from expectmatrix.spec.inputs import InputError
from expectmatrix.spec.inputs import read_bytes as read_file

MAX_P12_BYTES = 1_000_000
MAX_PEM_BYTES = 1_000_000
MAX_PDF_BYTES = 100_000_000
FIELD = "expectmatrix-signature-{side}"  # one field per party: both may sign
PASSPHRASE_VARIABLE = "EXPECTMATRIX_P12_PASSPHRASE"


class SigningError(ExpectmatrixError):
    """The PDF, the certificate or its passphrase cannot be used to sign."""


def _read(path: str | Path, limit: int, what: str) -> bytes:
    try:
        return read_file(path, limit, what)
    except InputError as e:
        raise SigningError(str(e)) from None


def _signature_box(pdf: bytes, side: str) -> tuple[int, tuple[int, int, int, int]] | None:
    """Page index and box above the signing party's signature line: the label under the
    line ("Signature", in the document's language) of the left block for the vendor, the
    right block for the customer (mirrored in a right-to-left document)."""
    import json

    from pypdf import PdfReader

    from expectmatrix.spec.i18n import labels_for

    embedded = read_bytes(pdf, Path("document.pdf"))
    language = "en"
    if embedded.spec_json:
        language = str(json.loads(embedded.spec_json).get("deal", {}).get("language", "en"))
    labels = labels_for(language)
    label = str(labels["signature"])
    words = label.split()
    reader = PdfReader(io.BytesIO(pdf))
    for index in range(len(reader.pages) - 1, -1, -1):
        page = reader.pages[index]
        found: list[tuple[float, float]] = []

        def visit(text: str, cm: Any, tm: Any, font: Any, size: Any,
                  found: list[tuple[float, float]] = found) -> None:
            # Both blocks' labels stand on one line: read back as one run or two.
            parts = text.split()
            if parts and len(parts) % len(words) == 0 and parts == words * (
                    len(parts) // len(words)):
                found.append((tm[4] * cm[0] + cm[4], tm[5] * cm[3] + cm[5]))

        page.extract_text(visitor_text=visit)
        if found:
            x, y = min(found)
            width = float(page.mediabox.width)
            column = (width - 2 * x) / 2  # the blocks share the text width, half each
            rtl = labels.get("direction") == "rtl"
            left = (side == "vendor") != rtl
            start = x if left else x + column
            return index, (int(start), int(y + 12), int(start + column - 24), int(y + 48))
    return None


def sign(pdf_path: str | Path, out: str | Path, p12: str | Path, passphrase: bytes | None,
         side: str = "vendor") -> str:
    """Sign ``pdf_path`` into ``out`` (written whole or not at all); returns the signer's
    name as the certificate gives it."""
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields, signers
    from pyhanko.stamp import TextStampStyle

    from expectmatrix.render.output import write_atomic

    data = _read(pdf_path, MAX_PDF_BYTES, "PDF")
    if not data.startswith(b"%PDF"):
        raise SigningError(f"{pdf_path}: not a PDF")
    try:
        read_bytes(data, Path(pdf_path))
    except DocumentError as e:
        raise SigningError(str(e)) from None
    key = _read(p12, MAX_P12_BYTES, "PKCS#12 certificate")
    try:
        signer = signers.SimpleSigner.load_pkcs12_data(key, other_certs=(),
                                                        passphrase=passphrase)
    except (ValueError, TypeError) as e:
        raise SigningError(f"{p12}: cannot open the certificate: {e} (a wrong passphrase "
                           f"in {PASSPHRASE_VARIABLE}?)") from None
    if signer is None:  # pyHanko logs and returns None for a wrong passphrase
        raise SigningError(f"{p12}: cannot open the certificate; is the passphrase in "
                           f"{PASSPHRASE_VARIABLE} right?")
    name = _person(signer.signing_cert)
    where = _signature_box(data, side)
    field_name = FIELD.format(side=side)
    spec = (fields.SigFieldSpec(field_name, on_page=where[0], box=where[1]) if where
            else fields.SigFieldSpec(field_name))
    try:
        writer = IncrementalPdfFileWriter(io.BytesIO(data), strict=False)
        meta = signers.PdfSignatureMetadata(
            field_name=field_name, md_algorithm="sha256",
            subfilter=fields.SigSeedSubFilter.PADES)
        pdf_signer = signers.PdfSigner(
            meta, signer, new_field_spec=spec,
            stamp_style=TextStampStyle(stamp_text="Signed by %(signer)s\n%(ts)s",
                                       border_width=0))
        signed = pdf_signer.sign_pdf(writer).getvalue()
    except Exception as e:  # pyHanko raises many kinds for a PDF it cannot update
        raise SigningError(f"{pdf_path}: cannot be signed: {e}") from None
    write_atomic(Path(out), signed)
    return name


def _person(cert: Any) -> str:
    """The certificate's common name (who signed), else its whole subject."""
    subject = cert.subject
    return str(subject.native.get("common_name") or subject.human_friendly)


@dataclass
class SignatureReport:
    signer: str | None  # who signed; "A, B" when both parties did
    ok: bool
    detail: str


def check_signature(pdf: bytes, root: str | Path) -> SignatureReport:
    """The PDF's signatures against the trusted root: each valid and trusted; the last
    covering the whole file (nothing changed or added after it), earlier ones followed
    only by signing (a second party's signature)."""
    from pyhanko.keys import load_cert_from_pemder
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.diff_analysis import ModificationLevel
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko.sign.validation.status import SignatureCoverageLevel
    from pyhanko_certvalidator import ValidationContext

    _read(root, MAX_PEM_BYTES, "trusted root certificate")
    try:
        trusted = load_cert_from_pemder(str(root))  # type: ignore[no-untyped-call]
    except Exception as e:  # a file that is not a certificate
        raise SigningError(f"{root}: not a PEM or DER certificate: {e}") from None
    try:
        signatures = PdfFileReader(io.BytesIO(pdf), strict=False).embedded_signatures
    except Exception as e:  # a damaged file: pyHanko raises many kinds
        return SignatureReport(None, False, f"the signature cannot be read: {e}")
    if not signatures:
        return SignatureReport(None, False, "the PDF is not signed")
    signers: list[str] = []
    for i, embedded in enumerate(signatures):
        try:
            status = validate_pdf_signature(embedded, ValidationContext(trust_roots=[trusted]))
        except Exception as e:
            return SignatureReport(None, False, f"a signature cannot be validated: {e}")
        who = _person(status.signing_cert) if status.signing_cert else "an unknown signer"
        signers.append(who)
        named = ", ".join(signers)
        if not status.intact or not status.valid:
            return SignatureReport(named, False, f"what {who} signed was changed after signing")
        if not status.trusted:
            return SignatureReport(named, False, f"the certificate of {who} does not chain "
                                   f"to {root}")
        last = i == len(signatures) - 1
        if last and status.coverage != SignatureCoverageLevel.ENTIRE_FILE:
            return SignatureReport(named, False, "the file was changed or added to after "
                                   "the last signature")
        level = status.modification_level
        if not last and level is not None and level > ModificationLevel.FORM_FILLING:
            return SignatureReport(named, False, f"the file was changed after {who} signed, "
                                   "by more than another signature")
    return SignatureReport(", ".join(signers), True, "")
