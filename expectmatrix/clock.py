"""The time a run stands at: SOURCE_DATE_EPOCH when it is set (reproducible builds), so
documents carry the same dates and checks judge against the same day on every machine."""

from __future__ import annotations

import datetime as dt
import os

from expectmatrix.errors import ClockError


def source_date() -> dt.datetime | None:
    """SOURCE_DATE_EPOCH as a time, None when unset; ClockError when it is not a time
    documents can carry."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if not epoch:
        return None
    try:
        when = dt.datetime.fromtimestamp(int(epoch), tz=dt.UTC) if epoch.isdigit() else None
    except (OverflowError, OSError, ValueError):
        when = None
    if when is None or when.year < 1980:
        raise ClockError(f"SOURCE_DATE_EPOCH={epoch[:40]!r} is not a time documents can "
                          "carry: give whole seconds since 1970 for a date from 1980 to 9999, "
                          "or unset it")
    return when


def today() -> dt.date:
    """The day checks judge dates against: SOURCE_DATE_EPOCH's when set and usable."""
    try:
        when = source_date()
    except ClockError:  # render reports it; a check needs only a day
        when = None
    return when.date() if when else dt.date.today()
