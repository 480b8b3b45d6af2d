"""What the app shows before anything is saved, kept a little while under a random key:
previews of unsaved specs (the page of an edition is rendered once, so the editor's frame
can load it by URL with a policy of its own: the page carries its styles and fonts
inline, which the editor's policy forbids), and legal's DOCX absorbed."""

from __future__ import annotations

import secrets
import threading
from collections import OrderedDict
from typing import Generic, TypeVar

T = TypeVar("T")

# What a preview page may do: show its own inline styles, fonts and pictures, nothing else;
# sandboxed, so it runs nothing and reaches nothing of the app.
PREVIEW_CSP = ("default-src 'none'; style-src 'unsafe-inline'; font-src data:; "
               "img-src data:; frame-ancestors 'self'; base-uri 'none'; form-action 'none'; "
               "sandbox")


class Held(Generic[T]):
    """Items in memory under a random key until they are dropped: at most ``keep`` of them
    and about ``max_bytes`` in all, the oldest dropped first."""

    def __init__(self, keep: int = 8, max_bytes: int = 40_000_000) -> None:
        self.keep, self.max_bytes = keep, max_bytes
        self._items: OrderedDict[str, tuple[T, int]] = OrderedDict()
        self._lock = threading.Lock()

    def put(self, item: T, size: int) -> str:
        key = secrets.token_urlsafe(18)
        with self._lock:
            self._items[key] = (item, size)
            while len(self._items) > self.keep or (
                    len(self._items) > 1 and sum(n for _, n in self._items.values())
                    > self.max_bytes):
                self._items.popitem(last=False)
        return key

    def get(self, key: str) -> T | None:
        with self._lock:
            found = self._items.get(key)
        return None if found is None else found[0]

    def drop(self, key: str) -> None:
        with self._lock:
            self._items.pop(key, None)
