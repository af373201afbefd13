"""Writing generated sheets fast: ``render_sheet``'s cells written straight as XML, charts
made from a template, and the pack's returns worked out from the issue book."""

from __future__ import annotations

import datetime as dt
import decimal
import io
import zipfile
from dataclasses import replace

import pytest
from openpyxl import Workbook, load_workbook
from openpyxl.xml.functions import tostring

from addin.changes import Changes, ChartSpec, GeneratedSheet
from addin.cli.pack import pack_workbook
from addin.example import example_plan
from addin.files import read_tracker
from addin.jobs.pack import build_pack, returns_from_statuses
from addin.jobs.pack_look import load_pack_template
from addin.jobs.pack_sheets import pack_changes
from addin.jobs.rag import recalculate
from addin.jobs.returns_status import read_book, return_states
from addin.partner_files import issue_to_files, read_master
from addin.templates import load_template
from addin.writer import write_tracker
from addin.xlsx_changes import _PrebuiltChart, apply_to_workbook, build_chart

CONTEXT = {"title": "Plan & co", "marking": "OFFICIAL", "report_date": dt.date(2024, 10, 31)}


def odd_sheet() -> GeneratedSheet:
    """Every kind of value and cell a generated sheet can hold."""
    rows: list[list[object]] = [["Title"], ["Sub-title"], [], ["Ref", "Text", "When", None, "Number"]]
    rows += [
        [" leading", "trailing ", "a & b < c > \"d\" 'e' \r\n\tf", "#N/A", "=SUM(A1:A2)"],
        [1, 2.5, True, False, 10**20],
        [dt.date(2024, 1, 31), dt.datetime(2024, 1, 31, 13, 5), dt.time(9, 30), "x", None],
        ["", "   ", "-5", "+cmd|' /c calc'!A1", "\x01control\x1f"],
        [0, -0.0, 1e-300, 0.1 + 0.2, "x" * 40_000],
        ["ü € 漢字 😀", None, None, None, "end"],
    ]
    return GeneratedSheet(
        name="Odd & sheet",
        rows=rows,
        header_row=4,
        title_rows=2,
        widths={1: 20, 3: 30},
        wrap_columns={3},
        number_formats={2: "0.00", 5: "dd/mm/yyyy"},
        fills={(5, 1): "FF0000", (12, 7): "00FF00", (4, 2): "FFFF00"},
        font_colours={(5, 2): "0000FF", (13, 1): "FF00FF"},
        bold_cells={(6, 1), (6, 2)},
        links={(5, 1): "https://example.org/?a=1&b=2", (7, 4): "#'Actions'!F12", (20, 2): "#Plan!A1"},
        notes={(5, 2): "a note", (21, 4): "a note on an empty cell"},
        row_heights={6: 30.5, 30: 12},
        row_breaks=[6],
        freeze="B5",
        tab_colour="1F3864",
    )


def saved_parts(sheets: list[GeneratedSheet], openpyxl_cells: bool = False) -> dict[str, bytes]:
    """The parts of a workbook holding ``sheets``; ``openpyxl_cells``: read a cell of each
    generated sheet first, so that openpyxl writes them its own way."""
    wb = Workbook()
    apply_to_workbook(wb, Changes(sheets=sheets), load_template(), dict(CONTEXT))
    if openpyxl_cells:
        for ws in wb.worksheets:
            assert ws.max_row >= 1
    buffer = io.BytesIO()
    wb.save(buffer)
    with zipfile.ZipFile(buffer) as z:
        return {n: z.read(n) for n in z.namelist() if not n.startswith("docProps/")}


def test_cells_written_as_xml_are_exactly_what_openpyxl_writes():
    direct, by_openpyxl = saved_parts([odd_sheet()]), saved_parts([odd_sheet()], openpyxl_cells=True)
    assert direct.keys() == by_openpyxl.keys()
    for name in direct:
        assert direct[name] == by_openpyxl[name], name


def test_with_lxml_openpyxl_writes_the_cells_itself(monkeypatch):
    """openpyxl writes with lxml when it is installed: then its own writer writes the cells."""
    import openpyxl

    direct = saved_parts([odd_sheet()])
    monkeypatch.setattr(openpyxl, "LXML", True)
    assert saved_parts([odd_sheet()]) == direct


def test_the_example_pack_is_written_exactly_as_openpyxl_writes_it(example_path, rules):
    tracker = read_tracker(example_path)
    pack = build_pack(tracker.plan, rules, recalculate(tracker.plan, rules, None))
    sheets = pack_changes(pack, load_pack_template()).sheets
    direct, by_openpyxl = saved_parts(sheets), saved_parts(sheets, openpyxl_cells=True)
    assert direct == by_openpyxl
    assert sum(n.startswith("xl/charts/chart") for n in direct) > 2  # trends drawn from the template


def test_a_rendered_sheet_reads_as_any_sheet():
    wb = Workbook()
    apply_to_workbook(wb, Changes(sheets=[odd_sheet()]), load_template(), dict(CONTEXT))
    ws = wb["Odd & sheet"]
    assert ws.pending is not None  # nothing read yet: the cells wait to be written as XML
    assert ws.calculate_dimension() == "A1:G21"
    assert ws.row_dimensions[6].height == 30.5  # reading turns them into openpyxl's cells
    assert ws.pending is None
    assert ws["A5"].value == " leading" and ws["A5"].hyperlink.target == "https://example.org/?a=1&b=2"
    assert ws["E5"].value == "=SUM(A1:A2)" and ws["E5"].data_type == "s"  # text, never a formula
    assert ws["D5"].data_type == "e" and ws["E9"].value == "x" * 32_767
    assert ws["A4"].font.bold and ws["A4"].fill.fill_type == "solid"  # the header row
    assert ws["B4"].fill.fgColor.rgb == "00FFFF00" and ws["G12"].fill.fgColor.rgb == "0000FF00"
    assert ws["B5"].comment.text == "a note" and ws["D21"].comment.text == "a note on an empty cell"
    assert ws["A7"].number_format == "yyyy-mm-dd" and ws["B7"].number_format == "0.00"
    assert ws.max_row == 21 and ws.max_column == 7


def test_values_openpyxl_must_write_itself_are_still_written():
    sheet = GeneratedSheet(
        name="Types", rows=[["Value"], [decimal.Decimal("1.5"), float("nan"), float("inf"), 7]]
    )
    wb = Workbook()
    apply_to_workbook(wb, Changes(sheets=[sheet]), load_template(), dict(CONTEXT))
    assert not wb["Types"].pending.writable(wb["Types"])
    buffer = io.BytesIO()
    wb.save(buffer)
    back = load_workbook(buffer)["Types"]
    assert back["A2"].value == 1.5 and back["D2"].value == 7


def test_the_pack_sheets_are_written_without_openpyxl_cells(example_path, rules):
    tracker = read_tracker(example_path)
    pack = build_pack(tracker.plan, rules, recalculate(tracker.plan, rules, None))
    changes = pack_changes(pack, load_pack_template())
    wb = Workbook()
    apply_to_workbook(wb, changes, load_template(), dict(CONTEXT))
    wb.save(io.BytesIO())
    for spec in changes.sheets:
        ws = wb[spec.name]
        assert ws.pending is not None and ws.pending.writable(ws), spec.name


def trend(title: str, unit: str | None, top: int = 10) -> ChartSpec:
    return ChartSpec(
        kind="line",
        title=title,
        data=(top, 5, top + 8, 6),
        categories=(top + 1, 4, top + 8),
        anchor="A1",
        colours=["7F7F7F", "1F3864"],
        y_title=unit,
        width_cm=12,
        height_cm=7,
        legend="b",
        title_size=11,
    )


@pytest.mark.parametrize(
    "spec",
    [
        trend("CSC1 Re-referrals within 12 months", "%"),
        trend("CSC2 Visits & <reviews> on time", "Number", top=40),
        trend("A third title, ünïcode ✓", None, top=7),
        trend("Same title", "Same title"),  # texts alike: fine once the template is learnt
        trend("Two\nlines", "%"),  # a title of two paragraphs: built by openpyxl
    ],
)
def test_charts_from_a_template_are_the_charts_openpyxl_builds(spec):
    wb = Workbook()
    ws = wb.active
    ws.title = "Pack trends"
    build_chart(ws, trend("Learnt from this one", "%"))
    build_chart(ws, trend("Learnt from this one too", None))
    made = build_chart(ws, spec)
    assert isinstance(made, _PrebuiltChart) == ("\n" not in spec.title)
    assert tostring(made._write()) == tostring(build_chart(ws, spec, reuse=False)._write())


def test_a_chart_whose_texts_are_alike_teaches_no_template():
    ws = Workbook().active
    alike = replace(trend("Same title", "Same title"), width_cm=13.25)  # a shape of its own
    assert not isinstance(build_chart(ws, alike), _PrebuiltChart)
    assert not isinstance(build_chart(ws, replace(alike, title="Other")), _PrebuiltChart)


# ------------------------------------------------------------------ returns as they stand


def test_the_pack_works_the_returns_out_at_the_time_it_is_built(tmp_path, rules):
    master = tmp_path / "tracker.xlsx"
    write_tracker(example_plan(), rules, master)
    issued_at = dt.datetime(2019, 10, 1, 9)
    issue_to_files(master, tmp_path / "copies", due=dt.date(2019, 10, 25), now=issued_at)
    tracker, grids = read_master(master)
    statuses = return_states(read_book(grids), issued_at, tracker.rules)
    assert {s.state for s in statuses} == {"Not yet due"}  # what the Returns sheet says
    lines = returns_from_statuses(statuses)
    assert [line.agency for line in lines] == [s.agency for s in statuses]
    assert all(line.due == dt.date(2019, 10, 25) and line.file is None for line in lines)

    done = pack_workbook(master, now=dt.datetime(2019, 12, 31, 12))  # long past the due date
    assert done.pack.returns is not None and len(done.pack.returns) == len(statuses)
    assert {r.state for r in done.pack.returns} == {"Missing"}
    assert done.pack.return_counts() == {"Missing": len(statuses)}

    soon = pack_workbook(master, now=dt.datetime(2019, 10, 28, 12))  # 3 days late
    assert {r.state for r in soon.pack.returns or []} == {"Late"}
