"""Company templates, branding, letterheads, languages, and hostile templates refused."""

from __future__ import annotations

import copy
import io
import json
import re
import zipfile

import pytest
from conftest import BASE, SAMPLES, docx_text, pdf_text


def _png() -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (40, 20), "#c00000").save(buffer, "PNG")
    return buffer.getvalue()


PNG = _png()
# Documents made in this process: what these tests check is the page, not the worker
# (test_a_template_that_never_ends_is_stopped and the batch one keep theirs).
HERE = ("--timeout", "0")


def spec_file(tmp_path, **changes):
    data = copy.deepcopy(BASE)
    for key, value in changes.items():
        data[key] = value if not isinstance(value, dict) else {**data.get(key, {}), **value}
    path = tmp_path / "deal.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def test_templates_are_listed_and_copied(run, tmp_path):
    listed = run("templates").stdout
    for block in ("header", "cover", "matrix", "signatures", "footer"):
        assert block in listed
    result = run("templates", "copy", tmp_path / "mine")
    assert result.exit_code == 0
    assert (tmp_path / "mine" / "matrix.html").read_text() == \
        (SAMPLES.parent / "templates" / "matrix.html").read_text()
    assert (tmp_path / "mine" / "fonts" / "OFL.txt").exists()
    assert run("templates", "copy", tmp_path / "mine").exit_code == 1  # no silent overwrite


def test_a_template_folder_extends_the_builtin_and_overrides_blocks(run, tmp_path):
    folder = tmp_path / "tpl"
    folder.mkdir()
    (folder / "matrix.html").write_text(
        '{% extends "builtin/matrix.html" %}\n'
        '{% block header %}<h1>Acme Letterhead: {{ view.title }}</h1>{% endblock %}\n')
    out = tmp_path / "out"
    result = run("render", *HERE, spec_file(tmp_path), "-o", out, "-f", "pdf", "--template-dir", folder)
    assert result.exit_code == 0, result.stderr
    text, _ = pdf_text((out / "T-1-v1.pdf").read_bytes())
    assert "Acme Letterhead: Test deal" in text and "Vendor sets things up." in text


def test_template_folder_from_settings(run, tmp_path, monkeypatch):
    (tmp_path / "tpl").mkdir()
    (tmp_path / "tpl" / "matrix.html").write_text(
        '{% extends "builtin/matrix.html" %}{% block cover %}<p>COVER FROM SETTINGS</p>'
        '{% endblock %}')
    (tmp_path / "expectmatrix.toml").write_text('[templates]\ndirs = ["tpl"]\n')
    monkeypatch.chdir(tmp_path)
    assert run("render", *HERE, spec_file(tmp_path), "-o", "out", "-f", "html").exit_code == 0
    assert "COVER FROM SETTINGS" in (tmp_path / "out" / "T-1-v1.html").read_text()


HOSTILE = {
    "syntax": ("matrix.html", '{% extends "builtin/matrix.html" %}\n\n{% block header %}{% if %}'
               "{% endblock %}", r"matrix\.html:3: template syntax error"),
    "unknown block": ("matrix.html", '{% extends "builtin/matrix.html" %}\n{% block headr %}x'
                      "{% endblock %}", r"matrix\.html:2: unknown block 'headr'; did you mean "
                      "'header'"),
    "misspelt variable": ("matrix.html", '{% extends "builtin/matrix.html" %}\n'
                          "{% block header %}\n{{ view.titel }}{% endblock %}",
                          r"matrix\.html:3: .*titel"),
    "sandbox escape": ("matrix.html", '{% extends "builtin/matrix.html" %}{% block header %}'
                       "{{ ''.__class__.__mro__ }}{% endblock %}", "sandbox"),
    "img src": ("matrix.html", '{% extends "builtin/matrix.html" %}{% block header %}'
                '<img src="file:///etc/passwd">{% endblock %}', "refused to fetch"),
    "img relative": ("matrix.html", '{% extends "builtin/matrix.html" %}{% block header %}'
                     '<img src="../../../../../../etc/passwd">{% endblock %}', "refused to fetch"),
    "css url": ("matrix.css", 'html { background: url("file:///etc/passwd") }',
                "refused to fetch"),
    "css import": ("matrix.css", '@import url("https://example.com/x.css");', "refused to fetch"),
    "link attachment": ("matrix.html", '{% extends "builtin/matrix.html" %}{% block header %}'
                        '<link rel="attachment" href="/etc/passwd">{% endblock %}',
                        "refused to fetch"),
    "remote stylesheet": ("matrix.html", '{% extends "builtin/matrix.html" %}{% block header %}'
                          '<link rel="stylesheet" href="http://127.0.0.1:9/x.css">'
                          "{% endblock %}", "refused to fetch"),
}


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_hostile_templates_are_refused_and_nothing_is_written(run, tmp_path, case):
    name, text, expected = HOSTILE[case]
    folder = tmp_path / "tpl"
    folder.mkdir()
    (folder / name).write_text(text)
    out = tmp_path / "out"
    result = run("render", *HERE, spec_file(tmp_path), "-o", out, "--template-dir", folder)
    assert result.exit_code == 1, result.stdout
    assert re.search(expected, result.stderr), result.stderr
    assert "root:" not in result.stderr
    assert not out.exists() or not any(out.iterdir())


def test_a_template_that_never_ends_is_stopped(run, tmp_path):
    folder = tmp_path / "tpl"
    folder.mkdir()
    (folder / "matrix.html").write_text(
        '{% extends "builtin/matrix.html" %}{% block header %}{% for a in range(100000) %}'
        "{% for b in range(100000) %}{% endfor %}{% endfor %}{% endblock %}")
    result = run("render", spec_file(tmp_path), "-o", tmp_path / "out", "--template-dir", folder,
                 "--timeout", "1")
    assert result.exit_code == 1 and "longer than 1 s" in result.stderr
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


def test_branding_in_pdf_and_docx(run, tmp_path):
    (tmp_path / "logo.png").write_bytes(PNG)
    path = spec_file(tmp_path, branding={"logo": "logo.png", "primary_color": "#123456",
                                         "accent_color": "#abcdef", "paper": "Letter",
                                         "margins": "25mm"})
    out = tmp_path / "out"
    result = run("render", *HERE, path, "-o", out, "-f", "pdf", "-f", "docx", "-f", "html")
    assert result.exit_code == 0, result.stderr
    _, reader = pdf_text((out / "T-1-v1.pdf").read_bytes())
    page = reader.pages[0]
    assert [round(float(x)) for x in page.mediabox[2:]] == [612, 792]
    images = [x for x in page["/Resources"]["/XObject"].values()
              if x.get_object()["/Subtype"] == "/Image"]
    assert images  # the logo is drawn
    drawn = page.get_contents().get_data().decode("latin-1")
    r, g, b = (int("123456"[i:i + 2], 16) / 255 for i in (0, 2, 4))
    colours = re.findall(r"([\d.]+) ([\d.]+) ([\d.]+) (?:rg|RG)", drawn)
    assert any(abs(float(x) - r) < 0.01 and abs(float(y) - g) < 0.01 and abs(float(z) - b) < 0.01
               for x, y, z in colours), "the primary colour is painted"
    html = (out / "T-1-v1.html").read_text()
    assert "--primary: #123456" in html and "--accent: #abcdef" in html
    _, document = docx_text((out / "T-1-v1.docx").read_bytes())
    assert round(document.sections[0].left_margin.mm) == 25
    with zipfile.ZipFile(out / "T-1-v1.docx") as z:
        names = z.namelist()
        styles = z.read("word/styles.xml").decode()
        header_rels = [z.read(n).decode() for n in names if re.match(r"word/_rels/header\d", n)]
    assert any(n.startswith("word/media/") for n in names)
    assert any("image" in r for r in header_rels)
    assert "123456" in styles and "ABCDEF" in styles.upper()


@pytest.mark.parametrize(("content", "words"), [
    (None, "does not exist"),
    (b"just text", "not a PNG, JPEG or SVG"),
    (b'<svg xmlns="http://www.w3.org/2000/svg"><image href="file:///etc/passwd"/></svg>',
     "refers to something outside itself"),
    (b'<svg xmlns="http://www.w3.org/2000/svg"><style>@import url(http://x/y.css);</style></svg>',
     "refers to something outside itself"),
])
def test_bad_logos_are_located_errors(run, tmp_path, content, words):
    if content is not None:
        (tmp_path / "logo.svg").write_bytes(content)
    path = spec_file(tmp_path, branding={"logo": "logo.svg"})
    result = run("render", *HERE, path, "-o", tmp_path / "out")
    assert result.exit_code == 1 and words in result.stderr
    assert f"{path}:1:" in result.stderr and "branding.logo" in result.stderr
    assert not (tmp_path / "out").exists()


def test_clean_svg_logo_in_the_pdf_with_a_warning_for_word(run, tmp_path):
    (tmp_path / "logo.svg").write_text('<svg xmlns="http://www.w3.org/2000/svg" width="40" '
                                       'height="20"><rect width="40" height="20" fill="#c00"/></svg>')
    result = run("render", *HERE, spec_file(tmp_path, branding={"logo": "logo.svg"}), "-o",
                 tmp_path / "out")
    assert result.exit_code == 0 and "PDF only" in result.stderr


def _data_urls(html: str, kind: str) -> list[bytes]:
    import base64

    return [base64.b64decode(m) for m in re.findall(rf"data:{kind};base64,([A-Za-z0-9+/=]+)", html)]


def test_a_standalone_page_carries_its_fonts_and_logo(run, tmp_path):
    import weasyprint
    from fontTools.ttLib import TTFont
    from weasyprint.urls import URLFetcher

    (tmp_path / "logo.png").write_bytes(PNG)
    brand = tmp_path / "brand.ttf"
    brand.write_bytes((SAMPLES.parent / "templates" / "fonts" / "NotoSans-Bold.ttf").read_bytes())
    path = spec_file(tmp_path, branding={"logo": "logo.png", "font": "brand.ttf"},
                     deal={"term": "Kick-off in Zürich"})
    out = tmp_path / "out"
    assert run("render", *HERE, path, "-o", out, "-f", "html").exit_code == 0
    html = (out / "T-1-v1.html").read_text()
    assert "file:" not in html and str(tmp_path) not in html  # no machine paths
    assert _data_urls(html, "image/png") == [PNG]
    fonts = [TTFont(io.BytesIO(data)) for data in _data_urls(html, "font/woff2")]
    assert len(fonts) == 8  # the bundled faces and the spec's own
    latin = fonts[0].getBestCmap()
    assert {ord("ü"), ord("Ü"), ord("K")} <= set(latin)  # the text's letters, both cases
    assert ord("Ω") not in latin  # in the bundled font, not in this document

    # Moved anywhere, the page is laid out with its own fonts and nothing from disk.
    moved = tmp_path / "elsewhere" / "page.html"
    moved.parent.mkdir()
    moved.write_text(html)

    data_only = URLFetcher(allowed_protocols={"data"}, fail_on_errors=True)
    pdf = weasyprint.HTML(filename=str(moved), url_fetcher=data_only).write_pdf()
    text, reader = pdf_text(pdf)
    assert "Kick-off in Zürich" in text and "Vendor sets things up." in text
    used = {str(font["/BaseFont"]) for page in reader.pages
            for font in page["/Resources"]["/Font"].values()
            for font in [font.get_object()]}
    # Only the page's own families: no font of this machine stood in for a missing one.
    assert used and all(re.fullmatch(r"/[A-Z]{6}\+(Matrix-Sans|Spec-Font)[-A-Za-z]*", name)
                        for name in used), used


def test_templates_name_the_logo_and_never_get_its_path(run, tmp_path):
    (tmp_path / "logo.png").write_bytes(PNG)
    folder = tmp_path / "tpl"
    folder.mkdir()
    out = tmp_path / "out"
    page = folder / "matrix.html"
    # A template copied from an earlier version passes view.look.logo.path to asset():
    # it is now the logo's name, so the page still carries the logo.
    page.write_text('{% extends "builtin/matrix.html" %}{% block header %}'
                    '<img src="{{ asset(view.look.logo.path) }}"><h1>{{ view.title }}</h1>'
                    '{% endblock %}')
    result = run("render", *HERE, spec_file(tmp_path, branding={"logo": "logo.png"}), "-o", out,
                 "-f", "html", "--template-dir", folder)
    assert result.exit_code == 0, result.stderr
    html = (out / "T-1-v1.html").read_text()
    assert "file:" not in html and _data_urls(html, "image/png") == [PNG]
    assert str(tmp_path) not in html
    # What was a path is a name: nothing of pathlib reaches the template.
    page.write_text('{% extends "builtin/matrix.html" %}{% block header %}'
                    '<img src="{{ view.look.logo.path.as_uri() }}">{% endblock %}')
    result = run("render", *HERE, spec_file(tmp_path, branding={"logo": "logo.png"}), "-o", out,
                 "-f", "pdf", "--template-dir", folder)
    assert result.exit_code == 1 and "refused by the template sandbox" in result.stderr
    assert "'as_uri'" in result.stderr and not (out / "T-1-v1.pdf").exists()


def test_a_standalone_page_refuses_a_stylesheet_url_from_outside(run, tmp_path):
    folder = tmp_path / "tpl"
    folder.mkdir()
    css = folder / "matrix.css"
    out = tmp_path / "out"
    for url, words in (("https://example.com/track.png", "https://example.com/track.png"),
                       ("missing.png", "missing.png is used by the page but does not exist"),
                       ("file:///etc/hostname", "the stylesheet refers to 'file:///etc/hostname'"),
                       ("../../etc/hostname", "refused to include hostname")):
        css.write_text(f"body {{ background: url({url}); }}\n")
        result = run("render", *HERE, spec_file(tmp_path), "-o", out, "-f", "html", "--template-dir",
                     folder)
        assert result.exit_code == 1 and words in result.stderr, result.stderr
        assert not out.exists() or not any(out.iterdir())
    css.unlink()
    page = folder / "matrix.html"
    for markup, refused in (('<img src="https://example.com/pixel.gif">', True),
                            ('<p style="background: url(//example.com/p.gif)">x</p>', True),
                            ('<p style="background: URL(//example.com/p.gif)">x</p>', True),
                            ('<a href="https://vendor.example/terms">terms</a>', False)):
        page.write_text('{% extends "builtin/matrix.html" %}{% block header %}'
                        f"{markup}{{{{ super() }}}}{{% endblock %}}")
        result = run("render", *HERE, spec_file(tmp_path), "-o", out, "-f", "html", "--template-dir",
                     folder)
        assert result.exit_code == (1 if refused else 0), result.stderr
        assert ("would be fetched when the page is opened" in result.stderr) == refused
    page.write_text('{% extends "builtin/matrix.html" %}{% block header %}'
                    '<img src="file:///etc/hostname">{{ super() }}{% endblock %}')
    result = run("render", *HERE, spec_file(tmp_path), "-o", out, "-f", "html", "--template-dir", folder)
    assert result.exit_code == 1
    assert "'file:///etc/hostname' would be fetched when the page is opened" in result.stderr


def test_letterhead_is_kept(run, tmp_path):
    import docx
    from docx.shared import Pt

    base = docx.Document()
    base.styles["Normal"].font.name = "Georgia"
    base.styles["Normal"].font.size = Pt(11)
    base.sections[0].header.paragraphs[0].text = "ACME LETTERHEAD, 1 Main Street"
    base.sections[0].header.add_paragraph().add_run().add_picture(io.BytesIO(PNG))
    base.sections[0].footer.paragraphs[0].text = "Acme Software Ltd, registered in Nowhere"
    base.add_paragraph("placeholder body text")
    base.save(tmp_path / "letterhead.docx")
    out = tmp_path / "out"
    result = run("render", *HERE, spec_file(tmp_path), "-o", out, "-f", "docx", "--docx-base",
                 tmp_path / "letterhead.docx")
    assert result.exit_code == 0, result.stderr
    text, document = docx_text((out / "T-1-v1.docx").read_bytes())
    assert "ACME LETTERHEAD, 1 Main Street" in text and "registered in Nowhere" in text
    assert "DRAFT" in text and "placeholder body text" not in text
    assert document.styles["Normal"].font.name == "Georgia"
    assert "Vendor sets things up." in text
    footer = document.sections[0].footer._element.xml
    assert "NUMPAGES" in footer
    assert document.sections[0].header.paragraphs[1]._p.xpath(".//pic:pic")
    made = out / "T-1-v1.docx"  # verify renders again, so it needs the same letterhead
    assert run("verify", *HERE, made, "--docx-base", tmp_path / "letterhead.docx").exit_code == 0
    assert run("verify", *HERE, made).exit_code == 1
    bad = tmp_path / "not.docx"
    bad.write_text("no")
    refused = run("render", *HERE, spec_file(tmp_path), "-o", out, "--docx-base", bad)
    assert refused.exit_code == 1 and "not a usable Word letterhead" in refused.stderr


HEADINGS = {"en": "The matrix", "de": "Die Matrix", "fr": "La matrice", "es": "La matriz",
            "ar": "المصفوفة", "he": "המטריצה"}


@pytest.mark.parametrize("language", sorted(HEADINGS))
def test_languages(run, tmp_path, language):
    path = spec_file(tmp_path, deal={"language": language,
                                     "value": {"amount": "1250000", "currency": "EUR"}})
    out = tmp_path / "out"
    assert run("render", *HERE, path, "-o", out, "-f", "pdf", "-f", "docx", "-f", "html").exit_code == 0
    html = (out / "T-1-v1.html").read_text()
    pdf, _ = pdf_text((out / "T-1-v1.pdf").read_bytes())
    docx, _ = docx_text((out / "T-1-v1.docx").read_bytes())
    assert HEADINGS[language] in html and HEADINGS[language] in docx
    if language not in ("ar", "he"):  # pypdf reorders right-to-left text on extraction
        assert HEADINGS[language] in pdf
    with zipfile.ZipFile(out / "T-1-v1.docx") as z:
        xml = z.read("word/document.xml").decode() + z.read("word/styles.xml").decode()
    rtl = language in ("ar", "he")
    assert ('dir="rtl"' in html) == rtl
    assert ("<w:bidiVisual/>" in xml) == rtl and ("<w:bidi/>" in xml) == rtl
    # Amounts as CLDR writes them in each language (Babel)
    amount = {"en": "€1,250,000.00", "de": "1.250.000,00\xa0€", "es": "1.250.000,00\xa0€",
              "fr": "1\u202f250\u202f000,00\xa0€", "ar": "1,250,000.00\xa0€",
              "he": "1,250,000.00\xa0\u200f€"}
    assert amount[language] in html


def test_arabic_and_hebrew_use_the_bundled_fonts(tmp_path):
    from expectmatrix.render.pipeline import render_spec
    from expectmatrix.spec.models import Spec

    data = copy.deepcopy(BASE)
    data["deal"]["language"] = "ar"
    data["parties"]["customer"]["name"] = "شركة الأمل"
    data["parties"]["vendor"]["name"] = "חברת אופק"
    import weasyprint
    from weasyprint.urls import URLFetcher

    docs = render_spec(Spec.model_validate(data), ("pdf", "html"))
    # The standalone page's cut-down fonts, laid out with nothing but the page itself.
    page = weasyprint.HTML(string=docs["html"].decode(), url_fetcher=URLFetcher(
        allowed_protocols={"data"}, fail_on_errors=True)).write_pdf()
    for pdf in (docs["pdf"], page):
        _, reader = pdf_text(pdf)
        fonts = {str(f.get_object()["/BaseFont"]) for p in reader.pages
                 for f in p["/Resources"]["/Font"].values()}
        assert any("Matrix-Arabic" in f for f in fonts) and any("Matrix-Hebrew" in f for f in fonts)


def test_cjk_text_without_a_font_is_a_warning(run, tmp_path, monkeypatch):
    from expectmatrix.checks import files as assets

    monkeypatch.setattr(assets, "cjk_font_available", lambda: False)
    path = spec_file(tmp_path, deal={"title": "导入项目"})
    result = run("validate", path)
    assert result.exit_code == 0 and "fonts-noto-cjk" in result.stderr
    assert run("validate", path, "--strict").exit_code == 1


def test_branding_font_file(run, tmp_path):
    import shutil
    from pathlib import Path

    system = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
    if not system.exists():
        pytest.skip("needs a TrueType font file on this machine")
    shutil.copy(system, tmp_path / "brand.ttf")
    out = tmp_path / "out"
    result = run("render", *HERE, spec_file(tmp_path, branding={"font": "brand.ttf"}), "-o", out)
    assert result.exit_code == 0, result.stderr
    _, reader = pdf_text((out / "T-1-v1.pdf").read_bytes())
    fonts = {str(f.get_object()["/BaseFont"]) for p in reader.pages
             for f in p["/Resources"]["/Font"].values()}
    assert any("Spec-Font" in f for f in fonts), fonts
    with zipfile.ZipFile(out / "T-1-v1.docx") as z:
        assert 'w:ascii="DejaVu Sans"' in z.read("word/styles.xml").decode()
    (tmp_path / "fake.ttf").write_text("not a font")
    bad = run("render", *HERE, spec_file(tmp_path, branding={"font": "fake.ttf"}), "-o", tmp_path / "x")
    assert bad.exit_code == 1 and "not a TrueType or OpenType font" in bad.stderr
    assert "branding.font" in bad.stderr


def test_a_never_ending_template_fails_its_batch_items_not_the_batch(run, tmp_path):
    folder = tmp_path / "tpl"
    folder.mkdir()
    (folder / "matrix.html").write_text(
        '{% extends "builtin/matrix.html" %}{% block header %}{% if view.deal_id == "SLOW" %}'
        "{% for a in range(100000) %}{% for b in range(100000) %}{% endfor %}{% endfor %}"
        "{% endif %}{% endblock %}")
    inputs = tmp_path / "in"
    inputs.mkdir()
    for deal_id in ("SLOW", "FAST"):
        data = copy.deepcopy(BASE)
        data["deal"]["id"] = deal_id
        (inputs / f"{deal_id}.json").write_text(json.dumps(data))
    out = tmp_path / "out"
    result = run("batch", inputs, "-o", out, "-f", "pdf", "--template-dir", folder,
                 "--timeout", "2", "--jobs", "1")
    assert result.exit_code == 1
    items = {i["deal_id"]: i for i in json.loads((out / "manifest.json").read_text())["items"]}
    assert items["SLOW"]["status"] == "failed" and "longer than 2 s" in items["SLOW"]["error"]
    assert items["FAST"]["status"] == "ok" and (out / "FAST-v1.pdf").exists()
    assert not (out / "SLOW-v1.pdf").exists()


def test_a_language_without_labels_is_rendered_in_english_with_a_warning(run, tmp_path):
    path = spec_file(tmp_path, deal={"language": "it"})
    result = run("render", *HERE, path, "-o", tmp_path / "out", "-f", "html")
    assert result.exit_code == 0
    assert "no labels for language 'it'" in result.stderr and "deal.language" in result.stderr
    assert "The matrix" in (tmp_path / "out" / "T-1-v1.html").read_text()
    labels = tmp_path / "tpl" / "labels"
    labels.mkdir(parents=True)
    (labels / "it.yaml").write_text("matrix: La matrice\ndraft: BOZZA\n")
    again = run("render", *HERE, path, "-o", tmp_path / "out2", "-f", "html", "--template-dir",
                tmp_path / "tpl")
    html = (tmp_path / "out2" / "T-1-v1.html").read_text()
    assert again.exit_code == 0 and "no labels" not in again.stderr
    assert "La matrice" in html and "BOZZA" in html and "Vendor sets things up." in html


def test_labels_cannot_walk_python_objects(run, tmp_path):
    labels = tmp_path / "tpl" / "labels"
    labels.mkdir(parents=True)
    (labels / "en.yaml").write_text(
        'vendor_column: "{vendor.__class__.__mro__} / {vendor}"\n'
        'for_party: "{party.__class__} for {party}"\n')
    out = tmp_path / "out"
    result = run("render", *HERE, spec_file(tmp_path), "-o", out, "-f", "html", "-f", "docx",
                 "--template-dir", tmp_path / "tpl")
    assert result.exit_code == 0, result.stderr
    html = (out / "T-1-v1.html").read_text()
    docx, _ = docx_text((out / "T-1-v1.docx").read_bytes())
    for text in (html, docx):
        assert "{vendor.__class__.__mro__} / Vendor Co" in text
        assert "{party.__class__} for Vendor Co" in text
        assert "<class" not in text and "&lt;class" not in text


def test_right_to_left_on_a_letterhead(tmp_path):
    import docx

    from expectmatrix.render.pipeline import Renderers, render_spec
    from expectmatrix.spec.models import Spec

    docx.Document().save(tmp_path / "letterhead.docx")
    data = copy.deepcopy(BASE)
    data["deal"]["language"] = "he"
    out = render_spec(Spec.model_validate(data), ("docx",),
                      Renderers(docx_base=tmp_path / "letterhead.docx"))["docx"]
    with zipfile.ZipFile(io.BytesIO(out)) as z:
        styles = z.read("word/styles.xml").decode()
        body = z.read("word/document.xml").decode()
    assert "<w:bidi/>" in styles and "<w:rtl/>" in styles and "<w:bidiVisual/>" in body
