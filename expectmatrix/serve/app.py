"""`expectmatrix serve`: a local web app over a folder of specs. The files stay the
single source of truth: the app reads them, validates in-process with the same checks as
`validate`, renders with the same pipeline as `render` (in worker processes, within the
time limit), and writes them back only when a rep saves, never over a file that changed
on disk since it was opened. Every handler runs off the event loop: one slow request
never holds the others."""

from __future__ import annotations

import functools
import threading
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from expectmatrix.errors import EditRefused, ExpectmatrixError, InputError, PathRefused
from expectmatrix.render.output import output_name
from expectmatrix.serve import absorbing, editor, tracking
from expectmatrix.serve.edits import Recent
from expectmatrix.serve.guard import DEFAULT_LIMIT, BodyLimit, Guard, GuardMiddleware
from expectmatrix.serve.preview import Held
from expectmatrix.serve.rendering import DEFAULT_TIMEOUT, Rendering, RenderTimedOut, ShuttingDown
from expectmatrix.serve.state import (
    MEDIA,
    Handler,
    Served,
    answer,
    balance,
    checked,
    disposition,
    etag,
    json_body,
    page,
    read_spec,
)
from expectmatrix.spec.findings import Finding, findings_json
from expectmatrix.spec.terms import AUDIENCES, SEGMENTS, STATUSES


def deals(served: Served) -> list[dict[str, Any]]:
    """Every spec of the folder, as the list shows it. A file's row is kept until the
    file changes (by size and modification time), so the list is not validated whole on
    every visit."""
    from expectmatrix.serve.versions import spec_files

    rows: list[dict[str, Any]] = []
    seen: dict[str, Any] = {}
    for path in spec_files(served.guard.folder):
        stat = path.stat()
        key = (stat.st_size, stat.st_mtime_ns)
        cached = served.listing.get(path.name)
        row = cached[1] if cached is not None and cached[0] == key else _deal_row(served, path)
        seen[path.name] = (key, row)
        rows.append(row)
    served.listing.clear()
    served.listing.update(seen)
    return rows


def _deal_row(served: Served, path: Path) -> dict[str, Any]:
    try:
        loaded = checked(read_spec(path), path.name, served)
    except (InputError, ExpectmatrixError) as e:  # listed, with what keeps it from opening
        return {"file": path.name, "title": "", "customer": "", "segment": "", "status": "",
                "version": "", "balance": "", "risk": "", "nonstandard": "", "ok": False,
                "problem": str(e)}
    raw = _raw_facts(loaded)
    return {"file": path.name, "title": raw.get("title", ""),
            "customer": raw.get("customer", ""), "segment": raw.get("segment", ""),
            "status": raw.get("status", ""), "version": raw.get("version", ""),
            "balance": balance(loaded),
            "risk": sum(1 for f in loaded.findings if f.code == "readiness"),
            "nonstandard": len(loaded.nonstandard), "ok": loaded.spec is not None,
            "problem": ""}


def _raw_facts(loaded: Any) -> dict[str, str]:
    spec = loaded.spec
    if spec is not None:
        return {"title": spec.deal.title, "customer": spec.parties.customer.name,
                "segment": spec.deal.segment, "status": spec.deal.status,
                "version": str(spec.deal.version)}
    return {}


class ServedApp:
    """The ASGI app, with what stops the documents it is making."""

    def __init__(self, app: Any, rendering: Rendering) -> None:
        self.app, self.rendering = app, rendering

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        await self.app(scope, receive, send)

    def stop(self) -> None:
        self.rendering.stop()


def server(app: Any, host: str, port: int, **options: Any) -> Any:
    """uvicorn's server for ``app`` (a ServedApp). On SIGTERM or Ctrl-C the render
    workers are stopped at once (a request waiting for a document answers 503), then
    the requests in flight get a few seconds."""
    import uvicorn

    class Server(uvicorn.Server):
        def handle_exit(self, sig: int, frame: Any) -> None:
            super().handle_exit(sig, frame)
            app.stop()  # kills processes only: safe in a signal handler

    return Server(uvicorn.Config(app, host=host, port=port, log_level="warning",
                                 timeout_graceful_shutdown=3, **options))


def create_app(folder: str | Path, hosts: frozenset[str], token: str | None = None,
               config: str | Path | None = None, timeout: float = DEFAULT_TIMEOUT
               ) -> ServedApp:
    """The ASGI app. ``hosts``: the Host headers it answers (host:port); ``timeout``:
    the seconds one document may take."""
    from expectmatrix.settings import LibraryLoader, load_settings

    folder = Path(folder).resolve()
    settings = load_settings(config, start=folder)
    served = Served(Guard(folder, hosts, token), LibraryLoader(settings), settings, pages(),
                    Held(keep=16), Rendering(settings, timeout), Recent(), {}, Held())
    routes = [Route(path, threaded(handler), methods=list(methods))
              for path, handler, methods in ROUTES]
    app = Starlette(routes=routes, lifespan=lifespan, exception_handlers=ERRORS)
    app.state.served = served
    larger = [(route, BODY_LIMITS[handler]) for route, (_, handler, _) in zip(routes, ROUTES,
                                                                             strict=True)
              if handler in BODY_LIMITS]

    def limit(scope: Any) -> BodyLimit:
        """The body limit of the route the request goes to (read before routing)."""
        from starlette.routing import Match

        for route, bound in larger:
            if route.matches(scope)[0] is Match.FULL:
                return bound
        return DEFAULT_LIMIT

    return ServedApp(GuardMiddleware(app, served.guard, limit), served.rendering)


@functools.lru_cache(maxsize=1)
def pages() -> Any:
    """The app's own pages, compiled once per process: they come only from the built-in
    templates (a configured template folder shapes the documents, and an override of a
    page would run unbounded in here), so every app of the process shows the same."""
    from expectmatrix.render.templating import environment, prepare

    env = environment(())
    for template in ("serve/deals.html", "serve/editor.html", "serve/form.html",
                     "serve/form-problem.html", "serve/absorbed.html",
                     "serve/track.html", "serve/due.html"):
        prepare(env, template)  # a broken page template fails at start, not per request
    return env


def threaded(handler: Handler) -> Callable[[Request], Awaitable[Response]]:
    """The endpoint of a handler: the body is read on the event loop, everything else
    (YAML round trips, checks, folder scans, documents) is done on a thread."""
    async def endpoint(request: Request) -> Response:
        body = await request.body()
        return await run_in_threadpool(handler, request.app.state.served, request, body)
    endpoint.__name__ = handler.__name__
    return endpoint


@asynccontextmanager
async def lifespan(app: Starlette) -> AsyncIterator[None]:
    served: Served = app.state.served
    threading.Thread(target=served.rendering.warm, daemon=True).start()
    yield
    await run_in_threadpool(served.rendering.close)


async def refused(request: Request, exc: Exception) -> Response:
    return JSONResponse({"error": str(exc)}, status_code=400)


async def failed(request: Request, exc: Exception) -> Response:
    status = 504 if isinstance(exc, RenderTimedOut) else \
        503 if isinstance(exc, ShuttingDown) else 422
    return JSONResponse({"error": str(exc)}, status_code=status)


def index(served: Served, request: Request, body: bytes) -> Response:
    segment = request.query_params.get("segment", "")
    status = request.query_params.get("status", "")
    query = request.query_params.get("q", "").casefold()
    rows = [r for r in deals(served)
            if (not segment or r.get("segment") == segment)
            and (not status or r.get("status") == status)
            and (not query or query in f"{r.get('customer', '')} {r.get('title', '')}"
                 .casefold())]
    return page(served, "serve/deals.html", deals=rows, segment=segment, status=status,
                segments=list(SEGMENTS), statuses=list(STATUSES),
                q=request.query_params.get("q", ""))


def validate(served: Served, request: Request, body: bytes) -> Response:
    try:
        loaded = checked(body, request.query_params.get("name", "request"), served)
    except ExpectmatrixError as e:
        findings = getattr(e, "findings", None) or [Finding("invalid", str(e))]
        return JSONResponse([findings_json("request", findings)], status_code=200)
    return JSONResponse([answer(loaded)])


def render(served: Served, request: Request, body: bytes) -> Response:
    fmt = request.query_params.get("format", "pdf")
    audience = request.query_params.get("audience", "counterparty")
    if fmt not in MEDIA or audience not in AUDIENCES:
        return JSONResponse({"error": "format is pdf or docx; audience counterparty or "
                                      "internal"}, status_code=400)
    name = request.query_params.get("name")
    if name:  # a saved spec of the folder: the same file `render` makes of it
        path = served.guard.spec_path(name)
        if not path.is_file():
            return JSONResponse({"error": f"no spec {name!r} in the folder"},
                                status_code=404)
        body = read_spec(path)
    loaded = checked(body, name or "request", served)
    if loaded.spec is None:
        return JSONResponse([findings_json(loaded.file, loaded.findings)], status_code=422)
    if name:
        from dataclasses import replace

        loaded = replace(loaded, folder=served.guard.folder)
    data = served.rendering.document(loaded, fmt, audience)
    spec = loaded.spec
    filename = output_name(spec.deal.id, spec.deal.version, fmt,
                           served.rendering.options(fmt, audience).edition().suffix)
    return Response(data, media_type=MEDIA[fmt],
                    headers={"Content-Disposition": disposition("attachment", filename)})


def save(served: Served, request: Request, body: bytes) -> Response:
    from expectmatrix.writing import write_atomic

    path = served.guard.spec_path(request.path_params["name"])
    payload = json_body(body)
    if not isinstance(payload.get("text"), str):
        return JSONResponse({"error": "the request needs the spec's text"}, status_code=400)
    text, seen = payload["text"], str(payload.get("etag", ""))
    current = read_spec(path) if path.exists() else b""
    if path.exists() and etag(current) != seen and not payload.get("overwrite"):
        # Changed on disk since it was opened: show both, let the rep choose.
        return JSONResponse({"conflict": True, "disk": current.decode("utf-8", "replace"),
                             "etag": etag(current)}, status_code=409)
    try:
        data = text.encode("utf-8")
    except UnicodeEncodeError:  # JSON may carry lone surrogates, which no file can hold
        return JSONResponse({"error": "the text holds characters that are not Unicode "
                                      "text"}, status_code=400)
    write_atomic(path, data)
    return JSONResponse({"saved": path.name, "etag": etag(data)})


def new(served: Served, request: Request, body: bytes) -> Response:
    from expectmatrix.library.playbooks import Draft, draft_spec, pick_playbook
    from expectmatrix.writing import write_atomic

    form = json_body(body)
    fields = ("id", "segment", "vendor", "customer", "title")
    if any(not isinstance(form.get(k, ""), str) for k in fields):
        return JSONResponse({"error": "the new deal's fields are text"}, status_code=400)
    deal_id, segment = form.get("id", "").strip(), form.get("segment", "")
    if not deal_id:
        return JSONResponse({"error": "the new deal needs an id"}, status_code=400)
    path = served.guard.spec_path(f"{deal_id}.yaml")
    if path.exists():
        return JSONResponse({"error": f"{path.name} exists already"}, status_code=409)
    library, playbook, segment = pick_playbook(served.library(), None, segment)
    if segment not in library.playbooks:
        return JSONResponse({"error": "choose a segment: "
                                      f"{', '.join(sorted(library.playbooks))}"},
                            status_code=400)
    text = draft_spec(library, Draft(str(segment), form.get("vendor", ""),
                                     form.get("customer", ""), deal_id,
                                     form.get("title") or None, playbook=playbook))
    loaded = checked(text.encode("utf-8"), path.name, served)
    if loaded.spec is None:
        return JSONResponse([findings_json(path.name, loaded.findings)], status_code=422)
    write_atomic(path, text.encode("utf-8"))
    return JSONResponse({"created": path.name})


def asset(served: Served, request: Request, body: bytes) -> Response:
    from expectmatrix.resources import builtin_templates

    name = request.path_params["name"]
    files = {"app.js": "text/javascript", "app.css": "text/css"}
    if name not in files:
        return Response("not found", status_code=404)
    data = (builtin_templates() / "serve" / name).read_bytes()
    return Response(data, media_type=files[name], headers={"Cache-Control": "no-cache"})


def favicon(served: Served, request: Request, body: bytes) -> Response:
    return Response(status_code=204)


# Every request the app answers: path, handler (served, request, body) -> response, methods.
ROUTES: tuple[tuple[str, Handler, tuple[str, ...]], ...] = (
    ("/", index, ("GET",)),
    ("/deals/{name}", editor.editor_page, ("GET",)),
    ("/deals/{name}", save, ("PUT",)),
    ("/new", new, ("POST",)),
    ("/api/validate", validate, ("POST",)),
    ("/api/render", render, ("POST", "GET")),
    ("/static/{name}", asset, ("GET",)),
    ("/favicon.ico", favicon, ("GET",)),
    ("/api/edit", editor.edit, ("POST",)),
    ("/api/preview", editor.preview, ("POST",)),
    ("/preview/{key}", editor.preview_page, ("GET",)),
    ("/deals/{name}/versions", editor.new_version, ("POST",)),
    ("/deals/{name}/compare", editor.compare, ("GET",)),
    ("/deals/{name}/absorb", absorbing.upload, ("POST",)),
    ("/deals/{name}/absorbed/{key}", absorbing.absorbed_page, ("GET",)),
    ("/deals/{name}/absorbed/{key}", absorbing.save_absorbed, ("POST",)),
    ("/deals/{name}/track", tracking.track_page, ("GET",)),
    ("/deals/{name}/track", tracking.record_event, ("POST",)),
    ("/deals/{name}/calendar.ics", tracking.calendar_feed, ("GET",)),
    ("/due", tracking.due_page, ("GET",)),
)
# The routes whose body may be larger than a spec's 2 MB (every other is held to that).
BODY_LIMITS: dict[Handler, BodyLimit] = {absorbing.upload: absorbing.UPLOAD_LIMIT}
# What a refused request answers; the most specific class answers.
ERRORS: dict[Any, Callable[[Request, Exception], Awaitable[Response]]] = {
    PathRefused: refused, KeyError: refused, ValueError: refused, EditRefused: refused,
    InputError: refused, ExpectmatrixError: failed}
