"""`batch --scheduler`: the same batch on a dask.distributed cluster (here a local one of
worker processes), with the same documents, manifest and resume as on this machine."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import sys
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from builders import png, spec_file
from conftest import SAMPLES


@pytest.fixture(scope="module")
def scheduler() -> Iterator[str]:
    distributed = pytest.importorskip("distributed")
    # A task whose workers died is tried on one more (dask's default: three more, each
    # a worker process started again, which proves nothing more).
    with distributed.LocalCluster(n_workers=2, processes=True, threads_per_worker=1,
                                  host="127.0.0.1", dashboard_address=None,
                                  scheduler_kwargs={"allowed_failures": 1}) as cluster:
        yield cluster.scheduler_address


def _inputs(tmp_path: Path) -> list[str]:
    """A sample drawn from the clause library, with warnings; a spec with a logo beside it;
    a CRM export whose base spec has one, and non-standard rows: all named relative to
    ``tmp_path``, where the batch runs (the cluster's workers run elsewhere)."""
    inp = tmp_path / "in"
    inp.mkdir()
    shutil.copy(SAMPLES / "playbook-small.yaml", inp)
    (inp / "logo.png").write_bytes(png())
    spec = spec_file(inp, "logo-deal.json", id="LOGO-1")
    data = json.loads(spec.read_text())
    data["branding"] = {"logo": "logo.png"}
    spec.write_text(json.dumps(data))
    crm, base = tmp_path / "crm", tmp_path / "base"
    crm.mkdir()
    base.mkdir()
    (base / "logo.png").write_bytes(png())
    shutil.copy(SAMPLES / "minimal.yaml", base / "base.yaml")
    with (base / "base.yaml").open("a", encoding="utf-8") as f:
        f.write("branding:\n  logo: logo.png\n")
    (crm / "deals.csv").write_text("deal.id,parties.customer.name,base\n"
                                   "ROW-1,Nordsee Brauhaus GmbH,../base/base.yaml\n"
                                   "ROW-2,Harbour Foods Ltd,../base/base.yaml\n")
    return ["in", "crm/deals.csv"]


def _manifest(out: Path) -> dict:
    data = json.loads((out / "manifest.json").read_text())
    for timing in ("wall_seconds", "documents_per_second"):
        data["summary"].pop(timing)
    return data


def _files(out: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(out.iterdir()) if p.name != "manifest.json"}


def test_the_cluster_makes_the_same_documents_and_manifest_as_jobs_2(tmp_path, scheduler,
                                                                     run, monkeypatch):
    monkeypatch.chdir(tmp_path)  # the inputs are relative to here, as typed in a shell
    inputs = _inputs(tmp_path)
    on_cluster = run("batch", *inputs, "-o", "cluster", "--scheduler", scheduler)
    here = run("batch", *inputs, "-o", "here", "--jobs", "2")
    assert on_cluster.exit_code == here.exit_code == 0, on_cluster.stderr + here.stderr
    documents = _files(tmp_path / "cluster")
    assert len([n for n in documents if n.endswith((".pdf", ".docx"))]) == 2 * 4
    assert documents == _files(tmp_path / "here")
    manifest = _manifest(tmp_path / "cluster")
    assert manifest == _manifest(tmp_path / "here")
    assert {i["status"] for i in manifest["items"]} == {"ok"}
    for deal in ("ROW-1", "LOGO-1"):  # the logos beside the specs were found
        with zipfile.ZipFile(tmp_path / "cluster" / f"{deal}-v1.docx") as z:
            assert any(n.startswith("word/media/") for n in z.namelist()), deal
    # Resumed on the cluster: nothing is made again, and the manifest says so as here.
    before = {p.name: p.stat().st_mtime_ns for p in (tmp_path / "cluster").iterdir()}
    resumed = run("batch", *inputs, "-o", "cluster", "--scheduler", scheduler, "--resume")
    here = run("batch", *inputs, "-o", "here", "--jobs", "2", "--resume")
    assert resumed.exit_code == here.exit_code == 0, resumed.stderr
    assert "every output is up to date" in resumed.stderr
    manifest = _manifest(tmp_path / "cluster")
    assert manifest == _manifest(tmp_path / "here")
    assert {i["status"] for i in manifest["items"]} == {"skipped"}
    assert documents == _files(tmp_path / "cluster")
    assert all(p.stat().st_mtime_ns == before[p.name]
               for p in (tmp_path / "cluster").iterdir() if p.suffix in (".pdf", ".docx"))


def hang_hook() -> None:
    """On a cluster's worker: the DOCX of a deal whose id starts with HANG never ends, in
    one step no exception can interrupt (as a long C-level step would)."""
    from expectmatrix.render import docx as docx_writer

    original = docx_writer.DocxRenderer.render

    def render(self, view):  # type: ignore[no-untyped-def]
        if view.deal_id.startswith("HANG"):
            time.sleep(300)
        return original(self, view)

    docx_writer.DocxRenderer.render = render  # type: ignore[method-assign]


def test_a_document_that_overruns_on_the_cluster_fails_alone(tmp_path, scheduler):
    """Its worker process is ended (no exception reaches a job stuck in one step), dask
    tries it again (once, on this cluster), then fails it; the other items are made."""
    from distributed import Client

    from expectmatrix.batch.runner import run_batch
    from expectmatrix.render.pipeline import RenderOptions

    inp = tmp_path / "in"
    inp.mkdir()
    for deal in ("A-1", "HANG-1", "B-1"):
        spec_file(inp, f"{deal}.json", id=deal)
    started = time.monotonic()
    with Client(scheduler, set_as_default=False) as client:
        result = run_batch([inp], tmp_path / "out", options=RenderOptions(
            formats=("docx",), timeout=1), executor=client.get_executor(pure=False),
            worker_hook=hang_hook)
        client.wait_for_workers(2, timeout=120)  # the cluster is whole again
    assert time.monotonic() - started < 240
    records = {r.deal_id: r for r in result.records}
    assert records["HANG-1"].status == "failed"
    assert "died" in (records["HANG-1"].error or ""), records["HANG-1"].error
    assert records["A-1"].status == records["B-1"].status == "ok"
    assert sorted(p.name for p in (tmp_path / "out").glob("*.docx")) == ["A-1-v1.docx",
                                                                        "B-1-v1.docx"]


def test_without_dask_the_scheduler_option_names_the_extra(tmp_path):
    code = ("import sys; sys.modules['distributed'] = None; from expectmatrix.cli import main; "
            "sys.argv = ['expectmatrix', *sys.argv[1:]]; main()")
    spec = spec_file(tmp_path)
    result = subprocess.run([sys.executable, "-c", code, "batch", str(spec), "-o", "out",
                             "--scheduler", "tcp://127.0.0.1:8786"], capture_output=True,
                            text=True, timeout=120, cwd=tmp_path, check=False)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "--scheduler needs dask.distributed" in result.stderr
    assert "pip install 'expectmatrix[dask]'" in result.stderr
    assert not (tmp_path / "out").exists()


def test_a_scheduler_that_does_not_answer_is_a_clear_error(tmp_path, run, monkeypatch):
    pytest.importorskip("distributed")
    from expectmatrix.batch import executors

    monkeypatch.setattr(executors, "CONNECT_TIMEOUT", 2.0)
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    started = time.monotonic()
    result = run("batch", spec_file(tmp_path), "-o", tmp_path / "out", "--scheduler",
                 f"tcp://127.0.0.1:{port}")
    assert time.monotonic() - started < 60
    assert result.exit_code == 1
    assert f"cannot reach the dask scheduler at tcp://127.0.0.1:{port}" in result.stderr
    assert not (tmp_path / "out").exists()
