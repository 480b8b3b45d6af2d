"""PAdES signatures (pyHanko): sign a rendered PDF with an organisation's PKCS#12
certificate, and check a signed PDF against a trusted root.

The visible signature goes where the template asks for one: above the signature line of
the signing party's block on the signature page, found by its label in the document's
language. A signature proves who signed and that nothing changed since; ``verify``
still checks the document against its spec.

Only what may be signed is: the counterparty edition of an approved spec, with a
certificate issued to the block's signatory or to its party.
"""

from __future__ import annotations

import io
import json
import logging
import unicodedata
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.utils import CryptographyDeprecationWarning

from expectmatrix.errors import DocumentError, InputError, RefusedError, SigningError
from expectmatrix.review.documents import Embedded, read_bytes
from expectmatrix.spec.inputs import read_bytes as read_file

MAX_P12_BYTES = 1_000_000
MAX_PEM_BYTES = 1_000_000
MAX_PDF_BYTES = 100_000_000
FIELD = "expectmatrix-signature-{side}"  # one field per party: both may sign
PASSPHRASE_VARIABLE = "EXPECTMATRIX_P12_PASSPHRASE"


# pyHanko imports cryptography's DSA names, which cryptography marks deprecated: a notice
# for pyHanko's authors, not for whoever signs. Only that category, only from pyHanko.
warnings.filterwarnings("ignore", category=CryptographyDeprecationWarning,
                        module=r"pyhanko(_certvalidator)?(\.|$)")
# pyHanko logs each failed check with its traceback; the reports below say it plainly.
for _logger in ("pyhanko", "pyhanko_certvalidator"):
    logging.getLogger(_logger).setLevel(logging.ERROR + 10)






def _read(path: str | Path, limit: int, what: str) -> bytes:
    try:
        return read_file(path, limit, what)
    except InputError as e:
        raise SigningError(str(e)) from None


def _signature_box(pdf: bytes, side: str,
                   labels: dict[str, Any]) -> tuple[int, tuple[int, int, int, int]] | None:
    """Page index and box above the signing party's signature line: the label under the
    line ("Signature", in the document's language) of the left block for the vendor, the
    right block for the customer (mirrored in a right-to-left document)."""
    from pypdf import PdfReader

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


def _spec_of(embedded: Embedded,
             path: str | Path) -> tuple[dict[str, Any], dict[str, Any]]:
    """The embedded spec's parties and the document's labels, refused unless the document
    may be signed: the counterparty edition (the one sent and signed) of an approved spec,
    as it was written (its spec is the one the metadata states, its pages carry no DRAFT
    or INTERNAL mark)."""
    from expectmatrix.language.labels import labels_for
    from expectmatrix.spec.canonical import fingerprint_of

    if embedded.spec_json is None:
        raise RefusedError(f"{path}: carries no expectmatrix spec, so it was not made by "
                           "expectmatrix (or its spec was removed); only a document "
                           "expectmatrix rendered can be signed")
    try:
        spec = json.loads(embedded.spec_json)
        deal, parties = spec["deal"], spec["parties"]
        language = str(deal.get("language", "en"))
    except (ValueError, KeyError, TypeError, AttributeError):
        raise RefusedError(f"{path}: its embedded spec is damaged; render the document "
                           "again") from None
    audience = embedded.options.get("audience")
    if embedded.fingerprint != fingerprint_of(embedded.spec_json):
        raise RefusedError(f"{path}: its embedded spec is not the one its metadata states: "
                           "it was changed after it was rendered; render it again")
    labels = labels_for(language)
    if audience != "counterparty" or _marked(embedded, str(labels["internal"])):
        raise RefusedError(f"{path}: this is the INTERNAL edition, for your own review (it "
                           "may show notes, margin and approvals); only the counterparty "
                           "edition is signed: render it with --audience counterparty")
    status = deal.get("status", "draft")
    if status != "approved" or _marked(embedded, str(labels["draft"])):
        raise RefusedError(f"{path}: the document is marked DRAFT (its spec's status is "
                           f"{status!r}); only an approved deal is signed: set deal.status "
                           "to approved (with its approvals) and render it again")
    if not isinstance(parties, dict):
        raise RefusedError(f"{path}: its embedded spec is damaged; render the document again")
    return parties, labels


def _marked(embedded: Embedded, label: str) -> bool:
    """Whether every page carries ``label`` (DRAFT, INTERNAL in the document's language)
    as a word of its own, as the running header prints it."""
    import re

    word = re.compile(rf"(?<!\w){re.escape(label)}(?!\w)")
    return bool(label) and bool(embedded.footers) and all(
        word.search(page) for page in embedded.footers)


def _plain(text: str) -> str:
    """A name as compared: Unicode-normalised, case-folded, whitespace collapsed."""
    folded = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", text).casefold())
    return " ".join(folded.split())


def _names(cert: Any, key: str) -> list[str]:
    value = cert.subject.native.get(key)
    values = value if isinstance(value, list) else [value] if value else []
    return [str(v) for v in values]


def _block(parties: dict[str, Any], side: str) -> tuple[str, str]:
    """The block's signatory (empty when the spec names none) and party."""
    party = parties.get(side)
    party = party if isinstance(party, dict) else {}
    signatory = party.get("signatory")
    signatory = signatory if isinstance(signatory, dict) else {}
    return str(signatory.get("name") or ""), str(party.get("name") or "")


def _names_block(cert: Any, parties: dict[str, Any], side: str) -> bool:
    wanted = {_plain(n) for n in _block(parties, side) if n.strip()}
    held = {_plain(n) for key in ("common_name", "organization_name")
            for n in _names(cert, key)}
    return bool(wanted & held)


def _check_signer(cert: Any, parties: dict[str, Any], side: str) -> None:
    """Refuse a certificate that names neither the block's signatory nor its party."""
    if _names_block(cert, parties, side):
        return
    common, organisation = _names(cert, "common_name"), _names(cert, "organization_name")
    org = f"O={', '.join(organisation)}" if organisation else ""
    who = (f"'{common[0]}'" + (f" ({org})" if org else "") if common
           else org or str(cert.subject.human_friendly))
    signatory, party = _block(parties, side)
    block = f"signed by {signatory} for {party}" if signatory else f"for {party}"
    other = "customer" if side == "vendor" else "vendor"
    hint = (f"; it names the {other}'s signatory or party: sign with --side {other}?"
            if _names_block(cert, parties, other) else
            f"; sign it with a certificate issued to {signatory or party}"
            + (f" or to {party}" if signatory else ""))
    raise RefusedError(f"the certificate is for {who}; the {side} block is {block}{hint}")


def _is_pkcs12(data: bytes) -> bool:
    """Whether ``data`` is a PKCS#12 package, whatever its passphrase: a DER sequence
    that starts with version 3 and a PKCS#7 content type (RFC 7292, PFX)."""
    head = data[:32]
    return (head[:1] == b"\x30" and b"\x02\x01\x03\x30" in head[:10]
            and b"\x06\x09\x2a\x86\x48\x86\xf7\x0d\x01\x07" in head)


def sign(pdf_path: str | Path, out: str | Path, p12: str | Path, passphrase: bytes | None,
         side: str = "vendor") -> str:
    """Sign ``pdf_path`` into ``out`` (written whole or not at all); returns the signer's
    name as the certificate gives it. Refuses (RefusedError, nothing written) a document
    that may not be signed and a certificate that is not the block's signatory's."""
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields, signers
    from pyhanko.stamp import TextStampStyle

    from expectmatrix.writing import write_atomic

    data = _read(pdf_path, MAX_PDF_BYTES, "PDF")
    if not data.startswith(b"%PDF"):
        raise SigningError(f"{pdf_path}: not a PDF")
    try:
        embedded = read_bytes(data, Path(pdf_path))
    except DocumentError as e:
        raise SigningError(str(e)) from None
    parties, labels = _spec_of(embedded, pdf_path)
    key = _read(p12, MAX_P12_BYTES, "PKCS#12 certificate")
    try:
        signer = signers.SimpleSigner.load_pkcs12_data(key, other_certs=(),
                                                        passphrase=passphrase)
    except (ValueError, TypeError):
        signer = None
    if signer is None:  # pyHanko returns None (or raises) for a wrong passphrase
        raise SigningError(f"{p12}: " + (
            "not a PKCS#12 certificate (.p12 or .pfx)" if not _is_pkcs12(key) else
            "the certificate is protected by a passphrase and none was given; set it in "
            f"{PASSPHRASE_VARIABLE}, or run sign on a terminal to be asked for it"
            if passphrase is None else
            "the passphrase given does not open the certificate; check it"))
    _check_signer(signer.signing_cert, parties, side)
    name = _person(signer.signing_cert)
    where = _signature_box(data, side, labels)
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
class SignatureCheck:
    kind: str  # signature (is there one to check) | integrity | chain
    ok: bool
    detail: str = ""


@dataclass
class SignatureReport:
    signer: str | None  # who signed; "A, B" when both parties did
    checks: list[SignatureCheck] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return bool(self.checks) and all(c.ok for c in self.checks)


def _untrusted(who: str, status: Any, root_name: str, root: str | Path) -> str:
    """Why the signer's certificate does not lead to the root, in words."""
    from pyhanko.sign.ades.report import AdESIndeterminate as Why

    reason = {
        Why.NO_CERTIFICATE_CHAIN_FOUND: f"it was not issued under '{root_name}', the "
                                        "root given",
        Why.OUT_OF_BOUNDS_NO_POE: "it had expired, or was not yet valid, when checked",
        Why.EXPIRED: "it had expired when checked",
        Why.NOT_YET_VALID: "it was not yet valid when checked",
        Why.REVOKED_NO_POE: "it was revoked",
        Why.REVOKED_CA_NO_POE: "a certificate it was issued under was revoked",
    }.get(status.trust_problem_indic, "its certificate chain is not valid for signing "
                                      f"({status.trust_problem_indic or 'no path found'})")
    return f"the certificate of {who} does not chain to {root}: {reason}"


def check_signature(pdf: bytes, root: str | Path) -> SignatureReport:
    """The PDF's signatures against the trusted root, as two checks: integrity (each
    signature intact, the last covering the whole file, earlier ones followed only by
    signing, as a second party's signature is) and chain (each signer's certificate
    leads to the root). An unsigned or unreadable PDF fails a single "signature" check."""
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
        return SignatureReport(None, [SignatureCheck(
            "signature", False, f"the signature cannot be read: {e}")])
    if not signatures:
        return SignatureReport(None, [SignatureCheck("signature", False,
                                                     "the PDF is not signed")])
    signers: list[str] = []
    changed = untrusted = ""
    root_name = _person(trusted)
    for i, embedded in enumerate(signatures):
        try:
            status = validate_pdf_signature(embedded, ValidationContext(trust_roots=[trusted]))
        except Exception as e:
            return SignatureReport(", ".join(signers) or None, [SignatureCheck(
                "signature", False, f"a signature cannot be validated: {e}")])
        who = _person(status.signing_cert) if status.signing_cert else "an unknown signer"
        signers.append(who)
        last = i == len(signatures) - 1
        level = status.modification_level
        if changed:
            pass
        elif not status.intact or not status.valid:
            changed = f"what {who} signed was changed after signing"
        elif last and status.coverage != SignatureCoverageLevel.ENTIRE_FILE:
            changed = "the file was changed or added to after the last signature"
        elif not last and level is not None and level > ModificationLevel.FORM_FILLING:
            changed = f"the file was changed after {who} signed, by more than another signature"
        if not untrusted and (status.trust_problem_indic is not None
                              or status.validation_path is None):
            untrusted = _untrusted(who, status, root_name, root)
    return SignatureReport(", ".join(signers), [SignatureCheck("integrity", not changed, changed),
                                                SignatureCheck("chain", not untrusted, untrusted)])
