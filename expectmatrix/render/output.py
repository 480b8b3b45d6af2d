"""The names of the documents a spec gives: derived from the deal, one per format and
edition."""

from __future__ import annotations


def output_name(deal_id: str, version: int, fmt: str, suffix: str = "") -> str:
    # deal.id is already restricted by the model to [A-Za-z0-9._-] without a leading dot;
    # the suffix is the edition's ("-internal" or nothing).
    return f"{deal_id}-v{version}{suffix}.{fmt}"
