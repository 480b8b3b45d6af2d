"""Input that Python's parsers refuse with a bare exception (numbers of thousands of digits,
deep nesting, undecodable bytes), and names and numbers beyond what the file system or
the arithmetic allow: each is refused with a plain message that says where, exit 1 (2 for
a bad option), no traceback, nothing written."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import BASE, SAMPLES

HUGE = "9" * 5000  # past Python's 4,300-digit limit for int()


def _assert_refused(result: object, *words: str, code: int = 1) -> None:
    out = result.stderr + result.stdout
    assert result.exit_code == code, out
    assert "Traceback" not in out
    for word in words:
        assert word in out, out


def _spec_text(**deal: str) -> str:
    """The conftest spec as YAML-ish JSON lines, with raw text spliced into deal fields."""
    data = copy.deepcopy(BASE)
    text = json.dumps(data, indent=1)
    extra = "".join(f'\n  "{k}": {v},' for k, v in deal.items())
    return text.replace('"deal": {', '"deal": {' + extra, 1)


# --- 1. numbers of more than 4,300 digits ---------------------------------------------


@pytest.mark.parametrize("suffix", [".json", ".yaml"])
def test_a_huge_number_in_a_spec_is_a_finding_with_line_and_field(run, tmp_path, suffix):
    spec = tmp_path / f"deal{suffix}"
    spec.write_text(_spec_text(version=HUGE))
    result = run("validate", spec)
    _assert_refused(result, f"{spec}:3:14 deal.version:", "a number of more than 100 digits")


def test_a_huge_number_read_by_the_yaml_1_2_parser_is_a_finding(run, tmp_path):
    # A tab sends the text to the pure-Python parser instead of libyaml.
    spec = tmp_path / "deal.yaml"
    spec.write_text(_spec_text(version=HUGE) + "\n#\ta comment\n")
    result = run("validate", spec)
    _assert_refused(result, "deal.version:", "a number of more than 100 digits")


def test_a_huge_quoted_number_and_a_huge_amount_are_findings(run, tmp_path):
    spec = tmp_path / "deal.yaml"
    spec.write_text(_spec_text(version=f'"{HUGE}"'))
    _assert_refused(run("validate", spec), "deal.version:", "more than 100 digits")
    spec.write_text(_spec_text(value='{"amount": ' + HUGE + ', "currency": "EUR"}'))
    _assert_refused(run("validate", spec), "deal.value.amount:", "more than 100 digits")


def test_render_and_diff_of_a_spec_with_a_huge_number_write_nothing(run, tmp_path):
    spec = tmp_path / "deal.json"
    spec.write_text(_spec_text(version=HUGE))
    out = tmp_path / "out"
    _assert_refused(run("render", spec, "-o", out), "more than 100 digits")
    assert not out.exists() or not list(out.iterdir())
    good = tmp_path / "good.json"
    good.write_text(json.dumps(BASE))
    redline = tmp_path / "redline.html"
    _assert_refused(run("diff", good, spec, "-f", "html", "-o", redline), "more than 100 digits")
    assert not redline.exists()


def _base(folder: Path) -> Path:
    """A base spec for CSV rows of other customers: nothing of its customer's own."""
    data = copy.deepcopy(BASE)
    for own in ("signatory", "registration"):
        del data["parties"]["customer"][own]
    path = folder / "base.json"
    path.write_text(json.dumps(data))
    return path


def test_a_huge_number_in_a_csv_cell_fails_its_row_naming_the_column(run, tmp_path):
    base = _base(tmp_path)
    export = tmp_path / "deals.csv"
    export.write_text(f"deal.id,parties.customer.name,deal.version\nA-1,Alpha,{HUGE}\n"
                      "B-1,Beta,2\n")
    out = tmp_path / "out"
    result = run("batch", export, "--base", base, "-o", out, "-f", "pdf")
    _assert_refused(result, "deals.csv:2", "deal.version", "more than 100 digits")
    assert sorted(p.name for p in out.glob("*.pdf")) == ["B-1-v2.pdf"]


@pytest.mark.parametrize(("name", "content", "words"), [
    ("rates.json", '{"base": "EUR", "rates": {"USD": ' + HUGE + "}}", ["rates.json:1",
                                                                      "more than 100 digits"]),
    ("rates.toml", f'base = "EUR"\n[rates]\nUSD = {HUGE}\n', ["rates.toml:3",
                                                              "more than 100 digits"]),
    ("rates.json", '{"base": "EUR", "rates": ' + "[" * 5000 + "]" * 5000 + "}",
     ["rates.json:1", "nested more than 100 levels"]),
    ("rates.toml", 'base = "EUR"\nx = ' + "[" * 5000 + "]" * 5000 + "\n",
     ["rates.toml:2", "nested more than 100 levels"]),
])
def test_a_rates_file_with_a_huge_number_or_deep_nesting_is_refused(run, tmp_path, name,
                                                                    content, words):
    rates = tmp_path / name
    rates.write_text(content)
    report = tmp_path / "report.json"
    _assert_refused(run("report", SAMPLES / "portfolio", "-o", report, "--rates", rates), *words)
    assert not report.exists()


def test_a_deeply_nested_manifest_is_refused_by_report(run, tmp_path):
    manifest = tmp_path / "manifest.json"
    manifest.write_text('{"items": ' + "[" * 5000 + "]" * 5000 + "}")
    report = tmp_path / "report.json"
    result = run("report", manifest, "-o", report)
    _assert_refused(result, "manifest.json:1", "nested more than 100 levels")


@pytest.mark.parametrize(("content", "words"), [
    (f"[templates]\nx = {HUGE}\n", ["expectmatrix.toml:2", "more than 100 digits"]),
    ("x = " + "{a = " * 3000 + "1" + "}" * 3000 + "\n",
     ["expectmatrix.toml:1", "nested more than 100 levels"]),
])
def test_a_settings_file_with_a_huge_number_or_deep_nesting_is_refused(run, tmp_path, content,
                                                                       words):
    config = tmp_path / "expectmatrix.toml"
    config.write_text(content)
    spec = tmp_path / "deal.json"
    spec.write_text(json.dumps(BASE))
    _assert_refused(run("--config", config, "validate", spec), *words)


def test_a_resume_over_a_deeply_nested_manifest_starts_afresh(run, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "manifest.json").write_text('{"items": ' + "[" * 5000 + "]" * 5000 + "}")
    spec = tmp_path / "deal.json"
    spec.write_text(json.dumps(BASE))
    result = run("batch", spec, "-o", out, "--resume", "-f", "pdf")
    assert result.exit_code == 0, result.stderr
    assert (out / "T-1-v1.pdf").exists()
    assert json.loads((out / "manifest.json").read_text())["items"][0]["status"] == "ok"


def test_numbers_of_ordinary_length_still_read(run, tmp_path):
    spec = tmp_path / "deal.json"
    spec.write_text(_spec_text(version="7", value='{"amount": 1234567890123.45, '
                                                  '"currency": "EUR"}'))
    result = run("validate", spec)
    assert result.exit_code == 0, result.stderr


# --- 2. the spec embedded in a document ------------------------------------------------


@pytest.fixture(scope="module")
def documents(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    """A PDF and a DOCX as expectmatrix wrote them."""
    from click.testing import CliRunner

    from expectmatrix.cli import cli

    folder = tmp_path_factory.mktemp("documents")
    result = CliRunner().invoke(cli, ["render", str(SAMPLES / "minimal.yaml"), "-o",
                                      str(folder), "-f", "pdf", "-f", "docx", "--timeout", "0"],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.stderr
    return {kind: next(folder.glob(f"*.{kind}")).read_bytes() for kind in ("pdf", "docx")}


def _with_spec(document: bytes, kind: str, spec: bytes) -> bytes:
    """The document carrying ``spec`` instead of its own, with every fingerprint it states
    made to match, as a forger would."""
    import hashlib
    import io
    import re
    import zipfile

    new = hashlib.sha256(spec).hexdigest().encode()
    if kind == "docx":
        out = io.BytesIO()
        escaped = b"<spec>" + spec.replace(b"&", b"&amp;").replace(b"<", b"&lt;") + b"</spec>"
        with zipfile.ZipFile(io.BytesIO(document)) as z, zipfile.ZipFile(out, "w") as w:
            stated = set(re.findall(rb"[0-9a-f]{64}", z.read("docProps/custom.xml")))
            for info in z.infolist():
                data = z.read(info)
                for old in stated:
                    data = data.replace(old, new)
                if b"urn:expectmatrix:spec:1" in data and info.filename.startswith("customXml"):
                    data = re.sub(rb"<spec>.*</spec>", lambda _: escaped, data, flags=re.S)
                w.writestr(info, data)
        return out.getvalue()
    from pypdf import PdfReader, PdfWriter

    reader = PdfReader(io.BytesIO(document))
    writer = PdfWriter(clone_from=reader)
    del writer._root_object["/Names"].get_object()["/EmbeddedFiles"]
    writer.add_attachment("expectmatrix-spec.json", spec)
    writer.add_metadata({k: re.sub(r"[0-9a-f]{64}", new.decode(), str(v))
                         for k, v in (reader.metadata or {}).items()})
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


NOT_A_SPEC = [
    (b"not json at all", "JSON syntax error"),
    (b'{"deal": ' + b"[" * 100_000 + b"]" * 100_000 + b"}", "nested more than 100 levels"),
    (b'{"deal": {"version": ' + HUGE.encode() + b"}}", "a number of more than 100 digits"),
    (b"[1, 2]", "the top level is a list"),
    (b'{"deal": {"id": "X"}}', "required field missing"),
]


@pytest.mark.parametrize("kind", ["pdf", "docx"])
@pytest.mark.parametrize(("spec", "words"), NOT_A_SPEC)
def test_extract_writes_no_embedded_spec_that_is_not_one(run, tmp_path, documents, kind,
                                                         spec, words):
    document = tmp_path / f"forged.{kind}"
    document.write_bytes(_with_spec(documents[kind], kind, spec))
    out = tmp_path / "spec.json"
    result = run("extract", document, "-o", out)
    _assert_refused(result, f"{document}: the document's embedded spec is not valid", words)
    assert not out.exists()
    assert result.stdout == ""


@pytest.mark.parametrize("kind", ["pdf", "docx"])
@pytest.mark.parametrize("spec", [NOT_A_SPEC[1][0], NOT_A_SPEC[2][0]])
def test_verify_and_diff_refuse_an_embedded_spec_no_parser_may_read(run, tmp_path, documents,
                                                                     kind, spec):
    document = tmp_path / f"forged.{kind}"
    document.write_bytes(_with_spec(documents[kind], kind, spec))
    for args in (["verify", document], ["diff", document, SAMPLES / "minimal.yaml"]):
        _assert_refused(run(*args), "the document's embedded spec is not valid")


def test_an_embedded_spec_that_is_not_utf8_is_refused(run, tmp_path, documents):
    # A DOCX part is XML and cannot carry such bytes; a PDF attachment can.
    document = tmp_path / "forged.pdf"
    document.write_bytes(_with_spec(documents["pdf"], "pdf", b'{"deal": "\xff\xfe"}'))
    out = tmp_path / "spec.json"
    for args in (["verify", document], ["extract", document, "-o", out]):
        _assert_refused(run(*args), "the document's embedded spec is not valid",
                        "not UTF-8 text (byte 11)")
    assert not out.exists()


@pytest.mark.parametrize("kind", ["pdf", "docx"])
def test_extract_of_a_document_as_made_still_gives_its_spec(run, tmp_path, documents, kind):
    document = tmp_path / f"deal.{kind}"
    document.write_bytes(documents[kind])
    out = tmp_path / "spec.json"
    assert run("extract", document, "-o", out).exit_code == 0
    assert json.loads(out.read_text())["deal"]["id"] == "MIN-1"
    assert run("validate", out).exit_code == 0


# --- 3. a CSV column that indexes a field that is not a list ---------------------------


@pytest.mark.parametrize(("column", "words"), [
    ("deal.id[0]", "deal.id is a single value, not a list, so it has no [0]"),
    ("deal.title[0].x", "deal.title is a single value, not a list"),
    ("readiness[0].answer[2]", "readiness[0].answer is a single value, not a list"),
    ("deal.value[1]", "deal.value is a group of fields, not a list, so it has no [1]"),
])
def test_a_csv_column_indexing_a_field_that_is_no_list_is_named(run, tmp_path, column, words):
    export = tmp_path / "deals.csv"
    export.write_text(f"deal.id,parties.customer.name,{column}\nA-1,Alpha,x\n")
    out = tmp_path / "out"
    result = run("batch", export, "--base", _base(tmp_path), "-o", out)
    _assert_refused(result, f"{export}:1: column 3 '{column}': {words}")
    assert not list(out.glob("*.pdf")) and not list(out.glob("*.docx"))
    report = tmp_path / "report.json"
    _assert_refused(run("report", export, "--base", _base(tmp_path), "-o", report), words)


# --- 4. report splits and exchange rates ------------------------------------------------


@pytest.mark.parametrize("option", ["--revenue-split", "--margin-split"])
@pytest.mark.parametrize("value", ["nan", "inf", "-inf", "1e308", "Infinity", "abc"])
def test_a_split_that_is_no_finite_number_in_range_is_a_usage_error(run, tmp_path, option,
                                                                    value):
    report = tmp_path / "report.json"
    result = run("report", SAMPLES / "portfolio", "-o", report, f"{option}={value}")
    _assert_refused(result, f"Invalid value for '{option}'", code=2)
    assert "give " in result.stderr and " from " in result.stderr
    assert not report.exists()


def test_splits_in_range_still_apply(run, tmp_path):
    report = tmp_path / "report.json"
    result = run("report", SAMPLES / "portfolio", "-o", report, "--revenue-split=1e18",
                 "--margin-split=-1000")
    assert result.exit_code == 0, result.stderr
    splits = json.loads(report.read_text())["splits"]
    assert splits == {"revenue": 10**18, "margin_percent": -1000}


@pytest.mark.parametrize("rate", ["1e308", "nan", "inf", "-1", "0", "1e-12", '"abc"', "true"])
def test_a_rate_out_of_bounds_is_refused_naming_the_currency(run, tmp_path, rate):
    rates = tmp_path / "rates.toml"
    rates.write_text(f'base = "EUR"\n[rates]\nUSD = 0.9\nGBP = {rate}\n')
    report = tmp_path / "report.pdf"
    result = run("report", SAMPLES / "portfolio", "-o", report, "--rates", rates)
    _assert_refused(result, f"{rates}: the rate for GBP is ", "what one GBP is worth in EUR")
    assert not report.exists()


def test_the_largest_rate_keeps_every_number_of_the_report_finite(run, tmp_path):
    # Every deal in USD at the highest rate allowed: sums stay finite, charts draw.
    folder = tmp_path / "deals"
    folder.mkdir()
    for n, source in enumerate(sorted((SAMPLES / "portfolio").glob("*.yaml"))[:4]):
        text = source.read_text().replace("currency: EUR", "currency: USD")
        (folder / f"{n}.yaml").write_text(text)
    rates = tmp_path / "rates.json"
    rates.write_text('{"base": "EUR", "rates": {"USD": 1000000000}}')
    for suffix in (".json", ".html"):
        report = tmp_path / f"report{suffix}"
        result = run("report", folder, "-o", report, "--rates", rates)
        assert result.exit_code == 0, result.stderr
    data = json.loads((tmp_path / "report.json").read_text())
    assert all(a["revenue"] >= 10**12 for a in data["accounts"])
    assert "inf" not in (tmp_path / "report.json").read_text().lower()


# --- 5. names longer than the file system takes -----------------------------------------

LONG = "n" * 300  # past the 255 bytes a name may have on common file systems


def _deep_tree(top: Path, spec: bytes) -> None:
    """A spec 20 folders of 250 characters down: a path past the 4,096 bytes the system
    resolves, made step by step from each folder."""
    import os

    top.mkdir()
    fd = os.open(top, os.O_RDONLY)
    try:
        for _ in range(20):
            os.mkdir("d" * 250, dir_fd=fd)
            inner = os.open("d" * 250, os.O_RDONLY, dir_fd=fd)
            os.close(fd)
            fd = inner
        out = os.open("deal.json", os.O_WRONLY | os.O_CREAT, dir_fd=fd)
        os.write(out, spec)
        os.close(out)
    finally:
        os.close(fd)


@pytest.mark.parametrize("args", [
    ["render", "{spec}", "-o", "{long}"],
    ["batch", "{spec}", "-o", "{long}"],
    ["report", "{spec}", "-o", "{long}.json"],
    ["init", "--segment", "small", "--vendor", "V", "--customer", "C", "-o", "{long}.yaml"],
    ["diff", "{spec}", "{spec}", "-o", "{long}.txt"],
    ["schema", "-o", "{long}.json"],
    ["templates", "copy", "{long}"],
    ["render", "{spec}", "-o", "{long}/out"],
])
def test_an_output_name_too_long_for_the_file_system_is_a_usage_error(run, tmp_path, args):
    spec = tmp_path / "deal.json"
    spec.write_text(json.dumps(BASE))
    filled = [a.format(spec=spec, long=tmp_path / LONG) for a in args]
    result = run(*filled)
    _assert_refused(result, "is too long for the file system", "choose a shorter one", code=2)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["deal.json"]


def test_a_name_the_file_system_takes_but_its_temporary_twin_not_is_refused_first(run, tmp_path):
    # 250 bytes is a valid name, but the file is first written under a longer one.
    spec = tmp_path / "deal.json"
    spec.write_text(json.dumps(BASE))
    result = run("report", spec, "-o", tmp_path / ("r" * 245 + ".json"))
    _assert_refused(result, "(250 bytes; at most 241 here)", code=2)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["deal.json"]


def test_a_folder_too_deep_to_search_fails_alone_in_batch_and_report(run, tmp_path):
    folder = tmp_path / "deals"
    _deep_tree(folder, json.dumps(BASE).encode())
    data = copy.deepcopy(BASE)
    data["deal"]["id"] = "TOP-1"
    (folder / "top.json").write_text(json.dumps(data))
    out = tmp_path / "out"
    result = run("batch", folder, "-o", out, "-f", "pdf")
    _assert_refused(result, "cannot search this folder: the name is longer than the file "
                            "system allows", "1 ok, 1 failed")
    assert [p.name for p in out.glob("*.pdf")] == ["TOP-1-v1.pdf"]
    assert max(len(line) for line in result.stderr.splitlines()) < 600  # the path is cut
    report = tmp_path / "report.json"
    result = run("report", folder, "-o", report)
    _assert_refused(result, "cannot search this folder", "1 accounts, 1 input(s) left out")


def test_a_csv_base_cell_naming_a_file_too_long_fails_its_row_plainly(run, tmp_path):
    export = tmp_path / "deals.csv"
    export.write_text(f"deal.id,parties.customer.name,base\nA-1,Alpha,{LONG}.json\n")
    result = run("batch", export, "-o", tmp_path / "out")
    _assert_refused(result, "deals.csv:2", "the name is longer than the file system allows")


# --- 6. full-width signs in a customer name, in the report PDF --------------------------


def _dejavu_only(tmp_path: Path) -> dict[str, str]:
    """An environment whose fontconfig knows DejaVu alone: what a machine has that
    installed only the fonts the project asks for (no CJK font to fall back on)."""
    import os
    import shutil

    if not shutil.which("fc-match"):
        pytest.skip("fontconfig's fc-match is not installed")
    found = subprocess.run(["fc-match", "-f", "%{file}", "DejaVu Sans"], capture_output=True,
                           text=True, check=False).stdout
    if "DejaVuSans" not in found:
        pytest.skip("DejaVu Sans is not installed")
    config = tmp_path / "fonts.conf"
    config.write_text(f'<?xml version="1.0"?>\n<fontconfig><dir>{Path(found).parent}</dir>'
                      f"<cachedir>{tmp_path / 'fontcache'}</cachedir></fontconfig>\n")
    return {**os.environ, "FONTCONFIG_FILE": str(config)}


def _portfolio_named(folder: Path, name: str) -> Path:
    folder.mkdir()
    for source in sorted((SAMPLES / "portfolio").glob("*.yaml"))[:3]:
        (folder / source.name).write_text(source.read_text())
    first = folder / sorted(p.name for p in folder.iterdir())[0]
    text = first.read_text()
    start = text.index("customer: {name: ") + len("customer: {name: ")
    end = text.index("}", start)
    first.write_text(text[:start] + json.dumps(name, ensure_ascii=False) + text[end:])
    return folder


def _report_in(env: dict[str, str], *args: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "expectmatrix", "report", *map(str, args)],
                          capture_output=True, text=True, env=env, timeout=300, check=False)


def test_a_full_width_equals_sign_in_a_customer_name_renders_in_the_report_pdf(tmp_path):
    from conftest import pdf_text

    env = _dejavu_only(tmp_path)
    folder = _portfolio_named(tmp_path / "deals", "＝SUM(A1)＋＜b＞ Harbour")
    report = tmp_path / "report.pdf"
    result = _report_in(env, folder, "-o", report)
    assert result.returncode == 0, result.stderr
    text, _ = pdf_text(report.read_bytes())
    assert "=SUM(A1)+<b> Harbour" in text
    # The CSV keeps the name as written, made harmless for a spreadsheet.
    table = tmp_path / "report.csv"
    assert _report_in(env, folder, "-o", table).returncode == 0
    assert "＝SUM(A1)＋＜b＞ Harbour" in table.read_text(encoding="utf-8-sig")


def test_a_chinese_customer_name_without_a_font_for_it_is_a_clear_error(tmp_path):
    env = _dejavu_only(tmp_path)
    folder = _portfolio_named(tmp_path / "deals", "株式会社 Harbour")
    report = tmp_path / "report.pdf"
    result = _report_in(env, folder, "-o", report)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert ("the customer name '株式会社 Harbour' has Chinese, Japanese or Korean characters"
            in result.stderr)
    assert "write the report as .html" in result.stderr
    assert not report.exists()


def test_accounts_without_revenue_are_charted_without_a_warning(tmp_path):
    # minimal.yaml gives no deal value: every account has revenue 0.
    result = subprocess.run([sys.executable, "-m", "expectmatrix", "report",
                             SAMPLES / "minimal.yaml", "-o", tmp_path / "report.html"],
                            capture_output=True, text=True, timeout=300, check=False)
    assert result.returncode == 0, result.stderr
    assert "Warning" not in result.stderr and "log-scaled" not in result.stderr
    assert "Globex LLC" in (tmp_path / "report.html").read_text()
