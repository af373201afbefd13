"""Tests for addin.dates: reading dates typed as text in council plans."""

from __future__ import annotations

import ast
import dataclasses
import sys
from datetime import date, datetime
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from addin import dates
from addin.dates import DateReading, describe, format_uk, parse_uk_date, read_uk_date

D = date

# text, start, end, kind: every form the reader supports, most of them seen in the seed plans.
READINGS = [
    # day, month and year in figures, day first
    ("31.10.12", None, D(2012, 10, 31), "date"),
    ("27.9.12", None, D(2012, 9, 27), "date"),
    ("31/10/12", None, D(2012, 10, 31), "date"),
    ("5/10/2012", None, D(2012, 10, 5), "date"),
    ("05-10-2012", None, D(2012, 10, 5), "date"),
    ("2012-10-31", None, D(2012, 10, 31), "date"),
    ("2012-10-31 00:00:00", None, D(2012, 10, 31), "date"),
    ("31/10/2012 00:00", None, D(2012, 10, 31), "date"),
    ("29/02/2020", None, D(2020, 2, 29), "date"),
    # day and month in words
    ("31 October 2012", None, D(2012, 10, 31), "date"),
    ("31st Oct 2012", None, D(2012, 10, 31), "date"),
    ("4 th November 2019", None, D(2019, 11, 4), "date"),
    ("4th November 2019", None, D(2019, 11, 4), "date"),
    ("9th November 2018", None, D(2018, 11, 9), "date"),
    ("1st of December 2008", None, D(2008, 12, 1), "date"),
    ("31-Oct-12", None, D(2012, 10, 31), "date"),
    ("31 Oct 12", None, D(2012, 10, 31), "date"),
    ("Friday 31 October 2012", None, D(2012, 10, 31), "date"),
    ("By 31 March 2019", None, D(2019, 3, 31), "date"),
    ("December 1st 2008", None, D(2008, 12, 1), "date"),
    ("Dec 1, 2008", None, D(2008, 12, 1), "date"),
    # a month means the end of that month
    ("Sept 2019", None, D(2019, 9, 30), "month"),
    ("Sept 2019.", None, D(2019, 9, 30), "month"),
    ("September 2019", None, D(2019, 9, 30), "month"),
    ("Sep 19", None, D(2019, 9, 30), "month"),
    ("Sep-19", None, D(2019, 9, 30), "month"),
    ("Sep '19", None, D(2019, 9, 30), "month"),
    ("Jan 10", None, D(2010, 1, 31), "month"),
    ("By March 2019", None, D(2019, 3, 31), "month"),
    ("By March 2019.", None, D(2019, 3, 31), "month"),
    ("by end of March 2019", None, D(2019, 3, 31), "month"),
    ("by the end of March 2019", None, D(2019, 3, 31), "month"),
    ("April 2019.", None, D(2019, 4, 30), "month"),
    ("June 2019", None, D(2019, 6, 30), "month"),
    ("Dec 2018", None, D(2018, 12, 31), "month"),
    ("March 19", None, D(2019, 3, 31), "month"),
    ("Oct. 2018", None, D(2018, 10, 31), "month"),
    ("Feb 2020", None, D(2020, 2, 29), "month"),
    ("10/2019", None, D(2019, 10, 31), "month"),
    ("MAY 2019", None, D(2019, 5, 31), "month"),
    # years: a financial year ends on 31 March, a calendar year on 31 December
    ("2019/20", None, D(2020, 3, 31), "year"),
    ("2019/20.", None, D(2020, 3, 31), "year"),
    ("2019-20", None, D(2020, 3, 31), "year"),
    ("2019/2020", None, D(2020, 3, 31), "year"),
    ("FY 2019/20", None, D(2020, 3, 31), "year"),
    ("1999/00", None, D(2000, 3, 31), "year"),
    ("2021", None, D(2021, 12, 31), "year"),
    # quarters of a financial year
    ("Q1 2019/20", D(2019, 4, 1), D(2019, 6, 30), "range"),
    ("Q3 2019/20", D(2019, 10, 1), D(2019, 12, 31), "range"),
    ("Q4 2019/20", D(2020, 1, 1), D(2020, 3, 31), "range"),
    # ranges: the due date is the end
    ("03.01.12 \u2013 31.03.12", D(2012, 1, 3), D(2012, 3, 31), "range"),
    ("03.01.12 - 31.03.12", D(2012, 1, 3), D(2012, 3, 31), "range"),
    ("03.01.12-31.03.12", D(2012, 1, 3), D(2012, 3, 31), "range"),
    ("Jul 09 - Sep 09", D(2009, 7, 1), D(2009, 9, 30), "range"),
    ("Jul 09-Sep 09", D(2009, 7, 1), D(2009, 9, 30), "range"),
    ("October 18 to December 2018", D(2018, 10, 1), D(2018, 12, 31), "range"),
    ("From Jul 09 to Sep 09", D(2009, 7, 1), D(2009, 9, 30), "range"),
    ("2019 - 2021", D(2019, 1, 1), D(2021, 12, 31), "range"),
    ("Sep 09 - Sep 09", D(2009, 9, 1), D(2009, 9, 30), "range"),
    # a date phrase, then more words: the date is read, the words are ignored
    ("April 2019, 60% of audits demonstrate good assessment", None, D(2019, 4, 30), "month"),
    ("June 2019.\tTraining delivered", None, D(2019, 6, 30), "month"),
    ("Dec 2018 completed and quarterly from April 2019.", None, D(2018, 12, 31), "month"),
    ("April 2019 to be reviewed", None, D(2019, 4, 30), "month"),
    ("31.10.12 (revised)", None, D(2012, 10, 31), "date"),
    ("2021 for agreements to be in place", None, D(2021, 12, 31), "year"),
    ("Mar 10 Mar 10 Mar 10", None, D(2010, 3, 31), "month"),
    # blanks around the text
    ("  Sept 2019  ", None, D(2019, 9, 30), "month"),
    ("\u00a031.10.12\u00a0", None, D(2012, 10, 31), "date"),
]

ONGOING = [
    "Ongoing",
    "Ongoing.",
    "On-going",
    "On going",
    "ONGOING",
    "On-going and in line with the child's requirements.",
    "Ongoing and in line with each young person's needs.",
    "Annual",
    "Annually",
    "Quarterly",
    "Monthly",
    "6 monthly",
    "Every 6 months",
    "Continue in line with practice week schedules.",
    "Quarterly report to QPN in Dec 2018; will be quarterly thereafter.",
]

NOT_DATES = [
    "Completed.",
    "In line with targets set in the strategy.",
    "TBA",
    "TBC",
    "N/A",
    "-",
    "?",
    "Immediately",
    "Terms of reference to be agreed by April 2019.",
    "At least 60% by Sept 2019. 85% by Dec 2019 and then working towards 100%.",
    "1.15",
    "12",
    "March",
    "31 October",
    "Jan 10th",
    "From April 2019",
    "Due to staffing changes",
    # no such day
    "31/02/2019",
    "29/02/2019",
    "32.10.12",
    "31 Feb 2019",
    "00/10/2012",
    # American order is never assumed
    "10/31/2012",
    "13/13/2012",
    "12/31/12",
    # years that do not run on, and a range that runs backwards
    "2019/21",
    "Q3 2019/21",
    "Q5 2019/20",
    "31.03.12 - 03.01.12",
    # numbers that only look like part of a date
    "1.2.3.4",
    "31/10/201",
    "5/10/0012",
    "Jul 09-10",
    "Jul 09\u201310",
    "2019\u201312",
    "Mayor 2019",
]


@pytest.mark.parametrize(("text", "start", "end", "kind"), READINGS)
def test_reads_each_form(text: str, start: date | None, end: date, kind: str) -> None:
    reading = read_uk_date(text)
    assert reading == DateReading(start=start, end=end, text=text, kind=kind)  # type: ignore[arg-type]
    assert reading.suggestion == format_uk(end)
    assert parse_uk_date(text) == end


@pytest.mark.parametrize("text", ONGOING)
def test_ongoing_words_have_no_date(text: str) -> None:
    assert read_uk_date(text) == DateReading(start=None, end=None, text=text, kind="ongoing")
    assert parse_uk_date(text) is None


@pytest.mark.parametrize("text", NOT_DATES)
def test_not_a_date(text: str) -> None:
    reading = read_uk_date(text)
    assert reading == DateReading(start=None, end=None, text=text, kind="not_a_date")
    assert reading.suggestion is None
    assert parse_uk_date(text) is None


@pytest.mark.parametrize("value", [None, "", "   ", "\t\n", "\u00a0"])
def test_nothing_to_read(value: str | None) -> None:
    assert read_uk_date(value) is None
    assert parse_uk_date(value) is None


def test_datetime_passes_through_as_its_date() -> None:
    value = datetime(2012, 10, 31, 14, 30)
    reading = read_uk_date(value)
    assert reading == DateReading(start=None, end=D(2012, 10, 31), text=str(value), kind="date")
    assert type(reading.end) is date
    assert reading.suggestion == "31/10/2012"


def test_date_passes_through() -> None:
    reading = read_uk_date(D(2019, 4, 30))
    assert reading is not None
    assert (reading.start, reading.end, reading.kind) == (None, D(2019, 4, 30), "date")
    assert parse_uk_date(D(2019, 4, 30)) == D(2019, 4, 30)


@pytest.mark.parametrize("value", [43404, 43404.0, True, ["31.10.12"]])
def test_other_values_are_not_dates(value: object) -> None:
    """Excel serial numbers are the workbook adapters' business, not this module's."""
    reading = read_uk_date(value)
    assert reading == DateReading(start=None, end=None, text=str(value), kind="not_a_date")


@pytest.mark.parametrize(
    ("text", "year"),
    [
        ("1.1.00", 2000),
        ("1.1.69", 2069),
        ("1.1.70", 1970),
        ("1.1.99", 1999),
        ("Jan 69", 2069),
        ("Jan 70", 1970),
    ],
)
def test_two_digit_years_pivot_at_70(text: str, year: int) -> None:
    reading = read_uk_date(text)
    assert reading is not None and reading.end is not None
    assert reading.end.year == year


def test_text_is_kept_as_given() -> None:
    assert read_uk_date("  by end of March 2019. ").text == "  by end of March 2019. "  # type: ignore[union-attr]


def test_reading_is_frozen() -> None:
    reading = read_uk_date("31.10.12")
    with pytest.raises(dataclasses.FrozenInstanceError):
        reading.end = D(2000, 1, 1)  # type: ignore[misc, union-attr]


@pytest.mark.parametrize(
    ("d", "uk", "words"),
    [
        (D(2012, 10, 31), "31/10/2012", "31 Oct 2012"),
        (D(2019, 9, 5), "05/09/2019", "5 Sep 2019"),
        (D(2020, 1, 1), "01/01/2020", "1 Jan 2020"),
        (datetime(2019, 3, 31, 9, 0), "31/03/2019", "31 Mar 2019"),
    ],
)
def test_format_uk_and_describe(d: date, uk: str, words: str) -> None:
    assert format_uk(d) == uk
    assert describe(d) == words


# --- properties ----------------------------------------------------------------

plan_dates = st.dates(min_value=D(1970, 1, 1), max_value=D(2069, 12, 31))


@given(plan_dates)
def test_format_uk_reads_back(d: date) -> None:
    assert parse_uk_date(format_uk(d)) == d


@given(plan_dates)
def test_describe_reads_back(d: date) -> None:
    assert parse_uk_date(describe(d)) == d


@given(plan_dates)
def test_two_digit_year_form_reads_back(d: date) -> None:
    assert parse_uk_date(d.strftime("%d.%m.%y")) == d


# Text built from the pieces dates are made of, to reach the corners of the reader.
date_like_text = st.lists(
    st.sampled_from(
        [
            "31",
            "9",
            "02",
            "12",
            "69",
            "70",
            "2019",
            "20",
            "/",
            ".",
            "-",
            "\u2013",
            " ",
            ",",
            "'",
            "th",
            "Sept",
            "Oct",
            "February",
            "by",
            "end of ",
            "to",
            "from ",
            "Q3",
            "FY",
            "ongoing",
            "Fri",
        ]
    ),
    max_size=8,
).map("".join)


@given(st.one_of(st.text(max_size=40), date_like_text))
def test_never_raises_and_readings_are_consistent(text: str) -> None:
    reading = read_uk_date(text)
    if reading is None:
        assert not text.strip()
        return
    assert reading.text == text
    assert (reading.end is None) == (reading.kind in ("ongoing", "not_a_date"))
    assert (reading.start is not None) == (reading.kind == "range")
    if reading.start is not None and reading.end is not None:
        assert reading.start <= reading.end


@given(st.from_regex(r"[0-9./\- ]{1,12}", fullmatch=True))
def test_never_raises_on_figures(text: str) -> None:
    read_uk_date(text)


# --- the module stays light ---------------------------------------------------


def test_uses_the_standard_library_only() -> None:
    """The module must import in Pyodide (xlwings Lite) with nothing installed."""
    tree = ast.parse(Path(dates.__file__).read_text(encoding="utf-8"))
    imported = {
        name.split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, (ast.Import, ast.ImportFrom))
        for name in ([a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""])
    }
    assert imported <= set(sys.stdlib_module_names) | {"__future__"}


# --- what follows the date (used by import to keep the words a date cell also holds) ----


@pytest.mark.parametrize(
    ("text", "rest"),
    [
        ("Sept 2019.", ""),
        ("  31.10.12  ", ""),
        ("03.01.12 \u2013 31.03.12", ""),
        ("April 2019, 60% of audits are good", "60% of audits are good"),
        ("Dec 2018 completed and quarterly from April 2019.", "completed and quarterly from April 2019"),
        ("Jul 09 - Sep 09 (revised)", "(revised)"),
        ("On-going and in line with the child's requirements.", "and in line with the child's requirements"),
        ("Completed.", ""),
    ],
)
def test_rest_is_what_follows_the_date(text: str, rest: str) -> None:
    reading = read_uk_date(text)
    assert reading is not None
    assert reading.rest == rest
    assert reading == dataclasses.replace(reading, rest="anything")  # not part of equality
