"""Read dates that people typed as text, the way they appear in council plans.

Improvement plans are full of dates typed as words: ``31.10.12``, ``Sept 2019``,
``By March 2019``, ``4 th November 2019``, ``2019/20``, ``Jul 09 - Sep 09``,
``Ongoing``. :func:`read_uk_date` turns one such cell into a :class:`DateReading`
that says what the text means, and never raises on text it cannot read.

How the text is read:

- Day first, always. ``5/10/2012`` is 5 October 2012; American order is never
  assumed, so ``10/31/2012`` is not a date.
- Two-digit years 00–69 are 2000–2069 and 70–99 are 1970–1999. Four-digit
  years must be 19xx or 20xx.
- A month on its own (``Sept 2019``, ``Jan 10``) means the end of that month,
  because a due date of "September" means by the end of September.
- A financial year (``2019/20``) means its end, 31 March 2020; a quarter of one
  (``Q3 2019/20``, October to December 2019) is read as a range.
- A bare year (``2019``) means its end, 31 December.
- Two readings joined by a dash or "to" are a range; the due date is its end.
- Only the start of the text is read: ``April 2019, 60% of audits ...`` is
  April 2019, but ``Agreed by April 2019`` is not a date.
- "Ongoing", "Annual", "Quarterly" and the like are ongoing, with no date;
  anything else is not a date.

Pure standard library, so it also runs inside Excel (Pyodide).
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Literal

__all__ = ["DateReading", "Kind", "describe", "format_uk", "parse_uk_date", "read_uk_date"]

Kind = Literal["date", "month", "year", "range", "ongoing", "not_a_date"]
"""What the text was read as. ``ongoing`` and ``not_a_date`` carry no date."""


@dataclass(frozen=True, slots=True)
class DateReading:
    """What one typed date means.

    ``end`` is the main reading: the due date (the end of a month, year or
    range). ``start`` is the first day of a range, and None for anything else.
    ``text`` is the value as it was given. ``rest`` is what follows the date
    (``April 2019, 60% of audits`` leaves ``60% of audits``), without the
    punctuation around it; it is empty when the date was all there was, and
    it is not compared (two readings of the same date are equal).
    """

    start: date | None
    end: date | None
    text: str
    kind: Kind
    rest: str = field(default="", compare=False)

    @property
    def suggestion(self) -> str | None:
        """The reading as ``dd/mm/yyyy`` text to suggest to the user, or None."""
        return format_uk(self.end) if self.end is not None else None


MONTH_ABBREVIATIONS = tuple("Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split())
_MONTH_NUMBERS = {name.lower(): number for number, name in enumerate(MONTH_ABBREVIATIONS, 1)}


def format_uk(d: date) -> str:
    """A date as ``31/10/2012``."""
    return f"{d.day:02d}/{d.month:02d}/{d.year:04d}"


def describe(d: date) -> str:
    """A date for messages, as ``31 Oct 2012`` (same in every locale)."""
    return f"{d.day} {MONTH_ABBREVIATIONS[d.month - 1]} {d.year}"


def parse_uk_date(text: object) -> date | None:
    """The due date that ``text`` names, or None if it names none."""
    reading = read_uk_date(text)
    return reading.end if reading is not None else None


def read_uk_date(value: object) -> DateReading | None:
    """Read one cell's value as a UK date.

    Returns None for None, empty or blank text. A ``datetime`` or ``date`` is
    passed through as a ``date`` reading. Other non-text values (numbers,
    booleans) are not dates: turning Excel serial numbers into dates is the
    workbook adapters' job, not this one's.
    """
    if value is None:
        return None
    if isinstance(value, datetime):
        return DateReading(start=None, end=value.date(), text=str(value), kind="date")
    if isinstance(value, date):
        return DateReading(start=None, end=value, text=str(value), kind="date")
    if not isinstance(value, str):
        return DateReading(start=None, end=None, text=str(value), kind="not_a_date")
    text = value.strip()
    if not text:
        return None
    ongoing = _ONGOING.match(text)
    if ongoing:
        return DateReading(start=None, end=None, text=value, kind="ongoing", rest=_rest(text, ongoing.end()))

    opening = _FROM.match(text)
    first = _read_phrase(text, opening.end() if opening else 0)
    if first is None:
        return DateReading(start=None, end=None, text=value, kind="not_a_date")
    joiner = _RANGE_JOINER.match(text, first.stop)
    second = _read_phrase(text, joiner.end()) if joiner else None
    if second is not None:
        if second.last < first.first:
            return DateReading(start=None, end=None, text=value, kind="not_a_date")
        return DateReading(
            start=first.first, end=second.last, text=value, kind="range", rest=_rest(text, second.stop)
        )
    if opening:  # "From April 2019" gives a start but no due date
        return DateReading(start=None, end=None, text=value, kind="not_a_date")
    start = first.first if first.kind == "range" else None
    return DateReading(start=start, end=first.last, text=value, kind=first.kind, rest=_rest(text, first.stop))


def _rest(text: str, stop: int) -> str:
    """The words after a date phrase, without the punctuation and spaces around them."""
    return text[stop:].strip(_PUNCTUATION)


_PUNCTUATION = " \t\r\n\u00a0.,;:-\u2013\u2014"


# --- how the text is matched -------------------------------------------------

_MONTH = (
    r"(?P<month>jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?"
    r"|aug(?:ust)?|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
)
_DAY = r"(?P<day>\d{1,2})"
_YEAR = r"(?P<year>(?:19|20)\d\d|\d\d)"
_YEAR4 = r"(?P<year>(?:19|20)\d\d)"
_ORDINAL = r"(?:\s*(?:st|nd|rd|th))?"  # "31st", and "4 th" as typed in one seed plan
_OF = r"(?:of\s+)?"
_APOSTROPHE = "['\u2019]?"  # "Sep '19"
_GAP = r"[\s\-/.,]*"  # between day, month and year in "31-Oct-12", "4th November, 2019"
_TIME = r"(?:[T\s]+\d{1,2}:\d\d(?::\d\d(?:\.\d+)?)?)?"  # "2012-10-31 00:00:00"
_DATE_END = r"(?!\w|[./]\d)"  # a dash may follow: "03.01.12-31.03.12" is a range
_YEAR_END = r"(?!\w|[./\-\u2013]\d)"  # "Jul 09-10" and "2019/21" are not read
_FINANCIAL = _YEAR4 + r"\s*[/\-\u2013]\s*(?P<next>(?:19|20)\d\d|\d\d)"  # "2019/20", "2019-2020"

# Words that may come before a date: "By", "by end of", "Due:", "Fri".
_LEAD_IN = re.compile(
    r"(?:(?:by|before|due(?:\s+(?:by|date))?|deadline|target\s+date|no\s+later\s+than)[\s:]+)?"
    r"(?:(?:the\s+)?end\s+(?:of\s+)?)?"
    r"(?:(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday"
    r"|mon|tues?|wed|thur?s?|fri|sat|sun)\.?,?\s+)?",
    re.IGNORECASE,
)
_FROM = re.compile(r"from\s+", re.IGNORECASE)
_RANGE_JOINER = re.compile(r"\s*(?:[-\u2013\u2014]+|(?:to|until|till)\b)\s*", re.IGNORECASE)
_ONGOING = re.compile(
    r"(?:on[\s\-\u2013]?going|continu\w*|rolling|regular(?:ly)?"
    r"|(?:bi-?)?annual(?:ly)?|yearly|quarterly|(?:bi-?)?monthly"
    r"|(?:six|6|three|3|twelve|12)[\s-]?monthly"
    r"|weekly|fortnightly|termly|daily"
    r"|every\s+(?:\d+\s+|two\s+|three\s+|six\s+|twelve\s+|other\s+)?"
    r"(?:day|week|fortnight|month|quarter|term|year)s?"
    r"|as\s+(?:and\s+when\s+)?(?:required|needed))\b",
    re.IGNORECASE,
)


@dataclass(frozen=True, slots=True)
class _Phrase:
    """One date phrase found in the text: its period, kind and where it stops."""

    first: date
    last: date
    kind: Kind
    stop: int


_Period = tuple[date, date, Kind]


def _year(digits: str) -> int:
    """A year from two or four digits: 00–69 are 2000s, 70–99 are 1900s."""
    year = int(digits)
    if len(digits) == 2:
        year += 2000 if year < 70 else 1900
    return year


def _month_number(m: re.Match[str]) -> int:
    """The month of a match, by number or by name."""
    month = m["month"]
    return int(month) if month.isdigit() else _MONTH_NUMBERS[month[:3].lower()]


def _day(m: re.Match[str]) -> _Period | None:
    """A day, month and year; None if there is no such day (31/02/2019)."""
    try:
        d = date(_year(m["year"]), _month_number(m), int(m["day"]))
    except ValueError:
        return None
    return d, d, "date"


def _month(m: re.Match[str]) -> _Period | None:
    """A whole month; None if the month number is not 1–12."""
    year, month = _year(m["year"]), _month_number(m)
    if not 1 <= month <= 12:
        return None
    return date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1]), "month"


def _whole_year(m: re.Match[str]) -> _Period | None:
    """A calendar year."""
    year = int(m["year"])
    return date(year, 1, 1), date(year, 12, 31), "year"


def _financial_year_start(m: re.Match[str]) -> int | None:
    """The first year of ``2019/20`` or ``2019/2020``; None unless the years run on."""
    first, second = int(m["year"]), m["next"]
    runs_on = (first + 1) % 100 if len(second) == 2 else first + 1
    return first if int(second) == runs_on else None


def _financial_year(m: re.Match[str]) -> _Period | None:
    """A financial year, 1 April to 31 March."""
    first = _financial_year_start(m)
    if first is None:
        return None
    return date(first, 4, 1), date(first + 1, 3, 31), "year"


def _quarter(m: re.Match[str]) -> _Period | None:
    """A quarter of a financial year: Q1 is April–June, Q4 is January–March."""
    first = _financial_year_start(m)
    if first is None:
        return None
    quarter = int(m["quarter"])
    year = first + 1 if quarter == 4 else first
    start_month = 1 if quarter == 4 else 3 * quarter + 1
    end_month = start_month + 2
    return (
        date(year, start_month, 1),
        date(year, end_month, calendar.monthrange(year, end_month)[1]),
        "range",
    )


# Tried in order at the same place; the first that matches and makes sense wins.
_FORMS: tuple[tuple[re.Pattern[str], Callable[[re.Match[str]], _Period | None]], ...] = tuple(
    (re.compile(pattern, re.IGNORECASE), read)
    for pattern, read in (
        # 2012-10-31
        (_YEAR4 + r"(?P<sep>[-/.])(?P<month>\d{1,2})(?P=sep)" + _DAY + _TIME + _DATE_END, _day),
        # 31.10.12, 27.9.12, 31/10/12, 5/10/2012, 05-10-2012
        (_DAY + r"(?P<sep>[-/.])(?P<month>\d{1,2})(?P=sep)" + _YEAR + _TIME + _DATE_END, _day),
        # 10/2019
        (r"(?P<month>\d{1,2})[-/.]" + _YEAR4 + _YEAR_END, _month),
        # 31 October 2012, 31st Oct 2012, 4 th November 2019, 31-Oct-12
        (_DAY + _ORDINAL + _GAP + _OF + _MONTH + _GAP + _APOSTROPHE + _YEAR + _YEAR_END, _day),
        # Q3 2019/20
        (r"Q(?P<quarter>[1-4])[\s,]*(?:FY\s*)?" + _FINANCIAL + _YEAR_END, _quarter),
        # 2019/20, FY 2019-2020
        (r"(?:FY\s*)?" + _FINANCIAL + _YEAR_END, _financial_year),
        # 2019
        (_YEAR4 + _YEAR_END, _whole_year),
        # December 1st 2008, Dec 1, 2008
        (_MONTH + r"\s*" + _DAY + _ORDINAL + r",?\s+" + _YEAR4 + _YEAR_END, _day),
        # Sept 2019, Sep 19, Jan 10, Sep-19, Sep '19
        (_MONTH + _GAP + _APOSTROPHE + _YEAR + _YEAR_END, _month),
    )
)


def _read_phrase(text: str, pos: int) -> _Phrase | None:
    """The date phrase that starts at ``pos`` (after any lead-in words), or None."""
    lead_in = _LEAD_IN.match(text, pos)
    if lead_in:
        pos = lead_in.end()
    for pattern, read in _FORMS:
        m = pattern.match(text, pos)
        if m:
            period = read(m)
            if period is not None:
                return _Phrase(*period, stop=m.end())
    return None
