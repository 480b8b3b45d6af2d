"""Previews of unsaved specs: the page of an edition is rendered once and kept a little
while under a random key, so the editor's frame can load it by URL with a policy of its
own (the page carries its styles and fonts inline, which the editor's policy forbids)."""

from __future__ import annotations

import secrets
import threading
from collections import OrderedDict

# What a preview page may do: show its own inline styles, fonts and pictures, nothing else;
# sandboxed, so it runs nothing and reaches nothing of the app.
PREVIEW_CSP = ("default-src 'none'; style-src 'unsafe-inline'; font-src data:; "
               "img-src data:; frame-ancestors 'self'; base-uri 'none'; form-action 'none'; "
               "sandbox")


class Previews:
    """The last few previews, in memory; older ones are dropped."""

    def __init__(self, keep: int = 16) -> None:
        self.keep = keep
        self._pages: OrderedDict[str, bytes] = OrderedDict()
        self._lock = threading.Lock()

    def put(self, page: bytes) -> str:
        key = secrets.token_urlsafe(18)
        with self._lock:
            self._pages[key] = page
            while len(self._pages) > self.keep:
                self._pages.popitem(last=False)
        return key

    def get(self, key: str) -> bytes | None:
        with self._lock:
            return self._pages.get(key)
