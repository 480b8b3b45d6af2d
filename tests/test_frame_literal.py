"""Frame texts, addresses and terms are printed as written: never read as markup, template
code or placeholders."""

from __future__ import annotations

import copy
import json
import re
import zipfile

from builders import spec_file
from conftest import BASE, SAMPLES

# Documents made in this process (--timeout 0): what is checked is the document, not
# the worker process that makes it with a time limit.
HERE = ("--timeout", "0")

MARKUP = '<b>{{ 7 * 7 }}</b> {vendor} </span><script>x()</script> \\ "q" ; }'


def test_frame_texts_addresses_and_terms_are_printed_literally(run, tmp_path):
    from conftest import docx_text, pdf_text

    data = copy.deepcopy(BASE)
    data["deal"]["term"] = MARKUP
    data["deal"]["agreement"] = {"title": MARKUP, "reference": "{{ x }}"}
    data["parties"]["vendor"]["address"] = MARKUP + "\nLine two"
    data["parties"]["customer"]["registration"] = MARKUP
    data["frame"] = {"missed": {"text": MARKUP}}
    spec = tmp_path / "deal.json"
    spec.write_text(json.dumps(data))
    out = tmp_path / "out"
    result = run("render", *HERE, spec, "-o", out, "-f", "pdf", "-f", "docx", "-f", "html")
    assert result.exit_code == 0, result.stderr
    html = (out / "T-1-v1.html").read_text()
    assert "<script>" not in html and "<b>" not in html and "&lt;b&gt;{{ 7 * 7 }}" in html
    [missed] = re.findall(r'class="frame frame-missed">(.*?)</p>', html, re.S)
    assert "{vendor}" in missed and "Vendor Co" not in missed
    for text in (pdf_text((out / "T-1-v1.pdf").read_bytes())[0],
                 docx_text((out / "T-1-v1.docx").read_bytes())[0]):
        flat = "".join(text.split())
        assert "<b>{{7*7}}</b>" in flat and "49" not in re.sub(r"[0-9a-f]{64}", "", flat)
        # {vendor} in the spec's own wording stays as written: only the library's
        # clauses are filled in with the parties' names.
        assert "{vendor}" in flat


def test_a_frame_parameter_value_is_never_read_as_a_placeholder_of_the_spec(tmp_path):
    from expectmatrix.checks import check_loaded
    from expectmatrix.spec.loading import load

    data = copy.deepcopy(BASE)
    data["frame"] = {"missed": {"clause": "missed-expectation",
                                "params": {"answer_days": "{customer}"}}}
    spec = tmp_path / "deal.json"
    spec.write_text(json.dumps(data))
    loaded = check_loaded(load(spec))
    assert loaded.spec is None  # answer_days is a whole number: text is refused
    assert any(f.code == "param-type" and f.path == ("frame", "missed", "params", "answer_days")
               for f in loaded.findings)


def test_bidi_controls_in_the_new_fields_are_refused(run, tmp_path):
    data = copy.deepcopy(BASE)
    data["parties"]["vendor"]["address"] = "Hafenstrasse \u20684\u2069"
    data["frame"] = {"term": {"text": "For \u202e21 months"}}
    spec = tmp_path / "deal.json"
    spec.write_text(json.dumps(data))
    result = run("validate", spec, "--json")
    codes = {(f["path"], f["code"]) for f in json.loads(result.stdout)[0]["findings"]}
    assert result.exit_code == 1
    assert ("parties.vendor.address", "bidi-control") in codes
    assert ("frame.term.text", "bidi-control") in codes


def test_a_hostile_company_frame_file_is_read_as_data(run, tmp_path):
    lib = tmp_path / "frame.yaml"
    lib.write_text('frame:\n  - id: own-missed\n    part: missed\n    text:\n'
                   '      en: "Raise it {{ 7 * 7 }} <script>x()</script> within {days} days."\n'
                   '    params: {days: {type: integer, default: 3}}\n'
                   'a: &a ["x","x","x","x","x","x","x","x","x"]\n'
                   'b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\n')
    (tmp_path / "expectmatrix.toml").write_text('[library]\nclauses = ["frame.yaml"]\n')
    spec = spec_file(tmp_path)
    bad = run("--config", tmp_path / "expectmatrix.toml", "validate", spec)
    assert bad.exit_code == 1 and "frame.yaml" in bad.stderr  # unknown keys a and b, located
    lib.write_text(lib.read_text().split("a: &a")[0])
    data = json.loads(spec.read_text())
    data["frame"] = {"missed": {"clause": "own-missed"}}
    spec.write_text(json.dumps(data))
    out = tmp_path / "out"
    ok = run("--config", tmp_path / "expectmatrix.toml", "render", *HERE, spec, "-o", out,
             "-f", "html")
    assert ok.exit_code == 0, ok.stderr
    html = next(out.glob("*.html")).read_text()
    assert "Raise it {{ 7 * 7 }} &lt;script&gt;x()&lt;/script&gt; within 3 days." in html


def test_a_pdf_of_thousands_of_pages_is_refused_before_its_text_is_read(run, tmp_path):
    from pypdf import PdfWriter

    writer = PdfWriter()
    for _ in range(2001):
        writer.add_blank_page(10, 10)
    writer.write(tmp_path / "many.pdf")
    result = run("verify", *HERE, tmp_path / "many.pdf", SAMPLES / "minimal.yaml")
    assert result.exit_code == 1 and "2001 pages" in result.stderr


def test_redlines_keep_hostile_text_as_text(run, tmp_path):
    """Private-use characters are the PDF redline's own marks: a spec's cannot open a
    <del> or <ins>; an author's name cannot break the DOCX's XML."""
    from conftest import pdf_text

    old = SAMPLES / "minimal.yaml"
    text = old.read_text(encoding="utf-8")
    assert "Enable the reporting module for ten named users." in text
    new = tmp_path / "new.yaml"
    new.write_text(text.replace("Enable the reporting module for ten named users.",
                                "Enable \ue000the\ue001 module \ue002<b>now</b>\ue003."),
                   encoding="utf-8")
    out = tmp_path / "r.pdf"
    assert run("diff", *HERE, old, new, "-f", "pdf", "-o", out).exit_code == 0
    # the summary (which quotes the changed words) and the agreement share the first page
    agreement = pdf_text(out.read_bytes())[0]
    assert agreement.count("<b>now</b>") >= 2
    from expectmatrix.render.view import build_view
    from expectmatrix.review.compare import read_for_compare
    from expectmatrix.review.merged import merged_view

    merged = merged_view(build_view(read_for_compare(old)), build_view(read_for_compare(new)))
    [cell] = [r.vendor for a in merged.areas for r in a.rows if r.vendor and r.vendor.id == "V1"]
    # the spec's own mark characters are gone; the marks left are the merge's
    assert "\ue000the\ue001" not in cell.text and cell.text.startswith("Enable the ")
    assert re.search("\ue002[^\ue003]*<b>now</b>[^\ue003]*\ue003", cell.text)  # inserted
    docx = tmp_path / "r.docx"
    result = run("diff", *HERE, old, new, "-f", "docx", "-o", docx, "--author", '"><w:t>x</w:t>&')
    assert result.exit_code == 0
    import docx as python_docx

    with zipfile.ZipFile(docx) as z:
        body = z.read("word/document.xml").decode()
    assert 'w:author="&quot;&gt;&lt;w:t&gt;x&lt;/w:t&gt;&amp;"' in body
    python_docx.Document(str(docx))  # well-formed
