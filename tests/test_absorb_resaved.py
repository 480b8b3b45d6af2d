"""absorb of documents LibreOffice re-saved (style ids renamed, runs split) and then
edited, in both editions and in English, German and Arabic; and of edits LibreOffice
itself tracked."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from conftest import SAMPLES
from test_resaved import _spec_in
from wordedit import Edited, edit_every_way, expectations

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
pytestmark = pytest.mark.skipif(
    SOFFICE is None and os.environ.get("CI") != "true",
    reason="LibreOffice is not installed (.ci/run installs it; under CI=true this cannot skip)")
SYSTEM_PYTHON = "/usr/bin/python3"
HERE = Path(__file__).parent


@pytest.fixture(scope="module")
def resaved(tmp_path_factory) -> list[tuple[Path, str, Path, Path]]:
    """(spec, language, rendered docx, re-saved docx): English, German and Arabic, each
    in both editions; one LibreOffice run for all."""
    from expectmatrix.render.pipeline import Renderers, RenderOptions, render_file

    root = tmp_path_factory.mktemp("resaved")
    specs = [(SAMPLES / "minimal.yaml", "en"),
             (_spec_in("de", "medium-logistics", root), "de"),
             (_spec_in("ar", "small-bakery", root), "ar")]
    renderers = Renderers()
    flat = root / "flat"
    flat.mkdir()
    made = []
    for spec, language in specs:
        for audience in ("counterparty", "internal"):
            result = render_file(spec, root / f"{spec.stem}-{audience}",
                                 RenderOptions(("docx",), audience=audience), renderers=renderers)
            assert result.ok, result.findings
            copy = flat / f"{spec.stem}-{audience}.docx"
            shutil.copy(result.outputs[0], copy)
            made.append((spec, language, copy))
    subprocess.run([str(SOFFICE), f"-env:UserInstallation={(root / 'profile').as_uri()}",
                    "--headless", "--convert-to", 'docx:MS Word 2007 XML', "--outdir",
                    str(root / "resaved"), *(str(m[2]) for m in made)],
                   check=True, capture_output=True, timeout=600)
    return [(spec, language, docx, root / "resaved" / docx.name)
            for spec, language, docx in made]


def _absorb(run: Any, *args: Any) -> tuple[Any, dict[str, Any]]:
    result = run("absorb", *args, "--json", "--timeout", "0")
    assert "Traceback" not in result.output
    return result, json.loads(result.stdout)


def test_the_resave_renamed_the_styles_absorb_reads(resaved):
    """What makes these documents different: LibreOffice names the id style anew."""
    import zipfile

    _, _, _, again = resaved[0]
    with zipfile.ZipFile(again) as z:
        body = z.read("word/document.xml")
    assert b'w:val="EmId"' not in body and b'w:val="Matrixid"' in body


def test_an_unedited_resaved_document_gives_the_same_spec(run, resaved, tmp_path):
    for spec, _, _, again in resaved:
        out = tmp_path / f"{again.stem}.yaml"
        result, data = _absorb(run, again, spec, "-o", out)
        assert result.exit_code == 0, (again.name, result.output)
        assert (data["changes"], data["not_absorbed"]) == ([], []), again.name
        assert expectations(out) == expectations(spec), again.name


@pytest.mark.parametrize("tracked", [True, False], ids=["tracked", "typed-over"])
def test_edits_to_a_resaved_document_give_the_expected_spec(run, resaved, tmp_path, tracked):
    for spec, language, _, again in resaved:
        doc = Edited(again.read_bytes())
        want = edit_every_way(doc, spec, language, tracked=tracked)
        out = tmp_path / f"{again.stem}.yaml"
        result, data = _absorb(run, doc.save(tmp_path / again.name), spec, "-o", out)
        assert data["not_absorbed"] == [], (again.name, data["not_absorbed"])
        assert expectations(out) == want, again.name
        assert result.exit_code in (0, 1) and not [
            f for f in data["findings"] if f["severity"] == "error"
            and f["code"] != "unbalanced"], (again.name, data["findings"])


def _uno() -> bool:
    probe = subprocess.run([SYSTEM_PYTHON, "-c", "import uno"], capture_output=True) \
        if Path(SYSTEM_PYTHON).exists() else None
    return probe is not None and probe.returncode == 0


@pytest.mark.skipif(not _uno() and os.environ.get("CI") != "true",
                    reason="the system Python has no LibreOffice UNO bridge (.ci/run installs it)")
def test_changes_libreoffice_tracked_itself(run, resaved, tmp_path):
    """LibreOffice's own tracking: a phrase replaced (w:del + w:ins with its author and
    date) and a row deleted (LibreOffice 7 deletes table rows untracked)."""
    spec, _, docx, _ = next(r for r in resaved if r[0].stem == "minimal"
                            and "internal" in r[2].name)
    edited = tmp_path / "lo-tracked.docx"
    plan = {"author": "Lena Legal", "replace": [["ten named users", "twelve named users"]],
            "delete_rows": ["V2"]}
    subprocess.run([SYSTEM_PYTHON, str(HERE / "lo_tracked.py"), str(docx), str(edited),
                    (tmp_path / "profile").as_uri(), json.dumps(plan)],
                   check=True, capture_output=True, timeout=600)
    out = tmp_path / "new.yaml"
    result, data = _absorb(run, edited, spec, "-o", out)
    assert result.exit_code == 0, result.output
    changes = {(c["id"], c["field"], c["kind"]): c for c in data["changes"]}
    v1 = changes[("V1", "text", "edited")]
    assert v1["new"] == "Enable the reporting module for twelve named users."
    assert v1["author"] == "Lena Legal" and v1["date"]
    want = expectations(spec)
    want["V1"]["text"] = v1["new"]
    del want["V2"], want["C2"]
    assert expectations(out) == want
    assert set(changes) == {("V1", "text", "edited"), ("V2", "expectation", "removed"),
                            ("C2", "expectation", "removed")}
