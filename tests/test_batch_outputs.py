"""A batch's outputs as one unit: a failed item or write leaves nothing half-written, a
second batch into a folder in use is refused, a killed or interrupted batch is resumed
and cleaned."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from builders import spec_file, template
from conftest import SAMPLES

from expectmatrix.batch.runner import run_batch
from expectmatrix.errors import OutputError
from expectmatrix.writing import folder_lock, write_documents


def test_a_failed_write_keeps_the_earlier_pair(tmp_path, monkeypatch):
    import tempfile

    (tmp_path / "D-v1.pdf").write_bytes(b"old pdf")
    (tmp_path / "D-v1.docx").write_bytes(b"old docx")
    real = tempfile.mkstemp
    calls = []

    def full_disk(*args: object, **kwargs: object) -> tuple[int, str]:
        calls.append(1)
        if len(calls) == 2:
            raise OSError(28, "No space left on device")
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(tempfile, "mkstemp", full_disk)
    with pytest.raises(OutputError, match="No space left"):
        write_documents(tmp_path, {"D-v1.pdf": b"new pdf", "D-v1.docx": b"new docx"})
    assert (tmp_path / "D-v1.pdf").read_bytes() == b"old pdf"
    assert (tmp_path / "D-v1.docx").read_bytes() == b"old docx"
    assert sorted(os.listdir(tmp_path)) == ["D-v1.docx", "D-v1.pdf"]


def test_a_failed_item_leaves_nothing_in_a_batch(tmp_path):
    inp = tmp_path / "in"
    inp.mkdir()
    for deal in ("A-1", "BAD-1"):
        spec_file(inp, f"{deal}.json", id=deal)
    folder = template(tmp_path / "tpl", "{% if view.deal_id == 'BAD-1' %}{{ view.nope }}"
                      "{% endif %}{{ super() }}")
    result = run_batch([inp], tmp_path / "out", ("docx", "pdf"), jobs=1,
                       options=_options(template_dirs=(folder,)))
    assert [r.status for r in result.records] == ["ok", "failed"]
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        "A-1-v1.docx", "A-1-v1.pdf", "failures.csv", "manifest.json"]


def _options(**changes: object):  # type: ignore[no-untyped-def]
    from dataclasses import replace

    from expectmatrix.render.pipeline import RenderOptions

    return replace(RenderOptions(timeout=60), **changes)


def test_a_second_batch_into_a_folder_in_use_is_refused(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    with folder_lock(out), pytest.raises(OutputError, match="in use by another"):
        run_batch([SAMPLES / "minimal.yaml"], out, ("docx",), jobs=1)
    assert not list(out.iterdir())


def test_a_killed_batch_leaves_nothing_the_next_run_does_not_clean(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / ".manifest.json.abcd1234.tmp").write_text("{")  # as kill -9 leaves it
    (out / ".X-v1.pdf.k2j3h4g5.tmp").write_bytes(b"%PDF")
    result = run_batch([SAMPLES / "minimal.yaml"], out, ("docx",), jobs=1)
    assert result.ok
    assert sorted(p.name for p in out.iterdir()) == ["MIN-1-v1.docx", "failures.csv",
                                                      "manifest.json"]


def test_an_interrupted_resume_keeps_the_earlier_items(tmp_path):
    inp = tmp_path / "in"
    inp.mkdir()
    for i in range(6):
        spec_file(inp, f"s{i}.json", id=f"S-{i}")
    out = tmp_path / "out"
    first = run_batch([inp], out, ("docx",), jobs=1)
    assert first.count("ok") == 6
    # A resume over just one input is a run that ends early, as a killed one would:
    # the manifest still lists the five documents it did not touch.
    run_batch([inp / "s0.json"], out, ("docx",), jobs=1, resume=True)
    items = json.loads((out / "manifest.json").read_text())["items"]
    assert sorted(i["source"] for i in items) == sorted(str(p) for p in inp.iterdir())
    again = run_batch([inp], out, ("docx",), jobs=1, resume=True)
    assert again.count("skipped") == 6 and again.count("ok") == 0


def test_ctrl_c_lets_running_items_finish_and_lists_every_document(tmp_path):
    from slowjob import GATE

    inp, out = tmp_path / "in", tmp_path / "out"
    inp.mkdir()
    for i in range(12):
        spec_file(inp, f"s{i:02}.json", id=f"I-{i:02}")
    gate = tmp_path / "gate"
    env = {**os.environ, GATE: str(gate),
           "PYTHONPATH": os.pathsep.join([str(Path(__file__).parent), os.environ["PYTHONPATH"]])}
    code = ("import sys, slowjob; from expectmatrix.cli import main; "
            "sys.argv = ['expectmatrix', 'batch', sys.argv[1], '-o', sys.argv[2], '-f', 'docx', "
            "'--jobs', '2']; slowjob.patch_batch(); main()")
    proc = subprocess.Popen([sys.executable, "-c", code, str(inp), str(out)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            start_new_session=True, env=env)
    deadline = time.monotonic() + 120
    # Each render waits at the gate: wait until both workers hold an item.
    while time.monotonic() < deadline and len(list(tmp_path.glob("gate.*"))) < 2:
        time.sleep(0.05)
    assert len(list(tmp_path.glob("gate.*"))) == 2
    os.killpg(proc.pid, 2)  # SIGINT to the whole group, as a terminal's Ctrl-C does
    assert proc.stderr is not None
    heard = []  # the batch says it heard the Ctrl-C before the gate opens
    while not heard or not (heard[-1].startswith(b"interrupted:") or heard[-1] == b""):
        heard.append(proc.stderr.readline())
    assert heard[-1].startswith(b"interrupted:"), heard
    gate.touch()  # let the two held items finish
    _, rest = proc.communicate(timeout=120)
    err = b"".join(heard) + rest
    assert proc.returncode == 130, err.decode()
    assert "interrupted" in err.decode() and "Traceback" not in err.decode()
    data = json.loads((out / "manifest.json").read_text())
    assert data["summary"]["interrupted"] is True
    listed = {o["file"] for i in data["items"] for o in i["outputs"]}
    on_disk = {p.name for p in out.glob("*.docx")}
    assert on_disk == listed and len(on_disk) == 2  # the two in flight, nothing after
    assert not [p for p in out.iterdir() if p.name.startswith(".")]
