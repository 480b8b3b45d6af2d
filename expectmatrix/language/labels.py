"""Document labels per language, as data: ``labels/<lang>.yaml`` in the template folders
(a user folder first, so a company can add or reword a language), with the language's
apostrophes."""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

from expectmatrix.errors import LabelsError
from expectmatrix.resources import builtin_templates
from expectmatrix.spec.inputs import read_text

DEFAULT_LANGUAGE = "en"
MAX_LABELS_BYTES = 1_000_000


def label_file(language: str, template_dirs: Sequence[Path] = ()) -> Path | None:
    """The labels file for a language tag (de-AT falls back to de), or None."""
    roots = [*template_dirs, builtin_templates()]
    for tag in (language, language.split("-")[0]):
        for root in roots:
            candidate = root / "labels" / f"{tag}.yaml"
            if candidate.is_file():
                return candidate
    return None


def available(template_dirs: Sequence[Path] = ()) -> list[str]:
    roots = [*template_dirs, builtin_templates()]
    return sorted({p.stem for r in roots for p in (r / "labels").glob("*.yaml")})


@lru_cache(maxsize=64)
def _read(path: Path) -> dict[str, Any]:
    from ruamel.yaml import YAML

    try:
        data = YAML(typ="safe", pure=True).load(read_text(path, MAX_LABELS_BYTES, "labels file"))
    except Exception as e:  # a user's labels file: report it, whatever the parser raised
        raise LabelsError(f"{path}: cannot read the labels: {e}") from None
    if not isinstance(data, dict) or not all(_is_label(v) for v in data.values()):
        raise LabelsError(f"{path}: a labels file is a mapping of label: text (a few labels "
                          "hold a mapping or a list of texts, as in labels/en.yaml)")
    return data


def _is_label(value: object) -> bool:
    """Text, or one level of texts (months, answers): nothing deeper, so an alias bomb in
    a labels file cannot unfold."""
    from expectmatrix.spec.loading import find_bidi

    texts = list(value.values()) if isinstance(value, dict) else (
        value if isinstance(value, list) else [value])
    return all((isinstance(v, str) and find_bidi(v) is None) or isinstance(v, int | float)
               for v in texts)


def labels_for(language: str, template_dirs: Sequence[Path] = ()) -> dict[str, Any]:
    """English labels overlaid with the language's own, so a partial file still works;
    their apostrophes are the language's (its ``apostrophe`` label)."""
    english = _read(builtin_templates() / "labels" / f"{DEFAULT_LANGUAGE}.yaml")
    path = label_file(language, template_dirs)
    own = _read(path) if path else {}
    merged = {**english, **own}
    for key in ("answers", "statuses", "segments", "sides", "track_statuses", "track_events"):
        merged[key] = {**english[key], **own.get(key, {})}
    mark = str(merged.get("apostrophe", "'"))
    return {key: value if key == "apostrophe" else _typeset(value, mark)
            for key, value in merged.items()}


_APOSTROPHE = re.compile(r"(?<=\w)'")


def with_apostrophes(text: str, apostrophe: str) -> str:
    """Prose we write, typeset as its language does: a straight apostrophe after a letter
    becomes the language's own (’ in English, French, German or Spanish: the labels'
    ``apostrophe``). Only our wording goes through this; a spec's text is printed as
    written."""
    # a function, so that a labels file's apostrophe is taken as text, never as a pattern
    return text if apostrophe == "'" else _APOSTROPHE.sub(lambda _: apostrophe, text)


def _typeset(value: Any, apostrophe: str) -> Any:
    """A label as read (text, or one level of texts), with the language's apostrophes."""
    if isinstance(value, str):
        return with_apostrophes(value, apostrophe)
    if isinstance(value, dict):
        return {k: _typeset(v, apostrophe) for k, v in value.items()}
    if isinstance(value, list):
        return [_typeset(v, apostrophe) for v in value]
    return value
