"""What a template may see: plain, immutable values and nothing else.

Any object handed to Jinja brings its methods along, and the sandbox only blocks names
that start with an underscore: a pydantic model offers ``parse_raw(..., proto='pickle')``,
a ``pathlib.Path`` offers ``read_text`` and ``write_text``. So the values a template gets
are built here from the view: text, numbers, booleans, None, tuples and :class:`Data`
mappings, and the template sandbox (templating.py) refuses every attribute that is not a
key of a :class:`Data`.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from collections.abc import Iterator, Mapping
from decimal import Decimal
from typing import Any


class Data(Mapping[str, Any]):
    """A read-only mapping whose keys a template reads as attributes (``view.title``)."""

    __slots__ = ("_items",)
    _items: dict[str, Any]

    def __init__(self, items: Mapping[str, Any]) -> None:
        object.__setattr__(self, "_items", dict(items))

    def __getitem__(self, key: str) -> Any:
        return self._items[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError("template data is read-only")

    def __repr__(self) -> str:
        return f"Data({self._items!r})"


def plain(value: Any) -> Any:
    """``value`` as plain template data; TypeError for anything that is not data (a path,
    a model, a function), so nothing with methods can slip into a template by mistake."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise TypeError("template data must be finite numbers")
        return value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%dT%H:%M:%SZ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Data):
        return value
    if isinstance(value, Mapping):
        return Data({str(k): plain(v) for k, v in value.items()})
    if isinstance(value, list | tuple):
        return tuple(plain(v) for v in value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return Data({f.name: plain(getattr(value, f.name)) for f in dataclasses.fields(value)
                     if f.metadata.get("template", True)})
    raise TypeError(f"{type(value).__name__} is not template data")
