"""Legal's DOCX brought back in the browser: the rep uploads the document legal edited in
Word (the file is the request's body, its name in the query), the app absorbs it against
the deal's spec as it is on disk (in a render worker: a fresh document is made to compare
with), and shows the redline, the changes with who made them, Word's comments, what could
not be absorbed and validate's findings. Nothing is written until the rep saves it as a
new version, through the same path as a new version made in the editor."""

from __future__ import annotations

import json
import unicodedata
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from expectmatrix.errors import ExpectmatrixError
from expectmatrix.review.absorb_result import Absorbed, Change
from expectmatrix.review.absorb_start import SpecSource
from expectmatrix.serve.guard import MAX_UPLOAD_BYTES, BodyLimit
from expectmatrix.serve.state import Served, checked, etag, page, read_spec, spec_format

UPLOAD_LIMIT = BodyLimit(MAX_UPLOAD_BYTES, f"the document is larger than "
                         f"{MAX_UPLOAD_BYTES // 1_000_000} MB, the most the app takes; "
                         "a DOCX expectmatrix made is a few MB")
MAX_NAME = 100


@dataclass(frozen=True)
class Upload:
    """Legal's DOCX absorbed, until it is saved as a new version or dropped."""

    spec_name: str
    etag: str  # of the spec file it was compared with: saving needs the file unchanged
    text: str  # the new version's spec
    version: int
    values: dict[str, Any]  # what its page shows


def document_name(raw: str | None) -> str:
    """The upload's file name as messages show it (the client's own name: no folder, no
    control characters, not endless)."""
    name = (raw or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(c for c in unicodedata.normalize("NFC", name)
                   if not unicodedata.category(c).startswith("C")).strip()
    if len(name) > MAX_NAME:
        name = name[:MAX_NAME] + "…"
    return name or "the uploaded document"


def absorb_job(data: bytes, name: str, spec: SpecSource, library: Any, options: Any,
               output: str) -> tuple[Absorbed | None, str]:
    """In a worker: the absorbed spec, or why the document was refused (said as the
    command line says it, not as a worker's failure)."""
    from dataclasses import replace

    from expectmatrix.review.absorb import absorb_bytes

    try:  # the fresh document is made right here: this worker's own limit bounds it
        return absorb_bytes(data, name, spec, library, replace(options, timeout=None),
                            output), ""
    except ExpectmatrixError as e:
        return None, str(e)


def upload(served: Served, request: Request, body: bytes) -> Response:
    """Absorb legal's DOCX against the deal's spec on disk; the answer is the address of
    the page that shows the result. Nothing is written."""
    from expectmatrix.serve.versions import new_version_name

    path = served.guard.spec_path(request.path_params["name"])
    if not path.is_file():
        return JSONResponse({"error": f"no spec {path.name!r} in the folder"}, status_code=404)
    if not body:
        return JSONResponse({"error": "choose legal's DOCX to upload: no file came with "
                                      "the request"}, status_code=400)
    current = read_spec(path)
    loaded = checked(current, path.name, served)
    if loaded.spec is None:
        return JSONResponse({"error": f"{path.name} has errors: fix its findings in the "
                                      "editor before bringing legal's edits in"},
                            status_code=422)
    version = loaded.spec.deal.version + 1
    new_name = new_version_name(path.name, version)
    name = document_name(request.query_params.get("file"))
    result, problem = served.rendering.job(
        absorb_job, body, name, SpecSource(current, path.name), served.library,
        served.rendering.options("docx", "counterparty"), new_name)
    if result is None:
        return JSONResponse({"error": problem}, status_code=400)
    values = _page_values(served, loaded.spec, path.name, new_name, name, result)
    held = Upload(path.name, etag(current), result.text, result.version, values)
    size = len(result.text.encode("utf-8")) + len(json.dumps(values, default=str))
    key = served.absorbed.put(held, size)
    return JSONResponse({"url": f"/deals/{quote(path.name, safe='')}/absorbed/{key}",
                         "changes": len(result.changes),
                         "not_absorbed": len(result.not_absorbed)})


def absorbed_page(served: Served, request: Request, body: bytes) -> Response:
    path = served.guard.spec_path(request.path_params["name"])
    held = served.absorbed.get(request.path_params["key"])
    if held is None or held.spec_name != path.name:
        return Response("this upload has expired: open the deal and upload legal's DOCX "
                        "again", status_code=404)
    return page(served, "serve/absorbed.html", spec_name=path.name,
                key=request.path_params["key"], **held.values)


def save_absorbed(served: Served, request: Request, body: bytes) -> Response:
    """The absorbed spec, written as the deal's new version (a new file; the old one
    stays), unless the spec changed on disk since the upload."""
    from expectmatrix.serve.editor import write_new_version

    path = served.guard.spec_path(request.path_params["name"])
    key = request.path_params["key"]
    held = served.absorbed.get(key)
    if held is None or held.spec_name != path.name:
        return JSONResponse({"error": "this upload has expired: upload legal's DOCX again"},
                            status_code=404)
    current = read_spec(path) if path.is_file() else b""
    if etag(current) != held.etag:
        return JSONResponse({"error": f"{path.name} changed since legal's DOCX was "
                                      "uploaded: upload it again, to compare it with the "
                                      "file as it is now"}, status_code=409)
    response = write_new_version(served, path, held.text, held.version)
    if response.status_code == 200:
        served.absorbed.drop(key)
    return response


# --- what the page shows ----------------------------------------------------------------


def _page_values(served: Served, old: Any, spec_name: str, new_name: str, document: str,
                 result: Absorbed) -> dict[str, Any]:
    from expectmatrix.review.compare import compare
    from expectmatrix.review.redline import redline_data

    new = _resolved(served, result.text, new_name)
    loaded = checked(result.text.encode("utf-8"), new_name, served)
    findings = [{"severity": f.severity, "message": f.message,
                 "where": f"line {f.line}" if f.line else ""}
                for f in loaded.findings if f.severity != "info"]
    return {
        "document": document, "new_name": new_name, "version": result.version,
        "old_version": old.deal.version,
        "diff": None if new is None else redline_data(compare(old, new, spec_name, new_name)),
        "changes": [_change(c) for c in result.changes],
        "not_absorbed": [{"place": n.place, "kind": n.kind, "text": n.text, "old": n.old or "",
                          "by": _by(n.author, n.date)} for n in result.not_absorbed],
        "comments": [{"anchor": c.anchor, "text": c.text, "by": _by(c.author, c.date)}
                     for c in result.comments],
        "findings": findings,
        "errors": sum(1 for f in findings if f["severity"] == "error"),
    }


def _resolved(served: Served, text: str, name: str) -> Any:
    """The new spec with its clauses filled in, if it loads as a spec: a version with
    findings (unbalanced after legal's edits) is still worth its redline."""
    from expectmatrix.checks import library_if_needed
    from expectmatrix.library.clauses import resolve
    from expectmatrix.spec.loading import load_bytes

    loaded = load_bytes(text.encode("utf-8"), name, spec_format(name, text))
    if loaded.spec is None:
        return None
    return resolve(loaded.spec, library_if_needed(loaded.spec, served.library)).spec


def _by(author: str | None, date: str | None) -> str:
    return " ".join(x for x in (f"by {author}" if author else "",
                                f"on {date}" if date else "") if x)


def _change(c: Change) -> dict[str, Any]:
    from expectmatrix.review.compare import shown, word_diff

    if c.kind == "moved":
        what = f"moved from {c.old} to {c.new}"
    elif c.field == "expectation":
        what = c.kind
    else:
        what = f"{c.field} {'changed' if c.kind == 'edited' else c.kind}"
    words = shown(word_diff(c.old or "", c.new or "")) if c.kind != "moved" else []
    return {"id": c.id, "what": what, "words": words, "by": _by(c.author, c.date)}
