"""The spec's field reference, generated from the models (``expectmatrix schema --markdown``).

docs/reference/spec.md is this output; a test keeps it so, so the docs cannot drift from
what validation accepts.
"""

from __future__ import annotations

import typing
from typing import Any

from pydantic import BaseModel
from pydantic.fields import FieldInfo

from expectmatrix.spec.models import Spec
from expectmatrix.spec.shape import concrete

INTRO = """\
# Spec field reference

Every field a spec may hold, generated from the models that validate it
(`expectmatrix schema --markdown`). `expectmatrix schema` writes the same as a JSON Schema,
for editors that complete and check fields as you type. Unknown fields are an error.
"""


def _type_name(annotation: Any) -> str:
    names = []
    for t in concrete(annotation):
        if t is type(None):
            continue
        origin = typing.get_origin(t)
        if origin is typing.Literal:
            names.append(" \\| ".join(str(a) for a in typing.get_args(t)))
        elif origin is list:
            names.append(f"list of {_type_name(typing.get_args(t)[0])}")
        elif origin is dict:
            names.append("mapping")
        elif isinstance(t, type) and issubclass(t, BaseModel):
            names.append(f"[{t.__name__}](#{t.__name__.lower()})")  # its own section below
        else:
            names.append({"str": "text", "int": "whole number", "Decimal": "number",
                          "date": "date (YYYY-MM-DD)"}.get(getattr(t, "__name__", str(t)), str(t)))
    return " or ".join(dict.fromkeys(names))


def _default(info: FieldInfo) -> str:
    if info.is_required():
        return "**required**"
    if info.default_factory is not None:
        return "empty"
    return "–" if info.default is None else f"`{info.default}`"


def _models(model: type[BaseModel], seen: dict[str, type[BaseModel]]) -> None:
    seen.setdefault(model.__name__, model)
    for info in model.model_fields.values():
        for t in concrete(info.annotation):
            inner = typing.get_args(t)[0] if typing.get_origin(t) is list else t
            for c in concrete(inner):
                if isinstance(c, type) and issubclass(c, BaseModel) and c.__name__ not in seen:
                    _models(c, seen)


def field_tables() -> str:
    """One Markdown table per model, in the order a spec is read."""
    models: dict[str, type[BaseModel]] = {}
    _models(Spec, models)
    out: list[str] = []
    for name, model in models.items():
        out += ["", f"## {name}", "", "| field | type | default | meaning |", "|---|---|---|---|"]
        for field_name, info in model.model_fields.items():
            out.append(f"| `{info.alias or field_name}` | {_type_name(info.annotation)} | {_default(info)} | "
                       f"{info.description or ''} |")
    return "\n".join(out).lstrip("\n")


def reference() -> str:
    """The whole page of docs/reference/spec.md."""
    return f"{INTRO}\n{field_tables()}\n"
