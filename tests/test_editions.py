"""Agreement-grade documents: the two editions, the frame, the signature page, wording and
languages, each checked by reading the produced PDF and DOCX back."""

from __future__ import annotations

import copy
import io
import json
import re
import zipfile
from typing import Any

import pytest
from conftest import BASE, SAMPLES, docx_text, pdf_text

from expectmatrix.checks import check_loaded
from expectmatrix.render.pipeline import RenderOptions, render_file
from expectmatrix.spec.loading import load

SAMPLE_NAMES = sorted(p.stem for p in SAMPLES.glob("*.yaml"))


def squash(text: str) -> str:
    return re.sub(r"[\s\u2066-\u2069\u200e\u200f]+", "", text)


class _Editions(dict):  # type: ignore[type-arg]
    """{sample: {audience: {fmt: bytes}}}, each sample's rendered when first read."""

    def __init__(self, cache: Any) -> None:
        super().__init__()
        self.cache = cache

    def __missing__(self, name: str) -> dict[str, dict[str, bytes]]:
        self[name] = {audience: self.cache.documents(SAMPLES / f"{name}.yaml", audience=audience)
                      for audience in ("counterparty", "internal")}
        return self[name]  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
def editions(render_cache) -> dict[str, dict[str, dict[str, bytes]]]:
    """{sample: {audience: {fmt: bytes}}} for every sample, both editions."""
    return _Editions(render_cache)


def _internal_texts(name: str) -> list[str]:
    """Texts of the spec that only the internal edition may show, and that the rest of
    the spec does not also show (a readiness note may repeat a contact's name)."""
    spec = check_loaded(load(SAMPLES / f"{name}.yaml")).spec
    assert spec is not None
    texts = [spec.deal.notes or ""] + [r.note or "" for r in spec.readiness]
    texts += [f"{a.role}" for a in spec.approvals]
    if spec.deal.margin:
        texts.append(f"{spec.deal.margin.amount:,}")
    shown = json.dumps(spec.model_dump(mode="json", exclude={"approvals", "readiness"}))
    return [t for t in texts if len(t) > 3 and t not in shown]


def _read_all(data: bytes, kind: str) -> tuple[str, str]:
    """What a reader of the file can get at: the visible text with the metadata, and what
    it carries embedded."""
    if kind == "pdf":
        text, reader = pdf_text(data)
        carried = [b.decode() for blobs in reader.attachments.values() for b in blobs]
        meta = json.dumps({str(k): str(v) for k, v in reader.metadata.items()})
        return text + meta, "\n".join(carried)
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        parts = {n: z.read(n).decode("utf-8", "replace") for n in z.namelist()
                 if n.endswith(".xml") and "styles" not in n and "theme" not in n}
    carried = [v for n, v in parts.items() if n.startswith("customXml/item")]
    shown = [v for n, v in parts.items() if not n.startswith("customXml/item")]
    return "\n".join([docx_text(data)[0], *shown]), "\n".join(carried)


@pytest.mark.parametrize("name", SAMPLE_NAMES)
def test_no_internal_field_reaches_the_counterparty_edition(editions, name):
    secrets = _internal_texts(name)
    for kind in ("pdf", "docx"):
        sent, carried = _read_all(editions[name]["counterparty"][kind], kind)
        review, _ = _read_all(editions[name]["internal"][kind], kind)
        for secret in secrets:
            assert secret not in sent, (kind, secret)
            assert squash(secret) in squash(review), (kind, secret)
        for secret in secrets:
            assert json.dumps(secret)[1:-1] not in carried, (kind, secret)
        visible = pdf_text(editions[name]["counterparty"]["pdf"])[0] if kind == "pdf" else \
            docx_text(editions[name]["counterparty"]["docx"])[0]
        for label in ("Customer segment", "Balanced by", "†", "non-standard", "Approvals",
                      "INTERNAL"):
            assert label not in visible, (kind, label)


@pytest.mark.parametrize("name", SAMPLE_NAMES)
def test_the_internal_edition_says_so_on_every_page(editions, name):
    text, reader = pdf_text(editions[name]["internal"]["pdf"])
    assert all("INTERNAL" in (page.extract_text() or "") for page in reader.pages)
    with zipfile.ZipFile(io.BytesIO(editions[name]["internal"]["docx"])) as z:
        headers = [z.read(n).decode() for n in z.namelist() if n.startswith("word/header")]
    assert any("INTERNAL" in h for h in headers)
    assert "Customer segment" in text


def test_the_internal_edition_has_its_own_file_names(run, tmp_path):
    result = run("render", SAMPLES / "minimal.yaml", "-o", tmp_path, "--audience", "internal")
    assert result.exit_code == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["MIN-1-v1-internal.docx",
                                                         "MIN-1-v1-internal.pdf"]
    batch = run("batch", SAMPLES / "minimal.yaml", "-o", tmp_path / "b", "--audience",
                "internal", "-f", "pdf", "--json")
    assert batch.exit_code == 0
    assert (tmp_path / "b" / "MIN-1-v1-internal.pdf").is_file()


def test_an_organisation_chooses_what_is_internal(run, tmp_path, write_spec, spec_data):
    spec_data["deal"]["notes"] = "Kick-off on site"
    path = write_spec(spec_data)
    (tmp_path / "expectmatrix.toml").write_text('[audience]\ninternal = ["approvals"]\n')
    result = run("--config", tmp_path / "expectmatrix.toml", "render", path, "-o",
                 tmp_path / "out", "-f", "pdf")
    assert result.exit_code == 0, result.stderr
    text, _ = pdf_text((tmp_path / "out" / "T-1-v1.pdf").read_bytes())
    assert "Kick-off on site" in text and "Customer segment" in text
    (tmp_path / "bad.toml").write_text('[audience]\ninternal = ["deal.secrets"]\n')
    bad = run("--config", tmp_path / "bad.toml", "validate", path)
    assert bad.exit_code == 1 and "deal.secrets" in bad.stderr + bad.stdout


def test_the_frame_names_parties_agreement_term_and_remedies(editions):
    for kind in ("pdf", "docx"):
        data = editions["large-hospital"]["counterparty"][kind]
        text = squash(pdf_text(data)[0] if kind == "pdf" else docx_text(data)[0])
        for expected in (
                "This expectations matrix is agreed between Chronos Health Systems Inc. and "
                "St Mary's Health Network",
                "forms part of the Master Subscription Agreement (MSA-2026-0417) dated "
                "15 October 2026", "that agreement prevails",
                "Term: 36 months from the effective date",
                "200 Clarendon Street", "Delaware file number 4417720",
                "When an expectation is missed", "acknowledges it within 2 business days",
                "Andrea Rossi, Chief Customer Officer for Chronos Health Systems Inc."):
            assert squash(expected) in text, (kind, expected)


def test_a_spec_chooses_or_words_frame_clauses(run, write_spec, spec_data, tmp_path):
    spec_data["frame"] = {"missed": {"clause": "missed-expectation",
                                     "params": {"answer_days": 5}},
                          "term": {"text": "This matrix applies for the pilot only."}}
    path = write_spec(spec_data)
    out = tmp_path / "out"
    assert run("render", path, "-o", out, "-f", "pdf", "--audience", "internal").exit_code == 0
    text = squash(pdf_text((out / "T-1-v1-internal.pdf").read_bytes())[0])
    assert squash("answers within 5 business days") in text
    assert squash("† This matrix applies for the pilot only.") in text
    spec_data["frame"] = {"missed": {"clause": "escalation"},
                          "precedence": {"clause": "precedence"},
                          "escalation": {"clause": "escalation", "params": {"meet_day": 3}}}
    bad = run("validate", write_spec(spec_data, "bad.yaml"), "--json")
    codes = {(f["path"], f["code"]) for f in json.loads(bad.stdout)[0]["findings"]}
    assert bad.exit_code == 1
    assert ("frame.missed.clause", "unknown-clause") in codes
    assert ("frame.precedence.clause", "frame") in codes  # needs deal.agreement
    assert ("frame.escalation.params.meet_day", "unknown-param") in codes


def test_the_signature_page_holds(editions):
    _, reader = pdf_text(editions["large-hospital"]["counterparty"]["pdf"])
    [page] = [p.extract_text() for p in reader.pages if "Signature page of" in p.extract_text()]
    for expected in ("For Chronos Health Systems Inc.", "For St Mary's Health Network",
                     "1 Infirmary Way", "Name:", "Title:", "Date:", "Andrea Rossi",
                     "Helen Park"):
        assert expected in page
    assert "Enterprise scheduling platform" in page  # the caption names the deal


def _lines_at(pdf: bytes, word: str) -> list[float]:
    """The vertical positions at which ``word`` starts a text run in the PDF."""
    from pypdf import PdfReader

    found: list[float] = []
    for page in PdfReader(io.BytesIO(pdf)).pages:
        def visit(text, cm, tm, font, size, found=found):
            if text.strip().startswith(word):
                found.append(round(tm[5] * cm[3] + cm[5], 1))
        page.extract_text(visitor_text=visit)
    return found


def test_signature_blocks_stay_level_when_a_name_wraps(tmp_path, write_spec, spec_data):
    spec_data["parties"]["vendor"]["name"] = ("Vendor Company With A Very Long Legal Name "
                                              "Holdings International Limited")
    path = write_spec(spec_data)
    result = render_file(path, tmp_path, RenderOptions(("pdf",)))
    pdf = result.outputs[0].read_bytes()
    for label in ("Name:", "Title:", "Date:"):
        rows = _lines_at(pdf, label)
        assert len(rows) == 2 and rows[0] == rows[1], (label, rows)


def test_wording_plurals_dates_and_details(run, write_spec, spec_data, tmp_path):
    data = copy.deepcopy(BASE)
    data["expectations"]["of_vendor"] = data["expectations"]["of_vendor"][:1]
    data["expectations"]["of_customer"] = data["expectations"]["of_customer"][:1]
    data["expectations"]["of_vendor"][0]["due"] = "weekly until go-live"
    data["deal"]["status"] = "approved"
    data["approvals"] = [{"name": "Lee Chan", "side": "customer", "role": "COO",
                          "date": "2026-11-20"}]
    path = write_spec(data)
    out = tmp_path / "out"
    assert run("render", path, "-o", out, "--audience", "internal").exit_code == 0
    for kind in ("pdf", "docx"):
        raw = (out / f"T-1-v1-internal.{kind}").read_bytes()
        text = pdf_text(raw)[0] if kind == "pdf" else docx_text(raw)[0]
        assert "can expect 1 thing of" in text and "1 things" not in text
        assert "20 November 2026" in text and "2026-11-20" not in text
        assert "Due: weekly until go-live" in text  # printed as written
        assert "marks a non-standard" not in text  # approved: no marks, so no legend


def test_docx_has_a_watermark_honest_metadata_and_stays_byte_identical(editions, tmp_path):
    draft = editions["small-bakery"]["counterparty"]["docx"]
    with zipfile.ZipFile(io.BytesIO(draft)) as z:
        names = z.namelist()
        headers = "".join(z.read(n).decode() for n in names if n.startswith("word/header"))
        app = z.read("docProps/app.xml").decode()
        core = z.read("docProps/core.xml").decode()
    assert "PowerPlusWaterMarkObject" in headers and 'string="DRAFT"' in headers
    assert not any("thumbnail" in n for n in names)
    assert "<Application>expectmatrix " in app and "Microsoft" not in app
    assert "<Pages>" not in app and "<Words>" not in app
    assert "Point-of-sale and inventory rollout" in core
    # Its own base document: real styles, the tables' own style, nothing stale.
    with zipfile.ZipFile(io.BytesIO(draft)) as z:
        styles = z.read("word/styles.xml").decode()
        document = z.read("word/document.xml").decode()
        assert not any("stylesWithEffects" in n for n in z.namelist())
        # the embedded fonts aside (the PDF's font, so both paginate alike), a small package
        rest = sum(i.compress_size for i in z.infolist() if not i.filename.startswith("word/fonts/"))
    for style in ('w:styleId="Title"', 'w:styleId="Heading1"', 'w:styleId="MatrixTable"'):
        assert style in styles
    assert "latentStyles" not in styles and 'w:styleId="LightShading"' not in styles
    assert document.count('<w:tblStyle w:val="MatrixTable"/>') >= 4
    assert rest < 60_000 and len(draft) < 300_000
    approved = editions["large-hospital"]["counterparty"]["docx"]
    with zipfile.ZipFile(io.BytesIO(approved)) as z:
        assert "PowerPlusWaterMarkObject" not in "".join(
            z.read(n).decode() for n in z.namelist() if n.startswith("word/header"))
    again = render_file(SAMPLES / "small-bakery.yaml", tmp_path, RenderOptions(("docx",)))
    assert again.outputs[0].read_bytes() == draft


def _docx_sequence(data: bytes) -> str:
    """The DOCX body's text in document order, tables row by row."""
    import docx
    from docx.oxml.ns import qn

    body = docx.Document(io.BytesIO(data)).element.body
    return "".join(t.text or "" for t in body.iter(qn("w:t")))


@pytest.mark.parametrize("name", ["large-hospital", "small-bakery"])
def test_pdf_and_docx_carry_the_same_content_in_the_same_order(editions, name):
    from expectmatrix.render.view import build_view

    loaded = check_loaded(load(SAMPLES / f"{name}.yaml"))
    assert loaded.spec is not None
    view = build_view(loaded.spec, frame=loaded.frame)
    labels = view.labels
    milestones = [view.title, *(f.text for f in view.preamble), view.vendor.name,
                  view.summary, str(labels["matrix"]),
                  *(c.text for a in view.areas for r in a.rows for c in (r.vendor, r.customer)
                    if c), str(labels["readiness"]), *(r.question for r in view.readiness),
                  str(labels["missed_heading"]), *(f.text for f in view.remedies),
                  view.signature_caption]
    pdf = squash(pdf_text(editions[name]["counterparty"]["pdf"])[0])
    docx = squash(_docx_sequence(editions[name]["counterparty"]["docx"]))
    for text in (pdf, docx):
        positions = []
        start = 0
        for milestone in milestones:
            at = text.find(squash(milestone), start)
            assert at >= 0, milestone
            positions.append(at)
            start = at
        assert positions == sorted(positions)


def test_languages_use_cldr_and_the_translated_library(run, tmp_path):
    out = tmp_path / "out"
    spec = (SAMPLES / "playbook-small.yaml").read_text().replace(
        "  id: ", "  language: de\n  id: ", 1)
    path = tmp_path / "de.yaml"
    path.write_text(spec)
    assert run("render", path, "-o", out, "-f", "pdf").exit_code == 0
    pdf = next(out.glob("*.pdf")).read_bytes()
    text = squash(pdf_text(pdf)[0])
    assert squash("Zu dieser Matrix") in text and squash("IMPLEMENTIERUNG") in text
    assert squash("eine konfigurierte Testumgebung bereitstellen") in text
    assert "Deliveraconfiguredsandbox" not in text
    # A language with labels from a template folder but no clause text: warned, by clause.
    italian = spec.replace("language: de", "language: it")
    (tmp_path / "it.yaml").write_text(italian)
    result = run("validate", tmp_path / "it.yaml", "--json")
    codes = [f for f in json.loads(result.stdout)[0]["findings"] if f["code"] == "clause-language"]
    assert result.exit_code == 0 and codes
    assert any("sandbox-delivery" in f["message"] for f in codes)
    assert any("frame clause 'preamble" in f["message"] for f in codes)  # or preamble-names


def test_right_to_left_documents_isolate_left_to_right_text(tmp_path, write_spec, spec_data):
    spec_data["deal"]["language"] = "ar"
    spec_data["expectations"]["of_vendor"][0]["text"] = "Deliver within 10 business days."
    path = write_spec(spec_data)
    result = render_file(path, tmp_path, RenderOptions(("docx", "html")))
    html = (tmp_path / "T-1-v1.html").read_text()
    # WeasyPrint ignores FSI/PDI: the page carries a left-to-right span instead
    assert '<span class="ltr">Deliver within 10 business days.</span>' in html
    assert "\u2068" not in html
    with zipfile.ZipFile(tmp_path / "T-1-v1.docx") as z:
        assert "\u2068Deliver within 10 business days.\u2069" in z.read(
            "word/document.xml").decode()
    assert result.ok


def test_the_internal_list_is_the_contracts():
    from expectmatrix.spec.terms import INTERNAL_FIELDS

    contract = {"readiness.note", "deal.segment", "deal.notes", "deal.margin", "deal.nps",
                "nonstandard", "approvals"}
    assert contract <= set(INTERNAL_FIELDS)
