"""plantrack issue: one plain, protected copy per agency, and the record of what was issued."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from openpyxl import load_workbook

from addin.cli import main
from addin.example import COUNCIL, LSCB, NHS, POLICE, example_plan
from addin.files import read_grids, read_tracker
from addin.jobs.issue import copy_file_name, due_date, plan_issue, safe_file_part
from addin.jobs.returns_record import RECORD_SHEET, find_record_grid, read_record_cells
from addin.jobs.returns_status import read_book
from addin.partner_files import issue_to_files, read_master
from addin.writer import write_tracker
from tests.office import convert, pdf_text

ISSUED_AT = dt.datetime(2019, 10, 20, 9, 30)
FORBIDDEN = set('<>:"/\\|?*')


@pytest.fixture(scope="module")
def issued_once(tmp_path_factory, rules) -> Path:
    """The example master with copies issued to every agency (made once, copied per test)."""
    folder = tmp_path_factory.mktemp("issued")
    master = folder / "tracker.xlsx"
    write_tracker(example_plan(), rules, master)
    issue_to_files(master, folder / "copies", now=ISSUED_AT)
    return folder


@pytest.fixture
def issued(issued_once: Path, tmp_path: Path) -> Path:
    target = tmp_path / "plan"
    shutil.copytree(issued_once, target)
    return target


def _copy(folder: Path, agency: str) -> Path:
    return next(p for p in (folder / "copies").glob("*.xlsx") if agency in p.name)


def _rows(ws) -> list[dict]:
    header = [c.value for c in ws[1]]
    out = []
    for row in ws.iter_rows(min_row=2, values_only=True):
        if any(v is not None for v in row):
            out.append(dict(zip(header, row)))
    return out


def test_one_copy_per_agency_holding_only_its_rows(issued: Path):
    plan = example_plan()
    copies = sorted((issued / "copies").glob("*.xlsx"))
    assert len(copies) == 5
    for agency in plan.agency_names():
        wb = load_workbook(_copy(issued, agency))
        refs = {a.ref for a in plan.actions if a.lead_agency == agency}
        codes = {i.code for i in plan.indicators if i.lead_agency == agency}
        if refs:
            actions = _rows(wb["Actions"])
            assert {r["Ref"] for r in actions} == refs
            assert {r["Lead agency"] for r in actions} == {agency}
        else:
            assert "Actions" not in wb.sheetnames
        milestones = _rows(wb["Milestones"]) if "Milestones" in wb.sheetnames else []
        assert {m["Action ref"] for m in milestones} == {
            m.action_ref for m in plan.milestones if m.action_ref in refs
        }
        if codes:
            assert {r["Code"] for r in _rows(wb["Indicators"])} == codes
            assert {r["Code"] for r in _rows(wb["Indicator data"])} == codes
        assert wb.sheetnames[0] == "Instructions"


def test_copy_values_and_headers_match_the_master(issued: Path, rules):
    wb = load_workbook(_copy(issued, POLICE))
    assert [c.value for c in wb["Actions"][1]] == [c.name for c in rules.sheet("Actions").columns]
    assert [c.value for c in wb["Milestones"][1]] == [c.name for c in rules.sheet("Milestones").columns]
    row = _rows(wb["Actions"])[0]
    master = next(a for a in example_plan().actions if a.ref == "7.2")
    assert row["% complete"] == master.percent_complete
    assert row["Progress update"] == master.progress_update
    assert row["Revised due date"].date() == master.revised_due_date


def test_a_plain_xlsx_without_macros_and_a_windows_safe_name(issued: Path):
    for path in (issued / "copies").glob("*.xlsx"):
        assert not FORBIDDEN & set(path.name)
        assert "Children's Service Ofsted Action Plan" in path.name and "2019-10-20" in path.name
        with zipfile.ZipFile(path) as zf:
            names = zf.namelist()
            assert not [n for n in names if "vbaProject" in n]
            assert b"macroEnabled" not in zf.read("[Content_Types].xml")


def test_editable_columns_are_unlocked_and_everything_else_locked(issued: Path, rules):
    wb = load_workbook(_copy(issued, LSCB))
    assert wb.security.lockStructure
    for name in ("Actions", "Milestones"):
        ws = wb[name]
        assert ws.protection.sheet
        editable = {c.name for c in rules.sheet(name).columns if c.partner_editable}
        header = [c.value for c in ws[1]]
        for row in ws.iter_rows(min_row=2, max_row=3):
            for cell in row[: len(header)]:
                assert cell.protection.locked is (header[cell.column - 1] not in editable), (
                    name,
                    header[cell.column - 1],
                )
        assert ws["A1"].protection.locked
    assert set(
        rules.sheet("Actions").columns[i].name
        for i in range(23)
        if rules.sheet("Actions").columns[i].partner_editable
    ) == {"Revised due date", "Completed date", "Status", "% complete", "Progress update", "Evidence"}
    indicator_data = load_workbook(_copy(issued, NHS))["Indicator data"]
    header = [c.value for c in indicator_data[1]]
    assert not indicator_data.cell(row=2, column=header.index("Actual") + 1).protection.locked
    assert indicator_data.cell(row=2, column=header.index("Target") + 1).protection.locked


def test_dropdowns_and_input_messages_as_in_the_master(issued: Path):
    ws = load_workbook(_copy(issued, LSCB))["Actions"]
    header = [c.value for c in ws[1]]
    status = f"{chr(65 + header.index('Status'))}2"
    lists = [dv for dv in ws.data_validations.dataValidation if dv.type == "list" and status in dv.sqref]
    assert lists and "In progress" in lists[0].formula1
    prompts = [dv for dv in ws.data_validations.dataValidation if status in dv.sqref and dv.prompt]
    assert prompts and "Not started" in prompts[0].prompt


def test_instructions_give_the_deadline_and_who_to_send_it_to(issued: Path):
    ws = load_workbook(_copy(issued, POLICE))["Instructions"]
    text = "\n".join(str(c.value) for c in ws["A"] if c.value)
    assert "25 Oct 2019" in text and "25/10/2019" in text
    assert "send it back" in text
    assert "programme manager" in text
    assert (
        "Status, % complete, Progress update, Evidence" in text.replace("Completed date, ", "")
        or "Progress update" in text
    )
    assert "OFFICIAL" in text


def test_reply_to_comes_from_the_plan_sheet(tmp_path: Path, rules):
    plan = example_plan()
    plan.info.extra["Programme manager"] = "Jo Bloggs"
    plan.info.extra["Programme manager email"] = "jo.bloggs@haringey.example.gov.uk"
    master = tmp_path / "tracker.xlsx"
    write_tracker(plan, rules, master)
    tracker, grids = read_master(master)
    (copy,) = plan_issue(tracker, read_book(grids), agencies=[POLICE], now=ISSUED_AT).copies
    text = "\n".join(line for line, _ in copy.instructions)
    assert "Jo Bloggs (jo.bloggs@haringey.example.gov.uk)" in text


def test_the_hidden_record_is_very_hidden_and_signed_with_a_key_kept_in_the_master(issued: Path):
    path = _copy(issued, POLICE)
    wb = load_workbook(path)
    assert wb[RECORD_SHEET].sheet_state == "veryHidden"
    cells = read_record_cells(find_record_grid(read_grids(path)))
    book = read_book(read_grids(issued / "tracker.xlsx"))
    issue = book.issue(cells.issue_id)
    assert issue is not None and issue.agency == POLICE and issue.key
    record = cells.verified(issue.key)
    assert record.plan_id == "HGY-OFSTED-2019" and record.agency == POLICE
    assert [s.name for s in record.sheets] == ["Actions", "Milestones"]
    assert issue.key not in path.read_bytes().decode("latin-1")
    assert [r.key for r in record.sheets[0].rows] == [("7.2", 0)]


def test_the_master_records_the_issue(issued: Path):
    master = issued / "tracker.xlsx"
    wb = load_workbook(master)
    assert wb["_plantrack_issues"].sheet_state == "veryHidden"
    book = read_book(read_grids(master))
    assert sorted(i.agency for i in book.issues) == sorted(example_plan().agency_names())
    assert {i.due for i in book.issues} == {dt.date(2019, 10, 25)}
    returns = read_grids(master)["Returns"].values
    header = returns[2]
    rows = [dict(zip(header, r)) for r in returns[3:]]
    assert {r["State"] for r in rows} == {"Not yet due"}
    assert {r["Agency"] for r in rows} == set(example_plan().agency_names())
    assert list((issued / "plantrack-backups").glob("tracker.*.xlsx"))


def test_a_plan_without_a_plan_id_gets_one(tmp_path: Path, rules):
    plan = example_plan()
    plan.info.plan_id = None
    master = tmp_path / "tracker.xlsx"
    write_tracker(plan, rules, master)
    run = issue_to_files(master, tmp_path / "out", agencies=[LSCB], now=ISSUED_AT)
    assert run.plan.plan_id_created
    assert read_tracker(master).plan.info.plan_id == run.plan.plan_id
    assert run.plan.plan_id.startswith("CSOAP-")
    assert list((tmp_path / "plantrack-backups").iterdir())
    again = issue_to_files(master, tmp_path / "out", agencies=[POLICE], now=ISSUED_AT)
    assert not again.plan.plan_id_created and again.plan.plan_id == run.plan.plan_id


def test_a_plan_sheet_without_a_plan_id_row_gets_one_added(tmp_path: Path, rules):
    master = tmp_path / "tracker.xlsx"
    plan = example_plan()
    plan.info.plan_id = None
    write_tracker(plan, rules, master)
    wb = load_workbook(master)
    ws = wb["Plan"]
    for row in ws.iter_rows():
        if row[0].value == "Plan id":
            ws.delete_rows(row[0].row)
            break
    wb.save(master)
    run = issue_to_files(master, tmp_path / "out", agencies=[LSCB], now=ISSUED_AT)
    assert read_tracker(master).plan.info.plan_id == run.plan.plan_id


def test_due_dates(tmp_path: Path, rules):
    master = tmp_path / "tracker.xlsx"
    write_tracker(example_plan(), rules, master)
    tracker, _ = read_master(master)
    given = dt.date(2019, 11, 8)
    assert due_date(tracker, POLICE, given, dt.date(2019, 10, 20)) == (given, "given with --due")
    assert due_date(tracker, POLICE, None, dt.date(2019, 10, 20))[0] == dt.date(2019, 10, 25)
    late, why = due_date(tracker, POLICE, None, dt.date(2019, 11, 1))
    assert late == dt.date(2019, 11, 15) and "has passed" in why
    assert due_date(tracker, "Somebody new", None, dt.date(2019, 10, 20))[0] == dt.date(2019, 11, 14)


def test_agency_filter_is_forgiving_about_case_and_spaces(issued: Path):
    tracker, grids = read_master(issued / "tracker.xlsx")
    plan = plan_issue(
        tracker, read_book(grids), agencies=["metropolitan  police SERVICE", "NHS"], now=ISSUED_AT
    )
    assert [c.agency for c in plan.copies] == [POLICE, NHS]


def test_an_agency_with_no_rows_gets_no_copy(issued: Path):
    tracker, grids = read_master(issued / "tracker.xlsx")
    tracker.plan.agencies.append(tracker.plan.agencies[0].model_copy(update={"agency": "Probation Service"}))
    plan = plan_issue(tracker, read_book(grids), now=ISSUED_AT)
    assert "Probation Service" not in [c.agency for c in plan.copies]
    assert any("Probation Service leads no actions" in n for n in plan.notes)


def test_unknown_agency_is_refused_and_nothing_is_written(issued: Path, capsys):
    master = issued / "tracker.xlsx"
    before = master.read_bytes()
    assert main(["issue", str(master), "--out", str(issued / "new"), "--agency", "Fire Brigade"]) == 2
    assert "no agency called 'Fire Brigade'" in capsys.readouterr().err
    assert master.read_bytes() == before
    assert not (issued / "new").exists()


def test_safe_file_names():
    name = copy_file_name('Plan: "A/B" <2019>', "Police|Probation*?", dt.date(2019, 10, 20))
    assert not FORBIDDEN & set(name) and name.endswith(" - return 2019-10-20.xlsx")
    assert copy_file_name("P", "CON", dt.date(2019, 1, 1)).startswith("P - CON- -")
    assert safe_file_part("  ...  ") == "plan"
    taken = ["P - A - return 2019-01-01.xlsx"]
    assert copy_file_name("P", "A", dt.date(2019, 1, 1), taken) == "P - A - return 2019-01-01 (2).xlsx"


def test_issuing_twice_the_same_day_never_overwrites_a_copy(issued: Path):
    first = sorted(p.name for p in (issued / "copies").glob("*.xlsx"))
    run = issue_to_files(issued / "tracker.xlsx", issued / "copies", agencies=[POLICE], now=ISSUED_AT)
    assert run.paths[0].name.endswith("(2).xlsx")
    assert set(first) < {p.name for p in (issued / "copies").glob("*.xlsx")}


def test_a_master_open_in_excel_stops_the_issue_with_no_copies_left(issued: Path, capsys):
    master = issued / "tracker.xlsx"
    before = master.read_bytes()
    (issued / "~$tracker.xlsx").write_bytes(b"\x0bJo Bloggs" + b" " * 40)
    assert main(["issue", str(master), "--out", str(issued / "new")]) == 2
    assert "open in Excel" in capsys.readouterr().err
    assert master.read_bytes() == before
    assert not list((issued / "new").glob("*")) if (issued / "new").exists() else True


def test_cli_says_what_it_wrote(issued: Path, capsys):
    master = issued / "tracker.xlsx"
    assert (
        main(["issue", str(master), "--out", str(issued / "cli"), "--agency", LSCB, "--due", "08/11/2019"])
        == 0
    )
    out = capsys.readouterr().out
    assert "Issued 1 partner copy" in out and LSCB in out and "due back 08/11/2019" in out
    assert "plantrack merge" in out
    assert main(["issue", str(master), "--out", str(issued / "cli"), "--agency", NHS, "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["copies"][0]["agency"] == NHS and data["copies"][0]["indicators"] == 2
    assert Path(data["copies"][0]["file"]).exists()
    assert main(["issue", str(master), "--due", "soon"]) == 2


def test_the_jobs_import_neither_openpyxl_nor_xlwings():
    code = (
        "import sys; import addin.jobs.issue, addin.jobs.merge, addin.jobs.merge_report, "
        "addin.jobs.returns_record, addin.jobs.returns_status, addin.jobs.chasing; "
        "print([m for m in sys.modules if m.split('.')[0] in ('openpyxl', 'xlwings')])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


@pytest.mark.office
def test_a_partner_copy_opens_in_libreoffice_and_prints(issued: Path, tmp_path: Path):
    source = _copy(issued, COUNCIL)
    plain = tmp_path / "council-copy.xlsx"
    shutil.copy(source, plain)
    pdf = convert(plain, "pdf", tmp_path)
    text = pdf_text(pdf)
    assert "progress return for Haringey Council" in text
    assert "25/10/2019" in text
    assert "1.1" in text and "OFFICIAL" in text


def test_help_and_readme_sections():
    readme = (Path(__file__).parents[1] / "README.md").read_text(encoding="utf-8")
    for command, option in (("issue", "--due"), ("merge", "--accept-proposals")):
        with pytest.raises(SystemExit) as exit_:
            main([command, "--help"])
        assert exit_.value.code == 0
        assert f"### `plantrack {command}`" in readme and option in readme
    with pytest.raises(SystemExit):
        main(["chase", "--help"])
    assert "plantrack chase tracker.xlsx" in readme


def test_demo_steps_issue_copies_then_merge_two_returns(tmp_path: Path, capsys):
    from addin.demo import STEPS, step_issue, step_merge, step_new, step_rag

    assert STEPS.index(step_rag) < STEPS.index(step_issue) == STEPS.index(step_merge) - 1
    names = [s.__name__ for s in STEPS]
    assert "step_pack" not in names or names.index("step_merge") < names.index("step_pack")
    master = tmp_path / "example-tracker.xlsx"
    step_new(tmp_path, master)
    step_issue(tmp_path, master)
    step_merge(tmp_path, master)
    out = capsys.readouterr().out
    assert "Issued a copy to each partner agency" in out and "Merged two simulated partner returns" in out
    assert "Conflict: Actions 7.2 Progress update" in out and "Rejected: Actions 7.2 Due date" in out
    assert len(list((tmp_path / "partner copies").glob("*.xlsx"))) == 5
    book = read_book(read_grids(master))
    assert len(book.receipts) == 2
    assert read_tracker(master).plan.actions[-2].status == "Completed"  # 9.3, from the LSCB return
