"""plantrack merge: three-way merge of partner returns, rejections, refusals, audit log,
returns status and chasing; the master is never half-written and returns are never touched."""

from __future__ import annotations

import dataclasses
import datetime as dt
import email
import functools
import hashlib
import json
import os
import re
import shutil
import zipfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook

from addin.changes import CellWrite, Changes
from addin.cli import main
from addin.example import COUNCIL, CSP, LSCB, NHS, POLICE, example_plan
from addin.files import apply_changes, read_grids
from addin.jobs.merge import ReturnedFile, merge_returns
from addin.jobs.returns_record import RECORD_SHEET
from addin.jobs.returns_status import read_book
from addin.partner_files import (
    chase_files,
    fill_in_copy,
    issue_to_files,
    merge_files,
    read_master,
    read_return,
)
from addin.tables import Grid, as_date, as_text
from addin.writer import write_tracker
from tests.badfiles import encrypted_workbook, text_file
from tests.office import convert, pdf_text

ISSUED_AT = dt.datetime(2019, 10, 20, 9, 30)
MERGED_AT = dt.datetime(2019, 10, 24, 16, 0)
DUE = dt.date(2019, 10, 25)


@pytest.fixture(scope="module")
def issued_once(tmp_path_factory, rules) -> Path:
    folder = tmp_path_factory.mktemp("issued")
    write_tracker(example_plan(), rules, folder / "tracker.xlsx")
    issue_to_files(folder / "tracker.xlsx", folder / "copies", now=ISSUED_AT)
    return folder


@pytest.fixture
def plan(issued_once: Path, tmp_path: Path) -> Path:
    """A folder holding the issued master (tracker.xlsx) and its copies (copies/)."""
    target = tmp_path / "plan"
    shutil.copytree(issued_once, target)
    return target


# ------------------------------------------------------------------ helpers


def copy_of(folder: Path, agency: str) -> Path:
    return next(p for p in (folder / "copies").glob("*.xlsx") if agency in p.name)


def fill(folder: Path, agency: str, edits: dict, name: str = "return.xlsx") -> Path:
    return fill_in_copy(copy_of(folder, agency), folder / "returns" / name, edits)


def merge(folder: Path, *returns: Path, **options: Any):
    return merge_files(folder / "tracker.xlsx", list(returns), now=options.pop("now", MERGED_AT), **options)


@functools.lru_cache(maxsize=8)
def _read(path: Path, stamp: tuple[int, int]) -> Any:
    return read_master(path)[0]


def _find(folder: Path, sheet: str, key: tuple) -> tuple[Any, int]:
    path = folder / "tracker.xlsx"
    tracker = _read(path, (path.stat().st_mtime_ns, path.stat().st_size))
    table = tracker.tables[sheet]
    names = {
        "Actions": ["Ref"],
        "Milestones": ["Action ref", "Milestone"],
        "Indicators": ["Code"],
        "Indicator data": ["Code", "Period end"],
    }[sheet]
    for i in range(len(table.rows)):
        found = tuple(
            as_date(table.get(i, n)) if n == "Period end" else as_text(table.get(i, n)) for n in names
        )
        if found[: len(key)] == key:
            return table, i
    raise KeyError(key)


def value(folder: Path, sheet: str, key: tuple, column: str) -> Any:
    table, i = _find(folder, sheet, key)
    return table.get(i, column)


def pm_edit(folder: Path, sheet: str, key: tuple, *edits: Any) -> None:
    """The programme manager types into the master after the copies were issued
    (``edits``: column, value, column, value ...)."""
    table, i = _find(folder, sheet, key)
    cells = [
        CellWrite(table.sheet, table.row_numbers[i], (table.index(column) or 0) + 1, value=new)
        for column, new in zip(edits[::2], edits[1::2])
    ]
    apply_changes(folder / "tracker.xlsx", Changes(cells=cells))


def merge_only(folder: Path, *returns: Path):
    """The merge worked out but not written (for the cases where the file write is not the point)."""
    tracker, grids = read_master(folder / "tracker.xlsx")
    files = [read_return(p) for p in returns]
    return merge_returns(tracker, read_book(grids), files, now=MERGED_AT)


def after(folder: Path, result, sheet: str, key: tuple, column: str) -> Any:
    """What the master's cell would hold once ``result`` is written."""
    table, i = _find(folder, sheet, key)
    at = (table.sheet, table.row_numbers[i], (table.index(column) or 0) + 1)
    written = [c.value for c in result.changes.cells if (c.sheet, c.row, c.column) == at]
    return written[-1] if written else table.get(i, column)


def items(run, kind: str | None = None, code: str | None = None) -> list:
    result = getattr(run, "result", run)
    return [i for i in result.items if (kind is None or i.kind == kind) and (code is None or i.code == code)]


def sheet_rows(path: Path, name: str, header_row: int = 1) -> list[dict]:
    values = read_grids(path)[name].values
    header = values[header_row - 1]
    return [dict(zip(header, r)) for r in values[header_row:] if any(v not in (None, "") for v in r)]


# ------------------------------------------------------------------ the three-way merge


def test_three_way_merge_cell_by_cell(plan: Path):
    ref = ("7.2",)
    pm_edit(
        plan, "Actions", ref,
        "Progress update", "PM: profile agreed at the MASA.",  # master only
        "% complete", 70,  # both, to the same value
        "Evidence", "PM: MASA minutes.",  # both, differently
    )  # fmt: skip
    returned = fill(
        plan,
        POLICE,
        {
            ("Actions", "7.2"): {
                "Status": "Completed",  # partner only -> applied
                "% complete": 70,  # same as the master now -> nothing
                "Evidence": "Police: joint report.",  # conflict
                "Completed date": dt.date(2019, 10, 22),  # partner only -> applied
            }
        },
    )
    run = merge(plan, returned)
    assert value(plan, "Actions", ref, "Status") == "Completed"
    assert value(plan, "Actions", ref, "Completed date") == dt.date(2019, 10, 22)
    assert value(plan, "Actions", ref, "% complete") == 70
    assert value(plan, "Actions", ref, "Progress update") == "PM: profile agreed at the MASA."
    assert value(plan, "Actions", ref, "Evidence") == "PM: MASA minutes."
    assert value(plan, "Actions", ref, "Last updated") == MERGED_AT.date()
    assert value(plan, "Actions", ref, "Due date") == dt.date(2019, 5, 31)  # untouched by anyone
    (conflict,) = items(run, "conflict")
    assert (conflict.column, conflict.issued, conflict.master, conflict.partner) == (
        "Evidence",
        "",
        "PM: MASA minutes.",
        "Police: joint report.",
    )
    assert conflict.master_cell and conflict.master_sheet == "Actions"
    assert sorted(i.column for i in items(run, "applied")) == ["Completed date", "Status"]
    outcome = run.result.outcomes[0]
    assert (outcome.applied, outcome.unchanged, outcome.conflicts, outcome.rejected) == (2, 1, 1, 0)
    assert run.result.exit_code == 1


def test_an_untouched_return_changes_no_plan_cell(plan: Path):
    before = read_master(plan / "tracker.xlsx")[0].plan
    returned = fill(plan, LSCB, {})
    run = merge(plan, returned)
    assert run.result.exit_code == 0 and run.result.count("applied") == 0
    assert read_master(plan / "tracker.xlsx")[0].plan.actions == before.actions
    status = {s.agency: s.state for s in run.result.statuses}
    assert status[LSCB] == "Returned"


def test_milestones_and_indicator_actuals_merge_by_their_keys(plan: Path):
    police = fill(
        plan,
        POLICE,
        {
            ("Milestones", "7.2", "First joint monitoring report shared with the MASA"): {
                "Status": "In progress"
            },
        },
        "police.xlsx",
    )
    nhs = fill(plan, NHS, {("Indicator data", "NI 51", dt.date(2019, 9, 30)): {"Actual": 14.5}}, "nhs.xlsx")
    result = merge_only(plan, police, nhs)
    assert result.exit_code == 0, [i.message for i in result.to_look_at]
    milestone = ("7.2", "First joint monitoring report shared with the MASA")
    assert after(plan, result, "Milestones", milestone, "Status") == "In progress"
    assert (
        after(
            plan,
            result,
            "Milestones",
            ("7.2", "Local profile of children at risk agreed by partners"),
            "Status",
        )
        == "In progress"
    )
    assert after(plan, result, "Indicator data", ("NI 51", dt.date(2019, 9, 30)), "Actual") == 14.5
    assert after(plan, result, "Indicator data", ("NI 51", dt.date(2020, 3, 31)), "Actual") is None
    assert after(plan, result, "Indicator data", ("NI 70", dt.date(2019, 9, 30)), "Actual") == 24.1


# ------------------------------------------------------------------ rejections


REJECTIONS = [
    ("Due date", dt.date(2020, 3, 31), "locked"),
    ("Action", "Something else entirely", "locked"),
    ("Lead agency", COUNCIL, "locked"),
    ("RAG", "Green", "locked"),
    ("Completed date", "next week", "invalid"),
    ("Completed date", "31/02/2019", "invalid"),
    ("% complete", 150, "invalid"),
    ("% complete", "about half", "invalid"),
    ("% complete", 62.5, "invalid"),
    ("Status", "Nearly there", "invalid"),
    ("Status", None, "invalid"),
    ("Evidence", "=1+1", "formula"),
    ("Progress update", "=cmd|' /c calc'!A1", "formula"),
    ("Progress update", "@SUM(1,2)", "formula-text"),
]


def test_rejected_edits_are_listed_and_never_applied(plan: Path):
    columns = sorted({c for c, _, _ in REJECTIONS})
    before = {c: value(plan, "Actions", ("7.2",), c) for c in columns}
    returns = [
        fill(plan, POLICE, {("Actions", "7.2"): {column: typed}}, f"case{n:02}.xlsx")
        for n, (column, typed, _) in enumerate(REJECTIONS)
    ]
    run = merge(plan, *returns)
    for n, (column, typed, code) in enumerate(REJECTIONS):
        found = [(i.kind, i.code, i.column, i.ref) for i in run.result.items if i.file == f"case{n:02}.xlsx"]
        assert found == [("rejected", code, column, "7.2")], (column, typed)
    assert {c: value(plan, "Actions", ("7.2",), c) for c in columns} == before
    assert run.result.count("applied") == 0 and run.result.exit_code == 1
    formulas = [i for i in run.result.items if i.code == "formula"]
    assert formulas and all(i.partner.startswith("(formula, not run) =") for i in formulas)
    report = sheet_rows(plan / "tracker.xlsx", "Merge report", header_row=4)
    assert [r["What"] for r in report] == ["Rejected"] * len(REJECTIONS)
    assert not [r for r in report if str(r["Partner's value"] or "").startswith(("=", "@", "+", "-"))]


def test_rows_changed_in_the_master_since_issue_are_not_guessed_at(plan: Path):
    milestone = ("7.2", "Local profile of children at risk agreed by partners")
    pm_edit(plan, "Milestones", milestone, "Milestone", "Local profile agreed by all partners")  # renamed
    pm_edit(plan, "Actions", ("7.2",), "Lead agency", COUNCIL)  # handed to the council
    returned = fill(plan, POLICE, {
        ("Actions", "7.2"): {"Status": "Completed"},
        ("Milestones", *milestone): {"Status": "Completed"},
    })  # fmt: skip
    run = merge(plan, returned)
    found = sorted((i.code, i.sheet) for i in items(run, "rejected"))
    assert found == [("now-other-agency", "Actions"), ("row-gone", "Milestones")]
    assert value(plan, "Actions", ("7.2",), "Status") == "In progress"
    renamed = ("7.2", "Local profile agreed by all partners")
    assert value(plan, "Milestones", renamed, "Status") == "In progress"


def test_a_percentage_typed_as_a_percentage_is_read_as_a_whole_number(plan: Path):
    returned = fill(plan, POLICE, {("Actions", "7.2"): {"% complete": 0.85}})
    result = merge_only(plan, returned)
    assert result.exit_code == 0
    assert after(plan, result, "Actions", ("7.2",), "% complete") == 85


def test_a_date_typed_as_uk_text_is_read_as_that_date(plan: Path):
    returned = fill(plan, POLICE, {("Actions", "7.2"): {"Completed date": "23/10/2019"}})
    result = merge_only(plan, returned)
    assert result.exit_code == 0
    assert after(plan, result, "Actions", ("7.2",), "Completed date") == dt.date(2019, 10, 23)


def _add_rows(path: Path, sheet: str, rows: list[dict]) -> None:
    wb = load_workbook(path)
    ws = wb[sheet]
    ws.protection.sheet = False  # the partner unprotected the sheet (there is no password)
    header = [c.value for c in ws[1]]
    last = max(r for r in range(1, ws.max_row + 1) if ws.cell(row=r, column=1).value is not None)
    for offset, row in enumerate(rows, start=1):
        for name, typed in row.items():
            ws.cell(row=last + offset, column=header.index(name) + 1).value = typed
    wb.save(path)


def test_rows_of_other_agencies_and_rows_not_issued_are_rejected(plan: Path):
    returned = fill(plan, POLICE, {})
    _add_rows(
        returned,
        "Actions",
        [
            {"Ref": "1.1", "Status": "Completed", "Lead agency": POLICE},  # the council's action
            {"Ref": "99.1", "Status": "Completed", "Action": "A new action"},  # not in the plan
            {"Ref": "7.2", "Status": "Cancelled"},  # the same row twice
            {"Status": "Completed", "Progress update": "no ref"},  # no ref at all
        ],
    )
    _add_rows(
        returned,
        "Milestones",
        [{"Action ref": "7.2", "Milestone": "A milestone of our own", "Status": "Completed"}],
    )
    result = merge_only(plan, returned)
    codes = sorted(i.code for i in items(result, "rejected"))
    assert codes == ["duplicate-row", "no-ref", "not-in-plan", "not-issued", "other-agency"]
    other = items(result, code="other-agency")[0]
    assert other.ref == "1.1" and COUNCIL in other.message
    assert after(plan, result, "Actions", ("1.1",), "Status") == "In progress"
    assert after(plan, result, "Actions", ("7.2",), "Status") == "In progress"
    assert result.count("applied") == 0


def test_deleted_rows_columns_and_sheets_are_reported_not_applied(plan: Path):
    returned = fill(plan, LSCB, {("Actions", "9.3"): {"Status": "Completed"}})
    wb = load_workbook(returned)
    ws = wb["Actions"]
    ws.protection.sheet = False
    ws.delete_rows(3)  # 9.4 gone
    header = [c.value for c in ws[1]]
    ws.delete_cols(header.index("Evidence") + 1)
    ws.cell(row=1, column=40, value="Our notes")
    ws.cell(row=2, column=40, value="Please call me")
    wb.security.lockStructure = False
    del wb["Milestones"]
    wb.save(returned)
    result = merge_only(plan, returned)
    assert sorted(i.code for i in items(result, "rejected")) == [
        "extra-column",
        "missing-column",
        "missing-rows",
        "missing-sheet",
    ]
    assert after(plan, result, "Actions", ("9.3",), "Status") == "Completed"
    assert after(plan, result, "Actions", ("9.4",), "Status") == "In progress"


def test_a_formula_anywhere_in_the_return_is_listed(plan: Path):
    returned = fill(plan, LSCB, {})
    wb = load_workbook(returned)
    wb["Instructions"]["C3"] = '=HYPERLINK("http://example.com","click")'
    wb.save(returned)
    result = merge_only(plan, returned)
    (item,) = items(result, "rejected", "formula")
    assert item.sheet == "Instructions" and "HYPERLINK" in item.partner


def test_links_to_other_files_are_reported_and_never_followed(plan: Path):
    returned = fill(plan, POLICE, {("Actions", "7.2"): {"Status": "Completed"}})
    linked = returned.with_name("linked.xlsx")
    with zipfile.ZipFile(returned) as source, zipfile.ZipFile(linked, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            target.writestr(info, source.read(info))
        target.writestr("xl/externalLinks/externalLink1.xml", b'<?xml version="1.0"?><externalLink/>')
    result = merge_only(plan, linked)
    assert [i.code for i in items(result, "rejected")] == ["active-content"]
    assert "DDE" in items(result, "rejected")[0].message
    assert after(plan, result, "Actions", ("7.2",), "Status") == "Completed"


# ------------------------------------------------------------------ moved, sorted, filtered rows


def test_a_return_resorted_filtered_and_with_rows_inserted_still_merges_by_ref(plan: Path):
    returned = fill(
        plan,
        COUNCIL,
        {
            ("Actions", "1.4"): {"% complete": 90, "Progress update": "Audits at 80% good."},
            ("Actions", "6.2"): {"Status": "Completed", "Completed date": dt.date(2019, 10, 18)},
            ("Milestones", "1.4", "85% of audited assessments rated good or better"): {"Status": "Completed"},
        },
    )
    wb = load_workbook(returned)
    ws = wb["Actions"]
    ws.protection.sheet = False
    rows = [[c.value for c in r] for r in ws.iter_rows(min_row=2) if r[0].value is not None]
    rows.reverse()  # sorted Z-A by the partner
    for r, row in enumerate(rows, start=2):
        for c, v in enumerate(row, start=1):
            ws.cell(row=r, column=c).value = v
    ws.insert_rows(1, 2)  # a title and a blank row above the header
    ws["A1"] = "Council return — October"
    ws.insert_rows(10)  # a blank row in the middle
    for r in range(4, 20, 3):
        ws.row_dimensions[r].hidden = True  # filtered out
    ws.auto_filter.ref = f"A3:W{ws.max_row}"
    wb.save(returned)
    result = merge_only(plan, returned)
    assert result.exit_code == 0, [(i.code, i.message) for i in result.to_look_at]
    assert after(plan, result, "Actions", ("1.4",), "% complete") == 90
    assert after(plan, result, "Actions", ("6.2",), "Status") == "Completed"
    assert after(plan, result, "Actions", ("6.2",), "Completed date") == dt.date(2019, 10, 18)
    assert after(plan, result, "Actions", ("6.1",), "Completed date") == dt.date(2018, 12, 14)
    assert (
        after(
            plan, result, "Milestones", ("1.4", "85% of audited assessments rated good or better"), "Status"
        )
        == "Completed"
    )
    assert result.count("applied") == 5


# ------------------------------------------------------------------ refused files


def test_a_return_with_its_record_deleted_is_refused_clearly(plan: Path):
    returned = fill(plan, POLICE, {("Actions", "7.2"): {"Status": "Completed"}})
    wb = load_workbook(returned)
    wb.security.lockStructure = False
    del wb[RECORD_SHEET]
    wb.save(returned)
    before = (plan / "tracker.xlsx").read_bytes()
    run = merge(plan, returned)
    (outcome,) = run.result.outcomes
    assert outcome.state == "refused" and "no hidden plantrack record" in outcome.reason
    assert "fresh copy" in outcome.reason
    assert (plan / "tracker.xlsx").read_bytes() == before
    assert run.result.exit_code == 1


@pytest.mark.parametrize("edit", ["payload", "signature", "issue id", "parts"])
def test_a_return_with_its_record_edited_is_refused_clearly(plan: Path, edit: str):
    returned = fill(plan, POLICE, {("Actions", "7.2"): {"Status": "Completed"}})
    wb = load_workbook(returned)
    ws = wb[RECORD_SHEET]
    labels = {ws.cell(row=r, column=1).value: r for r in range(1, ws.max_row + 1)}
    if edit == "payload":  # e.g. "un-changing" a locked value so the edit would slip through
        cell = ws.cell(row=labels["part 1"], column=2)
        cell.value = cell.value.replace("2019-05-31", "2020-03-31")
    elif edit == "signature":
        ws.cell(row=labels["signature"], column=2).value = "0" * 64
    elif edit == "issue id":
        ws.cell(row=labels["issue id"], column=2).value = "00000000-0000-0000-0000-000000000000"
    else:
        ws.cell(row=labels["parts"], column=2).value = "2"
    wb.save(returned)
    before = (plan / "tracker.xlsx").read_bytes()
    run = merge(plan, returned)
    (outcome,) = run.result.outcomes
    assert outcome.state == "refused"
    assert any(words in outcome.reason for words in ("was changed", "damaged", "not issued from this master"))
    assert (plan / "tracker.xlsx").read_bytes() == before


def test_a_copy_of_another_plan_is_refused(plan: Path, tmp_path: Path, rules):
    other = example_plan()
    other.info.plan_id = "ENF-2012-NOTICE"
    other.info.title = "Improvement Notice plan"
    folder = tmp_path / "other"
    folder.mkdir()
    write_tracker(other, rules, folder / "tracker.xlsx")
    issue_to_files(folder / "tracker.xlsx", folder / "copies", agencies=[POLICE], now=ISSUED_AT)
    foreign = fill(folder, POLICE, {("Actions", "7.2"): {"Status": "Completed"}})
    run = merge(plan, foreign)
    (outcome,) = run.result.outcomes
    assert "copy of another plan 'Improvement Notice plan' (plan id ENF-2012-NOTICE)" in outcome.reason


def test_bad_files_are_refused_and_the_good_ones_still_merge(plan: Path, tmp_path: Path):
    good = fill(plan, POLICE, {("Actions", "7.2"): {"Status": "Completed"}})
    junk = text_file(tmp_path / "notes.xlsx")
    locked = encrypted_workbook(tmp_path / "locked.xlsx")
    untouched = copy_of(plan, LSCB)
    run = merge(plan, junk, locked, good, untouched, tmp_path / "missing.xlsx")
    states = {o.file: (o.state, o.reason) for o in run.result.outcomes}
    assert states[good.name][0] == "merged"
    assert states["notes.xlsx"][0] == "refused" and "not" in states["notes.xlsx"][1]
    assert "encrypted" in states["locked.xlsx"][1] or "password" in states["locked.xlsx"][1]
    assert "exactly as issued" in states[untouched.name][1]
    assert "does not exist" in states["missing.xlsx"][1]
    assert value(plan, "Actions", ("7.2",), "Status") == "Completed"
    assert run.result.exit_code == 1
    report = sheet_rows(plan / "tracker.xlsx", "Merge report", header_row=4)
    assert sum(1 for r in report if r["What"] == "Refused file") == 4


# ------------------------------------------------------------------ idempotent, ordered, untouched


def test_merging_the_same_return_twice_changes_nothing(plan: Path):
    returned = fill(plan, LSCB, {("Actions", "9.3"): {"Status": "Completed", "% complete": 100}})
    first = merge(plan, returned)
    assert first.result.count("applied") == 2
    master = plan / "tracker.xlsx"
    after_first = master.read_bytes()
    audit_rows = len(sheet_rows(master, "Audit log"))
    second = merge(plan, returned, now=MERGED_AT + dt.timedelta(hours=2))
    assert second.result.outcomes[0].state == "already merged"
    assert second.result.count("applied") == 0 and not second.result.write_needed
    assert master.read_bytes() == after_first
    assert len(sheet_rows(master, "Audit log")) == audit_rows == 3  # 2 changes + Last updated


def test_two_returns_changing_the_same_cell_make_the_second_a_conflict(plan: Path):
    one = fill(plan, POLICE, {("Actions", "7.2"): {"Status": "Completed"}}, "first.xlsx")
    two = fill(plan, POLICE, {("Actions", "7.2"): {"Status": "On hold"}}, "second.xlsx")
    run = merge(plan, one, two)
    assert value(plan, "Actions", ("7.2",), "Status") == "Completed"
    (conflict,) = items(run, "conflict")
    assert conflict.file == "second.xlsx" and (conflict.master, conflict.partner) == ("Completed", "On hold")
    later = merge(plan, two, now=MERGED_AT + dt.timedelta(days=1))  # and again on another day
    assert [i.code for i in items(later, "conflict")] == ["conflict"]


def test_a_return_of_an_older_copy_still_merges_and_says_so(plan: Path):
    old = fill(plan, POLICE, {("Actions", "7.2"): {"Status": "Completed"}})
    issue_to_files(
        plan / "tracker.xlsx", plan / "copies", agencies=[POLICE], now=ISSUED_AT + dt.timedelta(days=2)
    )
    run = merge(plan, old)
    (outcome,) = run.result.outcomes
    assert outcome.state == "merged" and "a newer copy was issued on 22/10/2019" in outcome.note
    assert value(plan, "Actions", ("7.2",), "Status") == "Completed"
    assert {s.agency: s.state for s in run.result.statuses}[POLICE] == "Not yet due"


def test_the_returned_file_is_never_changed(plan: Path):
    returned = fill(plan, POLICE, {("Actions", "7.2"): {"Status": "Completed", "Evidence": "=1+1"}})
    os.utime(returned, (1_000_000_000, 1_000_000_000))
    before = returned.read_bytes()
    merge(plan, returned)
    assert returned.read_bytes() == before
    assert returned.stat().st_mtime == 1_000_000_000


# ------------------------------------------------------------------ failures leave the master as it was


def test_a_master_open_in_excel_is_not_written(plan: Path, capsys):
    returned = fill(plan, POLICE, {("Actions", "7.2"): {"Status": "Completed"}})
    master = plan / "tracker.xlsx"
    before = master.read_bytes()
    (plan / "~$tracker.xlsx").write_bytes(b"\x0bJo Bloggs" + b" " * 40)
    assert main(["merge", str(master), str(returned)]) == 2
    assert "open in Excel" in capsys.readouterr().err
    assert master.read_bytes() == before


def test_a_failure_while_saving_leaves_the_master_as_it_was(plan: Path, monkeypatch):
    from openpyxl.workbook.workbook import Workbook

    returned = fill(plan, POLICE, {("Actions", "7.2"): {"Status": "Completed"}})
    master = plan / "tracker.xlsx"
    before = master.read_bytes()
    real_save = Workbook.save

    def half_save(self, filename):  # the disk fills up half way through
        real_save(self, filename)
        Path(filename).write_bytes(Path(filename).read_bytes()[:1000])
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(Workbook, "save", half_save)
    with pytest.raises(OSError):
        merge(plan, returned)
    assert master.read_bytes() == before
    assert not [p for p in plan.iterdir() if p.name.startswith(".tracker.")]


def test_an_unusable_master_is_exit_2(tmp_path: Path, plan: Path, capsys):
    returned = fill(plan, POLICE, {("Actions", "7.2"): {"Status": "Completed"}})
    junk = text_file(tmp_path / "tracker.xlsx")
    before = junk.read_bytes()
    assert main(["merge", str(junk), str(returned)]) == 2
    assert capsys.readouterr().err.startswith("Error: tracker.xlsx:")
    assert junk.read_bytes() == before


# ------------------------------------------------------------------ proposals, audit, returns, chasing


def test_a_revised_due_date_is_a_proposal_until_accepted(plan: Path):
    returned = fill(plan, POLICE, {("Actions", "7.2"): {"Revised due date": dt.date(2020, 2, 28)}})
    run = merge(plan, returned)
    (proposal,) = items(run, "proposal")
    assert proposal.partner == "28/02/2020" and proposal.issued == "31/12/2019"
    assert value(plan, "Actions", ("7.2",), "Revised due date") == dt.date(2019, 12, 31)
    accepted = merge(plan, returned, accept_proposals=True)
    assert [i.column for i in items(accepted, "applied")] == ["Revised due date"]
    assert value(plan, "Actions", ("7.2",), "Revised due date") == dt.date(2020, 2, 28)


def test_every_applied_change_is_in_the_audit_log(plan: Path):
    returned = fill(plan, LSCB, {("Actions", "9.4"): {"Progress update": "Briefings booked."}})
    digest = hashlib.sha256(returned.read_bytes()).hexdigest()
    merge(plan, returned)
    rows = sheet_rows(plan / "tracker.xlsx", "Audit log")
    progress = next(r for r in rows if r["Column"] == "Progress update")
    assert progress["File"] == "return.xlsx" and progress["SHA-256"] == digest
    assert progress["Agency"] == LSCB and progress["Sheet"] == "Actions" and progress["Ref"] == "9.4"
    assert progress["Old value"].startswith("Due date moved to November 2019")
    assert progress["New value"] == "Briefings booked."
    assert progress["When"] == MERGED_AT
    table, i = _find(plan, "Actions", ("9.4",))
    assert progress["Cell"] == f"{table.letter('Progress update')}{table.row_numbers[i]}"
    second = fill(plan, POLICE, {("Actions", "7.2"): {"Status": "Completed"}}, "police.xlsx")
    merge(plan, second, now=MERGED_AT + dt.timedelta(days=1))
    rows = sheet_rows(plan / "tracker.xlsx", "Audit log")
    assert [r["File"] for r in rows] == ["return.xlsx"] * 2 + ["police.xlsx"] * 2


def test_the_merge_report_links_each_conflict_to_its_cell(plan: Path):
    pm_edit(plan, "Actions", ("7.2",), "% complete", 60)
    returned = fill(plan, POLICE, {("Actions", "7.2"): {"% complete": 75}})
    merge(plan, returned)
    ws = load_workbook(plan / "tracker.xlsx")["Merge report"]
    assert ws["A1"].value.startswith("Merge report — 24/10/2019")
    row = next(r for r in ws.iter_rows(min_row=5) if r[0].value == "Conflict")
    assert row[4].hyperlink is not None and row[4].hyperlink.location.startswith("'Actions'!N")
    assert (row[7].value, row[8].value, row[9].value) == ("50", "75", "60")


def test_returns_status_and_reminders_for_late_and_missing_agencies(plan: Path):
    merge(plan, fill(plan, POLICE, {("Actions", "7.2"): {"Status": "Completed"}}))
    late_return = fill(plan, CSP, {}, "csp.xlsx")
    merge(plan, late_return, now=dt.datetime(2019, 10, 28, 10, 0))
    rows = {r["Agency"]: r for r in sheet_rows(plan / "tracker.xlsx", "Returns", header_row=3)}
    assert rows[POLICE]["State"] == "Returned" and rows[POLICE]["Changes applied"] == 1
    assert rows[CSP]["State"] == "Returned late"
    assert rows[LSCB]["State"] == "Late" and rows[LSCB]["Days late"] == 3
    chase = chase_files(plan / "tracker.xlsx", now=dt.datetime(2019, 11, 20, 9, 0))
    states = {s.agency: s.state for s in chase.statuses}
    assert states == {
        COUNCIL: "Missing",
        LSCB: "Missing",
        POLICE: "Returned",
        CSP: "Returned late",
        NHS: "Missing",
    }
    assert {r.agency for r in chase.reminders} == {COUNCIL, LSCB, NHS}
    lscb = next(p for p in chase.chasers if LSCB in p.name)
    assert lscb.parent == plan / "chasers"
    message = email.message_from_bytes(lscb.read_bytes())
    assert message["To"] == "LSCB Business Manager <lscb@haringey.example.gov.uk>"
    assert message["X-Unsent"] == "1" and "Reminder" in message["Subject"]
    body = next(p for p in message.walk() if p.get_content_type() == "text/plain").get_payload(decode=True)
    text = body.decode("utf-8")
    assert "25 Oct 2019" in text and "Action 9.3" in text and "Action 9.4" in text
    attachments = [p.get_filename() for p in message.walk() if p.get_filename()]
    assert attachments == [copy_of(plan, LSCB).name]


def test_merge_writes_reminders_for_agencies_already_late(plan: Path):
    run = merge(plan, fill(plan, POLICE, {}), now=dt.datetime(2019, 10, 29, 9, 0))
    assert {r.agency for r in run.reminders} == {COUNCIL, LSCB, CSP, NHS}
    assert len(run.chasers) == 4 and all(p.suffix == ".eml" for p in run.chasers)


def test_cli_json_is_the_library_result(plan: Path, tmp_path: Path, capsys):
    returned = fill(
        plan, POLICE, {("Actions", "7.2"): {"Status": "Completed", "Due date": dt.date(2020, 1, 1)}}
    )
    twin = tmp_path / "twin"
    shutil.copytree(plan, twin)
    assert main(["merge", str(plan / "tracker.xlsx"), str(returned), "--json", "--no-chasers"]) == 1
    cli = json.loads(capsys.readouterr().out)
    library = merge_files(
        twin / "tracker.xlsx", [twin / "returns" / "return.xlsx"], write_chasers=False
    ).as_dict()
    for key in ("items", "counts", "exit_code", "master_written"):
        assert cli[key] == library[key]
    assert [{k: v for k, v in o.items()} for o in cli["returns"]] == library["returns"]


def test_cli_output_and_exit_codes(plan: Path, capsys):
    clean = fill(plan, LSCB, {("Actions", "9.3"): {"% complete": 80}}, "lscb.xlsx")
    assert main(["merge", str(plan / "tracker.xlsx"), str(clean), "--no-chasers"]) == 0
    out = capsys.readouterr().out
    assert f"{LSCB} — lscb.xlsx: 1 change applied" in out and "plantrack rag" in out
    messy = fill(plan, POLICE, {("Actions", "7.2"): {"Due date": dt.date(2020, 1, 1)}}, "police.xlsx")
    assert main(["merge", str(plan / "tracker.xlsx"), str(plan / "returns"), "--no-chasers"]) == 1
    out = capsys.readouterr().out
    assert "lscb.xlsx" in out and "already merged" in out and "police.xlsx" in out
    assert "Rejected: Metropolitan Police Service, Actions 7.2 Due date" in out
    assert messy.exists()


# ------------------------------------------------------------------ properties (in memory, fast)


EDITABLE = [
    ("Actions", "9.3", "% complete"),
    ("Actions", "9.4", "% complete"),
    ("Actions", "9.3", "Status"),
    ("Actions", "7.2", "% complete"),
    ("Actions", "7.2", "Status"),
]


@pytest.fixture(scope="module")
def in_memory(issued_once: Path):
    tracker, grids = read_master(issued_once / "tracker.xlsx")
    copies = {a: read_return(copy_of(issued_once, a)) for a in (LSCB, POLICE)}
    return tracker, read_book(grids), copies


def _edited(file: ReturnedFile, edits: dict[tuple[str, str], Any], name: str) -> ReturnedFile:
    grids = {n: Grid(g.name, [list(r) for r in g.values]) for n, g in file.grids.items()}
    values = grids["Actions"].values
    header = values[0]
    for (ref, column), typed in edits.items():
        row = next(r for r in values[1:] if r[0] == ref)
        row[header.index(column)] = typed
    return ReturnedFile(name, hashlib.sha256(name.encode()).hexdigest(), grids, {})


edits_strategy = st.dictionaries(
    st.sampled_from(EDITABLE),
    st.one_of(st.integers(0, 100), st.sampled_from(["Completed", "On hold", "In progress"])),
    max_size=5,
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(edits=edits_strategy)
def test_merge_is_order_independent_across_agencies_and_idempotent(in_memory, edits):
    tracker, book, copies = in_memory
    lscb = {(ref, col): v for (_, ref, col), v in edits.items() if ref.startswith("9.")}
    police = {(ref, col): v for (_, ref, col), v in edits.items() if ref.startswith("7.")}
    a = _edited(copies[LSCB], lscb, "lscb.xlsx")
    b = _edited(copies[POLICE], police, "police.xlsx")
    one = merge_returns(tracker, book, [a, b], now=MERGED_AT)
    two = merge_returns(tracker, book, [b, a], now=MERGED_AT)

    def cells(result):
        return sorted((c.sheet, c.row, c.column, str(c.value)) for c in result.changes.cells)

    assert cells(one) == cells(two)
    assert sorted(i.as_dict().items().__repr__() for i in one.items) == sorted(
        i.as_dict().items().__repr__() for i in two.items
    )
    again = merge_returns(_applied(tracker, one.changes), one.book, [b, a], now=MERGED_AT)
    assert [o.state for o in again.outcomes] == ["already merged", "already merged"]
    assert not again.changes.cells and not [i for i in again.items if i.kind == "applied"]


def _applied(tracker, changes):
    """The tracker as it reads after ``changes`` were written into it."""
    tables = {
        name: dataclasses.replace(table, rows=[list(r) for r in table.rows])
        for name, table in tracker.tables.items()
    }
    for change in changes.cells:
        table = next(t for t in tables.values() if t.sheet == change.sheet)
        table.rows[table.row_numbers.index(change.row)][change.column - 1] = change.value
    return dataclasses.replace(tracker, tables=tables)


# ------------------------------------------------------------------ a real spreadsheet program


@pytest.mark.office
def test_a_return_saved_by_libreoffice_still_merges(plan: Path, tmp_path: Path):
    returned = fill(
        plan,
        LSCB,
        {
            ("Actions", "9.3"): {"Status": "Completed", "Completed date": dt.date(2019, 10, 21)},
            ("Actions", "9.4"): {"Evidence": "=2+2"},
        },
    )
    saved = convert(returned, "xlsx:Calc MS Excel 2007 XML", tmp_path / "lo")
    assert load_workbook(saved)[RECORD_SHEET].sheet_state in ("hidden", "veryHidden")
    run = merge(plan, saved)
    assert run.result.outcomes[0].state == "merged"
    assert sorted(i.column for i in items(run, "applied")) == ["Completed date", "Status"]
    assert [i.code for i in items(run, "rejected")] == ["formula"]
    assert value(plan, "Actions", ("9.3",), "Completed date") == dt.date(2019, 10, 21)


@pytest.mark.office
def test_the_master_after_a_merge_opens_in_libreoffice_and_prints(plan: Path, tmp_path: Path):
    pm_edit(plan, "Actions", ("7.2",), "% complete", 60)
    merge(plan, _awkward(fill(plan, POLICE, {("Actions", "7.2"): {"% complete": 75, "Status": "Completed"}})))
    pdf = convert(plan / "tracker.xlsx", "pdf", tmp_path)
    text = pdf_text(pdf)
    assert "Merge report" in text and "Conflict" in text
    assert "Sheet 'Our working' is hidden." in text  # a note on the return
    assert "Audit log" in text and "Returns" in text and POLICE in text


# ------------------------------------------------------------------ what merge prints about each return


def _awkward(returned: Path, *, notes: int = 3) -> Path:
    """The return as an agency really sends it back: a hidden sheet of their own, hidden rows,
    merged cells (outside the rows merged) ... ``notes``: 3 or 5 things the reader will note."""
    wb = load_workbook(returned)
    wb.create_sheet("Our working").sheet_state = "hidden"
    wb["Actions"].row_dimensions[2].hidden = True
    wb["Instructions"].merge_cells("F30:H31")
    if notes == 5:
        wb.create_sheet("Last quarter").sheet_state = "hidden"
        wb["Instructions"].column_dimensions["H"].hidden = True
    wb.save(returned)
    return returned


def _out_lines(capsys) -> list[str]:
    return capsys.readouterr().out.splitlines()


def test_what_the_reader_noticed_in_a_return_is_printed_under_it_and_on_the_report(plan: Path, capsys):
    returned = _awkward(fill(plan, LSCB, {("Actions", "9.3"): {"% complete": 80}}, "lscb.xlsx"))
    clean = fill(plan, POLICE, {("Actions", "7.2"): {"Status": "Completed"}}, "police.xlsx")
    code = main(["merge", str(plan / "tracker.xlsx"), str(returned), str(clean), "--no-chasers"])
    assert code == 0  # notes are worth a look, not something merged wrongly
    lines = _out_lines(capsys)
    at = lines.index(f"  {LSCB} — lscb.xlsx: 1 change applied")
    assert lines[at + 1 : at + 4] == [
        "    Note: Sheet 'Our working' is hidden.",
        "    Note: Sheet 'Instructions' has merged cells (F30:H31); plantrack reads the value in the first "
        "cell of each and treats the others as empty. Unmerge them so every row has its own values.",
        "    Note: Sheet 'Actions' has hidden rows or columns; plantrack reads them like the others.",
    ]
    assert lines[at + 4] == f"  {POLICE} — police.xlsx: 1 change applied"  # a clean return: no notes
    notes = [
        r for r in sheet_rows(plan / "tracker.xlsx", "Merge report", header_row=4) if r["What"] == "Note"
    ]
    assert [(r["Agency"], r["Return file"], r["Sheet"]) for r in notes] == [
        (LSCB, "lscb.xlsx", "Our working"),
        (LSCB, "lscb.xlsx", "Instructions"),
        (LSCB, "lscb.xlsx", "Actions"),
    ]
    assert notes[2]["Why, and what to do"].startswith("Sheet 'Actions' has hidden rows")


def test_notes_are_limited_per_return_and_all_on_the_report(plan: Path, capsys):
    returned = _awkward(fill(plan, LSCB, {("Actions", "9.3"): {"% complete": 80}}), notes=5)
    run = merge(plan, returned)
    (outcome,) = run.result.outcomes
    assert len(outcome.warnings) == 5
    from addin.cli.merge import report

    report(run)
    lines = [line for line in _out_lines(capsys) if line.startswith("    Note:")]
    assert len(lines) == 4 and lines[-1] == "    Note: ... and 2 more on the Merge report sheet"
    report_rows = sheet_rows(plan / "tracker.xlsx", "Merge report", header_row=4)
    assert sum(1 for r in report_rows if r["What"] == "Note") == 5


def test_notes_do_not_repeat_what_the_merge_lists_itself(plan: Path, capsys):
    """A formula and a link to another workbook are rejected items (the formula is not taken,
    whatever the reader's note about saved values says): no second line about them."""
    returned = fill(plan, POLICE, {("Actions", "7.2"): {"Evidence": "=1+1"}}, "police.xlsx")
    linked = returned.with_name("police linked.xlsx")
    with zipfile.ZipFile(returned) as source, zipfile.ZipFile(linked, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            target.writestr(info, source.read(info))
        target.writestr("xl/externalLinks/externalLink1.xml", b'<?xml version="1.0"?><externalLink/>')
    assert any("links to other workbooks" in w for w in read_grids(linked).warnings)
    assert any("formula" in w for w in read_grids(linked).warnings)
    assert main(["merge", str(plan / "tracker.xlsx"), str(linked), "--no-chasers"]) == 1
    out = capsys.readouterr().out
    assert "Note:" not in out
    assert f"  {POLICE} — police linked.xlsx: nothing applied, 2 rejected edits" in out
    assert (
        f"  Rejected: {POLICE} — The return holds links to other workbooks or programs (external or DDE "
        "links): plantrack never runs or follows them, and nothing was taken from them." in out
    )
    assert f"  Rejected: {POLICE}, Actions 7.2 Evidence — partner '(formula, not run) =1+1'" in out


def test_a_hostile_return_that_is_refused_gets_one_line_and_no_notes(plan: Path, capsys):
    returned = _awkward(fill(plan, POLICE, {("Actions", "7.2"): {"Status": "Completed"}}))
    wb = load_workbook(returned)
    del wb[RECORD_SHEET]
    wb.save(returned)
    before = (plan / "tracker.xlsx").read_bytes()
    assert main(["merge", str(plan / "tracker.xlsx"), str(returned), "--no-chasers"]) == 1
    out = capsys.readouterr().out
    assert [line for line in out.splitlines() if "return.xlsx" in line] == [
        line for line in out.splitlines() if line.startswith("  REFUSED return.xlsx: ")
    ]
    assert "Note:" not in out
    assert (plan / "tracker.xlsx").read_bytes() == before


def test_when_every_return_is_refused_the_closing_lines_say_so(plan: Path, tmp_path: Path, capsys):
    junk = text_file(tmp_path / "notes.xlsx")
    untouched = copy_of(plan, CSP)
    before = (plan / "tracker.xlsx").read_bytes()
    assert main(["merge", str(plan / "tracker.xlsx"), str(junk), str(untouched), "--no-chasers"]) == 1
    lines = _out_lines(capsys)
    assert sum(line.startswith("  REFUSED ") for line in lines) == 2
    assert (
        "Nothing was merged: both returned files were refused (reasons above). tracker.xlsx was not changed."
        in lines
    )
    (next_line,) = [line for line in lines if line.startswith("Next:")]
    assert "Merge report" not in next_line and "rag" not in next_line
    assert "ask for each refused file again" in next_line
    assert 'plantrack issue tracker.xlsx --agency "NAME"' in next_line
    assert (plan / "tracker.xlsx").read_bytes() == before
    assert main(["merge", str(plan / "tracker.xlsx"), str(junk), "--no-chasers"]) == 1
    lines = _out_lines(capsys)
    assert (
        "Nothing was merged: the returned file was refused (reason above). tracker.xlsx was not changed."
        in lines
    )


def test_the_next_step_names_only_what_there_is_to_do(plan: Path, tmp_path: Path, capsys):
    master = str(plan / "tracker.xlsx")
    clean = fill(plan, LSCB, {("Actions", "9.3"): {"% complete": 80}}, "lscb.xlsx")
    junk = text_file(tmp_path / "notes.xlsx")
    assert main(["merge", master, str(clean), str(junk), "--no-chasers"]) == 1
    lines = _out_lines(capsys)
    assert lines[1] == f"  {LSCB} — lscb.xlsx: 1 change applied"  # merged first, refused after
    assert lines[2].startswith("  REFUSED notes.xlsx: ")
    (next_line,) = [line for line in lines if line.startswith("Next:")]
    assert next_line == (
        "Next: ask the agencies again for the 1 refused file (why: see above); "
        "then run 'plantrack rag' to recalculate RAG with the new progress."
    )
    assert main(["merge", master, str(clean), "--no-chasers"]) == 0  # again: nothing new
    lines = _out_lines(capsys)
    assert re.fullmatch(
        rf"  {LSCB} — lscb.xlsx: already merged on \d\d/\d\d/\d{{4}} \d\d:\d\d: nothing new\.", lines[1]
    )
    assert "tracker.xlsx was not changed: nothing new to merge (1 return already merged)." in lines
    assert lines[-1] == "Next: nothing new to do for these files."


def test_the_merge_report_says_which_files_were_merged_and_which_refused(plan: Path, tmp_path: Path):
    good = fill(plan, POLICE, {("Actions", "7.2"): {"Status": "Completed"}}, "police.xlsx")
    junk = text_file(tmp_path / "notes.xlsx")
    merge(plan, good, junk)
    ws = load_workbook(plan / "tracker.xlsx")["Merge report"]
    assert ws["A2"].value.startswith("Returns merged: police.xlsx; refused: notes.xlsx. 1 change applied;")


def test_json_carries_each_returns_notes(plan: Path, capsys):
    returned = _awkward(fill(plan, LSCB, {("Actions", "9.3"): {"% complete": 80}}))
    main(["merge", str(plan / "tracker.xlsx"), str(returned), "--json", "--no-chasers"])
    (outcome,) = json.loads(capsys.readouterr().out)["returns"]
    assert outcome["warnings"][0] == "Sheet 'Our working' is hidden."


# ------------------------------------------------------------------ cells merged in a return


def _merge_in(returned: Path, sheet: str, columns: tuple[str, str], rows: tuple[int, int]) -> str:
    """The partner merges cells in their copy (as Excel's Merge & Centre does: the inner cells
    are emptied). ``columns``: first and last header; ``rows``: first and last Excel row."""
    wb = load_workbook(returned)
    ws = wb[sheet]
    letters = {c.value: c.column_letter for c in ws[1] if c.value is not None}
    area = f"{letters[columns[0]]}{rows[0]}:{letters[columns[1]]}{rows[1]}"
    ws.merge_cells(area)
    wb.save(returned)
    return area


def _row_of(path: Path, sheet: str, first: str) -> int:
    ws = load_workbook(path)[sheet]
    return next(r for r in range(2, ws.max_row + 1) if ws.cell(r, 1).value == first)


def test_text_merged_over_two_rows_is_never_taken_for_the_second(plan: Path, capsys):
    """Progress update of 1.1 and 1.2 merged in the return: 1.2's cell reads as empty. It once
    emptied the master's 1.2 quietly (audit-logged, exit 0); now it is a rejected edit."""
    before = value(plan, "Actions", ("1.2",), "Progress update")
    assert before
    returned = fill(plan, COUNCIL, {("Actions", "1.1"): {"Progress update": "Both: audits done."}})
    row = _row_of(returned, "Actions", "1.1")
    assert _row_of(returned, "Actions", "1.2") == row + 1
    area = _merge_in(returned, "Actions", ("Progress update", "Progress update"), (row, row + 1))
    assert read_grids(returned).merged == {"Actions": [area]}
    code = main(["merge", str(plan / "tracker.xlsx"), str(returned), "--no-chasers"])
    assert code == 1
    assert value(plan, "Actions", ("1.2",), "Progress update") == before  # nothing lost
    assert value(plan, "Actions", ("1.1",), "Progress update") == "Both: audits done."  # its own row
    assert value(plan, "Actions", ("1.2",), "Last updated") != MERGED_AT.date()
    audit = sheet_rows(plan / "tracker.xlsx", "Audit log")
    assert [(r["Ref"], r["Column"]) for r in audit] == [("1.1", "Progress update"), ("1.1", "Last updated")]
    (rejected,) = [r for r in sheet_rows(plan / "tracker.xlsx", "Merge report", header_row=4)]
    assert (rejected["What"], rejected["Ref"], rejected["Column"]) == ("Rejected", "1.2", "Progress update")
    assert rejected["Why, and what to do"].startswith(
        f"The cells {area} are merged in the return: plantrack cannot tell which row the text belongs to"
    )
    assert "unmerge them" in rejected["Why, and what to do"]
    out = capsys.readouterr().out
    assert f"  {COUNCIL} — return.xlsx: 1 change applied, 1 rejected edit" in out
    assert f"Rejected: {COUNCIL}, Actions 1.2 Progress update — The cells {area} are merged" in out
    assert "has merged cells" not in out, "the note would repeat (and contradict) the rejected edit"


def test_cells_merged_across_columns_and_in_locked_columns_are_rejected(plan: Path):
    returned = fill(plan, COUNCIL, {("Actions", "1.4"): {"Status": "Completed", "% complete": 100}})
    row = _row_of(returned, "Actions", "1.4")
    across = _merge_in(returned, "Actions", ("Status", "% complete"), (row, row))  # Status shows
    themes = _merge_in(returned, "Actions", ("Theme", "Theme"), (row + 1, row + 3))  # locked, not blank
    result = merge_only(plan, returned)
    found = {(i.ref, i.column): i for i in result.items if i.kind == "rejected"}
    assert set(found) == {("1.4", "% complete"), ("1.6", "Theme"), ("1.7", "Theme")}
    assert all(i.code == "merged" for i in found.values())
    assert f"The cells {across} are merged in the return: plantrack cannot tell which column" in (
        found[("1.4", "% complete")].message
    )
    assert themes in found[("1.6", "Theme")].message and "which row" in found[("1.6", "Theme")].message
    assert [(i.ref, i.column) for i in result.items if i.kind == "applied"] == [("1.4", "Status")]
    assert after(plan, result, "Actions", ("1.4",), "% complete") == 80  # as it was
    assert result.exit_code == 1
    assert result.outcomes[0].warnings == []


def test_a_merged_key_column_rejects_the_rows_it_hides(plan: Path):
    """Milestones grouped under their action by merging the Action ref cells: the second row
    has no ref to read, so which milestone it is cannot be told."""
    returned = fill(
        plan,
        COUNCIL,
        {
            ("Milestones", "1.4", "85% of audited assessments rated good or better"): {"Status": "Completed"},
            ("Milestones", "1.7", "Children's Social Care Academy launched"): {"Status": "Completed"},
        },
    )
    ws = load_workbook(returned)["Milestones"]
    rows = [r for r in range(2, ws.max_row + 1) if ws.cell(r, 1).value == "1.4"]
    assert len(rows) == 2
    area = _merge_in(returned, "Milestones", ("Action ref", "Action ref"), (rows[0], rows[1]))
    result = merge_only(plan, returned)
    merged = [i for i in result.items if i.code == "merged"]
    assert [(i.sheet, i.return_cell) for i in merged] == [("Milestones", f"Milestones!{rows[1]}:{rows[1]}")]
    assert merged[0].message.startswith(
        f"The cells {area} are merged in the return, so this row's Action ref reads as empty"
    )
    assert [i.code for i in result.items if i.kind == "rejected"] == ["merged", "missing-rows"]
    assert [(i.sheet, i.ref) for i in result.items if i.kind == "applied"] == [
        ("Milestones", "1.7 / Children's Social Care Academy launched")
    ]


def test_merged_cells_are_found_quickly_whatever_their_size():
    from addin.jobs.merge import merged_cells

    rows = list(range(2, 20_002))
    inner = merged_cells(["A1:XFD1048576", "B3:B5", "c7:b6", "D9"], [1, 3, 20], rows)
    assert len(inner) == 3 * len(rows)  # the whole-sheet range holds every cell but A1
    assert set(inner.values()) == {"A1:XFD1048576"}
    assert merged_cells(["B3:B5", "C7:B6", "D9", "not a range"], [1, 2, 3], rows) == {
        (4, 1): "B3:B5",
        (5, 1): "B3:B5",
        (7, 1): "B6:C7",
        (6, 2): "B6:C7",
        (7, 2): "B6:C7",
    }
    assert merged_cells([], [1], rows) == {}


def test_the_one_line_summary_names_a_dozen_returns_at_most(in_memory):
    """The button's status line holds the command's sentences; a folder of many returns does not
    make it longer than a cell can hold."""
    from addin.jobs.merge import RefusedFile
    from addin.jobs.merge_summary import BUTTON_WORDING, SHOWN_RETURNS, one_line

    tracker, book, _ = in_memory
    refused = [RefusedFile(f"scan {n:02}.xlsx", "the file is a scanned picture") for n in range(15)]
    line = one_line(merge_returns(tracker, book, refused, now=MERGED_AT), BUTTON_WORDING)
    assert line.startswith("Read 15 returned files for this workbook: 15 refused. REFUSED scan 00.xlsx: ")
    assert line.count("REFUSED ") == SHOWN_RETURNS and "... and 3 more returned files." in line
    assert "Nothing was merged: all 15 returned files were refused (reasons earlier in this line)." in line
