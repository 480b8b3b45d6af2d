"""Documents in other languages: what the spec wrote in English is named before sending,
drafts start in the language, right-to-left documents keep names with their titles,
counts, money and labels follow CLDR and read right; each checked in the documents."""

from __future__ import annotations

import copy
import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from builders import in_language
from conftest import BASE, SAMPLES, docx_text, pdf_text

NBSP = "\u00a0"


def render(run: Any, spec: Path, out: Path, formats: tuple[str, ...] = ("pdf", "docx")
           ) -> dict[str, Any]:
    """The texts of the formats asked for (and the PDF's path)."""
    result = run("render", spec, "-o", out, *(a for f in formats for a in ("-f", f)))
    assert result.exit_code == 0, result.stderr
    return read({p.suffix[1:]: p for p in out.iterdir()})


def read(files: dict[str, Path]) -> dict[str, Any]:
    docs: dict[str, Any] = {}
    if "pdf" in files:
        docs.update(pdf=pdf_text(files["pdf"].read_bytes())[0], pdf_path=files["pdf"])
    if "docx" in files:
        docs["docx"] = docx_text(files["docx"].read_bytes())[0]
    return docs


def bakery_in(language: str, tmp_path: Path) -> Path:
    spec = tmp_path / f"bakery-{language}.yaml"
    spec.write_text((SAMPLES / "small-bakery.yaml").read_text(encoding="utf-8").replace(
        "  id: HBK-2026-007", f"  id: HBK-2026-007\n  language: {language}", 1),
        encoding="utf-8")
    return spec


def write(tmp_path: Path, data: dict[str, Any], name: str = "deal.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


def test_text_left_in_english_is_named_field_by_field(run, tmp_path):
    spec = bakery_in("de", tmp_path)
    text = spec.read_text(encoding="utf-8").replace(
        "text: Configure the menu, prices and tax rates for all three shops from the "
        "customer's price list.",
        "text: Menü, Preise und Steuersätze der drei Filialen nach der Preisliste des Kunden "
        "einrichten.")
    spec.write_text(text, encoding="utf-8")
    result = run("validate", spec, "--json")
    assert result.exit_code == 0  # warnings: the rep decides
    found = json.loads(result.stdout)[0]["findings"]
    named = {f["path"] for f in found if f["code"] == "untranslated"}
    for path in ("deal.title", "expectations.of_vendor[0].measure",
                 "expectations.of_vendor[0].due", "expectations.of_vendor[1].text",
                 "expectations.of_customer[3].text", "expectations.of_vendor[0].area",
                 "readiness[0].question", "parties.vendor.signatory.title"):
        assert path in named, path
    assert "expectations.of_vendor[0].text" not in named  # written in German
    assert all(f["severity"] == "warning" and "de" in f["message"] for f in found
               if f["code"] == "untranslated")
    english = run("validate", SAMPLES / "small-bakery.yaml", "--json")
    assert not [f for f in json.loads(english.stdout)[0]["findings"]
                if f["code"] == "untranslated"]


def test_an_init_draft_in_german_is_german(run, tmp_path):
    spec = tmp_path / "deal.yaml"
    assert run("init", "--segment", "small", "--vendor", "Acme Software Ltd", "--customer",
               "Globex LLC", "--language", "de", "-o", spec).exit_code == 0
    result = run("validate", spec, "--json")
    found = json.loads(result.stdout)[0]["findings"]
    assert result.exit_code == 0
    assert not [f for f in found if f["code"] in ("untranslated", "clause-language")]
    docs = render(run, spec, tmp_path / "out")
    for kind in ("pdf", "docx"):
        text = docs[kind]
        assert "Einführung für Globex LLC" in text, kind
        assert "Rollout for" not in text, kind
        assert "Hat der Kunde eine verantwortliche Person benannt" in " ".join(text.split())
        assert "Has the customer named" not in text, kind
    bad = run("init", "--segment", "small", "--vendor", "A", "--customer", "B", "--language",
              "Deutsch", "-o", tmp_path / "x.yaml")
    assert bad.exit_code == 2 and "language" in bad.stderr
    assert "Traceback" not in bad.output and not (tmp_path / "x.yaml").exists()


def test_right_to_left_documents_keep_english_names_before_their_titles(render_cache, tmp_path):
    docs = read(render_cache.files(bakery_in("ar", tmp_path), tmp_path / "out"))
    pdf = docs["pdf"]
    assert "Siobhán O'Connell, Owner ·" in pdf  # was "Owner ,Siobhán O'Connell ·"
    assert "Martin Brandt, Head of Customer" in pdf
    assert "Owner ,Siobhán" not in pdf and "Customer ,Martin" not in pdf
    docx = docs["docx"]
    # one isolated run each, not a name and a title isolated apart
    assert "\u2068Siobhán O'Connell, Owner · siobhan@harbourbakery.example\u2069" in docx
    assert "\u2068Martin Brandt, Head of Customer Success\u2069" in docx
    assert "\u2068Siobhán O'Connell\u2069, \u2068Owner" not in docx


def test_counted_days_take_each_languages_plural_forms(run, tmp_path):
    data = copy.deepcopy(BASE)
    data["frame"] = {"missed": {"params": {"acknowledge_days": 2, "answer_days": 11}},
                     "escalation": {"params": {"escalate_days": 3, "meet_days": 1}}}
    data["deal"]["language"] = "ar"
    arabic = render(run, write(tmp_path, data, "ar.json"), tmp_path / "ar", ("docx",))["docx"]
    for said in ("خلال يومي عمل", "خلال 11 يوم عمل", "خلال 3 أيام عمل", "خلال يوم عمل واحد"):
        assert said in arabic, said  # the dual, 3-10, 11-99 and one (CLDR categories)
    assert "2 أيام" not in arabic and "1 أيام" not in arabic
    data["deal"]["language"] = "de"
    german = " ".join(render(run, write(tmp_path, data, "de.json"), tmp_path / "de",
                             ("docx",))["docx"].split())
    assert "innerhalb von 2 Arbeitstagen" in german
    assert "innerhalb von 1 Arbeitstag," in german or "innerhalb von 1 Arbeitstag " in german
    data["deal"]["language"] = "en"
    english = " ".join(render(run, write(tmp_path, data, "en.json"), tmp_path / "en",
                              ("pdf",))["pdf"].split())
    assert "who meet within 1 business day to settle it" in english
    assert "within 3 business days of being raised" in english


@pytest.mark.parametrize(("language", "shown"), [
    ("en", "US$1,250,000.00"), ("de", f"1.250.000,00{NBSP}US$"), ("es", f"1.250.000,00{NBSP}US$"),
    ("fr", "$US"), ("he", "US$")])
def test_money_names_its_currency_alike_in_every_language(run, tmp_path, language, shown):
    data = copy.deepcopy(BASE)
    data["deal"]["language"] = language
    data["deal"]["value"] = {"amount": "1250000", "currency": "USD"}
    docx = render(run, write(tmp_path, data), tmp_path / "out", ("docx",))["docx"]
    assert shown in docx
    assert not re.search(r"\d\s\$(?!US)", docx)  # never a bare "$" after the amount


def test_german_labels_say_auftrag_and_labels_do_not_touch_their_values(render_cache, tmp_path):
    docs = read(render_cache.files(bakery_in("de", tmp_path), tmp_path / "out"))
    for kind in ("pdf", "docx"):
        assert "Auftrag" in docs[kind] and "Vorgang" not in docs[kind], kind
    assert "Funktion: Head of Customer Success" in " ".join(docs["docx"].split())
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler) is not installed")
    spanish = read(render_cache.files(bakery_in("es", tmp_path), tmp_path / "es", ("pdf",)))
    for pdf, label, value in ((docs["pdf_path"], "Funktion:", "Head"),
                              (spanish["pdf_path"], "Nombre:", "Martin")):
        boxes = subprocess.run(["pdftotext", "-bbox", str(pdf), "-"], capture_output=True,
                               text=True, check=True).stdout
        words = re.findall(r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" '
                           r'yMax="[\d.]+">([^<]*)</word>', boxes)
        ends = [(float(x1), float(y)) for x0, y, x1, w in words if w == label]
        starts = [(float(x0), float(y)) for x0, y, x1, w in words if w == value]
        gaps = [x0 - x1 for x1, y1 in ends for x0, y0 in starts if abs(y0 - y1) < 3 and x0 > x1]
        assert gaps and min(gaps) >= 3, (label, gaps)  # points: a visible space, at least


@pytest.mark.parametrize("language", ["de", "ar"])
def test_verify_reads_the_fingerprint_printed_in_the_documents_language(run, tmp_path,
                                                                          render_cache, language):
    spec = in_language("small-bakery", language, tmp_path)
    out = tmp_path / "out"
    render_cache.files(spec, out)
    for doc in sorted(out.iterdir()):
        result = run("verify", doc, spec)
        assert result.exit_code == 0, (doc.name, result.stdout, result.stderr)
        assert "ok   every printed fingerprint is the" in result.stdout
    label = {"de": "Fingerabdruck", "ar": "بصمة"}[language]
    pdf = next(out.glob("*.pdf")).read_bytes()
    assert label in pdf_text(pdf)[0]
    assert label in docx_text(next(out.glob("*.docx")).read_bytes())[0]


def test_validate_and_render_report_the_language_warning_alike(run, tmp_path):
    spec = in_language("small-bakery", "it", tmp_path)
    validated = run("validate", spec)
    assert validated.exit_code == 0
    assert "no labels for language 'it'" in validated.stderr
    as_json = json.loads(run("validate", "--json", spec).stdout)
    assert "language" in [f["code"] for f in as_json[0]["findings"]]
    rendered = run("render", spec, "-o", tmp_path / "out", "-f", "docx")
    assert rendered.stderr.count("no labels for language 'it'") == 1
    # A template folder with Italian labels puts the warning away in both.
    folder = tmp_path / "tpl" / "labels"
    folder.mkdir(parents=True)
    (folder / "it.yaml").write_text("draft: BOZZA\n", encoding="utf-8")
    config = tmp_path / "expectmatrix.toml"
    config.write_text('[templates]\ndirs = ["tpl"]\n', encoding="utf-8")
    assert "no labels" not in run("--config", config, "validate", spec).stderr
    assert "no labels" not in run("--config", config, "render", spec, "-o", tmp_path / "o2",
                                  "-f", "docx").stderr
