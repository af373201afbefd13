"""Import, part 2: reading the messy cells of a council's own plan.

Plans kept in Excel (or pasted from Word) hold several milestones in one cell,
one date per line, refs typed into the action text ("1.1 All managers ..."),
numbered actions in one cell ("(1) ... (2) ..."), headings and "Outcome"
rows spanning the table. These functions read such cells; they never raise
on what they cannot read, they say so (None, or a reading of kind
``not_a_date``), and the importer reports it.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from ..dates import DateReading, read_uk_date
from ..tables import as_text

# Excel's day 0 is 30 Dec 1899 (with its 1900 leap-year bug folded in).
_EXCEL_EPOCH = dt.date(1899, 12, 30)
_SERIAL_RANGE = (25569, 73051)  # 1 Jan 1970 .. 31 Dec 2099


def cell_text(value: Any) -> str | None:
    """A cell as text: line breaks kept (one per paragraph), spaces tidied; None if blank."""
    text = as_text(value)
    if text is None:
        return None
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\u00a0", " ").replace("\u2028", "\n")
    lines = [" ".join(line.split()) for line in text.split("\n")]
    tidy = "\n".join(line for line in lines if line)
    return tidy or None


def one_line(value: Any) -> str | None:
    """A cell as one line of text (a name split over two lines is one name)."""
    text = cell_text(value)
    return " ".join(text.split()) if text else None


def join_pieces(pieces: list[str]) -> str | None:
    """Text from several rows of one cell (a Word table pasted into Excel, a page break):
    a piece that stops mid-sentence runs on with a space, otherwise a new line."""
    out = ""
    seen: set[str] = set()
    for piece in pieces:
        if not piece or piece in seen:  # the same theme or lead on each row of an action
            continue
        seen.add(piece)
        if not out:
            out = piece
        elif out[-1] in ".!?:;)" or piece[:1] in "-\u2022*\u00b7":
            out = f"{out}\n{piece}"
        else:
            out = f"{out} {piece}"
    return out or None


# ----------------------------------------------------------------- dates


def read_date(value: Any) -> DateReading | None:
    """A date cell read the UK way (see ``addin.dates``); Excel serial numbers
    (a date typed into a cell formatted as a number) are read as dates too."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if _SERIAL_RANGE[0] <= value <= _SERIAL_RANGE[1]:
            day = _EXCEL_EPOCH + dt.timedelta(days=int(value))
            return DateReading(start=None, end=day, text=str(value), kind="date")
    if isinstance(value, str):
        text = cell_text(value)
        return read_uk_date(text) if text else None
    return read_uk_date(value)


_DATE_TOKEN = re.compile(
    r"(?:\d{1,2}[./\-]\d{1,2}[./\-]\d{2,4}"
    r"|(?:\d{1,2}(?:st|nd|rd|th)?\s+)?(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\s*'?\d{2,4})",
    re.IGNORECASE,
)


def date_lines(value: Any) -> list[DateReading]:
    """One reading per date in a cell holding one date per line (the 2009 layout:
    ``Jul 09 / Sep 09 / Oct 09``), or several dates on one line separated by
    spaces (``Jul 09 Jul 09 Jul 09``, as a Word table pastes). A line that is
    not a date gives a ``not_a_date`` or ``ongoing`` reading, so the lines
    still pair up with the milestones beside them."""
    if not isinstance(value, str):
        reading = read_date(value)
        return [reading] if reading is not None else []
    text = cell_text(value)
    if not text:
        return []
    out: list[DateReading] = []
    for line in text.split("\n"):
        out.extend(_line_dates(line))
    return out


@lru_cache(maxsize=4096)
def _line_dates(line: str) -> tuple[DateReading, ...]:
    """The readings of one line (plans repeat "Jul 09" hundreds of times: each is read once)."""
    reading = read_uk_date(line)
    whole_range = reading is not None and reading.kind == "range" and not reading.rest
    parts = None if whole_range else _date_sequence(line)
    if parts:
        return tuple(r for r in (read_uk_date(p) for p in parts) if r is not None)
    return (reading,) if reading is not None else ()


def _date_sequence(line: str) -> list[str] | None:
    """``Sep 09 Annual Jul 10`` -> the three parts, when a line is a run of two or more
    dates (with at most a word or two between them, such as "Annual"); else None."""
    tokens = list(_DATE_TOKEN.finditer(line))
    if len(tokens) < 2:
        return None
    parts: list[str] = []
    pos = 0
    for m in tokens:
        between = line[pos : m.start()].strip(" ,;/.")
        if between:
            parts.append(between)
        parts.append(m.group())
        pos = m.end()
    tail = line[pos:].strip(" ,;/.")
    if tail:
        parts.append(tail)
    return parts if all(len(p.split()) <= 2 for p in parts) else None


# ------------------------------------------------------------- milestones

_BULLET = re.compile(
    r"^\s*(?:[\u2022\u25cf\u25aa\u25e6\u2023\u2043\u00b7*\-\u2013o\uf0b7\uf0a7]|\d{1,2}[.)])\s+"
)
_INLINE_BULLET = re.compile(r"\s*[\u2022\u25cf\u25aa\uf0b7\uf0a7]\s*")


def milestone_lines(value: Any) -> list[str]:
    """The milestones in one cell: one per line or per bullet, bullets removed."""
    text = cell_text(value)
    if not text:
        return []
    lines: list[str] = []
    for line in text.split("\n"):
        parts = (
            [p for p in _INLINE_BULLET.split(line) if p.strip()] if _INLINE_BULLET.search(line) else [line]
        )
        lines.extend(_BULLET.sub("", p).strip() for p in parts)
    return [line for line in lines if line]


# ------------------------------------------------------------------ refs

# "1.1", "2.1.3", "S1", "S1.3", "IN12", "1.17a" at the start of an action's text.
_LEADING_REF = re.compile(
    r"^\s*(?P<ref>(?:[A-Z]{1,4}\d+|\d+\.\d+)(?:\.\d+)*[a-z]?)[.:)]?(?:\s+|\s*[\-\u2013]\s+)(?=\S)"
)
_REF_SHAPE = re.compile(r"^[A-Za-z]{0,6}\s?\d+[A-Za-z]?(\.\d+[A-Za-z]?)*$")


def leading_ref(text: str | None) -> tuple[str, str] | None:
    """(ref, the rest) when an action's text starts with its ref: ``1.4 85% of ...``."""
    if not text:
        return None
    m = _LEADING_REF.match(text)
    if not m or not text[m.end() :].strip():
        return None
    return m["ref"], text[m.end() :].strip()


def ref_text(value: Any) -> str | None:
    """A Ref cell as text: ``1.01`` stays ``1.01``; a trailing full stop goes (``3.`` -> ``3``)."""
    text = one_line(value)
    if not text:
        return None
    return text.rstrip(".").strip() or None


def looks_like_ref(text: str) -> bool:
    return bool(_REF_SHAPE.match(text))


_RECOMMENDATION_ID = re.compile(
    r"^\s*(?:(?:recommendation|rec\.?|finding|area)\s*)?"
    r"(?P<id>[A-Z]{1,6}\s?\d+[A-Za-z]?(?:\.\d+)*|\d+[A-Za-z]?(?:\.\d+)*)\s*(?:[.:)\-\u2013]|\s|$)",
    re.IGNORECASE,
)


def recommendation_id(text: str | None) -> str | None:
    """The id a recommendation starts with (``S1``, ``OR 6``, ``3`` in "Recommendation 3: ...")."""
    if not text:
        return None
    m = _RECOMMENDATION_ID.match(text)
    if not m:
        return None
    found = m["id"].strip()
    return found if looks_like_ref(found) else None


# ------------------------------------------------------- numbered actions

_NUMBER = re.compile(r"(?:(?<=\s)|^)\(?(\d{1,2})\)\s*")


def numbered_items(text: str | None) -> list[str] | None:
    """The items of ``(1) ... (2) ...`` (or ``1) ... 2) ...``) in one cell, or None.

    Numbers must run 1, 2, 3 ... A short lead-in before ``(1)`` is kept in
    front of every item ("Improve audits: (1) train staff (2) ..." gives
    "Improve audits: train staff", ...).
    """
    if not text:
        return None
    marks = list(_NUMBER.finditer(text))
    picked: list[re.Match[str]] = []
    for m in marks:
        if int(m.group(1)) == len(picked) + 1:
            picked.append(m)
    if len(picked) < 2:
        return None
    lead = text[: picked[0].start()].strip()
    if len(lead) > 120:
        return None
    items = []
    for m, after in zip(picked, [*picked[1:], None]):
        item = text[m.end() : after.start() if after else len(text)].strip().rstrip(";,").strip()
        if item.endswith(" and"):
            item = item[:-4].rstrip(" ,;")
        items.append(f"{lead} {item}".strip() if lead else item)
    return items if all(items) else None


# ----------------------------------------------------- headings and outcomes

_HEADING = re.compile(
    r"^\s*(?:(?:section|area|theme|part|priority|chapter)\s+)?(?P<number>\d{1,2})(?:[.:)]|\s*[\-\u2013:])?\s+(?=[A-Za-z(\"'])",
    re.IGNORECASE,
)
_SECTION = re.compile(
    r"^\s*(?:section|area|theme|part|priority|chapter)\s+(?P<number>\d{1,2})\b", re.IGNORECASE
)
_OUTCOME = re.compile(
    r"^\s*(?:expected\s+|desired\s+)?outcomes?(?:\s+required)?\s*(?:[:\-\u2013\u2014]\s*|\s+(?=[\u2022\-*A-Z])|$)",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Heading:
    text: str
    number: str | None


def heading(text: str | None) -> Heading | None:
    """A numbered heading row: "1. Assessments of children's needs ...", "Section 2: ..."."""
    if not text or len(text) > 400:
        return None
    m = _HEADING.match(text) or _SECTION.match(text)
    if not m:
        return None
    return Heading(" ".join(text.split()), m["number"])


def outcome_label(text: str | None) -> str | None:
    """For an "Outcome" row: the outcome text after the label ("" when it is on the rows
    below); None when the text is not an Outcome row."""
    if not text:
        return None
    m = _OUTCOME.match(text)
    if not m:
        return None
    rest = text[m.end() :].strip()
    return "\n".join(milestone_lines(rest)) if rest else ""


def first_day(reading: DateReading) -> dt.date | None:
    """The day a reading starts: for a start date, "Jul 09" means 1 July 2009."""
    if reading.end is None:
        return None
    if reading.start is not None:
        return reading.start
    if reading.kind == "month":
        return reading.end.replace(day=1)
    if reading.kind == "year":
        if (reading.end.month, reading.end.day) == (3, 31):  # a financial year
            return dt.date(reading.end.year - 1, 4, 1)
        return dt.date(reading.end.year, 1, 1)
    return reading.end
