"""The board pack laid out as sheets: ``pack_changes(pack, template) -> Changes``.

One ``GeneratedSheet`` per pack sheet (summary, exceptions, indicators,
milestones due, changes since the last pack, returns) plus the very hidden
history sheet. The sheets' names, titles, widths and colours come from
``templates/pack.toml``; fonts, header colours and RAG colours from
``templates/tracker.toml``. Nothing here touches a workbook.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from ..changes import Changes, ChartSpec, GeneratedSheet
from ..dates import MONTH_ABBREVIATIONS, describe
from ..tables import column_letter
from .pack import (
    ACTION,
    DUE_NEXT,
    IMPROVED,
    INDICATOR,
    MILESTONE,
    NEW_RED,
    OVERDUE,
    CountRow,
    Pack,
)
from .pack_look import PackSheetLook, PackTemplate, load_pack_template

CM_PER_WIDTH_UNIT = 0.19  # one unit of Excel column width (Calibri 11 digit) in cm, about
CHARS_PER_WIDTH_UNIT = 1.15  # characters of 10-point text per unit of width, erring on the low side
LINE_POINTS, ROW_PADDING_POINTS = 12.4, 3.0
POINTS_PER_CM = 72 / 2.54
RETURN_COLOURS = {"Returned": "Green", "Returned late": "Amber", "Late": "Amber", "Missing": "Red"}
TREND_TARGET_COLOUR, TREND_ACTUAL_COLOUR = "7F7F7F", "1F3864"


def pack_changes(pack: Pack, template: PackTemplate | None = None) -> Changes:
    """The pack's sheets, to (re)generate in the workbook. A sheet the pack no longer
    has (the returns sheet once returns are gone) is removed; nothing else is touched."""
    template = template or load_pack_template()
    sheets = [
        summary_sheet(pack, template),
        exceptions_sheet(pack, template),
        indicators_sheet(pack, template),
        trends_sheet(pack, template),
        due_sheet(pack, template),
        changes_sheet(pack, template),
    ]
    removed = []
    if pack.returns is not None:
        sheets.append(returns_sheet(pack, template))
    else:
        removed.append(template.sheet("returns").name)
    sheets.append(history_sheet(pack, template))
    return Changes(sheets=sheets, remove_sheets=removed)


def pack_sheet_names(pack: Pack, template: PackTemplate | None = None, printable: bool = True) -> list[str]:
    """The names of the sheets this pack writes (``printable``: the ones for the PDF, in order)."""
    template = template or load_pack_template()
    keys = ["summary", "exceptions", "indicators", "trends", "milestones", "changes"]
    if pack.returns is not None:
        keys.append("returns")
    if not printable:
        keys.append("history")
    return [template.sheet(k).name for k in keys]


# ------------------------------------------------------------------ building blocks


class _Sheet:
    """Rows, colours and charts of one sheet being laid out."""

    def __init__(self, look: PackSheetLook, template: PackTemplate):
        self.look, self.template = look, template
        self.rows: list[list[Any]] = []
        self.fills: dict[tuple[int, int], str] = {}
        self.fonts: dict[tuple[int, int], str] = {}
        self.bold: set[tuple[int, int]] = set()
        self.charts: list[ChartSpec] = []
        self.heights: dict[int, float] = {}

    def add(self, values: Sequence[Any] = ()) -> int:
        self.rows.append(list(values))
        return len(self.rows)

    def blank(self, count: int = 1) -> None:
        for _ in range(count):
            self.add()

    def chart_space(self, height_cm: float) -> int:
        """Empty rows of a set height for a chart ``height_cm`` high; returns the first."""
        step = self.template.charts.row_height_cm
        first = len(self.rows) + 1
        for _ in range(math.ceil(height_cm / step)):
            self.heights[self.add()] = round(step * POINTS_PER_CM, 2)
        return first

    def section(self, text: str, width: int) -> int:
        r = self.add([text])
        for c in range(1, width + 1):
            self.fills[(r, c)] = self.template.colours.section_fill
        self.fonts[(r, 1)] = self.template.colours.section_font
        return r

    def header(self, headers: Sequence[Any], first: int = 1) -> int:
        """A table header row inside the sheet (the sheet's own header row is styled by the writer)."""
        r = self.add([None] * (first - 1) + [h if h != "" else None for h in headers])
        for c in range(first, first + len(headers)):
            if headers[c - first] in self.template.rag_fills:
                self.rag(r, c, headers[c - first])
            else:
                self.fills[(r, c)] = self.template.header_fill
                self.fonts[(r, c)] = self.template.header_font_colour
        return r

    def rag(self, r: int, c: int, value: str | None) -> None:
        fill = self.template.rag_fill(value)
        if fill:
            self.fills[(r, c)] = fill
            self.fonts[(r, c)] = self.template.rag_font(value)

    def build(
        self,
        header_row: int,
        title_rows: int,
        headers: Sequence[str] = (),
        number_formats: Mapping[int, str] | None = None,
        widths: Mapping[int, float] | None = None,
        **extra: Any,
    ) -> GeneratedSheet:
        width = dict(widths or {})
        wrap = set()
        for c, h in enumerate(headers, start=1):
            width.setdefault(c, self.look.width(h))
            if self.look.wraps(h):
                wrap.add(c)
        heights = row_heights(self.rows, width, wrap, header_row) if header_row else {}
        extra["row_heights"] = {**heights, **self.heights}
        return GeneratedSheet(
            name=self.look.name,
            rows=self.rows,
            header_row=header_row,
            title_rows=title_rows,
            widths=width,
            wrap_columns=wrap,
            number_formats=dict(number_formats or {}),
            fills=self.fills,
            font_colours=self.fonts,
            bold_cells=self.bold,
            charts=self.charts,
            tab_colour=self.look.tab_colour,
            print_ready=True,
            **extra,
        )

    def title_block(self, pack: Pack, *lines: str) -> int:
        """Title, then the plan and report date, then any notes: returns the rows used."""
        self.add([self.look.title])
        self.add([_plan_line(pack)])
        for line in lines:
            self.add([line])
        return len(self.rows)


def wrapped_lines(text: str, chars: int) -> int:
    """How many lines ``text`` takes wrapped at ``chars`` characters a line (greedy, by words)."""
    if len(text) <= chars and "\n" not in text:
        return 1
    lines = 0
    for paragraph in str(text).split("\n"):
        used, lines = 0, lines + 1
        for size in map(len, paragraph.split()):
            if used and used + 1 + size > chars:
                lines, used = lines + 1, 0
            if size > chars:  # a word longer than the line breaks anywhere
                extra = (size - 1) // chars
                lines, size = lines + extra, size - extra * chars
            used += size + 1 if used else size
    return max(lines, 1)


def row_heights(
    rows: Sequence[Sequence[Any]], widths: Mapping[int, float], wrap: set[int], header_row: int
) -> dict[int, float]:
    """Row heights (points) for the header and table rows whose wrapped text needs more than one line.

    Spreadsheet programs do not all fit rows to wrapped text when they open a file, so the
    pack sets the heights itself, from the column widths.
    """
    chars = {c: max(4, int(widths.get(c, 12) * CHARS_PER_WIDTH_UNIT)) for c in wrap}
    counted: dict[tuple[str, int], int] = {}  # a milestone's exception repeats its action's update
    out = {}
    for r in range(header_row, len(rows) + 1):
        row, lines = rows[r - 1], 1
        if r == header_row:
            for c, value in enumerate(row, start=1):
                if value is not None:
                    width = chars.get(c) or max(4, int(widths.get(c, 12) * CHARS_PER_WIDTH_UNIT))
                    lines = max(lines, wrapped_lines(str(value), width))
        else:
            for c, width in chars.items():
                value = row[c - 1] if c <= len(row) else None
                if value is not None:
                    text = value if type(value) is str else str(value)
                    if len(text) > width or "\n" in text:
                        n = counted.get((text, width))
                        if n is None:
                            n = counted[(text, width)] = wrapped_lines(text, width)
                        lines = max(lines, n)
        if lines > 1:
            out[r] = round(lines * LINE_POINTS + ROW_PADDING_POINTS, 1)
    return out


def _plan_line(pack: Pack) -> str:
    parts = [pack.title]
    if pack.organisation:
        parts.append(pack.organisation)
    parts.append(f"report date {describe(pack.as_of)}")
    if pack.marking:
        parts.append(pack.marking)
    return " · ".join(parts)


def _plural(n: int, word: str, plural: str | None = None) -> str:
    return f"{n} {word if n == 1 else plural or word + 's'}"


def _month(d: Any) -> str:
    return f"{MONTH_ABBREVIATIONS[d.month - 1]} {d.year}"


def _number(value: float | None) -> Any:
    if value is None:
        return None
    return int(value) if float(value).is_integer() else value


def _count_table(
    sheet: _Sheet,
    title: str,
    rows: Sequence[CountRow],
    columns: Sequence[str],
    label: str,
    chart: bool,
    total_row: bool = True,
) -> None:
    """A section with a RAG count table (label, one column per RAG, Total) and a stacked bar chart."""
    template = sheet.template
    width = len(columns) + 2
    sheet.section(title, width)
    head = sheet.header([label, *columns, "Total"])
    for row in rows:
        r = sheet.add([row.label, *[row.counts.get(c, 0) for c in columns], row.total])
        sheet.bold.add((r, width))
    if not rows:
        sheet.add(["None"])
        return
    if total_row and len(rows) > 1:
        totals = [sum(row.counts.get(c, 0) for row in rows) for c in columns]
        r = sheet.add(["All", *totals, sum(totals)])
        for c in range(1, width + 1):
            sheet.bold.add((r, c))
    last = head + len(rows)
    if chart:
        charts = template.charts
        height = max(charts.min_height_cm, charts.bar_height_cm * len(rows) + 2.5)
        sheet.blank()
        top = sheet.chart_space(height + 0.3)
        sheet.charts.append(
            ChartSpec(
                kind="stacked_bar",
                title=f"{title}: number of actions by RAG",
                data=(head, 2, last, 1 + len(columns)),
                categories=(head + 1, 1, last),
                anchor=f"A{top}",
                colours=[template.rag_fill(c) or "BFBFBF" for c in columns],
                width_cm=charts.width_cm,
                height_cm=height,
                reverse_categories=True,
                legend="b",
                title_size=charts.title_size,
            )
        )
    sheet.blank()


# ------------------------------------------------------------------ Summary


def headlines(pack: Pack) -> list[tuple[str, Any]]:
    """The "At a glance" lines of the summary."""
    actions = pack.counts("Actions")
    indicators = pack.counts("Indicators")
    red = pack.rag_values[0] if pack.rag_values else "Red"
    live = pack.actions_total - pack.actions_cancelled
    total_line = _plural(pack.actions_total, "action")
    if pack.actions_cancelled:
        total_line += f" ({pack.actions_cancelled} cancelled)"
    lines: list[tuple[str, Any]] = [
        ("Actions in the plan", total_line),
        (
            "Actions complete (Completed or Embedded)",
            f"{pack.actions_done} of {live} ({pack.percent_complete:.0f}%)",
        ),
        ("Actions overdue", _plural(pack.actions_overdue, "action")),
        (f"{red} actions: exception reporting required", _plural(actions.get(red, 0), "action")),
        ("Milestones overdue", _plural(pack.milestones_overdue, "milestone")),
        (
            f"Milestones due by {describe(pack.next_period_end)}",
            _plural(pack.milestones_due_next, "milestone"),
        ),
        (
            f"Indicators off target ({red})",
            f"{indicators.get(red, 0)} of {_plural(len(pack.indicators), 'indicator')}",
        ),
        ("Persistent exceptions (see the exceptions sheet)", _plural(len(pack.persistent), "exception")),
    ]
    if pack.changes is None or pack.previous is None:
        lines.append(("Changes since the last pack", not_compared(pack)))
    else:
        counts = pack.change_counts()
        text = (
            ", ".join(f"{n} {c.lower() if c != NEW_RED else c}" for c, n in counts.items())
            or "No RAG changes"
        )
        lines.append((f"Changes since the pack of {describe(pack.previous)}", text))
    if pack.returns is None:
        lines.append(("Returns from partner agencies", "No returns issued yet"))
    else:
        counts = pack.return_counts()
        lines.append(
            (
                "Returns from partner agencies",
                ", ".join(f"{n} {s.lower()}" for s, n in counts.items()) or "None issued",
            )
        )
    return lines


def summary_sheet(pack: Pack, template: PackTemplate) -> GeneratedSheet:
    look = template.sheet("summary")
    sheet = _Sheet(look, template)
    compared = (
        f"Compared with the pack of {describe(pack.previous)}." if pack.previous else f"{not_compared(pack)}."
    )
    titles = sheet.title_block(pack, compared)
    sheet.blank()
    columns = list(pack.rag_values)
    width = len(columns) + 3
    sheet.section("At a glance", width)
    for label, value in headlines(pack):
        r = sheet.add([label, value])
        sheet.bold.add((r, 2))
    sheet.blank()

    no_data = next((k for k in pack.definitions if k not in columns), None)
    overall_columns = [*columns, no_data] if no_data else columns
    _count_table(sheet, "RAG overall", pack.overall, overall_columns, "", chart=False, total_row=False)

    sheet.section("What the colours mean", width)
    for name, meaning in pack.definitions.items():
        r = sheet.add([name, meaning])
        sheet.rag(r, 1, name)
    sheet.blank()

    breaks = [len(sheet.rows)]  # themes start a new page, and so do agencies
    _count_table(sheet, "Actions by theme", pack.by_theme, columns, "Theme", chart=True)
    breaks.append(len(sheet.rows))
    _count_table(sheet, "Actions by lead agency", pack.by_agency, columns, "Lead agency", chart=True)
    widths = {_column_index(k): w for k, w in look.widths.items()}
    return sheet.build(header_row=0, title_rows=titles, widths=widths, row_breaks=breaks)


def _column_index(letters: str) -> int:
    n = 0
    for ch in letters.strip().upper():
        n = n * 26 + ord(ch) - 64
    return n


# ------------------------------------------------------------------ Exceptions


EXCEPTION_HEADERS = [
    "Ref",
    "Action or milestone",
    "Lead",
    "Due",
    "Days overdue",
    "RAG",
    "Why this RAG",
    "Latest progress update",
    "Corrective action",
    "Persistent",
]


def exceptions_sheet(pack: Pack, template: PackTemplate) -> GeneratedSheet:
    look = template.sheet("exceptions")
    sheet = _Sheet(look, template)
    kinds = {ACTION: 0, MILESTONE: 0, INDICATOR: 0}
    for e in pack.exceptions:
        kinds[e.kind] += 1
    overrides = sum(1 for e in pack.exceptions if e.override)
    if pack.exceptions:
        parts = [_plural(n, k.lower()) for k, n in kinds.items() if n]
        note = f"{_plural(len(pack.exceptions), 'exception')}: {', '.join(parts)}"
        if overrides:
            note += f" ({_plural(overrides, 'RAG override')})"
        if pack.persistent:
            note += f"; {len(pack.persistent)} persistent"
        note += "."
    else:
        note = "No exceptions at this report date."
    titles = sheet.title_block(
        pack,
        note,
        "Type the recovery action for each exception in Corrective action: it is carried into the next pack.",
    )
    sheet.blank()
    head = sheet.add(EXCEPTION_HEADERS)
    rag_col = EXCEPTION_HEADERS.index("RAG") + 1
    fix_col = EXCEPTION_HEADERS.index("Corrective action") + 1
    persistent_col = EXCEPTION_HEADERS.index("Persistent") + 1
    for e in pack.exceptions:
        r = sheet.add(
            [
                e.ref,
                e.text,
                e.lead,
                e.due,
                e.days_overdue,
                e.rag,
                e.reason,
                e.progress,
                e.corrective,
                e.persistent or None,
            ]
        )
        sheet.rag(r, rag_col, e.rag)
        sheet.fills[(r, fix_col)] = template.editable_fill
        if e.persistent:
            sheet.fills[(r, persistent_col)] = template.colours.persistent_fill
        sheet.bold.add((r, 1))
    if not pack.exceptions:
        sheet.add(["", "No Red actions, milestones or indicators, and no RAG overrides."])
    return sheet.build(
        header_row=head,
        title_rows=titles,
        headers=EXCEPTION_HEADERS,
        number_formats={4: template.date_format, 5: "0"},
    )


# ------------------------------------------------------------------ Indicators


INDICATOR_HEADERS = [
    "Code",
    "Indicator",
    "Unit",
    "Period end",
    "Target",
    "Actual",
    "Against target",
    "RAG",
    "Year-end forecast",
    "Direction",
    "Why this RAG",
]


def indicators_sheet(pack: Pack, template: PackTemplate) -> GeneratedSheet:
    look = template.sheet("indicators")
    sheet = _Sheet(look, template)
    titles = sheet.title_block(
        pack,
        "The latest actual against its target. The arrow shows how the actual moved since the period "
        "before: green when that is better, red when worse.",
    )
    sheet.blank()
    head = sheet.add(INDICATOR_HEADERS)
    colours = template.colours
    direction_colour = {
        "Improving": colours.improving,
        "Worsening": colours.worsening,
        "No change": colours.no_change,
    }
    for line in pack.indicators:
        direction = f"{line.arrow} {line.direction}" if line.arrow and line.direction else line.direction
        r = sheet.add(
            [
                line.code,
                line.name,
                line.unit,
                line.period_end,
                _number(line.target),
                _number(line.actual),
                line.against_target,
                line.rag,
                line.forecast,
                direction,
                line.reason,
            ]
        )
        sheet.rag(r, 8, line.rag)
        sheet.rag(r, 9, line.forecast)
        if line.direction in direction_colour:
            sheet.fonts[(r, 10)] = direction_colour[line.direction]
        sheet.bold.add((r, 1))
    if not pack.indicators:
        sheet.add(["", "The plan has no indicators."])
    return sheet.build(
        header_row=head,
        title_rows=titles,
        headers=INDICATOR_HEADERS,
        number_formats={4: template.date_format, 5: "#,##0.##", 6: "#,##0.##"},
    )


# ------------------------------------------------------------------ Trends


def _anchor_columns(widths: Mapping[int, float], per_row: int, chart_cm: float) -> list[int]:
    """The column each chart of a row starts at, so charts sit side by side without overlapping."""
    starts, edge, out = [], 0.0, [1]
    for c in range(1, max(widths, default=1) + 1):
        starts.append((c, edge))
        edge += widths.get(c, 8.43) * CM_PER_WIDTH_UNIT
    for k in range(1, per_row):
        wanted = k * (chart_cm + 0.3)
        out.append(next((c for c, at in starts if at >= wanted), starts[-1][0] + 1))
    return out


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def trends_sheet(pack: Pack, template: PackTemplate) -> GeneratedSheet:
    """A line chart of actual against target for every indicator with two or more actuals,
    a few to a page, then the figures they are drawn from."""
    look = template.sheet("trends")
    sheet = _Sheet(look, template)
    charted = [line for line in pack.indicators if line.actuals >= 2]
    if charted:
        note = (
            f"{_plural(len(charted), 'indicator')} with two or more actuals: the grey line is the target, "
            "the blue line the actual. The figures follow the charts."
        )
    else:
        note = "No indicator has two or more actuals yet: trends show from the second period with an actual."
    titles = sheet.title_block(pack, note)
    sheet.blank()
    charts = template.charts
    widths = {_column_index(k): w for k, w in look.widths.items()}
    columns = _anchor_columns(widths, charts.trends_per_row, charts.trend_width_cm)
    breaks: list[int] = []
    anchors: list[str] = []
    for n in range(len(charted)):
        row, col = divmod(n, charts.trends_per_row)
        if col == 0:
            if row and row % charts.trend_rows_per_page == 0:
                breaks.append(len(sheet.rows))
            top = sheet.chart_space(charts.trend_height_cm + 0.3)
        anchors.append(f"{column_letter(columns[col] - 1)}{top}")
    if charted:
        breaks.append(len(sheet.rows))
        sheet.section("The figures behind the charts", len(TREND_HEADERS))
    for line, anchor in zip(charted, anchors):
        head = sheet.header([line.code, line.name, None, *TREND_HEADERS[3:]])
        for period_end, target, actual in line.series:
            sheet.add([None, None, None, period_end, _number(target), _number(actual)])
        last = len(sheet.rows)
        sheet.blank()
        sheet.charts.append(
            ChartSpec(
                kind="line",
                title=_short(f"{line.code} {line.name}", 55),
                data=(head, 5, last, 6),
                categories=(head + 1, 4, last),
                anchor=anchor,
                colours=[TREND_TARGET_COLOUR, TREND_ACTUAL_COLOUR],
                y_title=line.unit or None,
                width_cm=charts.trend_width_cm,
                height_cm=charts.trend_height_cm,
                legend="b",
                title_size=charts.title_size - 1,
            )
        )
    return sheet.build(
        header_row=0,
        title_rows=titles,
        widths=widths,
        row_breaks=breaks,
        number_formats={4: template.date_format, 5: "#,##0.##", 6: "#,##0.##"},
    )


TREND_HEADERS = ["Code", "Indicator", "Unit", "Period end", "Target", "Actual"]


# ------------------------------------------------------------------ Milestones due


DUE_HEADERS = ["When", "Ref", "Milestone or action", "Lead", "Due", "Days", "Status", "RAG", "Why this RAG"]


def due_sheet(pack: Pack, template: PackTemplate) -> GeneratedSheet:
    look = template.sheet("milestones")
    sheet = _Sheet(look, template)
    overdue = sum(1 for d in pack.due if d.when == OVERDUE)
    upcoming = len(pack.due) - overdue
    days = (pack.next_period_end - pack.as_of).days
    titles = sheet.title_block(
        pack,
        f"{overdue} overdue at {describe(pack.as_of)}; {upcoming} due in the next {days} days "
        f"(by {describe(pack.next_period_end)}).",
    )
    sheet.blank()
    head = sheet.add(DUE_HEADERS)
    for d in pack.due:
        when = "Overdue" if d.when == OVERDUE else "Due next"
        count = (
            f"{_plural(d.days, 'day')} overdue"
            if d.when == OVERDUE
            else "today"
            if d.days == 0
            else f"in {_plural(d.days, 'day')}"
        )
        text = d.text if d.kind == ACTION else f"Milestone: {d.text}"
        r = sheet.add([when, d.ref, text, d.lead, d.due, count, d.status, d.rag, d.reason])
        sheet.rag(r, 8, d.rag)
        sheet.bold.add((r, 1))
        if d.when == OVERDUE:
            sheet.fonts[(r, 1)] = template.colours.worsening
        elif d.when == DUE_NEXT:
            sheet.fonts[(r, 1)] = template.header_fill
    if not pack.due:
        sheet.add(["", "", "Nothing overdue and nothing due in the next period."])
    return sheet.build(
        header_row=head, title_rows=titles, headers=DUE_HEADERS, number_formats={5: template.date_format}
    )


# ------------------------------------------------------------------ Changes since last pack


CHANGE_HEADERS = ["Change", "Ref", "Type", "Action, milestone or indicator", "Was", "Now", "Why this RAG now"]


def changes_sheet(pack: Pack, template: PackTemplate) -> GeneratedSheet:
    look = template.sheet("changes")
    sheet = _Sheet(look, template)
    if pack.changes is None or pack.previous is None:
        note = f"{not_compared(pack)}. The next pack shows what changed since this one."
    else:
        counts = pack.change_counts()
        listed = ", ".join(f"{n} {c.lower() if c != NEW_RED else c}" for c, n in counts.items())
        note = f"Compared with the pack of {describe(pack.previous)}: {listed or 'no RAG has changed'}."
    titles = sheet.title_block(pack, note)
    sheet.blank()
    head = sheet.add(CHANGE_HEADERS)
    colours = template.colours
    for m in pack.changes or []:
        r = sheet.add([m.change, m.ref, m.kind, m.text, m.was, m.now, m.reason])
        sheet.rag(r, 5, m.was)
        sheet.rag(r, 6, m.now)
        sheet.bold.add((r, 1))
        if m.change in (NEW_RED, "Deteriorated"):
            sheet.fonts[(r, 1)] = colours.worsening
        elif m.change in (IMPROVED, "Newly completed"):
            sheet.fonts[(r, 1)] = colours.improving
    if pack.uncompared is not None and (pack.changes is None or pack.previous is None):
        sheet.add(["Not compared", None, None, f"{not_compared(pack)}."])
    elif pack.changes is None or pack.previous is None:
        sheet.add(["First pack", None, None, "No earlier pack to compare with."])
    elif not pack.changes:
        sheet.add(["No change", None, None, "No RAG has changed since the last pack."])
    return sheet.build(header_row=head, title_rows=titles, headers=CHANGE_HEADERS)


# ------------------------------------------------------------------ Returns


RETURN_HEADERS = ["Agency", "State", "Due", "Received at", "Changes applied", "Conflicts", "Rejected", "File"]


def returns_sheet(pack: Pack, template: PackTemplate) -> GeneratedSheet:
    look = template.sheet("returns")
    sheet = _Sheet(look, template)
    counts = pack.return_counts()
    titles = sheet.title_block(pack, ", ".join(f"{n} {s.lower()}" for s, n in counts.items()) + ".")
    sheet.blank()
    head = sheet.add(RETURN_HEADERS)
    for line in pack.returns or []:
        r = sheet.add(
            [
                line.agency,
                line.state,
                line.due,
                line.received_at,
                _number(line.applied),
                _number(line.conflicts),
                _number(line.rejected),
                line.file,
            ]
        )
        sheet.rag(r, 2, RETURN_COLOURS.get(line.state))
        sheet.bold.add((r, 1))
    return sheet.build(
        header_row=head,
        title_rows=titles,
        headers=RETURN_HEADERS,
        number_formats={3: template.date_format, 4: "dd/mm/yyyy hh:mm"},
    )


# ------------------------------------------------------------------ history


def not_compared(pack: Pack) -> str:
    """Why the pack lists no changes: the first pack, or the last one's item RAGs are not kept."""
    if pack.uncompared is None:
        return "First pack: no earlier pack to compare with"
    return (
        f"Not compared item by item: the pack history keeps only the counts of the pack of "
        f"{describe(pack.uncompared)}"
    )


def history_sheet(pack: Pack, template: PackTemplate) -> GeneratedSheet:
    """Each pack's RAG counts and the latest pack's item RAGs, very hidden: the next pack
    compares with them (see ``pack_history``)."""
    rows = pack.history.rows()
    return GeneratedSheet(
        name=template.sheet("history").name,
        rows=rows,
        header_row=1,
        widths={1: 12, 2: 20, 3: 24, 4: 9, 5: 8, 6: 10, 7: 9, 8: 10, 9: 60},
        number_formats={1: template.date_format, 3: "@"},
        state="veryHidden",
        print_ready=False,
    )
