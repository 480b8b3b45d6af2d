"""Atomic writes: a failure leaves no partial file and keeps the previous good one."""

from __future__ import annotations

import os

import pytest

from expectmatrix.errors import OutputError
from expectmatrix.render.pipeline import Renderers, RenderOptions, render_file
from expectmatrix.writing import prepare_dir, write_atomic


def test_write_atomic_replaces_content(tmp_path):
    target = tmp_path / "a.pdf"
    write_atomic(target, b"one")
    write_atomic(target, b"two")
    assert target.read_bytes() == b"two"
    assert os.listdir(tmp_path) == ["a.pdf"]


def test_failed_write_keeps_old_file_and_leaves_no_temp(tmp_path, monkeypatch):
    target = tmp_path / "a.pdf"
    target.write_bytes(b"good")

    def broken_fsync(fd):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", broken_fsync)
    with pytest.raises(OutputError, match="No space left"):
        write_atomic(target, b"partial")
    assert target.read_bytes() == b"good"
    assert os.listdir(tmp_path) == ["a.pdf"]


def test_failed_render_writes_nothing(tmp_path, write_spec, spec_data):
    class Exploding(Renderers):
        def render(self, view, fmt):
            if fmt == "docx":
                raise RuntimeError("boom")
            return b"%PDF"

    path = write_spec(spec_data)
    out = tmp_path / "out"
    with pytest.raises(RuntimeError):
        render_file(path, out, RenderOptions(("pdf", "docx")), renderers=Exploding())
    assert not out.exists()


def test_unwritable_folder_is_reported(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(OutputError, match="output folder"):
        prepare_dir(blocker / "sub")


def test_renderers_are_reused(tmp_path, write_spec, spec_data):
    renderers = Renderers()
    render_file(write_spec(spec_data), tmp_path, RenderOptions(("pdf",)), renderers=renderers)
    first = renderers.get("pdf")
    spec_data["deal"]["id"] = "T-2"
    render_file(write_spec(spec_data, "b.json"), tmp_path, RenderOptions(("pdf",)),
                renderers=renderers)
    assert renderers.get("pdf") is first
    assert sorted(p.name for p in tmp_path.iterdir() if p.suffix == ".pdf") == ["T-1-v1.pdf",
                                                                               "T-2-v1.pdf"]
