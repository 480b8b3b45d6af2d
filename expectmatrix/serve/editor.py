"""The editor's requests: its page, form edits checked as the rep types, previews of
both editions, a new version of a deal, and the redline against the previous one. Each is
a plain function of the served folder, the request and its body, run off the event loop;
app.py routes them."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response

from expectmatrix.errors import EditRefused, ExpectmatrixError
from expectmatrix.serve.edits import Edit, apply
from expectmatrix.serve.form import form_clauses
from expectmatrix.serve.guard import MAX_UPLOAD_BYTES
from expectmatrix.serve.preview import PREVIEW_CSP
from expectmatrix.serve.state import (
    MEDIA,
    Served,
    answer,
    checked,
    disposition,
    etag,
    json_body,
    page,
    read_spec,
    spec_format,
)
from expectmatrix.serve.versions import bump, new_version_name, previous_version
from expectmatrix.spec.findings import Finding, findings_json
from expectmatrix.spec.terms import AUDIENCES


def editor_page(served: Served, request: Request, body: bytes) -> Response:
    path = served.guard.spec_path(request.path_params["name"])
    if not path.is_file():
        return Response("no such spec", status_code=404)
    data = read_spec(path)
    text = data.decode("utf-8", "replace")
    loaded = _loaded(served, text, path.name)
    loaded = None if isinstance(loaded, Finding) else loaded
    previous = previous_of(served, loaded)
    return page(served, "serve/editor.html", spec_name=path.name, text=text,
                etag=etag(data), previous=previous.name if previous else "",
                max_upload=MAX_UPLOAD_BYTES,
                # our own template's output, escaped as it was drawn
                form=Markup(form_for_text(served, text, path.name, loaded)),
                clauses=form_clauses(served.library()))


def form_for_text(served: Served, text: str, name: str, loaded: Any) -> str:
    """The form of a spec's text (``loaded``: it checked, or None), or what keeps the
    text from being a form."""
    from expectmatrix.render.plain import plain
    from expectmatrix.render.templating import render_template
    from expectmatrix.serve.form import form_view

    fmt = spec_format(name, text)
    try:
        doc = served.recent.load(text, fmt)
    except EditRefused as e:
        return render_template(served.pages, "serve/form-problem.html", problem=str(e))
    view = plain(form_view(doc.data, loaded, served.library(), served.settings.internal_fields))
    served.recent.remember(text, doc)  # read, not changed: the next edit starts here
    return render_template(served.pages, "serve/form.html", form=view)


def edit(served: Served, request: Request, body: bytes) -> Response:
    """One form edit (or none: the text was edited) -> the new text, validate's answer
    and, when asked, the form drawn anew."""
    payload = json_body(body, text=True)
    name = request.query_params.get("name", "request")
    text = payload["text"]
    if payload.get("edit") is not None:
        change = Edit.from_json(payload["edit"])
        resolved = checked(text.encode("utf-8"), name, served).spec \
            if change.op == "own-text" else None
        text = apply(text, change, spec_format(name, text), resolved, served.recent)
    loaded = _loaded(served, text, name)
    result = answer(loaded) if not isinstance(loaded, Finding) else \
        findings_json(name, [loaded]) | {"status": "not valid yet: see the findings"}
    result["text"] = text
    if payload.get("form"):
        spec = None if isinstance(loaded, Finding) else loaded
        result["form"] = form_for_text(served, text, name, spec)
    return JSONResponse(result)


def _loaded(served: Served, text: str, name: str) -> Any:
    try:
        return checked(text.encode("utf-8"), name, served)
    except ExpectmatrixError as e:
        return Finding("invalid", str(e))


def preview(served: Served, request: Request, body: bytes) -> Response:
    """The page of an edition of the (unsaved) spec, kept under a key for the frame."""
    payload = json_body(body, text=True)
    audience = payload.get("audience", "counterparty")
    if audience not in AUDIENCES:
        raise EditRefused("audience is counterparty or internal")
    name = request.query_params.get("name", "request")
    loaded = checked(payload["text"].encode("utf-8"), name, served)
    if loaded.spec is None:
        return JSONResponse(answer(loaded), status_code=422)
    if name != "request":  # a spec of the folder: its logo and font are found beside it
        loaded = replace(loaded, folder=served.guard.spec_path(name).parent)
    page = served.rendering.document(loaded, "html", audience)
    return JSONResponse({"url": f"/preview/{served.previews.put(page, len(page))}"})


def preview_page(served: Served, request: Request, body: bytes) -> Response:
    page = served.previews.get(request.path_params["key"])
    if page is None:
        return Response("this preview has expired: preview again", status_code=404)
    return HTMLResponse(page, headers={"Content-Security-Policy": PREVIEW_CSP,
                                       "X-Content-Type-Options": "nosniff",
                                       "Cache-Control": "no-store"})


def new_version(served: Served, request: Request, body: bytes) -> Response:
    """The edited spec as version + 1, written to a new file; the old file stays."""
    payload = json_body(body, text=True)
    source = served.guard.spec_path(request.path_params["name"])
    loaded = checked(payload["text"].encode("utf-8"), source.name, served)
    if loaded.spec is None:
        return JSONResponse({"error": "fix the findings before making a new version"},
                            status_code=422)
    return write_new_version(served, source, payload["text"], loaded.spec.deal.version + 1)


def write_new_version(served: Served, source: Path, text: str, version: int) -> Response:
    """``text`` as ``version`` of the deal of ``source``, written to a new file named
    after it (deal-v3.yaml); the old file stays as it was. Never over a file there."""
    from expectmatrix.writing import write_atomic

    target = served.guard.spec_path(new_version_name(source.name, version))
    if target.exists():
        return JSONResponse({"error": f"{target.name} exists already"}, status_code=409)
    fmt = spec_format(source.name, text)
    write_atomic(target, bump(text, fmt, version).encode("utf-8"))
    return JSONResponse({"created": target.name, "version": version})


def previous_of(served: Served, loaded: Any) -> Path | None:
    """The file of the checked spec's previous version, if the folder has it."""
    spec = loaded.spec if loaded is not None else None
    if spec is None:
        return None
    return previous_version(served.guard.folder, spec.deal.id, spec.deal.version)


def compare(served: Served, request: Request, body: bytes) -> Response:
    """The redline of the saved spec against its previous version: the agreement with
    deletions struck and insertions underlined (pdf), or with tracked changes (docx)."""
    from expectmatrix.review.compare import read_for_compare
    from expectmatrix.review.redline import (
        agreement_redline,
        agreement_redline_pdf,
        default_author,
        frame_for,
        redline_time,
    )

    fmt = request.query_params.get("format", "pdf")
    if fmt not in MEDIA:
        raise EditRefused("format is pdf or docx")
    path = served.guard.spec_path(request.path_params["name"])
    if not path.is_file():
        return Response("no such spec", status_code=404)
    loaded = checked(read_spec(path), path.name, served)
    old_path = previous_of(served, loaded)
    if old_path is None:
        return Response("there is no previous version of this deal in the folder",
                        status_code=404)
    old, new = (read_for_compare(p, served.library) for p in (old_path, path))
    options = served.rendering.options(fmt, "counterparty")
    frames = (frame_for(old, served.library), frame_for(new, served.library))
    if fmt == "pdf":
        data = served.rendering.redline(agreement_redline_pdf, old, new, frames, options,
                                        str(path.parent))
    else:
        data = served.rendering.redline(agreement_redline, old, new, frames, options,
                                        default_author(), redline_time())
    return Response(data, media_type=MEDIA[fmt], headers={"Content-Disposition": disposition(
        "inline" if fmt == "pdf" else "attachment", f"{path.stem}-changes.{fmt}")})
