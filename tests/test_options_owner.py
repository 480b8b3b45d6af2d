"""The settings file gives the template folders and the letterhead, a command's own
--template-dir and --docx-base override them, and one constructor decides it
(RenderOptions.from_settings): render, batch, verify and serve's documents all agree."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import BASE, docx_text

from expectmatrix.render.pipeline import RenderOptions
from expectmatrix.settings import load_settings


def _letterhead(path: Path, text: str) -> Path:
    import docx

    document = docx.Document()
    document.sections[0].header.paragraphs[0].text = text
    document.save(path)
    return path


def _templates(folder: Path, kind: str) -> Path:
    """A template folder whose English labels name the document ``kind``."""
    (folder / "labels").mkdir(parents=True)
    (folder / "labels" / "en.yaml").write_text(f"doc_kind: {kind}\n", encoding="utf-8")
    return folder


@pytest.fixture
def setup(tmp_path: Path) -> dict[str, Path]:
    org = tmp_path / "org"
    org.mkdir()
    _templates(org / "house", "Kind From Settings")
    _letterhead(org / "house.docx", "SETTINGS LETTERHEAD")
    (org / "expectmatrix.toml").write_text(
        '[templates]\ndirs = ["house"]\n\n[docx]\nbase = "house.docx"\n', encoding="utf-8")
    spec = tmp_path / "deal.json"
    spec.write_text(json.dumps(BASE), encoding="utf-8")
    return {"config": org / "expectmatrix.toml", "spec": spec,
            "templates": _templates(tmp_path / "own", "Kind From Option"),
            "letterhead": _letterhead(tmp_path / "own.docx", "OPTION LETTERHEAD")}


def _says(document: Path, source: str) -> None:
    """The DOCX carries the labels and the letterhead of ``source`` only."""
    text = docx_text(document.read_bytes())[0].upper()  # the kind is set in capitals
    other = "OPTION" if source == "Settings" else "SETTINGS"
    assert f"KIND FROM {source.upper()}" in text and f"{source.upper()} LETTERHEAD" in text
    assert f"KIND FROM {other}" not in text and f"{other} LETTERHEAD" not in text


def _overrides(setup: dict[str, Path]) -> list[str]:
    return ["--template-dir", str(setup["templates"]), "--docx-base", str(setup["letterhead"])]


def test_from_settings_is_the_one_merge(setup):
    settings = load_settings(setup["config"])
    plain = RenderOptions.from_settings(settings)
    assert plain.template_dirs == settings.template_dirs
    assert plain.docx_base == settings.docx_base
    given = RenderOptions.from_settings(settings, template_dirs=(setup["templates"],),
                                        docx_base=setup["letterhead"])
    # the option's folder is searched first; the file's still fills in what it lacks
    assert given.template_dirs == (setup["templates"], *settings.template_dirs)
    assert given.docx_base == setup["letterhead"]
    # the writers get what the options hold, never the settings' letterhead behind them
    assert given.renderers().docx_base == setup["letterhead"]
    assert RenderOptions(settings=settings).renderers().docx_base is None


@pytest.mark.parametrize("command", ["render", "batch"])
def test_render_and_batch(run, setup, tmp_path, command):
    for name, extra, source in (("plain", [], "Settings"),
                                ("given", _overrides(setup), "Option")):
        out = tmp_path / f"{command}-{name}"
        result = run("--config", setup["config"], command, setup["spec"], "-o", out,
                     "-f", "docx", *extra)
        assert result.exit_code == 0, result.stderr
        _says(out / "T-1-v1.docx", source)


def test_verify(run, setup, tmp_path):
    config = ("--config", setup["config"])
    out = tmp_path / "made"
    assert run(*config, "render", setup["spec"], "-o", out, "-f", "docx").exit_code == 0
    made = out / "T-1-v1.docx"
    _says(made, "Settings")
    # made with the settings' templates and letterhead: verify finds them there...
    assert run(*config, "verify", made).exit_code == 0
    # ...and the command line's, given, replace them (so the text no longer matches)
    other = run(*config, "verify", made, *_overrides(setup))
    assert other.exit_code == 1 and "Traceback" not in other.output
    assert "does NOT match" in other.output

    own = tmp_path / "own"
    assert run(*config, "render", setup["spec"], "-o", own, "-f", "docx",
               *_overrides(setup)).exit_code == 0
    _says(own / "T-1-v1.docx", "Option")
    assert run(*config, "verify", own / "T-1-v1.docx", *_overrides(setup)).exit_code == 0
    assert run(*config, "verify", own / "T-1-v1.docx").exit_code == 1


def test_serve_documents_use_the_settings(setup, tmp_path, monkeypatch):
    """serve has no options of its own: its documents are made with the settings file's
    templates and letterhead, as render makes them without options."""
    from expectmatrix.checks import check_loaded
    from expectmatrix.render.pipeline import RenderJob
    from expectmatrix.serve import rendering
    from expectmatrix.spec.loading import load

    settings = load_settings(setup["config"])
    monkeypatch.setattr(rendering, "_renderers", None)  # this process's, not a worker's
    options = rendering.Rendering(settings, timeout=60, workers=1).options("docx",
                                                                          "counterparty")
    assert options.template_dirs == settings.template_dirs
    assert options.docx_base == settings.docx_base
    loaded = check_loaded(load(setup["spec"]), template_dirs=options.template_dirs)
    made = tmp_path / "served.docx"
    made.write_bytes(rendering.make_document(RenderJob.of(loaded), options))
    _says(made, "Settings")
