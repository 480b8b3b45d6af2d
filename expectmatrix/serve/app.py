"""`expectmatrix serve`: a local web app over a folder of specs. The files stay the
single source of truth: the app reads them, validates in-process with the same checks as
`validate`, renders with the same pipeline as `render`, and writes them back only when a
rep saves, never over a file that changed on disk since it was opened."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from expectmatrix.serve.guard import COOKIE, Guard, GuardMiddleware, PathRefused
from expectmatrix.spec.findings import ExpectmatrixError, Finding, findings_json

CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
       "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")


@dataclass(frozen=True)
class Served:
    guard: Guard
    library: Any  # a LibraryLoader: read once, on first use
    settings: Any
    pages: Any  # the Jinja environment of the pages, built once


def _checked(data: bytes, name: str, served: Served) -> Any:
    from expectmatrix.checks import check_loaded
    from expectmatrix.spec.loading import load_bytes

    fmt = "json" if name.lower().endswith(".json") or data.lstrip()[:1] in (b"{", b"[") \
        else "yaml"
    return check_loaded(load_bytes(data, name, fmt), library=served.library,
                        template_dirs=served.settings.template_dirs,
                        approvals=served.settings.approval_rules)


def _balance(loaded: Any) -> str:
    """The words of the status line: "balanced" with the counts, or validate's message."""
    unbalanced = [f for f in loaded.findings if f.code == "unbalanced"]
    if unbalanced:
        return str(unbalanced[0].message)
    spec = loaded.spec
    if spec is None:
        return "not valid yet: see the findings"
    return (f"balanced: {len(spec.expectations.of_vendor)} of vendor, "
            f"{len(spec.expectations.of_customer)} of customer")


def _page(served: Served, template: str, **values: Any) -> HTMLResponse:
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


def deals(served: Served) -> list[dict[str, Any]]:
    """Every spec of the folder, as the list shows it."""
    from expectmatrix.spec.inputs import InputError, read_bytes

    rows: list[dict[str, Any]] = []
    for path in sorted(served.guard.folder.iterdir()):
        if path.is_symlink() or not path.is_file() or path.name.startswith(".") or \
                path.suffix.lower() not in (".yaml", ".yml", ".json"):
            continue
        try:
            loaded = _checked(read_bytes(path, 2_000_000, "spec"), path.name, served)
        except (InputError, ExpectmatrixError) as e:
            rows.append({"file": path.name, "title": "", "problem": str(e)})
            continue
        spec = loaded.spec
        raw = _raw_facts(loaded)
        row: dict[str, Any] = {
            "file": path.name, "title": raw.get("title", ""), "customer": raw.get("customer", ""),
            "segment": raw.get("segment", ""), "status": raw.get("status", ""),
            "version": raw.get("version", ""), "balance": _balance(loaded),
            "risk": sum(1 for f in loaded.findings if f.code == "readiness"),
            "nonstandard": len(loaded.nonstandard), "ok": spec is not None,
            "problem": ""}
        rows.append(row)
    return rows


def _raw_facts(loaded: Any) -> dict[str, str]:
    spec = loaded.spec
    if spec is not None:
        return {"title": spec.deal.title, "customer": spec.parties.customer.name,
                "segment": spec.deal.segment, "status": spec.deal.status,
                "version": str(spec.deal.version)}
    return {}


def _etag(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def create_app(folder: str | Path, hosts: frozenset[str], token: str | None = None,
               config: str | Path | None = None) -> Any:
    """The ASGI app. ``hosts``: the Host headers it answers (host:port)."""
    from expectmatrix.render.templating import environment, prepare
    from expectmatrix.settings import LibraryLoader, load_settings

    folder = Path(folder).resolve()
    settings = load_settings(config, start=folder)
    pages = environment(settings.template_dirs)
    for template in ("serve/deals.html", "serve/editor.html"):
        prepare(pages, template)  # a broken page template fails at start, not per request
    served = Served(Guard(folder, hosts, token), LibraryLoader(settings), settings, pages)

    async def index(request: Request) -> Response:
        segment = request.query_params.get("segment", "")
        status = request.query_params.get("status", "")
        query = request.query_params.get("q", "").casefold()
        rows = [r for r in deals(served)
                if (not segment or r.get("segment") == segment)
                and (not status or r.get("status") == status)
                and (not query or query in f"{r.get('customer', '')} {r.get('title', '')}"
                     .casefold())]
        return _page(served, "serve/deals.html", deals=rows, segment=segment, status=status,
                     q=request.query_params.get("q", ""))

    async def editor(request: Request) -> Response:
        path = served.guard.spec_path(request.path_params["name"])
        if not path.is_file():
            return Response("no such spec", status_code=404)
        data = path.read_bytes()
        return _page(served, "serve/editor.html", spec_name=path.name,
                     text=data.decode("utf-8", "replace"), etag=_etag(data))

    async def validate(request: Request) -> Response:
        body = await request.body()
        try:
            loaded = _checked(body, request.query_params.get("name", "request"), served)
        except ExpectmatrixError as e:
            findings = getattr(e, "findings", None) or [Finding("invalid", str(e))]
            return JSONResponse([findings_json("request", findings)], status_code=200)
        data = findings_json(loaded.file, loaded.findings)
        data["status"] = _balance(loaded)
        return JSONResponse([data])

    async def render(request: Request) -> Response:
        from expectmatrix.render.pipeline import RenderOptions, render_documents

        fmt = request.query_params.get("format", "pdf")
        audience = request.query_params.get("audience", "counterparty")
        if fmt not in ("pdf", "docx") or audience not in ("counterparty", "internal"):
            return JSONResponse({"error": "format is pdf or docx; audience counterparty or "
                                          "internal"}, status_code=400)
        name = request.query_params.get("name")
        if name:  # a saved spec of the folder: the same file `render` makes of it
            path = served.guard.spec_path(name)
            if not path.is_file():
                return JSONResponse({"error": f"no spec {name!r} in the folder"},
                                    status_code=404)
            body = path.read_bytes()
        else:
            body = await request.body()
        try:
            loaded = _checked(body, name or "request", served)
        except ExpectmatrixError as e:
            return JSONResponse({"error": str(e)}, status_code=422)
        if loaded.spec is None:
            return JSONResponse([findings_json(loaded.file, loaded.findings)], status_code=422)
        if name:
            from dataclasses import replace

            loaded = replace(loaded, folder=served.guard.folder)
        options = RenderOptions(formats=(fmt,), settings=served.settings,
                                template_dirs=served.settings.template_dirs,
                                audience=audience,  # type: ignore[arg-type]
                                timeout=120)
        documents, _ = render_documents(loaded, options)
        spec = loaded.spec
        suffix = "-internal" if audience == "internal" else ""
        filename = f"{spec.deal.id}-v{spec.deal.version}{suffix}.{fmt}"
        media = ("application/pdf" if fmt == "pdf" else
                 "application/vnd.openxmlformats-officedocument.wordprocessingml.document")
        return Response(documents[fmt], media_type=media, headers={
            "Content-Disposition": f'attachment; filename="{filename}"'})

    async def save(request: Request) -> Response:
        from expectmatrix.render.output import write_atomic

        path = served.guard.spec_path(request.path_params["name"])
        payload = json.loads(await request.body())
        text, seen = str(payload["text"]), str(payload.get("etag", ""))
        current = path.read_bytes() if path.exists() else b""
        if path.exists() and _etag(current) != seen and not payload.get("overwrite"):
            # Changed on disk since it was opened: show both, let the rep choose.
            return JSONResponse({"conflict": True, "disk": current.decode("utf-8", "replace"),
                                 "etag": _etag(current)}, status_code=409)
        data = text.encode("utf-8")
        write_atomic(path, data)
        return JSONResponse({"saved": path.name, "etag": _etag(data)})

    async def new(request: Request) -> Response:
        from expectmatrix.library.playbooks import Draft, draft_spec, pick_playbook
        from expectmatrix.render.output import write_atomic

        form = json.loads(await request.body())
        deal_id = str(form.get("id", "")).strip()
        path = served.guard.spec_path(f"{deal_id}.yaml")
        if path.exists():
            return JSONResponse({"error": f"{path.name} exists already"}, status_code=409)
        library, playbook, segment = pick_playbook(served.library(), None, form.get("segment"))
        text = draft_spec(library, Draft(str(segment), str(form.get("vendor", "")),
                                         str(form.get("customer", "")), deal_id,
                                         str(form.get("title") or "") or None,
                                         playbook=playbook))
        loaded = _checked(text.encode("utf-8"), path.name, served)
        if loaded.spec is None:
            return JSONResponse([findings_json(path.name, loaded.findings)], status_code=422)
        write_atomic(path, text.encode("utf-8"))
        return JSONResponse({"created": path.name})

    async def asset(request: Request) -> Response:
        from expectmatrix.resources import builtin_templates

        name = request.path_params["name"]
        files = {"app.js": "text/javascript", "app.css": "text/css"}
        if name not in files:
            return Response("not found", status_code=404)
        data = (builtin_templates() / "serve" / name).read_bytes()
        return Response(data, media_type=files[name], headers={"Cache-Control": "no-cache"})

    async def refused(request: Request, exc: Exception) -> Response:
        return JSONResponse({"error": str(exc)}, status_code=400)

    app = Starlette(routes=[
        Route("/", index), Route("/deals/{name}", editor),
        Route("/deals/{name}", save, methods=["PUT"]),
        Route("/new", new, methods=["POST"]),
        Route("/api/validate", validate, methods=["POST"]),
        Route("/api/render", render, methods=["POST", "GET"]),
        Route("/static/{name}", asset),
    ], exception_handlers={PathRefused: refused, KeyError: refused, ValueError: refused})
    return GuardMiddleware(app, served.guard)
