"""The partner copy's workbook (partner_copy): its look, the two writers giving the same
workbook, text kept as text, dates, and the copy written without XlsxWriter."""

from __future__ import annotations

import datetime as dt
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from addin.cli import main
from addin.example import COUNCIL, example_plan
from addin.files import read_grids
from addin.jobs.issue import PartnerCopy, plan_issue
from addin.jobs.returns_record import RECORD_SHEET
from addin.jobs.returns_status import read_book
from addin.partner_copy import _header_footer, copy_book, excel_serial
from addin.partner_files import fill_in_copy, issue_to_files, merge_files, read_master
from addin.templates import load_template
from addin.writer import row_height, write_tracker

ISSUED_AT = dt.datetime(2019, 10, 20, 9, 30)
ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def council(tmp_path_factory, rules) -> PartnerCopy:
    """What plan_issue decided for the council: all four sheets (actions, milestones, indicators, data)."""
    folder = tmp_path_factory.mktemp("copy")
    write_tracker(example_plan(), rules, folder / "tracker.xlsx")
    assert main(["rag", str(folder / "tracker.xlsx")]) in (0, 1)  # RAG colours to keep in the copy
    tracker, grids = read_master(folder / "tracker.xlsx")
    (copy,) = plan_issue(tracker, read_book(grids), agencies=[COUNCIL], now=ISSUED_AT).copies
    assert [s.name for s in copy.sheets] == ["Actions", "Milestones", "Indicators", "Indicator data"]
    return copy


@pytest.fixture(scope="module")
def written(council: PartnerCopy, rules, tmp_path_factory) -> dict[str, Path]:
    """The council's copy written by each writer."""
    folder = tmp_path_factory.mktemp("written")
    book = copy_book(council, rules, load_template())
    return {engine: book.save(folder / f"{engine}.xlsx", engine) for engine in ("xlsxwriter", "openpyxl")}


# ------------------------------------------------------------------ reading a workbook's look back


def _rgb(color: Any) -> str | None:
    if color is None or getattr(color, "type", None) != "rgb" or not color.rgb:
        return None
    return str(color.rgb)[-6:].upper()


def look_of(cell: Any) -> tuple[Any, ...]:
    """Font, fill, border, alignment, number format and lock of a cell, as a spreadsheet shows them."""
    font, fill, border, align = cell.font, cell.fill, cell.border, cell.alignment
    sides = tuple((getattr(border, s).style, _rgb(getattr(border, s).color)) for s in ("left", "top"))
    return (
        font.name,
        float(font.sz or 0),
        bool(font.b),
        bool(font.i),
        _rgb(font.color),
        _rgb(fill.fgColor) if fill.fill_type == "solid" else None,
        sides,
        bool(align.wrap_text),
        align.vertical,
        cell.number_format,
        bool(cell.protection.locked),
    )


def width_of(ws: Any, column: int) -> float | None:
    for dim in ws.column_dimensions.values():
        if dim.min and dim.max and dim.min <= column <= dim.max and dim.customWidth:
            return round(dim.width, 2)
    return None


def described(path: Path) -> dict[str, Any]:
    """Everything about a workbook that a partner sees or that protects it."""
    wb = load_workbook(path)
    out: dict[str, Any] = {
        "sheets": wb.sheetnames,
        "active": wb.active.title,
        "structure locked": bool(wb.security and wb.security.lockStructure),
    }
    for ws in wb.worksheets:
        cells = {
            cell.coordinate: (cell.value, cell.data_type, look_of(cell))
            for row in ws.iter_rows()
            for cell in row
            if cell.value is not None or cell.has_style
        }
        validations = sorted(
            (
                str(dv.sqref),
                dv.type,
                dv.operator or ("between" if dv.type == "whole" else None),
                dv.formula1,
                dv.formula2,
                dv.promptTitle,
                dv.prompt,
                dv.error,
                dv.errorStyle,
                bool(dv.showErrorMessage),
                bool(dv.showInputMessage),
                bool(dv.allow_blank),
            )
            for dv in ws.data_validations.dataValidation
        )
        rag_colours = sorted(
            (
                str(area.sqref),
                rule.operator,
                tuple(rule.formula),
                _rgb(rule.dxf.fill.bgColor),
                _rgb(rule.dxf.font.color),
                bool(rule.dxf.font.b),
            )
            for area in ws.conditional_formatting
            for rule in area.rules
        )
        setup, margins, protection = ws.page_setup, ws.page_margins, ws.protection
        printed = ws.sheet_state == "visible"
        out[ws.title] = {
            "state": ws.sheet_state,
            "cells": cells,
            "widths": {c: width_of(ws, c) for c in range(1, ws.max_column + 1)},
            "heights": {r: ws.row_dimensions[r].height for r in range(1, ws.max_row + 1)},
            "validations": validations,
            "rag colours": rag_colours,
            "freeze": ws.freeze_panes,
            "filter": ws.auto_filter.ref,
            "print titles": ws.print_title_rows,
            "tab": _rgb(ws.sheet_properties.tabColor),
            "page": (
                setup.orientation,
                str(setup.paperSize),
                setup.fitToWidth or 1,  # 1 is the default, which a writer may leave out
                setup.fitToHeight,
                bool(ws.sheet_properties.pageSetUpPr and ws.sheet_properties.pageSetUpPr.fitToPage),
            )
            if printed
            else None,
            "margins": tuple(
                round(m, 4)
                for m in (
                    margins.left,
                    margins.right,
                    margins.top,
                    margins.bottom,
                    margins.header,
                    margins.footer,
                )
            )
            if printed
            else None,
            "header": (ws.oddHeader.left.text, ws.oddHeader.center.text, ws.oddHeader.right.text),
            "footer": (ws.oddFooter.left.text, ws.oddFooter.center.text, ws.oddFooter.right.text),
            "protection": {
                name: bool(getattr(protection, name))
                for name in (
                    "sheet",
                    "objects",
                    "scenarios",
                    "formatCells",
                    "formatColumns",
                    "formatRows",
                    "insertRows",
                    "deleteRows",
                    "sort",
                    "autoFilter",
                    "selectLockedCells",
                    "selectUnlockedCells",
                )
            },
        }
    return out


def _column(ws: Any, header: str) -> int:
    return [c.value for c in ws[1]].index(header) + 1


# ------------------------------------------------------------------ the look


def test_the_copy_looks_as_the_template_says(written: dict[str, Path], council: PartnerCopy, rules):
    template = load_template()
    style = template.style
    path = written["xlsxwriter"]
    wb = load_workbook(path)
    assert wb.sheetnames == [
        "Instructions",
        "Actions",
        "Milestones",
        "Indicators",
        "Indicator data",
        RECORD_SHEET,
    ]
    assert wb.active.title == "Actions" and wb.security.lockStructure
    ws = wb["Actions"]
    rows = council.count("Actions")
    assert ws.max_row == rows + 1  # nothing formatted below the last row
    grid = (("thin", "BFBFBF"), ("thin", "BFBFBF"))
    header = look_of(ws["A1"])
    assert header == ("Arial", 10.0, True, False, "FFFFFF", "1F3864", grid, True, "center", "General", True)
    yellow, grey = style.editable_fill, style.locked_fill
    for name, fmt, wrap in (
        ("Status", "@", False),
        ("% complete", "0", False),
        ("Progress update", "@", True),
        ("Revised due date", "dd/mm/yyyy", False),  # blank in most rows: yellow and unlocked all the same
        ("Completed date", "dd/mm/yyyy", False),
    ):
        for r in range(2, rows + 2):
            cell = ws.cell(row=r, column=_column(ws, name))
            assert look_of(cell) == (
                "Arial",
                10.0,
                False,
                False,
                None,
                yellow,
                grid,
                wrap,
                "top",
                fmt,
                False,
            ), (
                name,
                r,
            )
    for name, italic in (("Ref", False), ("Action", False), ("Lead agency", False), ("RAG reason", True)):
        cell = ws.cell(row=2, column=_column(ws, name))
        shown = look_of(cell)
        assert shown[3] is italic and shown[5] == grey and shown[-1] is True, name
        assert shown[4] == ("595959" if italic else None)
    rag = _column(ws, "RAG")
    for r in range(2, rows + 2):
        value = ws.cell(row=r, column=rag).value
        shown = look_of(ws.cell(row=r, column=rag))
        assert (shown[2], shown[4], shown[5]) == (True, template.rag_fonts[value], template.rag_fills[value])
        assert shown[-1] is True
    for c, name in enumerate(council.sheets[0].headers, start=1):
        assert width_of(ws, c) == template.width("Actions", name), name
    wrapped = {w.casefold() for w in template.look("Actions").wrap}
    for r in range(2, rows + 2):
        texts = [
            (ws.cell(row=r, column=c).value, template.width("Actions", name))
            for c, name in enumerate(council.sheets[0].headers, start=1)
            if name.casefold() in wrapped and len(str(ws.cell(row=r, column=c).value or "")) > 20
        ]
        assert ws.row_dimensions[r].height == max(row_height(text, width) for text, width in texts)
    assert ws.cell(row=2, column=_column(ws, "Action")).alignment.wrap_text
    assert (
        ws.freeze_panes == "B2" and ws.auto_filter.ref == f"A1:W{rows + 1}" and ws.print_title_rows == "$1:$1"
    )
    assert _rgb(ws.sheet_properties.tabColor) == "2E75B6"
    assert ws.page_setup.orientation == "landscape" and ws.page_setup.paperSize in (9, "9")
    assert ws.sheet_properties.pageSetUpPr.fitToPage and ws.page_setup.fitToHeight == 0
    assert round(ws.page_margins.left, 4) == round(1.5 / 2.54, 4)
    assert ws.oddHeader.left.text == "Children's Service Ofsted Action Plan"
    assert ws.oddHeader.center.text == "OFFICIAL" and ws.oddHeader.right.text == "Report date 31/10/2019"
    assert (ws.oddFooter.left.text, ws.oddFooter.right.text) == ("&A", "Page &P of &N")
    protection = ws.protection
    assert protection.sheet and protection.formatCells
    assert not (protection.autoFilter or protection.sort or protection.formatColumns or protection.formatRows)
    lists = {str(dv.sqref): dv for dv in ws.data_validations.dataValidation}
    status = lists[f"M2:M{2000}"]
    assert status.type == "list" and status.formula1 == '"' + ",".join(rules.statuses.values) + '"'
    assert status.errorStyle == "warning" and status.showErrorMessage and status.prompt
    percent = lists["N2:N2000"]
    assert (percent.type, percent.formula1, percent.formula2) == (
        "whole",
        "0",
        "100",
    ) and percent.showErrorMessage
    assert lists["J2:J2000"].type == "date" and lists["J2:J2000"].formula1 == "1"
    colours = {
        (str(a.sqref), r.formula[0]): _rgb(r.dxf.fill.bgColor)
        for a in ws.conditional_formatting
        for r in a.rules
    }
    for value, colour in template.rag_fills.items():
        assert colours[("R2:R2000", f'"{value}"')] == colour and colours[("T2:T2000", f'"{value}"')] == colour
    intro = wb["Instructions"]
    assert width_of(intro, 1) == template.width("Instructions", "A")
    assert intro["A1"].font.sz == style.title_font_size and intro["A1"].font.b and intro.protection.sheet
    assert wb[RECORD_SHEET].sheet_state == "veryHidden" and wb[RECORD_SHEET].protection.sheet
    data = wb["Indicator data"]
    actual, target = _column(data, "Actual"), _column(data, "Target")
    assert not data.cell(row=2, column=actual).protection.locked
    assert data.cell(row=2, column=target).protection.locked
    assert data.cell(row=2, column=_column(data, "Period end")).number_format == "dd/mm/yyyy"
    assert isinstance(data.cell(row=2, column=_column(data, "Period end")).value, dt.datetime)


def test_both_writers_give_the_same_workbook(written: dict[str, Path]):
    fast, plain = described(written["xlsxwriter"]), described(written["openpyxl"])
    assert fast.keys() == plain.keys()
    for key in fast:
        if isinstance(fast[key], dict):
            for part in fast[key]:
                assert fast[key][part] == plain[key][part], (key, part)
        else:
            assert fast[key] == plain[key], key


# ------------------------------------------------------------------ values


def test_text_stays_text_and_comes_back_the_same(tmp_path: Path, rules):
    hostile = {
        "progress_update": '=HYPERLINK("http://example.com","click")',
        "evidence": "@SUM(1+1) and =cmd|' /c calc'!A1",
        "action": "  Leading space & <angle> brackets\r\nand a second line  ",
        "outcome": "+1-2",
        "theme": "Ünïcödé — “quotes” 👍",
    }
    plan = example_plan()
    council = next(a for a in plan.actions if a.lead_agency == COUNCIL)
    for name, text in hostile.items():
        setattr(council, name, text)
    master = tmp_path / "tracker.xlsx"
    write_tracker(plan, rules, master)
    run = issue_to_files(master, tmp_path / "copies", agencies=[COUNCIL], now=ISSUED_AT)
    (path,) = run.paths
    with zipfile.ZipFile(path) as zf:
        for name in zf.namelist():
            if name.startswith("xl/worksheets/"):
                assert not re.search(rb"<(\w+:)?f[ >]", zf.read(name)), name
    ws = load_workbook(path)["Actions"]
    row = next(r for r in range(2, ws.max_row + 1) if ws.cell(row=r, column=1).value == council.ref)
    grid = read_grids(path)["Actions"].values
    issued = next(r for r in read_grids(master)["Actions"].values if r and r[0] == council.ref)
    for name in hostile:
        header = name.replace("_", " ").capitalize()
        cell = ws.cell(row=row, column=_column(ws, header))
        assert cell.data_type == "s", name
        assert grid[row - 1][_column(ws, header) - 1] == issued[_column(ws, header) - 1], name
    assert grid[row - 1][_column(ws, "Progress update") - 1] == hostile["progress_update"]
    # An untouched return merges with nothing changed: what was issued reads back as issued.
    returned = fill_in_copy(path, tmp_path / "returns" / "council.xlsx", {}, rules)
    merged = merge_files(master, [returned], now=ISSUED_AT + dt.timedelta(days=2), write_chasers=False)
    assert merged.result.exit_code == 0 and merged.result.count("applied") == 0
    assert [o.state for o in merged.result.outcomes] == ["merged"]


def test_dates_are_excel_serial_numbers():
    assert excel_serial(dt.date(2019, 10, 31)) == 43769
    assert excel_serial(dt.datetime(2019, 10, 20, 9, 30)) == pytest.approx(43758 + 9.5 / 24)
    assert excel_serial(dt.date(1900, 3, 1)) == 61  # after Excel's 29 February 1900
    assert excel_serial(dt.date(1900, 2, 28)) == 59
    assert excel_serial(dt.date(1900, 1, 1)) == 1
    assert excel_serial(dt.date(1899, 12, 31)) is None  # Excel cannot show it: written as text
    assert excel_serial(dt.time(18, 0)) == 0.75


def test_text_that_looks_like_an_excel_escape_is_kept(council: PartnerCopy, rules, tmp_path: Path):
    sheet = council.sheets[0]
    rows = [list(r) for r in sheet.rows]
    action = sheet.headers.index("Action")
    texts = ["Excel writes _x000D_ for a carriage return", "line one\r\nline two", "tab\there & <there>"]
    for row, text in zip(rows, texts):
        row[action] = text
    changed = PartnerCopy(**{**council.__dict__, "sheets": [type(sheet)(**{**sheet.__dict__, "rows": rows})]})
    path = copy_book(changed, rules, load_template()).save(tmp_path / "copy.xlsx", "xlsxwriter")
    grid = read_grids(path)["Actions"].values
    assert [grid[r][action] for r in range(1, 4)] == texts
    assert load_workbook(path)["Actions"].cell(row=4, column=action + 1).value == texts[2]


def test_a_date_in_a_text_column_still_shows_as_a_date(council: PartnerCopy, rules, tmp_path: Path):
    sheet = council.sheets[0]
    rows = [list(r) for r in sheet.rows]
    outcome = sheet.headers.index("Outcome")
    rows[0][outcome] = dt.date(2019, 12, 31)
    rows[1][outcome] = dt.date(1890, 1, 1)
    changed = PartnerCopy(**{**council.__dict__, "sheets": [type(sheet)(**{**sheet.__dict__, "rows": rows})]})
    for engine in ("xlsxwriter", "openpyxl"):
        path = copy_book(changed, rules, load_template()).save(tmp_path / f"{engine}.xlsx", engine)
        cell = load_workbook(path)["Actions"].cell(row=2, column=outcome + 1)
        assert cell.value == dt.datetime(2019, 12, 31) and cell.number_format == "dd/mm/yyyy", engine
    early = load_workbook(tmp_path / "xlsxwriter.xlsx")["Actions"].cell(row=3, column=outcome + 1)
    assert early.value == "1890-01-01"


def test_header_and_footer_stay_within_excels_limit():
    title = "R&D " + "Improvement & assurance plan " * 10
    doubled = title.replace("&", "&&")[:120]
    text = _header_footer((doubled, "OFFICIAL-SENSITIVE & PERSONAL " * 4, "Report date 31/10/2019"))
    assert len(text) <= 255 and text.endswith("&RReport date 31/10/2019")
    left = text[2 : text.index("&C")]
    assert (len(left) - len(left.rstrip("&"))) % 2 == 0  # no '&&' cut in half


# ------------------------------------------------------------------ without XlsxWriter


def test_without_xlsxwriter_the_copies_come_from_openpyxl_and_still_merge(tmp_path: Path, rules):
    master = tmp_path / "tracker.xlsx"
    write_tracker(example_plan(), rules, master)
    code = (
        "import sys, datetime as dt; sys.modules['xlsxwriter'] = None\n"
        "from addin.partner_files import issue_to_files\n"
        f"issue_to_files({str(master)!r}, {str(tmp_path / 'copies')!r}, now=dt.datetime(2019, 10, 20))\n"
        "assert 'xlsxwriter' not in [m for m in sys.modules if sys.modules[m] is not None]\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT, capture_output=True, text=True)
    path = next((tmp_path / "copies").glob(f"*{COUNCIL}*.xlsx"))
    with zipfile.ZipFile(path) as zf:
        assert b"fileVersion" not in zf.read("xl/workbook.xml")  # openpyxl's, not XlsxWriter's
    returned = fill_in_copy(
        path, tmp_path / "returns" / "council.xlsx", {("Actions", "1.1"): {"% complete": 90}}, rules
    )
    shutil.copy(returned, tmp_path / "council.xlsx")
    merged = merge_files(master, [returned], now=ISSUED_AT + dt.timedelta(days=2), write_chasers=False)
    assert merged.result.count("applied") == 1
    assert read_master(master)[0].plan.actions[0].percent_complete == 90
