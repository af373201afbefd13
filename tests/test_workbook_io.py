"""The tracker workbook: write, read back, odd layouts, and a real spreadsheet program."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook

from addin.example import example_plan
from addin.files import read_tracker
from addin.writer import write_tracker
from tests.office import convert, pdf_text


def _without_rows(plan):
    data = plan.model_dump()
    for value in data.values():
        if isinstance(value, list):
            for row in value:
                row.pop("row", None)
    return data


def test_example_round_trip_gives_the_same_plan(example_path: Path):
    assert _without_rows(read_tracker(example_path).plan) == _without_rows(example_plan())


def test_round_trip_of_a_written_tracker_is_stable(example_path: Path, tmp_path: Path, rules):
    first = read_tracker(example_path).plan
    again = tmp_path / "again.xlsx"
    write_tracker(first, rules, again)
    assert _without_rows(read_tracker(again).plan) == _without_rows(first)


def _odd_tracker(path: Path) -> None:
    """A tracker as a council might have shaped it: title rows, reordered columns,
    odd header spacing and capitals, and columns of their own."""
    wb = Workbook()
    plan = wb.active
    plan.title = "Plan"
    plan.append(["Field", "Value"])
    plan.append(["Title", "Safeguarding Plan"])
    plan.append(["Report  date", dt.datetime(2009, 10, 31)])
    plan.append(["Budget holder", "Head of Finance"])
    ws = wb.create_sheet("actions")
    ws.append(["Safeguarding Plan for Haringey — Section 1"])
    ws.append([])
    ws.append(
        [
            "  due DATE",
            "REF",
            "Notes (ours)",
            "Action",
            "Lead  Officer",
            "lead agency",
            "Theme",
            "Status",
            "%Complete",
        ]
    )
    ws.append(
        [
            dt.datetime(2009, 9, 30),
            "1.01",
            "keep me",
            "Create a culture of shared responsibility",
            "Peter Lewis",
            "Haringey Council",
            "Leadership & Governance",
            "In progress",
            50,
        ]
    )
    ws.append(
        [
            None,
            "1.02",
            None,
            "LSCB communicate the findings of SCRs",
            "Graham Badman",
            "LSCB",
            "Leadership & Governance",
            "Not started",
            None,
        ]
    )
    ws.append(
        [
            dt.datetime(2009, 12, 31),
            1.1,
            "=SUM(1,2)",
            "A ref typed as a number",
            "Peter Lewis",
            "Haringey Council",
            "Good Practice",
            "Completed",
            100,
        ]
    )
    wb.save(path)


def test_odd_layout_reads_by_header_and_keeps_extra_columns(tmp_path: Path):
    path = tmp_path / "odd.xlsx"
    _odd_tracker(path)
    tracker = read_tracker(path)
    plan = tracker.plan
    assert plan.info.title == "Safeguarding Plan"
    assert plan.info.report_date == dt.date(2009, 10, 31)
    assert plan.info.extra == {"Budget holder": "Head of Finance"}
    refs = [a.ref for a in plan.actions]
    assert refs == ["1.01", "1.02", "1.1"]
    first = plan.actions[0]
    assert first.due_date == dt.date(2009, 9, 30)
    assert first.lead_officer == "Peter Lewis"
    assert first.percent_complete == 50
    assert first.extra == {"Notes (ours)": "keep me"}
    assert first.row == 4
    assert plan.actions[1].due_date is None  # empty stays empty
    table = tracker.table("Actions")
    assert table.header_row == 3
    assert table.cell(0, "Due date") == "A4"
    assert table.extra_columns() == [(2, "Notes (ours)")]


def test_formula_text_is_written_back_as_text(tmp_path: Path, rules):
    path = tmp_path / "odd.xlsx"
    _odd_tracker(path)
    plan = read_tracker(path).plan
    plan.actions[0].progress_update = '=HYPERLINK("http://evil.example","click")'
    out = tmp_path / "out.xlsx"
    write_tracker(plan, rules, out)
    ws = load_workbook(out)["Actions"]
    cells = [c for row in ws.iter_rows() for c in row if isinstance(c.value, str) and c.value.startswith("=")]
    assert cells, "the formula-looking text should be in the file"
    assert all(c.data_type == "s" for c in cells)


def test_new_tracker_has_every_sheet_with_dropdowns_and_formats(example_path: Path):
    wb = load_workbook(example_path)
    assert wb.sheetnames == [
        "Instructions",
        "Plan",
        "Actions",
        "Milestones",
        "Indicators",
        "Indicator data",
        "Leads",
        "Agencies",
    ]
    ws = wb["Actions"]
    assert ws.freeze_panes == "B2"
    assert ws.auto_filter.ref.startswith("A1:")
    headers = [c.value for c in ws[1]]
    status_col = headers.index("Status") + 1
    lists = [dv for dv in ws.data_validations.dataValidation if dv.type == "list"]
    status_letter = ws.cell(row=1, column=status_col).column_letter
    assert any(f"{status_letter}2" in str(dv.sqref) and "Completed" in dv.formula1 for dv in lists)
    due = ws.cell(row=2, column=headers.index("Due date") + 1)
    assert isinstance(due.value, dt.datetime) and due.number_format == "dd/mm/yyyy"
    assert ws.cell(row=2, column=1).number_format == "@"
    prompts = [dv.prompt for dv in ws.data_validations.dataValidation if dv.prompt]
    assert any("Leads sheet" in p for p in prompts)


@pytest.mark.office
@pytest.mark.parametrize("example", [False, True], ids=["empty", "example"])
def test_every_new_tracker_opens_in_libreoffice(tmp_path: Path, example: bool):
    from addin.cli import main

    path = tmp_path / "new.xlsx"
    args = ["new", str(path)] + (["--example"] if example else [])
    assert main(args) == 0
    pdf = convert(path)
    text = pdf_text(pdf)
    assert "How to use this tracker" in text
    if example:
        assert "Children's Service Ofsted Action Plan" in text
        assert "9.4" in text


@pytest.mark.parametrize("fast", [True, False])
def test_the_reader_says_which_cells_are_merged(tmp_path: Path, fast: bool):
    """A merged range's inner cells read as empty: ``Grids.merged`` says where they are (the merge
    of partner returns must not take them), however the sheet's XML spells the range."""
    import zipfile

    from addin.files import read_grids

    path = tmp_path / "merged.xlsx"
    wb = Workbook()
    ws = wb.active
    ws.title = "Actions"
    ws.append(["Ref", "Progress update", "Status"])
    ws.append(["1.1", "Both done", "Completed"])
    ws.append(["1.2", "Old text", "In progress"])
    ws.merge_cells("B2:B3")
    ws.merge_cells("a5:$C$6")
    wb.create_sheet("Plain")["A1"] = "x"
    wb.save(path)
    odd = tmp_path / "odd.xlsx"
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(odd, "w") as target:
        for info in source.infolist():
            data = source.read(info)
            if info.filename == "xl/worksheets/sheet1.xml":
                assert b'<mergeCell ref="A5:C6" />' in data
                data = data.replace(b'<mergeCell ref="A5:C6" />', b"<mergeCell  ref = 'a5:$C$6'/>")
            target.writestr(info, data)
    for book in (path, odd):
        grids = read_grids(book, fast=fast)
        assert {n: sorted(r) for n, r in grids.merged.items()} == {"Actions": ["A5:C6", "B2:B3"]}
        assert grids["Actions"].values[2][:2] == ["1.2", None]  # the inner cell reads as empty
        assert any("'Actions' has merged cells (" in w for w in grids.warnings)
