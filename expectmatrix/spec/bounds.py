"""Bounds that a text must keep before a parser reads it.

Python refuses to turn more than 4,300 digits into an int (a bare ValueError from
``json.loads``, ``tomllib`` and ``int()``), and the standard JSON and TOML parsers recurse
once per nesting level (a RecursionError far down). Both are checked here on the text
itself, so that the parsers never see such input and the person who wrote it is told
where it is.
"""

from __future__ import annotations

import re

# No number a spec, a rates file or a settings file holds comes near this: an amount has
# at most 15 digits.
MAX_NUMBER_DIGITS = 100
MAX_NESTING = 100  # brackets of JSON or TOML; a spec nests 6 levels deep

TOO_MANY_DIGITS = f"a number of more than {MAX_NUMBER_DIGITS} digits; no value here needs that many"
# What YAML, JSON or the models may read as a number (decimal or other bases).
_NUMBERISH = re.compile(r"[-+]?(?:0x[0-9a-fA-F_]+|0o[0-7_]+|0b[01_]+|[\d_]*\.?[\d_]*"
                        r"(?:[eE][-+]?\d+)?)")
# Outside strings, only brackets and digits matter; a string is skipped whole.
_JSON_TOKENS = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"?|[\[{]|[\]}]|[0-9]+', re.DOTALL)
_TOML_TOKENS = re.compile(r'"""[^\\]*?(?:\\.[^\\]*?)*?(?:"""|$)|\'\'\'.*?(?:\'\'\'|$)'
                          r'|"[^"\\\n]*(?:\\.[^"\\\n]*)*"?|\'[^\'\n]*\'?|#[^\n]*|[\[{]|[\]}]|[0-9][0-9_]*',
                          re.DOTALL)


def too_many_digits(value: str) -> bool:
    """Whether a value (a YAML scalar, a CSV cell) is a number too long to convert."""
    text = value.strip()
    if len(text) <= MAX_NUMBER_DIGITS or not _NUMBERISH.fullmatch(text):
        return False
    return sum(c.isdigit() for c in text) > MAX_NUMBER_DIGITS


def structure_problem(text: str, toml: bool = False) -> tuple[int, str] | None:
    """(offset, what is wrong) for a JSON or TOML text nested more than MAX_NESTING levels
    deep, or holding a number of more than MAX_NUMBER_DIGITS digits outside its strings;
    None when a parser may read it."""
    depth = 0
    for m in (_TOML_TOKENS if toml else _JSON_TOKENS).finditer(text):
        token = m.group()
        if token in ("[", "{"):
            depth += 1
            if depth > MAX_NESTING:
                return m.start(), (f"brackets nested more than {MAX_NESTING} levels deep; "
                                    "no value here needs that")
        elif token in ("]", "}"):
            depth = max(depth - 1, 0)
        elif token[0].isdigit() and len(token.replace("_", "")) > MAX_NUMBER_DIGITS:
            return m.start(), TOO_MANY_DIGITS
    return None


def line_of(text: str, offset: int) -> int:
    """1-based line number of an offset."""
    return text.count("\n", 0, offset) + 1
