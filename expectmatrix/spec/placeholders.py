"""``{name}`` placeholders in texts that come from data files (clauses, labels).

Those files may come from a shared folder, so they are filled by plain substitution:
``str.format`` would let ``{vendor.__class__.__mro__}`` walk Python objects.
"""

from __future__ import annotations

import re

_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")


def fill(text: str, **values: object) -> str:
    """Replace each ``{name}`` that has a value; leave anything else as written."""
    return _PLACEHOLDER.sub(lambda m: str(values[m.group(1)]) if m.group(1) in values
                            else m.group(0), text)
