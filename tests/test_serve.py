"""`expectmatrix serve`: the API answers as the command line does, downloads are the
files `render` makes, saves never overwrite a file changed on disk, and every request
that should be refused is."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from conftest import SAMPLES, pdf_text
from liveserver import app_client, csrf_token, deals_folder


@pytest.fixture
def folder(tmp_path) -> Path:
    return deals_folder(tmp_path, SAMPLES / "small-bakery.yaml", SAMPLES / "minimal.yaml")


def test_the_deals_list_shows_every_spec(folder):
    client = app_client(folder)
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
    client = app_client(folder)
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
    client = app_client(folder)
    assert run("render", folder / "small-bakery.yaml", "-o", tmp_path / "out").exit_code == 0
    for fmt in ("pdf", "docx"):
        download = client.get("/api/render", params={"format": fmt, "name": "small-bakery.yaml"})
        assert download.status_code == 200
        assert download.content == (tmp_path / "out" / f"HBK-2026-007-v2.{fmt}").read_bytes()
    posted = client.post("/api/render?format=pdf",
                         content=(folder / "minimal.yaml").read_bytes())
    assert posted.status_code == 200 and pdf_text(posted.content)[0].startswith("DRAFT")


def test_save_keeps_the_text_and_refuses_to_overwrite_a_changed_file(folder):
    client = app_client(folder)
    token = csrf_token(client)
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
    client = app_client(folder)
    made = client.post("/new", headers={"X-CSRF-Token": csrf_token(client)},
                       content=json.dumps({"segment": "small", "vendor": "Acme Ltd",
                                           "customer": "Nordsee Brauhaus", "id": "NB-1"}))
    assert made.status_code == 200 and made.json() == {"created": "NB-1.yaml"}
    assert run("validate", folder / "NB-1.yaml").exit_code == 0


def test_state_changing_requests_without_csrf_or_from_elsewhere_are_refused(folder):
    client = app_client(folder)
    token = csrf_token(client)
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
    client = app_client(folder)
    token = csrf_token(client)
    assert client.get(f"/deals/{name}").status_code in (400, 404)
    written = client.put(f"/deals/{name}", headers={"X-CSRF-Token": token},
                         content=json.dumps({"text": "x", "etag": "", "overwrite": True}))
    assert written.status_code in (400, 404, 405)
    assert (tmp_path / "secret.yaml").read_text() == "secret: yes\n"
    assert client.get("/api/render", params={"format": "pdf", "name": name}).status_code in (
        400, 404)
    text = (SAMPLES / "minimal.yaml").read_text()
    version = client.post(f"/deals/{name}/versions", headers={"X-CSRF-Token": token},
                          content=json.dumps({"text": text}))
    assert version.status_code in (400, 404)
    assert client.get(f"/deals/{name}/compare").status_code in (400, 404)
    from urllib.parse import unquote

    preview = client.post("/api/preview", params={"name": unquote(name)},
                          headers={"X-CSRF-Token": token}, content=json.dumps({"text": text}))
    assert preview.status_code in (400, 404)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["deals", "secret.yaml"]
    assert sorted(p.name for p in folder.iterdir()) == ["link.yaml", "minimal.yaml",
                                                        "small-bakery.yaml"]


def test_the_host_header_is_checked(folder):
    client = app_client(folder)
    assert client.get("/", headers={"Host": "attacker.example:8750"}).status_code == 400


def test_a_team_server_needs_its_token(folder):
    client = app_client(folder, token="s3cret", host="10.0.0.5:8750")
    assert client.get("/").status_code == 403
    assert client.post("/api/validate", content=b"x").status_code == 403
    assert client.get("/?token=s3cret").status_code == 200  # sets the cookie
    assert client.get("/").status_code == 200
    assert client.post("/api/validate", headers={"Authorization": "Bearer s3cret"},
                       content=(folder / "minimal.yaml").read_bytes()).json()[0]["ok"]


def test_request_bodies_are_bounded(folder):
    client = app_client(folder)
    huge = b"#" * 3_000_000
    assert client.post("/api/validate", content=huge).status_code == 413


def test_the_page_loads_nothing_from_outside(folder):
    client = app_client(folder)
    for page in (client.get("/").text, client.get("/deals/minimal.yaml").text):
        assert not re.search(r"""(src|href)=["'](https?:)?//""", page)
    assert client.get("/static/app.js").status_code == 200
    assert client.get("/static/..%2Fmatrix.html").status_code == 404


def _edit(client, token, text, edit=None, form=False, name="small-bakery.yaml"):  # type: ignore[no-untyped-def]
    return client.post(f"/api/edit?name={name}", headers={"X-CSRF-Token": token},
                       content=json.dumps({"text": text, "edit": edit, "form": form}))


def test_the_editor_page_is_a_form_named_for_people(folder):
    client = app_client(folder)
    page = client.get("/deals/small-bakery.yaml").text
    for name in ("Add vendor expectation", "Add customer expectation", "Remove V1",
                 "Remove C4", "Move V2 up", "Pick a clause for V1", "Save",
                 "Save as new version", "Download PDF", "Download DOCX",
                 "Preview counterparty edition", "Preview internal edition",
                 "Add readiness question", "Add approval", "Add customer contact"):
        assert f">{name}<" in page, name
    assert 'role="status"' in page
    # Fields as written, each with the path its findings carry.
    assert 'data-path="expectations.of_vendor[0].text"' in page
    assert "Configure the menu, prices and tax rates" in page
    assert re.search(r'value="no" checked', page)  # readiness question 3
    # The picker offers the library's clauses, each with its side and segments.
    assert re.search(r'data-side="vendor" data-segments="[a-z ]*small[a-z ]*"', page)
    assert "Compare with the previous version" not in page  # no version 1 in the folder


def test_an_edit_answers_with_the_new_text_and_validates_words(run, folder):
    client = app_client(folder)
    token = csrf_token(client)
    text = (folder / "small-bakery.yaml").read_text()
    answer = _edit(client, token, text, {"op": "remove", "path": "expectations.of_vendor[0]"},
                   form=True)
    assert answer.status_code == 200
    result = answer.json()
    assert "Configure the menu" not in result["text"] and result["text"].startswith("# A small")
    (folder / "edited.yaml").write_text(result["text"])
    cli = run("validate", folder / "edited.yaml", "--json")
    assert cli.exit_code == 1
    unbalanced = [f for f in json.loads(cli.stdout)[0]["findings"] if f["code"] == "unbalanced"]
    assert result["status"] == unbalanced[0]["message"]
    assert result["status"].startswith("unbalanced: 3 of vendor, 4 of customer")
    assert ">Remove V1<" not in result["form"] and ">Remove V2<" in result["form"]
    # Nothing was written: the file changes only on Save.
    assert (folder / "small-bakery.yaml").read_text() == text
    # A text that is not YAML yet: the answer says why, the form says it cannot show it.
    broken = _edit(client, token, "deal: [", form=True).json()
    assert broken["ok"] is False and "cannot show this spec" in broken["form"]
    refused = _edit(client, token, text, {"op": "remove", "path": "expectations.of_vendor[9]"})
    assert refused.status_code == 400 and "out of date" in refused.json()["error"]
    assert _edit(client, "wrong", text).status_code == 403


def test_previews_show_each_edition_under_their_own_policy(folder):
    client = app_client(folder)
    token = csrf_token(client)
    text = (folder / "small-bakery.yaml").read_text()
    pages = {}
    for audience in ("counterparty", "internal"):
        made = client.post("/api/preview?name=small-bakery.yaml", headers={"X-CSRF-Token": token},
                           content=json.dumps({"text": text, "audience": audience}))
        assert made.status_code == 200
        page = client.get(made.json()["url"])
        assert page.status_code == 200
        policy = page.headers["content-security-policy"]
        assert "sandbox" in policy and "script-src" not in policy and "default-src 'none'" in policy
        pages[audience] = page.text
    assert "Three shops, one central kitchen" in pages["internal"]  # deal.notes: internal
    assert "Three shops, one central kitchen" not in pages["counterparty"]
    assert client.get("/preview/not-a-key").status_code == 404
    invalid = client.post("/api/preview", headers={"X-CSRF-Token": token},
                          content=json.dumps({"text": "deal: {}"}))
    assert invalid.status_code == 422


def test_a_new_version_keeps_the_old_file_and_compares_with_it(run, folder, tmp_path):
    client = app_client(folder)
    token = csrf_token(client)
    original = (folder / "small-bakery.yaml").read_text()
    edited = original.replace("Before go-live", "Two weeks before go-live")
    made = client.post("/deals/small-bakery.yaml/versions", headers={"X-CSRF-Token": token},
                       content=json.dumps({"text": edited}))
    assert made.status_code == 200 and made.json() == {"created": "small-bakery-v3.yaml",
                                                       "version": 3}
    assert (folder / "small-bakery.yaml").read_text() == original
    new = (folder / "small-bakery-v3.yaml").read_text()
    assert "version: 3" in new and "Two weeks before go-live" in new
    again = client.post("/deals/small-bakery.yaml/versions", headers={"X-CSRF-Token": token},
                        content=json.dumps({"text": edited}))
    assert again.status_code == 409
    page = client.get("/deals/small-bakery-v3.yaml").text
    assert ">Compare with the previous version<" in page
    redline = client.get("/deals/small-bakery-v3.yaml/compare")
    assert redline.status_code == 200 and redline.headers["content-type"] == "application/pdf"
    text, _ = pdf_text(redline.content)
    assert "Two weeks" in text and "version 2" in text.lower()
    docx = client.get("/deals/small-bakery-v3.yaml/compare?format=docx")
    assert docx.status_code == 200 and b"w:ins" in _document_xml(docx.content)
    assert client.get("/deals/small-bakery.yaml/compare").status_code == 404  # no version 1
    assert client.post("/deals/small-bakery.yaml/versions",
                       content=json.dumps({"text": edited})).status_code == 403


def _document_xml(data: bytes) -> bytes:
    import io
    import zipfile

    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return z.read("word/document.xml")


def test_hostile_edit_requests_are_refused_and_spec_text_stays_text(folder):
    client = app_client(folder)
    token = csrf_token(client)
    headers = {"X-CSRF-Token": token}
    for body in (b"not json", b"[]", json.dumps({"edit": {}}).encode(),
                 json.dumps({"text": 5}).encode(), b'{"text": "deal: \\ud800"}',
                 b'{"text": "a: b", "edit": {"op": "set", "path": "a", "value": "\\udfff"}}'):
        answer = client.post("/api/edit", headers=headers, content=body)
        assert answer.status_code == 400 and "error" in answer.json()
    text = (folder / "minimal.yaml").read_text()
    # A field name is only a key of the spec's data: validate then says it is unknown.
    odd = _edit(client, token, text, {"op": "set", "path": "__class__.x", "value": "1"}).json()
    assert odd["ok"] is False and "__class__" in odd["text"]
    assert any(f["path"].startswith("__class__") for f in odd["findings"])
    for edit in ({"op": "eval", "path": "deal"},
                 {"op": "set", "path": "deal.title", "value": ["x"]},
                 {"op": "move", "path": "expectations.of_vendor[0]", "delta": 7}):
        assert _edit(client, token, text, edit).status_code == 400
    assert client.post("/api/preview", headers=headers, content=json.dumps(
        {"text": text, "audience": "everyone"})).status_code == 400
    # Markup in a spec is shown as text in the form, never run.
    hostile = text.replace("Pilot of the reporting module",
                           '"<script>alert(1)</script><img src=x onerror=alert(2)>"')
    form = _edit(client, token, hostile, form=True).json()["form"]
    assert "<script>alert" not in form and "<img src=x" not in form
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in form


def test_the_deals_list_follows_the_files(folder):
    client = app_client(folder)
    assert "Pilot of the reporting module" in client.get("/").text
    spec = folder / "minimal.yaml"
    spec.write_text(spec.read_text().replace("Pilot of the reporting module",
                                             "Pilot of the planning module") + "# longer\n")
    page = client.get("/").text
    assert "Pilot of the planning module" in page and "reporting module" not in page
    spec.unlink()
    assert "Pilot of the planning module" not in client.get("/").text


def test_a_file_larger_than_a_request_may_be_is_refused_not_read(folder):
    big = folder / "huge.yaml"
    big.write_bytes(b"# " + b"x" * 2_100_000 + b"\n")
    client = app_client(folder)
    assert "huge.yaml" in client.get("/").text  # listed, with its problem
    assert client.get("/deals/huge.yaml").status_code == 400
    assert client.get("/api/render", params={"format": "pdf", "name": "huge.yaml"}
                      ).status_code == 400
