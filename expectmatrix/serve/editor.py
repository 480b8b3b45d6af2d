"""The editor's requests: form edits checked as the rep types, previews of both editions,
a new version of a deal, and the redline against the previous one. Each is a plain
function of the served folder, the request and its body, run off the event loop; app.py
routes them."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response

from expectmatrix.errors import EditRefused, ExpectmatrixError
from expectmatrix.serve.edits import Edit, apply_lines, apply_to, dump
from expectmatrix.serve.preview import PREVIEW_CSP
from expectmatrix.serve.state import (
    MEDIA,
    Served,
    answer,
    checked,
    disposition,
    read_spec,
    spec_format,
)
from expectmatrix.serve.versions import bump, new_version_name, previous_version
from expectmatrix.spec.findings import Finding, findings_json
from expectmatrix.spec.terms import AUDIENCES


def _payload(body: bytes) -> dict[str, Any]:
    try:
        payload = json.loads(body)
    except (ValueError, RecursionError) as e:  # a decode error is a ValueError
        raise EditRefused("the request is not JSON") from e
    if not isinstance(payload, dict) or not isinstance(payload.get("text"), str):
        raise EditRefused("the request needs the spec's text")
    try:  # JSON may carry lone surrogates, which no file can hold
        json.dumps(payload, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError as e:
        raise EditRefused("the request holds characters that are not Unicode text") from e
    return payload


def form_html(served: Served, data: Any, loaded: Any) -> str:
    """The form of a spec as written, or what keeps it from being a form."""
    from expectmatrix.render.plain import plain
    from expectmatrix.render.templating import render_template
    from expectmatrix.serve.form import form_view

    return render_template(served.pages, "serve/form.html",
                           form=plain(form_view(data, loaded, served.library())))


def form_for_text(served: Served, text: str, name: str, loaded: Any) -> str:
    """The form of a spec's text, or what keeps the text from being a form."""
    fmt = spec_format(name, text)
    try:
        data, layout = served.recent.load(text, fmt)
    except (EditRefused, ValueError) as e:
        return render_problem(served, str(e))
    served.recent.remember(text, fmt, data, layout)  # unchanged: the next edit starts here
    return form_html(served, data, loaded)


def loaded_or_none(served: Served, text: str, name: str) -> Any:
    loaded = _loaded(served, text, name)
    return None if isinstance(loaded, Finding) else loaded


def render_problem(served: Served, problem: str) -> str:
    from expectmatrix.render.templating import render_template

    return render_template(served.pages, "serve/form-problem.html", problem=problem)


def edit(served: Served, request: Request, body: bytes) -> Response:
    """One form edit (or none: the text was edited) -> the new text, validate's answer
    and, when asked, the form drawn anew."""
    payload = _payload(body)
    name = request.query_params.get("name", "request")
    text = payload["text"]
    fmt = spec_format(name, text)
    data = None
    if payload.get("edit") is not None:
        change = Edit.from_json(payload["edit"])
        resolved = None
        if change.op == "own-text":
            resolved = checked(text.encode("utf-8"), name, served).spec
        spliced = apply_lines(text, change, fmt)  # rows that move take their comments
        if spliced is not None:
            text = spliced
        else:
            data, layout = served.recent.load(text, fmt)
            apply_to(data, change, resolved)
            text = dump(data, layout, fmt)
            served.recent.remember(text, fmt, data, layout)
    loaded = _loaded(served, text, name)
    result = answer(loaded) if not isinstance(loaded, Finding) else \
        findings_json(name, [loaded]) | {"status": "not valid yet: see the findings"}
    result["text"] = text
    if payload.get("form"):
        spec = None if isinstance(loaded, Finding) else loaded
        result["form"] = form_html(served, data, spec) if data is not None else \
            form_for_text(served, text, name, spec)
    return JSONResponse(result)


def _loaded(served: Served, text: str, name: str) -> Any:
    try:
        return checked(text.encode("utf-8"), name, served)
    except ExpectmatrixError as e:
        return Finding("invalid", str(e))


def preview(served: Served, request: Request, body: bytes) -> Response:
    """The page of an edition of the (unsaved) spec, kept under a key for the frame."""
    payload = _payload(body)
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
    return JSONResponse({"url": f"/preview/{served.previews.put(page)}"})


def preview_page(served: Served, request: Request, body: bytes) -> Response:
    page = served.previews.get(request.path_params["key"])
    if page is None:
        return Response("this preview has expired: preview again", status_code=404)
    return HTMLResponse(page, headers={"Content-Security-Policy": PREVIEW_CSP,
                                       "X-Content-Type-Options": "nosniff",
                                       "Cache-Control": "no-store"})


def new_version(served: Served, request: Request, body: bytes) -> Response:
    """The edited spec as version + 1, written to a new file; the old file stays."""
    from expectmatrix.render.output import write_atomic

    payload = _payload(body)
    source = served.guard.spec_path(request.path_params["name"])
    fmt = spec_format(source.name, payload["text"])
    loaded = checked(payload["text"].encode("utf-8"), source.name, served)
    if loaded.spec is None:
        return JSONResponse({"error": "fix the findings before making a new version"},
                            status_code=422)
    version = loaded.spec.deal.version + 1
    target = served.guard.spec_path(new_version_name(source.name, version))
    if target.exists():
        return JSONResponse({"error": f"{target.name} exists already"}, status_code=409)
    write_atomic(target, bump(payload["text"], fmt, version).encode("utf-8"))
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
