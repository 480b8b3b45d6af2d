"""The canonical form of a validated spec and its fingerprint.

The fingerprint printed in every document is the SHA-256 of this form, so a reader can
tell which spec a document came from. Values equal to their defaults are left out: a spec
that writes ``version: 1`` and one that leaves it out are the same spec, and adding an
optional field to the format later does not change the fingerprint of existing specs.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from expectmatrix.spec.models import Spec


def canonical_data(spec: Spec) -> dict[str, Any]:
    return spec.model_dump(mode="json", exclude_defaults=True)


def canonical_json(spec: Spec) -> bytes:
    """JSON, keys sorted, UTF-8, no insignificant whitespace."""
    return json.dumps(canonical_data(spec), sort_keys=True, separators=(",", ":"),
                      ensure_ascii=False).encode("utf-8")


def fingerprint_of(data: bytes) -> str:
    """64 lower-case hex digits."""
    return hashlib.sha256(data).hexdigest()


def fingerprint(spec: Spec) -> str:
    return fingerprint_of(canonical_json(spec))
