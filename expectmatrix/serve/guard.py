"""What every request to the local web app must pass before it reaches a page: the Host
header (DNS rebinding), the access token (a team server), the CSRF token and a
same-origin Origin on anything that changes state, a bounded body, and paths that stay
inside the folder."""

from __future__ import annotations

import hmac
import json
import secrets
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from expectmatrix.errors import PathRefused
from expectmatrix.spec.terms import SPEC_SUFFIXES

MAX_BODY_BYTES = 2_000_000  # a spec is a few kilobytes; a pasted novel is refused
# An uploaded DOCX: one with its fonts embedded is about 2 MB, past the limit above; ten
# times that leaves room for legal's pictures and comments, and is what a server holds
# in memory at most per upload.
MAX_UPLOAD_BYTES = 20_000_000
SAFE_METHODS = {"GET", "HEAD"}
READ_ONLY_POSTS = {"/api/validate", "/api/render"}
COOKIE = "expectmatrix-token"


@dataclass(frozen=True)
class BodyLimit:
    """How large a request's body may be, and what a larger one is told."""

    bytes: int
    message: str


DEFAULT_LIMIT = BodyLimit(MAX_BODY_BYTES, f"the request body is limited to {MAX_BODY_BYTES} bytes")


@dataclass(frozen=True)
class Guard:
    folder: Path
    hosts: frozenset[str]  # what the Host header may say, with the port
    token: str | None  # needed on every request when serving beyond this machine
    csrf: str = field(default_factory=lambda: secrets.token_urlsafe(32))

    def spec_path(self, name: str) -> Path:
        """A spec file of the folder, by its name: no separators, no dot first, a spec
        suffix; resolved, it must still be inside the folder (no symlink out)."""
        if not name or "/" in name or "\\" in name or name.startswith(".") or "\x00" in name:
            raise PathRefused(f"{name!r} is not a file name of this folder")
        if not name.lower().endswith(SPEC_SUFFIXES):
            raise PathRefused(f"{name!r} is not a spec file (.yaml, .yml or .json)")
        path = self.folder / name
        resolved = path.resolve()
        if resolved.parent != self.folder.resolve():
            raise PathRefused(f"{name!r} leads outside the folder")
        if path.is_symlink():
            raise PathRefused(f"{name!r} is a link; only files of the folder are served")
        return path


Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]
App = Callable[[Scope, Receive, Send], Awaitable[None]]


def _headers(scope: Scope) -> dict[str, str]:
    return {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}


def _cookies(header: str) -> dict[str, str]:
    out = {}
    for part in header.split(";"):
        if "=" in part:
            k, v = part.split("=", 1)
            out[k.strip()] = v.strip()
    return out


class GuardMiddleware:
    """ASGI middleware applying the Guard to every HTTP request. ``limit`` says the body
    limit of a request (the few routes that take a document have their own)."""

    def __init__(self, app: App, guard: Guard,
                 limit: Callable[[Scope], BodyLimit] = lambda scope: DEFAULT_LIMIT) -> None:
        self.app = app
        self.guard = guard
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = _headers(scope)
        refusal = self.refuse(scope, headers)
        if refusal:
            await _refuse(scope, send, *refusal)
            return
        length = headers.get("content-length")
        limit = self.limit(scope)
        too_large = (413, limit.message)
        if length is not None and (not (length.isascii() and length.isdigit())
                                   or int(length) > limit.bytes):
            await _refuse(scope, send, *too_large)
            return
        # The body is read here, whole and bounded, before any handler starts: a chunked
        # body over the bound is refused before a response has begun, and only once.
        try:
            body = await _read_body(receive, limit.bytes)
        except _ClientGone:
            return
        if body is None:
            await _refuse(scope, send, *too_large)
            return
        await self.app(scope, _replay(body, receive), send)

    def refuse(self, scope: Scope, headers: dict[str, str]) -> tuple[int, str] | None:
        guard = self.guard
        if headers.get("host", "") not in guard.hosts:
            return 400, "unknown Host header: open the address expectmatrix serve printed"
        if guard.token is not None:
            query = dict(p.split("=", 1) for p in scope.get("query_string", b"").decode(
                "latin-1").split("&") if "=" in p)
            given = (_cookies(headers.get("cookie", "")).get(COOKIE)
                     or headers.get("authorization", "").removeprefix("Bearer ")
                     or query.get("token"))
            if not given or not same(given, guard.token):
                return 403, "this server needs its access token: open the address it printed"
        if scope["method"] not in SAFE_METHODS:
            origin = headers.get("origin")
            if origin is not None and origin.split("://", 1)[-1] not in guard.hosts:
                return 403, "a request from another site is refused"
            # /api/validate and /api/render change nothing: a CRM or script may call them
            # without a page (a foreign page still cannot, by its Origin).
            read_only = scope["path"] in READ_ONLY_POSTS
            if not read_only and not same(headers.get("x-csrf-token", ""), guard.csrf):
                return 403, "a state-changing request needs the page's CSRF token"
        return None


def same(given: str, expected: str) -> bool:
    """A secret compared in constant time, as bytes: a header may hold any character
    (compare_digest refuses a str that is not ASCII)."""
    return hmac.compare_digest(given.encode("utf-8", "surrogatepass"),
                               expected.encode("utf-8", "surrogatepass"))


class _ClientGone(Exception):
    """The client left before its body was read: there is nobody to answer."""


async def _read_body(receive: Receive, limit: int) -> bytes | None:
    """The whole request body, or None past ``limit`` bytes."""
    chunks: list[bytes] = []
    seen = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise _ClientGone
        chunk = message.get("body", b"")
        seen += len(chunk)
        if seen > limit:
            return None
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


def _replay(body: bytes, receive: Receive) -> Receive:
    """A receive that gives the body read, then passes on what the server says next (a
    disconnect)."""
    sent = False

    async def replay() -> MutableMapping[str, Any]:
        nonlocal sent
        if sent:
            return await receive()
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return replay


async def _refuse(scope: Scope, send: Send, status: int, text: str) -> None:
    """A refusal: JSON for the API and for requests a page's script sends, text for a
    page the browser opens."""
    if scope["path"].startswith("/api/") or scope["method"] not in SAFE_METHODS:
        body = json.dumps({"error": text}).encode("utf-8")
        kind = b"application/json"
    else:
        body = text.encode("utf-8")
        kind = b"text/plain; charset=utf-8"
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", kind),
                            (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})
