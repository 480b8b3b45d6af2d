"""Batch runs: isolation, conflicts, CSV rows, manifest, resume, crashes, exit codes."""

from __future__ import annotations

import copy
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import BASE, SAMPLES, pdf_text

from expectmatrix.batch.runner import run_batch
from expectmatrix.errors import OutputError


def spec(deal_id: str, **deal) -> dict:
    data = copy.deepcopy(BASE)
    data["deal"].update(id=deal_id, **deal)
    return data


def write(folder: Path, name: str, content) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(content if isinstance(content, str) else json.dumps(content), encoding="utf-8")
    return path


def manifest(out: Path) -> dict:
    return json.loads((out / "manifest.json").read_text())


def by_source(data: dict) -> dict:
    return {Path(i["source"]).name: i for i in data["items"]}


def test_folder_with_good_bad_and_conflicting_specs(run, tmp_path):
    inp, out = tmp_path / "in", tmp_path / "out"
    write(inp, "good.json", spec("GOOD-1"))
    write(inp, "nested/also-good.yaml", (SAMPLES / "minimal.yaml").read_text())
    write(inp, "bad.yaml", "deal:\n  id: x\n  titel: y\n")
    write(inp, "a.json", spec("Same-1"))
    write(inp, "b.json", spec("SAME-1"))  # differs only in case: same file on macOS/Windows
    write(inp, "notes.txt", "ignored")
    result = run("batch", inp, "-o", out, "--jobs", "2")
    assert result.exit_code == 1
    items = by_source(manifest(out))
    assert set(items) == {"good.json", "also-good.yaml", "bad.yaml", "a.json", "b.json"}
    assert items["good.json"]["status"] == "ok" and items["also-good.yaml"]["status"] == "ok"
    assert items["bad.yaml"]["status"] == "failed"
    assert items["bad.yaml"]["error"].startswith(str(inp / "bad.yaml"))
    assert {(f["code"], f["path"], f["line"], f["column"]) for f in items["bad.yaml"]["findings"]
            } >= {("unknown-field", "deal.titel", 3, 3)}
    assert items["a.json"]["status"] == items["b.json"]["status"] == "conflict"
    assert sorted(p.name for p in out.iterdir()) == [
        "GOOD-1-v1.docx", "GOOD-1-v1.pdf", "MIN-1-v1.docx", "MIN-1-v1.pdf", "failures.csv",
        "manifest.json"]
    for entry in items["good.json"]["outputs"]:
        data = (out / entry["file"]).read_bytes()
        assert entry["bytes"] == len(data) and entry["sha256"] == hashlib.sha256(data).hexdigest()
    text, _ = pdf_text((out / "GOOD-1-v1.pdf").read_bytes())
    assert items["good.json"]["fingerprint"] in text
    assert manifest(out)["summary"]["failed"] == 1 and manifest(out)["complete"] is True
    assert "bad.yaml:3:3 deal.titel" in result.stderr
    assert "1 failed, 2 conflict" in result.stderr


CSV = ("\ufeffdeal.id;deal.title;deal.effective;deal.version;parties.customer.name;"
       "expectations.of_vendor[0].due\r\n"
       "ROW-2;Plain;2026-12-01;3;Müller GmbH;0123\r\n"
       'ROW-3;"Title with\nnewline";2026-13-01;1;X;\r\n'
       "ROW-4;Fine;2027-01-01;;Z;\r\n"
       "ROW-5;Bad version;2027-01-01;three;Z;\r\n")


def test_csv_rows_with_bom_crlf_quoted_newlines_and_semicolons(run, tmp_path):
    csv_file = write(tmp_path, "deals.csv", CSV)
    out = tmp_path / "out"
    result = run("batch", csv_file, "--base", SAMPLES / "minimal.yaml", "-o", out, "-f", "pdf",
                 "--jobs", "1")
    assert result.exit_code == 1
    items = {i["source"].rsplit(":", 1)[1]: i for i in manifest(out)["items"]}
    assert items["2"]["status"] == "ok" and items["2"]["version"] == 3
    assert items["3"]["status"] == "failed"
    assert f"{csv_file}:3: deal.effective: not a date: 2026-13-01" in result.stderr
    assert items["4"]["status"] == "ok" and items["4"]["version"] == 1  # empty cell: base value
    assert items["5"]["status"] == "failed" and f"{csv_file}:5: deal.version" in result.stderr
    text, _ = pdf_text((out / "ROW-2-v3.pdf").read_bytes())
    assert "Müller GmbH" in text and "Due: 0123" in text


def test_csv_base_column_relative_to_the_csv(tmp_path):
    shutil.copy(SAMPLES / "minimal.yaml", tmp_path / "base.yaml")
    csv_file = write(tmp_path, "deals.csv", "base,deal.id,parties.customer.name,deal.titel\n"
                                            "base.yaml,R-1,Globex LLC,x\n"
                                            "base.yaml,R-2,Globex LLC,\n")
    result = run_batch([csv_file], tmp_path / "out", ("docx",), jobs=1)
    [bad, good] = result.records
    assert bad.status == "failed" and "unknown field 'titel'" in bad.error
    assert bad.error.startswith(f"{csv_file}:2:")
    assert good.status == "ok"


def test_resume_after_a_finished_batch_renders_nothing(run, tmp_path):
    out = tmp_path / "out"
    # DOCX alone: the cheapest to make, and what is resumed is the same for any format
    run("batch", SAMPLES / "minimal.yaml", SAMPLES / "small-bakery.yaml", "-o", out, "-f", "docx",
        "--jobs", "1")
    documents = (".pdf", ".docx")  # manifest.json and failures.csv are rewritten each run
    stamps = {p.name: p.stat().st_mtime_ns for p in out.iterdir() if p.suffix in documents}
    assert len(stamps) == 2
    again = run("batch", SAMPLES / "minimal.yaml", SAMPLES / "small-bakery.yaml", "-o", out,
                "-f", "docx", "--resume", "--jobs", "1")
    assert again.exit_code == 0
    assert "nothing to render" in again.stderr
    assert {p.name: p.stat().st_mtime_ns for p in out.iterdir() if p.suffix in documents} == stamps
    assert [i["status"] for i in manifest(out)["items"]] == ["skipped", "skipped"]
    # a changed spec, or a tampered output, is rendered again
    (out / "MIN-1-v1.docx").write_bytes(b"tampered")
    third = run_batch([SAMPLES / "minimal.yaml", SAMPLES / "small-bakery.yaml"], out, ("docx",),
                      jobs=1, resume=True)
    assert [r.status for r in third.records] == ["ok", "skipped"]


def test_resume_after_a_killed_batch(tmp_path):
    inp, out = tmp_path / "in", tmp_path / "out"
    for i in range(8):  # killed after 3 documents: more would prove nothing more
        write(inp, f"s{i:02}.json", spec(f"K-{i:02}"))
    cmd = [sys.executable, "-m", "expectmatrix", "batch", str(inp), "-o", str(out), "-f", "pdf",
           "--jobs", "1"]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if len(list(out.glob("*.pdf"))) >= 3 and (out / "manifest.json").exists():
            break
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    data = manifest(out)  # valid JSON whenever the batch was killed
    assert data["complete"] is False
    finished = [i for i in data["items"] if i["status"] == "ok"]
    assert finished and all((out / o["file"]).exists() for i in finished for o in i["outputs"])
    # kill -9 may land in the middle of a write and leave its temporary file: the next
    # run into the folder removes it.
    result = run_batch([inp], out, ("pdf",), jobs=2, resume=True)
    statuses = {r.source: r.status for r in result.records}
    assert all(statuses[i["source"]] == "skipped" for i in finished)
    assert result.count("ok") + result.count("skipped") == 8 and result.ok
    assert len(list(out.glob("*.pdf"))) == 8
    assert not [p for p in out.iterdir() if p.name.startswith(".")]  # no temporary files


def test_a_crashing_worker_fails_only_its_item(tmp_path):
    from crashhook import install

    inp = tmp_path / "in"
    for name in ("A-1", "CRASH-1", "B-1", "C-1"):
        write(inp, f"{name}.json", spec(name))
    result = run_batch([inp], tmp_path / "out", ("pdf",), jobs=2, worker_hook=install)
    statuses = {Path(r.source).stem: r.status for r in result.records}
    assert statuses == {"A-1": "ok", "B-1": "ok", "C-1": "ok", "CRASH-1": "failed"}
    crashed = next(r for r in result.records if r.status == "failed")
    assert "crashed" in crashed.error
    assert not result.ok


def test_unwritable_output_is_reported_before_rendering(run, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(OutputError):
        run_batch([SAMPLES / "minimal.yaml"], blocker / "out")
    result = run("batch", SAMPLES / "minimal.yaml", "-o", blocker / "out")
    assert result.exit_code == 1 and "output folder" in result.stderr


def test_fail_fast_stops_and_json_summary(run, tmp_path):
    inp = tmp_path / "in"
    write(inp, "a.yaml", "deal: 1\n")
    write(inp, "b.json", spec("OK-1"))
    result = run("batch", inp, "-o", tmp_path / "out", "--fail-fast", "--jobs", "1", "--json")
    assert result.exit_code == 1
    summary = json.loads(result.stdout)
    assert summary["stopped_early"] is True and summary["failed"] == 1
    assert not list((tmp_path / "out").glob("*.pdf"))


def test_all_good_batch_exits_0(run, tmp_path):
    result = run("batch", SAMPLES, "-o", tmp_path / "out", "-f", "docx", "--jobs", "2")
    assert result.exit_code == 0, result.stderr
    bakery = by_source(manifest(tmp_path / "out"))["small-bakery.yaml"]
    assert {f["code"] for f in bakery["findings"]} >= {"readiness"}  # warnings are kept
    # a folder is searched recursively: the portfolio samples are deals too
    assert len(list((tmp_path / "out").glob("*.docx"))) == len(list(SAMPLES.rglob("*.yaml")))


def test_batch_output_equals_render_output(tmp_path):
    from expectmatrix.render.pipeline import render_file

    single = render_file(SAMPLES / "large-hospital.yaml", tmp_path / "single")
    result = run_batch([SAMPLES / "large-hospital.yaml"], tmp_path / "batch", jobs=1)
    assert result.records[0].fingerprint == single.fingerprint
    for path in single.outputs:
        assert (tmp_path / "batch" / path.name).read_bytes() == path.read_bytes()


def test_csv_column_that_does_not_fit_the_spec(tmp_path):
    csv_file = write(tmp_path, "deals.csv", "deal.id,parties.customer.name,"
                                            "expectations.of_vendor.text\nX-1,Globex LLC,Hello\n")
    [record] = run_batch([csv_file], tmp_path / "out", ("pdf",), base=SAMPLES / "minimal.yaml",
                         jobs=1).records
    assert record.status == "failed"
    assert "column 'expectations.of_vendor.text' does not fit" in record.error
    assert record.error.startswith(f"{csv_file}:2:")


def test_the_manifest_is_streamed_from_records_kept_on_disk(tmp_path):
    from expectmatrix.batch.manifest import Ledger, Manifest, Record
    from expectmatrix.spec.findings import Finding

    empty = Manifest(tmp_path, ["in"], ["pdf"], Ledger())
    empty.write()
    assert manifest(tmp_path)["items"] == [] and manifest(tmp_path)["complete"] is False

    book = Manifest(tmp_path, ["in"], ["pdf"], Ledger())
    note = Finding("nonstandard", "V1 is non-standard", "info", ("expectations",), "b.yaml", 3, 7)
    made = {"file": "B-v1.pdf", "bytes": 10, "sha256": "ab" * 32}
    records = {2: Record("c.yaml", "failed", error="broken"),
               0: Record("a.yaml", "conflict", "A", 1, "f" * 64, error="same name"),
               1: Record("b.yaml", "ok", "B", 1, "e" * 64, [made], [note])}
    for index, record in records.items():
        book.add(index, record)
    with pytest.raises(ValueError):
        book.add(1, records[1])
    book.write({"ok": 1})
    data = manifest(tmp_path)
    assert data["complete"] is True and data["summary"] == {"ok": 1}
    assert data["items"] == [records[i].to_dict() for i in (0, 1, 2)]  # in input order
    assert data["items"][1]["findings"][0]["line"] == 3
    # Read back on demand, equal to what went in; counted without reading them.
    assert list(book.records) == [records[0], records[1], records[2]]
    assert book.records[-1] == records[2] and book.records[:1] == [records[0]]
    assert book.records.statuses == {"ok": 1, "failed": 1, "conflict": 1}
    # A later run into the folder keeps these items until it replaces them.
    later = Ledger()
    later.load_earlier(tmp_path)
    (tmp_path / "B-v1.pdf").write_bytes(b"x" * 10)
    assert later.up_to_date(tmp_path, ["B-v1.pdf"], "e" * 64) is None  # bytes changed
    again = Manifest(tmp_path, ["in"], ["pdf"], later)
    again.add(0, Record("b.yaml", "failed", error="now broken"))
    again.write()
    items = manifest(tmp_path)["items"]
    assert [(i["source"], i["status"], i.get("earlier", False)) for i in items] == [
        ("b.yaml", "failed", False), ("a.yaml", "conflict", True), ("c.yaml", "failed", True)]
