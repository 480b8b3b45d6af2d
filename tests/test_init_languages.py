"""A draft started in German or Arabic is worded in that language: its clauses, their
parameter values and its readiness questions, in the documents; a language the library does
not word says so in the draft and at validate."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner
from conftest import ROOT, docx_text, pdf_text

from expectmatrix.cli import cli
from expectmatrix.library.clauses import fill
from expectmatrix.library.files import builtin, clause_entry
from expectmatrix.library.models import ClauseFile

VENDOR, CUSTOMER = "Acme Software Ltd", "Globex LLC"
# Arabic's optional vowel marks (harakat, tanween, shadda, sukun, dagger alif)
VOWEL_MARKS = re.compile("[\u064b-\u0652\u0670]")


def cli_run(*args: object) -> Any:
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)


def squash(text: str) -> str:
    return " ".join(text.split())


def english_wording(segment: str) -> list[str]:
    """The English sentences (text and measure) of the clauses a segment's playbook drafts,
    with the playbook's parameter values."""
    library = builtin()
    book = library.playbooks[segment]
    said = []
    for side in ("of_vendor", "of_customer"):
        for raw in getattr(book.expectations, side):
            entry = clause_entry(raw)
            clause = library.clauses[entry.clause]
            values = {n: entry.params.get(n, p.default) for n, p in clause.params.items()}
            said += [str(fill(t, values)) for t in (clause.text, clause.measure) if t]
    return said


@pytest.fixture(scope="module")
def drafts(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    """init --language X for de, ar and he; validated; de and ar rendered once each."""
    from expectmatrix.render.pipeline import Renderers, RenderOptions, render_file

    folder = tmp_path_factory.mktemp("drafts")
    renderers = Renderers()
    out: dict[str, dict[str, Any]] = {}
    for language in ("de", "ar", "he"):
        spec = folder / f"{language}.yaml"
        made = cli_run("init", "--segment", "small", "--vendor", VENDOR, "--customer", CUSTOMER,
                       "--vendor-signatory", "Sam Ortiz, VP", "--customer-signatory",
                       "Lee Chan, COO", "--language", language, "-o", spec)
        assert made.exit_code == 0, made.output
        checked = cli_run("validate", spec, "--json")
        assert checked.exit_code == 0, checked.output
        out[language] = {"spec": spec, "text": spec.read_text(encoding="utf-8"),
                         "findings": json.loads(checked.stdout)[0]["findings"]}
        if language != "he":
            result = render_file(spec, folder / language, RenderOptions(("pdf", "docx")),
                                 renderers=renderers)
            assert result.ok, result.findings
            for path in result.outputs:
                out[language][path.suffix[1:]] = path.read_bytes()
    return out


@pytest.mark.parametrize("language", ["de", "ar"])
def test_a_draft_is_worded_in_its_language_and_validate_finds_nothing_untranslated(
        drafts: dict[str, dict[str, Any]], language: str) -> None:
    draft = drafts[language]
    assert not [f for f in draft["findings"]
                if f["code"] in ("untranslated", "clause-language", "language")]
    for kind, read in (("pdf", pdf_text), ("docx", docx_text)):
        text = squash(read(draft[kind])[0])
        for sentence in english_wording("small"):
            assert sentence not in text, (kind, sentence)
            # not even its opening words (a sentence split across lines or cells)
            assert squash(sentence).rsplit(" ", 3)[0] not in text, (kind, sentence)
        # text parameters are translated too (cadence weekly, coverage on business days)
        for english in ("weekly", "on business days"):
            assert english not in text, (kind, english)
    if language == "de":
        text = squash(pdf_text(draft["pdf"])[0])
        assert "Statustermin abhalten (wöchentlich)" in text
        assert "(an Arbeitstagen)" in text


def test_an_arabic_draft_carries_no_english_but_names_and_codes(
        drafts: dict[str, dict[str, Any]]) -> None:
    allowed = {"Acme", "Software", "Ltd", "Globex", "LLC", "DEAL", "SHA", "Sam", "Ortiz", "VP",
               "Lee", "Chan", "COO", "PDF"}
    for kind, read in (("pdf", pdf_text), ("docx", docx_text)):
        text = read(drafts["ar"][kind])[0]
        latin = {w for w in re.findall(r"[A-Za-z]{2,}", text) if w not in allowed
                 and not re.fullmatch(r"[0-9a-f]{2,}", w)}  # the fingerprint's hex
        assert not latin, (kind, sorted(latin))
    # the draft itself comments each clause in Arabic, without optional vowel marks
    assert "# تسليم بيئة اختبار مهيأة خلال 10 من أيام العمل بعد التوقيع." in drafts["ar"]["text"]


def test_a_language_the_library_does_not_word_is_said_in_the_draft_and_at_validate(
        drafts: dict[str, dict[str, Any]]) -> None:
    draft = drafts["he"]
    assert "# (no he wording in the clause library: the English text is printed" in draft["text"]
    warned = [f for f in draft["findings"] if f["code"] == "clause-language"]
    assert warned and all(f["severity"] == "warning" and "(he)" in f["message"] for f in warned)
    assert "expectations.of_vendor[0].clause" in {f["path"] for f in warned}
    # German and Arabic drafts carry no such comment
    for language in ("de", "ar"):
        assert "wording in the clause library" not in drafts[language]["text"]


def test_the_arabic_library_words_every_clause_without_vowel_marks() -> None:
    folder = ROOT / "library" / "translations"
    clauses = set(builtin().clauses)
    for language in ("de", "ar"):
        data = yaml.safe_load((folder / f"{language}.yaml").read_text(encoding="utf-8"))
        worded = ClauseFile.model_validate(data).translations[language]
        assert set(worded) == clauses, language
        assert all(t.text and t.measure and t.area for t in worded.values()), language
    arabic = (folder / "ar.yaml").read_text(encoding="utf-8")
    assert not VOWEL_MARKS.search(arabic)
    for book in (ROOT / "library" / "playbooks").glob("*.yaml"):
        for item in yaml.safe_load(book.read_text(encoding="utf-8"))["readiness"]:
            assert not VOWEL_MARKS.search(item["translations"].get("ar", "")), item


def test_a_library_file_of_ones_own_translates_parameter_values(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    library = tmp_path / "mine.yaml"
    library.write_text("translations:\n  de:\n    status-calls:\n      text: Termin ({cadence}).\n"
                       "      values: {cadence: {weekly: jede Woche}}\n", encoding="utf-8")
    (tmp_path / "expectmatrix.toml").write_text('[library]\nclauses = ["mine.yaml"]\n',
                                                encoding="utf-8")
    spec = tmp_path / "deal.yaml"
    spec.write_text(
        "deal: {id: T-1, title: T, segment: small, effective: 2027-01-01, language: de}\n"
        "parties: {vendor: {name: A}, customer: {name: B}}\n"
        "expectations:\n  of_vendor:\n    - {id: V1, clause: status-calls}\n"
        "  of_customer:\n    - {id: C1, area: X, text: Etwas tun., measure: Getan}\n",
        encoding="utf-8")
    monkeypatch.chdir(tmp_path)  # expectmatrix.toml is read from the working folder
    shown = cli_run("render", spec, "-o", tmp_path / "out", "-f", "docx")
    assert shown.exit_code == 0, shown.output
    text = squash(docx_text(next((tmp_path / "out").glob("*.docx")).read_bytes())[0])
    assert "Termin (jede Woche)." in text and "(weekly)" not in text
    bad = tmp_path / "bad.yaml"
    bad.write_text("translations:\n  de:\n    status-calls:\n      values: {cadence: [weekly]}\n",
                   encoding="utf-8")
    (tmp_path / "expectmatrix.toml").write_text('[library]\nclauses = ["bad.yaml"]\n',
                                                encoding="utf-8")
    refused = cli_run("validate", spec)
    assert refused.exit_code == 1 and "Traceback" not in refused.output
    assert "bad.yaml" in refused.output and "values" in refused.output


def test_every_translation_words_the_text_values_the_playbooks_give() -> None:
    """A cadence or coverage a playbook drafts (or a clause's default) is never printed in
    English inside a translated clause."""
    library = builtin()
    given: set[tuple[str, str, str]] = set()  # (clause, parameter, value)
    for clause in library.clauses.values():
        given |= {(clause.id, n, str(p.default)) for n, p in clause.params.items()
                  if p.type == "text" and p.default is not None}
    for book in library.playbooks.values():
        for side in ("of_vendor", "of_customer"):
            for raw in getattr(book.expectations, side):
                entry = clause_entry(raw)
                params = library.clauses[entry.clause].params
                given |= {(entry.clause, n, str(v)) for n, v in entry.params.items()
                          if params[n].type == "text"}
    assert len(given) >= 8
    folder = ROOT / "library" / "translations"
    for language in ("de", "es", "fr", "ar"):
        data = yaml.safe_load((folder / f"{language}.yaml").read_text(encoding="utf-8"))
        worded = ClauseFile.model_validate(data).translations[language]
        for clause_id, name, value in sorted(given):
            own = worded[clause_id]
            assert own.values and value in own.values.get(name, {}), (language, clause_id, value)
