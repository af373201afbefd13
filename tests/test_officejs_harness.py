"""The Office.js harness round-trips: xlsx -> book JSON -> engine -> actions -> xlsx."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from openpyxl.comments import Comment
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.worksheet.table import Table, TableStyleInfo

from tests.officejs import (
    HarnessError,
    UnsupportedActionError,
    apply_actions,
    book_json_from_xlsx,
    count_range_actions,
    engine_action_funcs,
    run_button,
    supported_actions,
    xw,  # xlwings, imported by the harness after it set the environment
)

ACTION_HEADERS = ["Ref", "Theme", "Action", "Lead officer", "Due date", "Status", "% complete", "Notes"]


def _actions_rows(n: int) -> list[list[Any]]:
    statuses = ["Not started", "In progress", "Completed"]
    return [
        [
            f"1.{i:02d}",
            f"Theme {i % 3 + 1}",
            f"Action text {i}",
            "DD TS",
            dt.datetime(2024, 1, 1) + dt.timedelta(days=i),
            statuses[i % 3],
            (i * 10) % 100 if i % 4 else None,  # blanks in a numeric column
            None,
        ]
        for i in range(1, n + 1)
    ]


def make_tracker(path: Path, n_actions: int = 3) -> Path:
    wb = openpyxl.Workbook()
    plan = wb.active
    plan.title = "Plan"
    plan.append(["Field", "Value"])
    plan.append(["Title", "Improvement plan"])
    plan.append(["Inspection date", dt.datetime(2023, 11, 17)])
    plan.append(["Report date", dt.datetime(2024, 3, 31)])
    plan.append(["Budget", 1250.5])
    actions = wb.create_sheet("Actions")
    actions.append(ACTION_HEADERS)
    for row in _actions_rows(n_actions):
        actions.append(row)
    for row in actions.iter_rows(min_row=2, min_col=5, max_col=5):
        row[0].number_format = "dd/mm/yyyy"
    actions["A2"].comment = Comment("First action", "PM")
    leads = wb.create_sheet("Leads")
    leads.append(["Abbreviation", "Name", "Agency"])
    leads.append(["DD TS", "Director of Targeted Services", "Council"])
    leads.add_table(
        Table(
            displayName="LeadsTable",
            ref="A1:C2",
            tableStyleInfo=TableStyleInfo(name="TableStyleMedium2", showRowStripes=True),
        )
    )
    wb.create_sheet("Empty")
    wb.defined_names["ReportDate"] = DefinedName("ReportDate", attr_text="Plan!$B$4")
    plan.defined_names["PlanTitle"] = DefinedName("PlanTitle", attr_text="Plan!$B$2")
    wb.active = 1
    wb.save(path)
    return path


@pytest.fixture
def tracker(tmp_path: Path) -> Path:
    return make_tracker(tmp_path / "tracker.xlsx")


# --- the payload ------------------------------------------------------------------------


def test_book_json_has_every_sheet_in_the_clients_shape(tracker: Path) -> None:
    data = book_json_from_xlsx(tracker)
    assert data["client"] == "Office.js"
    assert data["book"] == {
        "name": "tracker.xlsx",
        "active_sheet_index": 1,
        "selection": "A1",
        "calculation": "Automatic",
    }
    assert [s["name"] for s in data["sheets"]] == ["Plan", "Actions", "Leads", "Empty"]
    actions = data["sheets"][1]
    assert actions["used_range_address"] == "A1:H4"
    assert actions["values"][0] == ACTION_HEADERS
    # dates as the client's toISOString(); blanks ""; whole numbers arrive as JSON ints
    assert actions["values"][1] == [
        "1.01",
        "Theme 2",
        "Action text 1",
        "DD TS",
        "2024-01-02T00:00:00.000Z",
        "In progress",
        10,
        "",
    ]
    assert actions["values"][3][6] == 30 and actions["values"][2][6] == 20
    assert actions["notes"] == [{"address": "A2"}]
    assert data["sheets"][0]["values"][4] == ["Budget", 1250.5]
    assert data["sheets"][3]["values"] == [[""]] and data["sheets"][3]["used_range_address"] is None
    assert data["sheets"][2]["tables"][0]["data_body_range_address"] == "A2:C2"
    assert data["names"] == [
        {
            "name": "ReportDate",
            "sheet_index": 0,
            "address": "B4",
            "scope_sheet_name": None,
            "scope_sheet_index": None,
            "book_scope": True,
        },
        {
            "name": "PlanTitle",
            "sheet_index": 0,
            "address": "B2",
            "scope_sheet_name": "Plan",
            "scope_sheet_index": 0,
            "book_scope": False,
        },
    ]


def test_engine_reads_the_payload_as_python_values(tracker: Path) -> None:
    book = xw.Book(json=book_json_from_xlsx(tracker))
    try:
        rows = book.sheets["Actions"].used_range.options(ndim=2).value
        assert rows[1] == [
            "1.01",
            "Theme 2",
            "Action text 1",
            "DD TS",
            dt.datetime(2024, 1, 2),
            "In progress",
            10,
            None,
        ]
        assert book.sheets["Actions"]["A1"].expand("down").options(ndim=1).value == [
            "Ref",
            "1.01",
            "1.02",
            "1.03",
        ]
        assert book.names["ReportDate"].refers_to_range.value == dt.datetime(2024, 3, 31)
        assert book.sheets["Plan"]["PlanTitle"].value == "Improvement plan"
        assert book.sheets["Leads"]["LeadsTable"].value == [
            "DD TS",
            "Director of Targeted Services",
            "Council",
        ]
        assert book.sheets["Empty"].used_range.value is None
        assert book.sheets["Actions"]["A2"].note is not None
        with pytest.raises(NotImplementedError):
            _ = book.sheets["Actions"]["E2"].number_format  # formats are write-only
    finally:
        book.close()


def test_serial_dates_simulate_excel_2019(tracker: Path) -> None:
    data = book_json_from_xlsx(tracker, dates="serial")
    assert data["sheets"][1]["values"][1][4] == 45293  # 2024-01-02, a JSON int


def test_include_sends_other_sheets_without_values(tracker: Path) -> None:
    data = book_json_from_xlsx(tracker, include=["Actions"])
    assert data["sheets"][0]["values"] == [[]] and data["sheets"][1]["values"][0] == ACTION_HEADERS
    assert [n["name"] for n in data["names"]] == ["ReportDate"]  # sheet-scoped names of excluded sheets go


# --- the round trip ----------------------------------------------------------------------------


def demo(book: xw.Book) -> None:
    rows = book.sheets["Actions"].used_range.options(ndim=2).value
    header, body = rows[0], rows[1:]
    due = header.index("Due date")
    summary = book.sheets.add("Summary", after=book.sheets["Actions"])
    summary["A:A"].number_format = "@"  # keep refs such as "1.10" as text
    block = [["Ref", "Due date", "Days to report"]]
    block += [[r[0], r[due], (dt.datetime(2024, 3, 31) - r[due]).days] for r in body]
    summary["A1"].value = block
    summary["A1:C1"].color = (217, 217, 217)
    summary["A1:C1"].font.bold = True
    summary["B2"].resize(len(body), 1).number_format = "dd/mm/yyyy"
    summary["A1"].add_note("Generated by the demo button")
    summary["E1"].add_hyperlink("https://www.gov.uk/government/organisations/ofsted", "Ofsted")


def _snapshot(path: Path) -> dict[str, Any]:
    wb = openpyxl.load_workbook(path)
    cells: dict[tuple[str, str], tuple[Any, ...]] = {}
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for c in row:
                state = (
                    c.value,
                    c.fill.fgColor.rgb if c.fill.fill_type else None,
                    c.number_format,
                    bool(c.font.bold),
                    c.comment.text if c.comment else None,
                    c.hyperlink.target if c.hyperlink else None,
                )
                if state != (None, None, "General", False, None, None):
                    cells[(ws.title, c.coordinate)] = state
    return {"sheets": wb.sheetnames, "active": wb.active.title, "cells": cells}


def test_demo_round_trip_changes_exactly_what_the_button_did(tracker: Path, tmp_path: Path) -> None:
    before = _snapshot(tracker)
    actions = run_button(tracker, demo)
    assert [a["func"] for a in actions] == [
        "addSheet",
        "setNumberFormat",
        "setValues",
        "setRangeColor",
        "setFontProperty",
        "setNumberFormat",
        "addNote",
        "addHyperlink",
    ]
    out = tmp_path / "after.xlsx"
    report = apply_actions(tracker, actions, out)
    assert report.applied == [a["func"] for a in actions] and report.ignored == []
    after = _snapshot(out)

    assert after["sheets"] == ["Plan", "Actions", "Summary", "Leads", "Empty"]
    assert after["active"] == before["active"] == "Actions"  # Office.js add() doesn't activate
    unchanged = {k: v for k, v in after["cells"].items() if k[0] != "Summary"}
    assert unchanged == before["cells"]
    grey, link = "FFD9D9D9", "https://www.gov.uk/government/organisations/ofsted"
    summary = {k[1]: v for k, v in after["cells"].items() if k[0] == "Summary"}
    assert summary == {
        "A1": ("Ref", grey, "@", True, "Generated by the demo button", None),
        "B1": ("Due date", grey, "General", True, None, None),
        "C1": ("Days to report", grey, "General", True, None, None),
        "A2": ("1.01", None, "@", False, None, None),
        "B2": (dt.datetime(2024, 1, 2), None, "dd/mm/yyyy", False, None, None),
        "C2": (89, None, "General", False, None, None),
        "A3": ("1.02", None, "@", False, None, None),
        "B3": (dt.datetime(2024, 1, 3), None, "dd/mm/yyyy", False, None, None),
        "C3": (88, None, "General", False, None, None),
        "A4": ("1.03", None, "@", False, None, None),
        "B4": (dt.datetime(2024, 1, 4), None, "dd/mm/yyyy", False, None, None),
        "C4": (87, None, "General", False, None, None),
        "E1": ("Ofsted", None, "General", False, None, link),
    }


def test_excel_parses_written_strings_unless_the_cell_is_text(tmp_path: Path) -> None:
    path = make_tracker(tmp_path / "t.xlsx")

    def write(book: xw.Book) -> None:
        sheet = book.sheets["Empty"]
        sheet["B1"].number_format = "@"
        sheet["A1"].value = [["1.10", "1.10", "'007", "TRUE", "50%", "2024-03-31", "=1+1", "text"]]

    apply_actions(path, run_button(path, write))
    ws = openpyxl.load_workbook(path)["Empty"]
    assert [c.value for c in ws[1]] == [
        1.1,
        "1.10",
        "007",
        True,
        0.5,
        dt.datetime(2024, 3, 31),
        "=1+1",
        "text",
    ]
    assert ws["F1"].number_format == "mm-dd-yy"  # Excel's locale short date (built-in 14)


def test_dates_written_by_a_button_come_back_as_dates(tracker: Path) -> None:
    def write(book: xw.Book) -> None:
        book.sheets["Empty"]["A1"].value = [[dt.date(2024, 5, 1), dt.datetime(2024, 5, 1, 9, 30), None]]

    actions = run_button(tracker, write)
    assert actions[0]["values"] == [["2024-05-01", "2024-05-01 09:30:00", ""]]
    apply_actions(tracker, actions)
    ws = openpyxl.load_workbook(tracker)["Empty"]
    assert (ws["A1"].value, ws["B1"].value, ws["C1"].value) == (
        dt.datetime(2024, 5, 1),
        dt.datetime(2024, 5, 1, 9, 30),
        None,
    )


def test_sheets_names_and_formats(tracker: Path) -> None:
    def tidy(book: xw.Book) -> None:
        book.sheets["Empty"].delete()
        book.sheets["Leads"].name = "Lead officers"
        book.names.add("Due", "=Actions!$E$2:$E$4")
        book.names["ReportDate"].delete()
        sheet = book.sheets["Actions"]
        sheet["A1:H1"].borders.line_style = "continuous"
        sheet["F2"].data_validation.set_list(["Not started", "In progress", "Completed"])
        sheet.freeze_panes.freeze_at("A1:A1")
        sheet["G2:G4"].clear_contents()
        sheet["A5:B5"].merge()
        book.sheets["Plan"].activate()
        book.app.alert("Tidied", title="plantrack")

    report = apply_actions(tracker, run_button(tracker, tidy))
    assert report.alerts == [
        {"prompt": "Tidied", "title": "plantrack", "buttons": "ok", "mode": "", "callback": ""}
    ]
    wb = openpyxl.load_workbook(tracker)
    assert wb.sheetnames == ["Plan", "Actions", "Lead officers"] and wb.active.title == "Plan"
    assert set(wb.defined_names) == {"Due"} and wb.defined_names["Due"].attr_text == "Actions!$E$2:$E$4"
    ws = wb["Actions"]
    assert ws["C1"].border.top.style == "thin" and ws["C1"].border.right.style == "thin"
    dv = ws.data_validations.dataValidation[0]
    assert dv.formula1 == '"Not started,In progress,Completed"' and str(dv.sqref) == "F2"
    assert ws.freeze_panes == "B2"
    assert [ws.cell(r, 7).value for r in (2, 3, 4)] == [None, None, None]
    assert [str(r) for r in ws.merged_cells.ranges] == ["A5:B5"]


def test_sheet_positions_follow_the_engine_including_its_before_quirk(tracker: Path) -> None:
    engine_order: list[str] = []

    def arrange(book: xw.Book) -> None:
        book.sheets.add("Board", before=book.sheets["Leads"])  # the engine puts it before Actions
        book.sheets["Plan"].copy(after=book.sheets["Empty"], name="Plan copy")
        book.sheets["Plan copy"].move(before=book.sheets["Plan"])
        engine_order.extend(sheet.name for sheet in book.sheets)

    apply_actions(tracker, run_button(tracker, arrange))
    assert engine_order == ["Plan copy", "Plan", "Board", "Actions", "Leads", "Empty"]
    assert openpyxl.load_workbook(tracker).sheetnames == engine_order


def test_many_engine_actions_apply(tracker: Path) -> None:
    def busy(book: xw.Book) -> None:
        board = book.sheets.add("Board", after=book.sheets["Empty"])
        board["A1"].value = [[1], [2], [3]]
        board["B1:B3"].formula = "=A1*10"  # Excel fills and shifts the relative reference
        book.sheets["Actions"]["A1:H1"].copy(board["A10"])
        board["20:21"].insert("down")
        board["G1"].column_width = 108.75  # points on this engine: about 20 characters
        board["G1"].row_height = 25
        board["G1"].wrap_text = True
        board["G1"].horizontal_alignment = "center"
        board["30:32"].group()
        board["A1:C1"].set_colors([["#FF0000", ..., None]])
        board.page_setup.print_area = "A1:G10"
        board.show_gridlines = False
        book.sheets["Empty"].visible = False
        acts = book.sheets["Actions"]
        acts.tables.add(source=acts["A1:H4"], name="ActionsTable", table_style_name="TableStyleLight9")
        book.sheets["Leads"].tables["LeadsTable"].name = "Leads2"
        acts["G2:G4"].data_validation.set_whole_number("between", 0, 100)
        acts["B2:B4"].name = "Themes"
        book.names["ReportDate"].refers_to = "=Plan!$B$3"
        acts["A2"].note.text = "Changed"
        acts["C2"].add_comment("Threaded")
        acts["H2"].add_hyperlink("#Plan!A1", "Go to plan")
        acts["A1:H1"].font.color = "#1F4E78"
        acts["D4"].clear()
        acts.autofit()  # recorded, no file effect
        board["A1"].select()

    report = apply_actions(tracker, run_button(tracker, busy))
    assert report.ignored == ["setSheetAutofit", "setSheetAutofit"]
    wb = openpyxl.load_workbook(tracker)
    board, acts = wb["Board"], wb["Actions"]
    assert wb.active.title == "Board" and wb["Empty"].sheet_state == "hidden"
    assert [board.cell(r, 2).value for r in (1, 2, 3)] == ["=A1*10", "=A2*10", "=A3*10"]
    assert board["A10"].value == "Ref" and board["H10"].value == "Notes"
    assert board.column_dimensions["G"].width == 20 and board.row_dimensions[1].height == 25
    assert board["G1"].alignment.horizontal == "center" and board["G1"].alignment.wrap_text
    assert board.row_dimensions[30].outline_level == 1
    assert (board["A1"].fill.fgColor.rgb, board["C1"].fill.fill_type) == ("FFFF0000", None)
    assert board.print_area == "'Board'!$A$1:$G$10" and board.sheet_view.showGridLines is False
    assert acts.tables["ActionsTable"].ref == "A1:H4" and "Leads2" in wb["Leads"].tables
    dv = acts.data_validations.dataValidation[0]
    assert (dv.type, dv.operator, dv.formula1, dv.formula2, str(dv.sqref)) == (
        "whole",
        "between",
        "0",
        "100",
        "G2:G4",
    )
    assert wb.defined_names["Themes"].attr_text == "'Actions'!$B$2:$B$4"
    assert wb.defined_names["ReportDate"].attr_text == "Plan!$B$3"
    assert (acts["A2"].comment.text, acts["C2"].comment.text) == ("Changed", "Threaded")
    assert (acts["H2"].value, acts["H2"].hyperlink.location) == ("Go to plan", "Plan!A1")
    assert acts["A1"].font.color.rgb == "FF1F4E78" and acts["D4"].value is None


def test_script_runs_like_xlwings_server_with_its_metadata(tracker: Path) -> None:
    seen: dict[str, Any] = {}

    @xw.script(button="[btnRag]Actions!J1", include=["Actions", "Plan"])
    def rag(book: xw.Book, as_at: dt.date) -> None:
        seen["selection"] = book.app.selection.address
        seen["active"] = book.sheets.active.name
        seen["leads"] = book.sheets["Leads"].used_range.value  # excluded: no values sent
        seen["as_at"] = as_at
        book.sheets["Actions"]["J2"].value = "Green"

    assert rag.__xlscript__["button"] == "[btnRag]Actions!J1"  # the real decorator, not a no-op
    actions = run_button(tracker, rag, args=["2024-03-31"])
    assert seen == {"selection": "$J$1", "active": "Actions", "leads": None, "as_at": dt.date(2024, 3, 31)}
    assert [a["func"] for a in actions] == ["setValues"]


# --- the benchmark rule: calls must not grow with rows ------------------------------------------


def write_in_blocks(book: xw.Book) -> None:
    rows = book.sheets["Actions"].used_range.options(ndim=2).value
    out = book.sheets.add("Results", after=book.sheets["Actions"])
    out["A1"].value = [["Ref", "RAG"]] + [[r[0], "Green"] for r in rows[1:]]
    out["B2"].resize(len(rows) - 1, 1).color = "#00B050"


def write_cell_by_cell(book: xw.Book) -> None:
    rows = book.sheets["Actions"].used_range.options(ndim=2).value
    for i, row in enumerate(rows[1:], start=2):
        book.sheets["Actions"][f"I{i}"].value = row[0]


def test_number_of_actions_does_not_grow_with_rows(tmp_path: Path) -> None:
    small = make_tracker(tmp_path / "small.xlsx", n_actions=10)
    large = make_tracker(tmp_path / "large.xlsx", n_actions=1_000)
    small_actions, large_actions = run_button(small, write_in_blocks), run_button(large, write_in_blocks)
    assert len(small_actions) == len(large_actions) == 3
    assert count_range_actions(small_actions) == count_range_actions(large_actions) == 2
    apply_actions(large, large_actions)
    ws = openpyxl.load_workbook(large)["Results"]
    assert ws.max_row == 1_001
    assert (ws["B1001"].value, ws["B1001"].fill.fgColor.rgb) == ("Green", "FF00B050")
    # The benchmark would catch a button that writes cell by cell.
    assert count_range_actions(run_button(small, write_cell_by_cell)) == 10
    assert count_range_actions(run_button(large, write_cell_by_cell)) == 1_000


# --- failures are loud -----------------------------------------------------------------------------


def test_unsupported_action_is_named(tracker: Path) -> None:
    def sort(book: xw.Book) -> None:
        book.sheets["Actions"]["A2:H4"].sort(keys=1, ascending=False)

    actions = run_button(tracker, sort)
    with pytest.raises(UnsupportedActionError, match="'rangeSort'"):
        apply_actions(tracker, actions)
    with pytest.raises(UnsupportedActionError, match="'noSuchAction'"):
        apply_actions(tracker, [{"func": "noSuchAction", "args": []}])


def test_values_the_server_cannot_serialise_fail_in_the_harness(tracker: Path) -> None:
    def bad(book: xw.Book) -> None:
        book.sheets["Plan"]["C1"].value = Decimal("1.5")

    with pytest.raises(TypeError, match="Decimal"):
        run_button(tracker, bad)


def test_handlers_exist_only_for_actions_the_engine_emits() -> None:
    assert supported_actions() <= engine_action_funcs()


def test_include_and_exclude_together_is_refused(tracker: Path) -> None:
    with pytest.raises(HarnessError, match="not both"):
        book_json_from_xlsx(tracker, include=["Plan"], exclude=["Leads"])
