"""`expectmatrix serve`: the API answers as the command line does, downloads are the
files `render` makes, saves never overwrite a file changed on disk, and every request
that should be refused is."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from conftest import SAMPLES, pdf_text

HOST = "127.0.0.1:8750"


@pytest.fixture
def folder(tmp_path) -> Path:
    deals = tmp_path / "deals"
    deals.mkdir()
    for name in ("small-bakery.yaml", "minimal.yaml"):
        shutil.copy(SAMPLES / name, deals / name)
    return deals


def _client(folder: Path, token: str | None = None, host: str = HOST):  # type: ignore[no-untyped-def]
    from starlette.testclient import TestClient

    from expectmatrix.serve.app import create_app

    app = create_app(folder, frozenset({host}), token)
    return TestClient(app, base_url=f"http://{host}")


def _csrf(client) -> str:  # type: ignore[no-untyped-def]
    page = client.get("/").text
    return re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)


def test_the_deals_list_shows_every_spec(folder):
    client = _client(folder)
    page = client.get("/")
    assert page.status_code == 200
    assert "Point-of-sale and inventory rollout" in page.text and "Harbour Bakery Ltd" in page.text
    assert "balanced: 4 of vendor, 4 of customer" in page.text
    assert "script-src 'self'" in page.headers["content-security-policy"]
    assert "<script>" not in page.text  # no inline script: the policy would refuse it
    filtered = client.get("/", params={"segment": "medium"}).text
    assert "Harbour Bakery" not in filtered and "Pilot of the reporting module" in filtered
    assert "Harbour" in client.get("/", params={"q": "harbour"}).text


def test_api_validate_answers_as_validate_json(run, folder):
    client = _client(folder)
    body = (folder / "small-bakery.yaml").read_bytes()
    answer = client.post("/api/validate", content=body)
    cli = json.loads(run("validate", folder / "small-bakery.yaml", "--json").stdout)
    assert answer.status_code == 200
    assert [f["message"] for f in answer.json()[0]["findings"]] == [
        f["message"] for f in cli[0]["findings"]]
    assert "  of_customer:\n" in body.decode()
    text = body.decode().replace("  of_customer:\n", "  of_customer:\n    - {id: C9, area: "
                                 "Support, text: Extra., measure: M, owner: O}\n", 1)
    unbalanced = client.post("/api/validate", content=text.encode()).json()[0]
    assert unbalanced["status"].startswith("unbalanced: 4 of vendor, 5 of customer")
    assert not unbalanced["ok"]


def test_api_render_gives_the_file_render_makes(run, folder, tmp_path):
    client = _client(folder)
    assert run("render", folder / "small-bakery.yaml", "-o", tmp_path / "out").exit_code == 0
    for fmt in ("pdf", "docx"):
        download = client.get("/api/render", params={"format": fmt, "name": "small-bakery.yaml"})
        assert download.status_code == 200
        assert download.content == (tmp_path / "out" / f"HBK-2026-007-v2.{fmt}").read_bytes()
    posted = client.post("/api/render?format=pdf",
                         content=(folder / "minimal.yaml").read_bytes())
    assert posted.status_code == 200 and pdf_text(posted.content)[0].startswith("DRAFT")


def test_save_keeps_the_text_and_refuses_to_overwrite_a_changed_file(folder):
    client = _client(folder)
    token = _csrf(client)
    page = client.get("/deals/minimal.yaml").text
    etag = re.search(r'data-etag="([0-9a-f]{64})"', page).group(1)
    original = (folder / "minimal.yaml").read_text()
    edited = original.replace("# The smallest", "# Edited in the browser. The smallest")
    saved = client.put("/deals/minimal.yaml", headers={"X-CSRF-Token": token},
                       content=json.dumps({"text": edited, "etag": etag}))
    assert saved.status_code == 200 and (folder / "minimal.yaml").read_text() == edited
    (folder / "minimal.yaml").write_text(original + "# changed on disk\n")
    stale = client.put("/deals/minimal.yaml", headers={"X-CSRF-Token": token},
                       content=json.dumps({"text": edited + "# mine\n", "etag": etag}))
    assert stale.status_code == 409 and "# changed on disk" in stale.json()["disk"]
    assert (folder / "minimal.yaml").read_text().endswith("# changed on disk\n")


def test_a_new_deal_from_a_playbook_is_written_to_the_folder(run, folder):
    client = _client(folder)
    made = client.post("/new", headers={"X-CSRF-Token": _csrf(client)},
                       content=json.dumps({"segment": "small", "vendor": "Acme Ltd",
                                           "customer": "Nordsee Brauhaus", "id": "NB-1"}))
    assert made.status_code == 200 and made.json() == {"created": "NB-1.yaml"}
    assert run("validate", folder / "NB-1.yaml").exit_code == 0


def test_state_changing_requests_without_csrf_or_from_elsewhere_are_refused(folder):
    client = _client(folder)
    token = _csrf(client)
    body = json.dumps({"text": "x", "etag": ""})
    assert client.put("/deals/minimal.yaml", content=body).status_code == 403
    assert client.put("/deals/minimal.yaml", content=body,
                      headers={"X-CSRF-Token": "wrong"}).status_code == 403
    assert client.put("/deals/minimal.yaml", content=body,
                      headers={"X-CSRF-Token": token,
                               "Origin": "http://evil.example"}).status_code == 403
    assert client.post("/api/validate", content=b"deal: {}",
                       headers={"Origin": "http://evil.example"}).status_code == 403
    assert (folder / "minimal.yaml").read_text() == (SAMPLES / "minimal.yaml").read_text()


@pytest.mark.parametrize("name", ["..%2Fsecret.yaml", "%2Fetc%2Fpasswd.yaml", ".hidden.yaml",
                                  "notes.txt", "link.yaml"])
def test_paths_outside_the_folder_are_refused(folder, tmp_path, name):
    (tmp_path / "secret.yaml").write_text("secret: yes\n")
    (folder / "link.yaml").symlink_to(tmp_path / "secret.yaml")
    client = _client(folder)
    token = _csrf(client)
    assert client.get(f"/deals/{name}").status_code in (400, 404)
    written = client.put(f"/deals/{name}", headers={"X-CSRF-Token": token},
                         content=json.dumps({"text": "x", "etag": "", "overwrite": True}))
    assert written.status_code in (400, 404, 405)
    assert (tmp_path / "secret.yaml").read_text() == "secret: yes\n"
    assert client.get("/api/render", params={"format": "pdf", "name": name}).status_code in (
        400, 404)


def test_the_host_header_is_checked(folder):
    client = _client(folder)
    assert client.get("/", headers={"Host": "attacker.example:8750"}).status_code == 400


def test_a_team_server_needs_its_token(folder):
    client = _client(folder, token="s3cret", host="10.0.0.5:8750")
    assert client.get("/").status_code == 403
    assert client.post("/api/validate", content=b"x").status_code == 403
    assert client.get("/?token=s3cret").status_code == 200  # sets the cookie
    assert client.get("/").status_code == 200
    assert client.post("/api/validate", headers={"Authorization": "Bearer s3cret"},
                       content=(folder / "minimal.yaml").read_bytes()).json()[0]["ok"]


def test_request_bodies_are_bounded(folder):
    client = _client(folder)
    huge = b"#" * 3_000_000
    assert client.post("/api/validate", content=huge).status_code == 413


def test_the_page_loads_nothing_from_outside(folder):
    client = _client(folder)
    for page in (client.get("/").text, client.get("/deals/minimal.yaml").text):
        assert not re.search(r"""(src|href)=["'](https?:)?//""", page)
    assert client.get("/static/app.js").status_code == 200
    assert client.get("/static/..%2Fmatrix.html").status_code == 404
