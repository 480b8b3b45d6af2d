"""A batch over a folder reads what is in the folder: symbolic links that lead out of it
(to a file or a folder) are skipped with a warning naming them, unless asked."""

from __future__ import annotations

import copy
import json
import os
from pathlib import Path

import pytest
from conftest import BASE

from expectmatrix.batch.runner import run_batch
from expectmatrix.spec.inputs import walk_folder


def _spec(path: Path, deal_id: str) -> Path:
    data = copy.deepcopy(BASE)
    data["deal"]["id"] = deal_id
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """specs/ with one spec of its own, a link to a spec file outside, a link to a folder
    of specs outside, and a link to another spec inside it."""
    specs = tmp_path / "specs"
    _spec(specs / "own.json", "OWN-1")
    _spec(specs / "sub" / "kept.json", "KEPT-1")
    secret = _spec(tmp_path / "outside" / "secret.json", "LEAK-1")
    _spec(tmp_path / "outside" / "more" / "other.json", "LEAK-2")
    (specs / "leak.json").symlink_to(secret)
    (specs / "elsewhere").symlink_to(tmp_path / "outside" / "more", target_is_directory=True)
    (specs / "sub" / "alias.json").symlink_to(Path("kept.json"))  # inside: still read
    return specs


def test_links_out_of_the_folder_are_skipped_and_named(run, folder, tmp_path):
    out = tmp_path / "out"
    result = run("batch", folder, "-o", out, "-f", "docx", "--jobs", "1")
    assert "Traceback" not in result.output
    for link, target in (("leak.json", "outside/secret.json"), ("elsewhere", "outside/more")):
        assert (f"{folder / link}: warning: skipped: a symbolic link out of the folder "
                f"{folder} (to {tmp_path / target})") in result.stderr
    written = sorted(p.name for p in out.iterdir() if p.suffix == ".docx")
    assert written == ["KEPT-1-v1.docx", "OWN-1-v1.docx"]  # KEPT-1 read twice, made once
    items = {Path(i["source"]).name: i for i in json.loads((out / "manifest.json").read_text())["items"]}
    assert items["leak.json"]["status"] == "skipped"
    assert items["elsewhere"]["status"] == "skipped"
    assert items["leak.json"]["findings"][0]["code"] == "outside-folder"
    # read, as before (it stays inside), and the same spec again: a duplicate, not a conflict
    twins = sorted((items[n]["status"], "duplicate" in [f["code"] for f in items[n]["findings"]])
                   for n in ("alias.json", "kept.json"))
    assert twins == [("ok", False), ("skipped", True)]
    assert result.exit_code == 0  # the links skipped are no failure


def test_nothing_outside_is_read_through_a_link(tmp_path):
    specs = tmp_path / "specs"
    specs.mkdir()
    (specs / "environ.yaml").symlink_to("/proc/self/environ")
    (specs / "passwd.yml").symlink_to("/etc/passwd")
    result = run_batch([specs], tmp_path / "out", ["docx"], jobs=1)
    assert [(Path(r.source).name, r.status) for r in result.records] == [
        ("environ.yaml", "skipped"), ("passwd.yml", "skipped")]
    assert result.ok and result.documents == 0
    assert "(to /etc/passwd)" in result.records[1].findings[0].message
    assert "root:" not in (tmp_path / "out" / "manifest.json").read_text()


def test_links_are_followed_when_asked(run, folder, tmp_path):
    out = tmp_path / "out"
    result = run("batch", folder, "-o", out, "-f", "docx", "--jobs", "1", "--follow-symlinks")
    assert "symbolic link" not in result.stderr
    written = sorted(p.name for p in out.iterdir() if p.suffix == ".docx")
    assert written == ["KEPT-1-v1.docx", "LEAK-1-v1.docx", "LEAK-2-v1.docx", "OWN-1-v1.docx"]


def test_a_followed_link_that_loops_ends(tmp_path):
    specs = tmp_path / "specs"
    _spec(specs / "a" / "one.json", "ONE-1")
    (specs / "a" / "back").symlink_to(tmp_path, target_is_directory=True)  # out, and around
    found = [p.name for p, _ in walk_folder(specs, lambda name: name.endswith(".json"), follow_symlinks=True)]
    assert found == ["one.json"]  # the link leads back to specs/, which is not walked twice
    listed = list(walk_folder(specs, lambda name: name.endswith(".json")))
    assert listed == [(specs / "a" / "back", tmp_path), (specs / "a" / "one.json", None)]
    assert os.path.islink(specs / "a" / "back")
