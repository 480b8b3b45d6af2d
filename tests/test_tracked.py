"""`diff -f docx`: the whole agreement with Word tracked changes. Accepting every change
must give the new version's document and rejecting every change the old one's."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest
from conftest import SAMPLES
from lxml import etree

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


def _resolve(xml: bytes, accept: bool) -> str:
    """The part's text after accepting (or rejecting) every tracked change, as Word
    would do it: paragraph by paragraph."""
    root = etree.fromstring(xml)
    gone, kept = (("del", "moveFrom"), ("ins", "moveTo")) if accept else \
        (("ins", "moveTo"), ("del", "moveFrom"))
    for end in list(root.iter(*(f"{W}move{k}Range{e}" for k in ("From", "To")
                                for e in ("Start", "End")))):
        end.getparent().remove(end)
    for mark in list(root.iter(*(f"{W}{g}" for g in gone))):
        parent = mark.getparent()
        holder = parent.getparent()  # rPr of a paragraph mark, trPr of a row
        if parent.tag == f"{W}rPr" and holder is not None and holder.tag == f"{W}pPr":
            paragraph = holder.getparent()
            paragraph.getparent().remove(paragraph)
        elif parent.tag == f"{W}trPr":
            row = holder
            row.getparent().remove(row)
        elif mark.getparent() is not None:
            parent.remove(mark)
    for mark in list(root.iter(*(f"{W}{k}" for k in kept))):
        parent = mark.getparent()
        if parent is None:
            continue
        if parent.tag in (f"{W}rPr", f"{W}trPr"):
            parent.remove(mark)
            continue
        at = parent.index(mark)
        for child in reversed(list(mark)):
            parent.insert(at, child)
        parent.remove(mark)
    for t in root.iter(f"{W}delText"):
        t.tag = f"{W}t"
    return "\n".join("".join(t.text or "" for t in p.iter(f"{W}t")) for p in root.iter(f"{W}p"))


def _plain(xml: bytes) -> str:
    root = etree.fromstring(xml)
    return "\n".join("".join(t.text or "" for t in p.iter(f"{W}t")) for p in root.iter(f"{W}p"))


def _parts(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return {n: z.read(n) for n in z.namelist()
                if re.match(r"word/(document|header\d*|footer\d*)\.xml$", n)}


@pytest.fixture(scope="module")
def versions(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    old = SAMPLES / "large-hospital.yaml"
    text = old.read_text(encoding="utf-8")
    for before, after in (("version: 4", "version: 5"),
                          ("Hold a quarterly business review", "Hold a monthly business review"),
                          ("amount: 1250000", "amount: 1340000"),
                          ("status: approved", "status: review")):
        assert before in text
        text = text.replace(before, after)
    # one expectation on each side less (V15 and C15), one more readiness question
    lines = [line for line in text.splitlines() if not re.match(r"\s+- \{id: [VC]15,", line)]
    text = "\n".join(lines) + "\n"
    text = text.replace("readiness:\n", "readiness:\n  - {question: Is the data centre "
                        "contract renewed?, answer: unknown}\n", 1)
    new = tmp_path_factory.mktemp("versions") / "large-hospital-v5.yaml"
    new.write_text(text, encoding="utf-8")
    return old, new


@pytest.fixture(scope="module")
def redline(versions: tuple[Path, Path], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The redline of the two versions, made once: Word's and LibreOffice's tests read it."""
    from click.testing import CliRunner

    from expectmatrix.cli import cli

    old, new = versions
    out = tmp_path_factory.mktemp("redline") / "redline.docx"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SOURCE_DATE_EPOCH", "1795000000")
        result = CliRunner().invoke(cli, ["diff", str(old), str(new), "-f", "docx", "-o",
                                          str(out), "--author", "Margaret Oduya"])
    assert result.exit_code == 0, result.output
    return out


def test_accepting_all_gives_the_new_agreement_and_rejecting_all_the_old(run, versions,
                                                                         redline, tmp_path,
                                                                         monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1795000000")  # as the redline was made
    old, new = versions
    out = redline
    for spec, name in ((old, "old"), (new, "new")):
        assert run("render", spec, "-o", tmp_path / name, "-f", "docx").exit_code == 0
    rendered = {name: _parts(next((tmp_path / name).glob("*.docx")).read_bytes())
                for name in ("old", "new")}
    redline = _parts(out.read_bytes())
    for part, xml in redline.items():
        assert _resolve(xml, accept=True) == _plain(rendered["new"][part]), part
        assert _resolve(xml, accept=False) == _plain(rendered["old"][part]), part
    body = redline["word/document.xml"].decode()
    assert 'w:author="Margaret Oduya"' in body and 'w:date="2026-11-18T11:06:40Z"' in body
    # Words are separate changes: never "quarterlymonthly" glued in one run.
    assert re.search(r"<w:delText[^>]*>quarterly</w:delText>", body)
    assert re.search(r"<w:ins [^>]*><w:r>(<w:rPr>.*?</w:rPr>)?<w:t[^>]*>monthly</w:t>", body)
    assert body.count("<w:trPr><w:cantSplit/><w:del ") >= 1  # the removed row, tracked
    assert "Is the data centre contract renewed?" in body
    # The same layout as render: the title, the frame, the signature page.
    assert 'w:val="Title"' in body and "About this matrix" in body and "Signature page of" in body


def test_a_moved_and_renumbered_expectation_is_tracked_as_a_move(run, tmp_path):
    """V3 taken to the top and the rows renumbered: Word shows one move, not a deletion
    and an insertion, and accepting or rejecting still gives either version."""
    old = SAMPLES / "small-bakery.yaml"
    text = old.read_text(encoding="utf-8")
    blocks = re.split(r"(?m)^(?=    - id: )", text)
    vendor = [b for b in blocks if b.startswith("    - id: V")]
    assert len(vendor) == 4 and "of_customer" not in "".join(vendor[:3])
    # Blocks V1..V4; V3 to the top. V4's block runs into the customer side: keep it last.
    moved = [vendor[2], vendor[0], vendor[1], vendor[3]]
    for n, block in enumerate(moved[:3], 1):
        moved[n - 1] = re.sub(r"id: V\d", f"id: V{n}", block, count=1)
    first = blocks.index(vendor[0])
    new_text = "".join(blocks[:first] + moved + blocks[first + 4:])
    # And the last readiness question asked first: a move in a second table.
    head, *questions = re.split(r"(?m)^(?=  - question: )", new_text)
    assert len(questions) == 3
    new_text = head + "".join([questions[2], questions[0], questions[1]])
    new = tmp_path / "reordered.yaml"
    new.write_text(new_text, encoding="utf-8")
    out = tmp_path / "moved.docx"
    assert run("diff", old, new, "-f", "docx", "-o", out).exit_code == 0
    for spec, name in ((old, "old"), (new, "new")):
        assert run("render", spec, "-o", tmp_path / name, "-f", "docx").exit_code == 0
    rendered = {name: _parts(next((tmp_path / name).glob("*.docx")).read_bytes())
                for name in ("old", "new")}
    xml = _parts(out.read_bytes())["word/document.xml"]
    assert _resolve(xml, accept=True) == _plain(rendered["new"]["word/document.xml"])
    assert _resolve(xml, accept=False) == _plain(rendered["old"]["word/document.xml"])
    root = etree.fromstring(xml)
    starts = {k: [e.get(f"{W}name") for e in root.iter(f"{W}move{k}RangeStart")]
              for k in ("From", "To")}
    assert starts["From"] and sorted(starts["From"]) == sorted(starts["To"])
    # Each name ties one move, across the tables of the document.
    assert len(set(starts["From"])) == len(starts["From"])
    # The matrix is a table per area: the two areas that swapped places moved whole, area
    # name and all, from table to table; so did the readiness question, in its table.
    tables = [t for t in root.iter(f"{W}tbl") if next(t.iter(f"{W}moveFromRangeStart"), None)
              is not None]
    assert len(tables) == 3
    moved_text = "".join(t.text or "" for m in root.iter(f"{W}moveTo") for t in m.iter(f"{W}t"))
    assert "TRAINING" in moved_text and "Run two 90-minute training" in moved_text
    assert "IMPLEMENTATION" in moved_text and "Configure the menu" in moved_text
    # Nothing of an expectation reads as deleted: only the column heads of the moved
    # tables, which every area's table repeats, are struck and written again.
    deleted = "".join(t.text or "" for t in root.iter(f"{W}delText"))
    heads = "What Harbour Bakery Ltd can expect of Tillwise GmbH" \
            "What Tillwise GmbH can expect of Harbour Bakery Ltd"
    assert deleted == heads * 2


def test_no_changes_gives_the_agreement_with_no_marks(run, tmp_path):
    spec = SAMPLES / "minimal.yaml"
    out = tmp_path / "same.docx"
    assert run("diff", spec, spec, "-f", "docx", "-o", out).exit_code == 0
    body = _parts(out.read_bytes())["word/document.xml"].decode()
    assert "<w:ins " not in body and "<w:del " not in body and "Pilot of the reporting" in body


def test_spec_text_with_markup_stays_text_in_the_redline(run, tmp_path):
    old = SAMPLES / "minimal.yaml"
    text = old.read_text(encoding="utf-8")
    assert "Enable the reporting module for ten named users." in text
    new = tmp_path / "new.yaml"
    new.write_text(text.replace("Enable the reporting module for ten named users.",
                                '"Enable <w:t>x</w:t> & ]]> {{ 7*7 }} for ten users."'),
                   encoding="utf-8")
    out = tmp_path / "r.docx"
    assert run("diff", old, new, "-f", "docx", "-o", out).exit_code == 0
    accepted = _resolve(_parts(out.read_bytes())["word/document.xml"], accept=True)
    assert "Enable <w:t>x</w:t> & ]]> {{ 7*7 }} for ten users." in accepted


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice is not installed")
def test_libreoffice_opens_the_redline(redline, tmp_path):
    out = redline
    subprocess.run(["soffice", f"-env:UserInstallation={(tmp_path / 'lo').as_uri()}",
                    "--headless", "--convert-to", "pdf", "--outdir", str(tmp_path), str(out)],
                   check=True, capture_output=True, timeout=300)
    from conftest import pdf_text

    text, reader = pdf_text((tmp_path / "redline.pdf").read_bytes())
    assert len(reader.pages) >= 4 and "monthly" in text and "Signature page of" in text
