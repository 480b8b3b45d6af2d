"""What the app's handlers share: the served folder and its settings, the checks a spec
goes through (the same as `validate`), and pages sent with the app's security headers."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from expectmatrix.errors import EditRefused
from expectmatrix.serve.edits import Recent
from expectmatrix.serve.guard import COOKIE, MAX_BODY_BYTES, Guard
from expectmatrix.serve.preview import Held
from expectmatrix.serve.rendering import Rendering
from expectmatrix.spec.shape import expectations_of, sides

CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
       "connect-src 'self'; frame-src 'self'; form-action 'self'; frame-ancestors 'none'; "
       "base-uri 'none'")


MEDIA = {"pdf": "application/pdf",
         "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document"}


@dataclass(frozen=True)
class Served:
    guard: Guard
    library: Any  # a LibraryLoader: read once, on first use
    settings: Any
    pages: Any  # the Jinja environment of the pages, built once
    previews: Held[bytes]  # the last few previews, by key
    rendering: Rendering
    recent: Recent  # the form's last documents, so an edit need not parse its text again
    listing: dict[str, Any]  # the deals list's rows by file, with the size and time read
    absorbed: Held[Any]  # legal's DOCX absorbed, until saved as a new version


# Every handler of the app: a plain function of the served folder, the request and its
# body, run on a thread (app.threaded).
Handler = Callable[[Served, Request, bytes], Response]


def read_spec(path: Path) -> bytes:
    """A spec file of the folder, within the bound a request body has (InputError past
    it): a file is read no more freely than a request."""
    from expectmatrix.spec.inputs import read_bytes

    return read_bytes(path, MAX_BODY_BYTES, "spec")


def checked(data: bytes, name: str, served: Served) -> Any:
    from expectmatrix.checks import check_loaded
    from expectmatrix.spec.loading import load_bytes

    return check_loaded(load_bytes(data, name, spec_format(name, data)), library=served.library,
                        template_dirs=served.settings.template_dirs,
                        approvals=served.settings.approval_rules)


def balance(loaded: Any) -> str:
    """The words of the status line: "balanced" with the counts, or validate's message."""
    unbalanced = [f for f in loaded.findings if f.code == "unbalanced"]
    if unbalanced:
        return str(unbalanced[0].message)
    spec = loaded.spec
    if spec is None:
        return "not valid yet: see the findings"
    counts = ", ".join(f"{len(expectations_of(spec, side))} of {side}" for side in sides())
    return f"balanced: {counts}"


def page(served: Served, template: str, **values: Any) -> HTMLResponse:
    from expectmatrix.render.plain import plain
    from expectmatrix.render.templating import render_template

    html = render_template(served.pages, template, csrf=served.guard.csrf, **{
        k: plain(v) for k, v in values.items()})
    response = HTMLResponse(html, headers={"Content-Security-Policy": CSP,
                                           "X-Content-Type-Options": "nosniff",
                                           "Referrer-Policy": "no-referrer"})
    if served.guard.token:
        response.set_cookie(COOKIE, served.guard.token, httponly=True, samesite="strict")
    return response


def disposition(kind: str, filename: str) -> str:
    """A Content-Disposition naming ``filename`` for any client (RFC 6266): an ASCII
    fallback, and the name itself in UTF-8 (RFC 5987). A header holds Latin-1 at most,
    and a file of the folder may be named in any script."""
    from urllib.parse import quote

    fallback = re.sub(r"[^A-Za-z0-9._-]", "_", filename)
    if fallback == filename:
        return f'{kind}; filename="{filename}"'
    utf8 = quote(filename.encode("utf-8", "replace"), safe="")
    return f"{kind}; filename=\"{fallback}\"; filename*=UTF-8''{utf8}"


def answer(loaded: Any) -> dict[str, Any]:
    """validate's JSON for one spec, with the words of the status line."""
    from expectmatrix.spec.findings import findings_json

    data = findings_json(loaded.file, loaded.findings)
    data["status"] = balance(loaded)
    return data


def spec_format(name: str, data: bytes | str) -> str:
    """json for a .json file or a body that starts as JSON does; yaml otherwise."""
    start = data.lstrip()[:1]
    return "json" if name.lower().endswith(".json") or start in ("{", "[", b"{", b"[") \
        else "yaml"


def etag(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def json_body(body: bytes, text: bool = False) -> dict[str, Any]:
    """A request's JSON object (with the spec's ``text`` when ``text``); EditRefused (a
    400) for anything else."""
    try:
        payload = json.loads(body)
    except (ValueError, RecursionError) as e:  # a decode error is a ValueError
        raise EditRefused("the request is not JSON") from e
    if not isinstance(payload, dict):
        raise EditRefused("the request is not a JSON object")
    if text and not isinstance(payload.get("text"), str):
        raise EditRefused("the request needs the spec's text")
    if text:
        try:  # JSON may carry lone surrogates, which no file can hold
            json.dumps(payload, ensure_ascii=False).encode("utf-8")
        except UnicodeEncodeError as e:
            raise EditRefused("the request holds characters that are not Unicode text") from e
    return payload
