"""Options shared by several commands."""

from __future__ import annotations

import datetime as dt

from ..errors import PlantrackError


def parse_date(text: str | None, option: str = "--as-of") -> dt.date | None:
    """A date given on the command line: ISO (2019-10-31) or UK (31/10/2019).
    Anything else is unusable input (exit 2)."""
    if text is None:
        return None
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        pass
    from ..dates import read_uk_date

    reading = read_uk_date(text)
    if reading is not None and reading.kind == "date" and reading.end is not None:
        return reading.end
    raise PlantrackError(
        f"{option} '{text}' is not a date: give it as YYYY-MM-DD (e.g. 2019-10-31) "
        "or dd/mm/yyyy (e.g. 31/10/2019)"
    )
