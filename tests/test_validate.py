"""Validate: one test per rule (broken exactly once, and a near miss that is not),
the clean example, the Validation sheet and marks in real workbooks (and in
LibreOffice), the command's exit codes and its JSON."""

from __future__ import annotations

import copy
import datetime as dt
import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook, load_workbook

from addin.cli import main
from addin.cli.validate import read_for_validation
from addin.errors import RulesError
from addin.example import example_plan
from addin.files import read_grids, read_tracker
from addin.jobs.checks import CHECKS, Finding, all_codes
from addin.jobs.validate import (
    previous_marks,
    rule_codes_markdown,
    split_cell,
    validate,
    validation_changes,
)
from addin.reader import tracker_from_grids
from addin.rules import load_rules, normalise_header
from addin.tables import Grid
from addin.writer import write_tracker
from tests.office import convert, pdf_text

ROOT = Path(__file__).resolve().parent.parent
D = dt.date


# ----------------------------------------------------------------- helpers


@pytest.fixture(scope="module")
def example_file(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("example") / "tracker.xlsx"
    write_tracker(example_plan(), load_rules(), path)
    return path


@pytest.fixture
def example_path(example_file: Path, tmp_path: Path) -> Path:
    """A fresh copy of the example tracker for a test to change (copied: writing it takes a second)."""
    path = tmp_path / "tracker.xlsx"
    shutil.copyfile(example_file, path)
    return path


@pytest.fixture(scope="module")
def example_grids(example_file: Path) -> dict[str, Grid]:
    """The example tracker's sheets exactly as the file adapter reads them."""
    return read_grids(example_file)


Edit = tuple[str, Any, str, Any]  # sheet, row key (ref/code/name/field) or row number, column, new value


def edited(grids: dict[str, Grid], edits: list[Edit]) -> dict[str, Grid]:
    """A copy of the grids with cells changed, found by sheet, row key and column header.

    A row key is the row's first-column value (action ref, indicator code, lead
    abbreviation ...), or an int for the Excel row. Column None with value None
    deletes the row; a column "<header>" renames that header to the value; a
    sheet with row key None and column None is removed from the workbook.
    """
    out = copy.deepcopy(grids)
    for sheet, key, column, value in edits:
        if key is None and column is None:
            del out[sheet]
            continue
        values = out[sheet].values
        if column is not None and column.startswith("<"):
            header = values[0]
            header[[normalise_header(h) for h in header].index(normalise_header(column[1:-1]))] = value
            continue
        r = key - 1 if isinstance(key, int) else next(i for i, row in enumerate(values) if row[0] == key)
        if column is None:
            del values[r]
            continue
        headers = [normalise_header(h) for h in values[0]]
        at = 1 if sheet == "Plan" else headers.index(normalise_header(column))
        values[r][at] = value
    return out


def check(grids: dict[str, Grid], edits: list[Edit] = (), **kwargs: Any) -> list[Finding]:
    rules = kwargs.pop("rules", None) or load_rules()
    tracker = tracker_from_grids(edited(grids, list(edits)), rules)
    return validate(tracker, **kwargs)


def brief(findings: list[Finding]) -> list[tuple[str, str | None, str]]:
    return [(f.sheet, f.cell, f.code) for f in findings]


# ------------------------------------------------------- the clean example


def test_the_example_is_clean_at_its_report_date(example_file: Path):
    tracker = read_tracker(example_file)
    assert tracker.plan.info.report_date == D(2019, 10, 31)
    assert validate(tracker) == []


def test_every_check_type_runs_in_the_default_rules(rules):
    assert {c.type for c in rules.checks.values()} == set(CHECKS)


# --------------------------------------------------------- one per rule
# (id, edits that break the rule once, the code, the cell, edits that come close but keep it)

RULES: list[tuple[str, list[Edit], str, str | None, list[Edit]]] = [
    (
        "missing-column",
        [("Actions", None, "<Due date>", "Deadline")],
        "missing-column",
        None,
        [("Actions", None, "<Due date>", "  DUE  date ")],
    ),
    (
        "missing-field",
        [("Plan", "Title", None, None)],
        "missing-field",
        None,
        [("Plan", "Organisation", None, None)],
    ),
    (
        "required-empty",
        [("Actions", "1.4", "Theme", None)],
        "required-empty",
        "B5",
        [("Actions", "1.4", "Outcome", None)],
    ),
    (
        "required-plan-field",
        [("Plan", "Title", "Value", "  ")],
        "required-empty",
        "B2",
        [("Plan", "Reporting period", "Value", None)],
    ),
    (
        "date-as-text",
        [("Actions", "1.4", "Due date", "31.10.12")],
        "date-as-text",
        "J5",
        [("Actions", "1.4", "Due date", dt.datetime(2019, 12, 31, 0, 0))],
    ),
    (
        "not-a-date",
        [("Actions", "1.4", "Due date", "Ongoing")],
        "not-a-date",
        "J5",
        [("Actions", "1.4", "Due date", D(2019, 12, 31))],
    ),
    (
        "date-serial",
        [("Milestones", 2, "Due date", 43738)],
        "not-a-date",
        "E2",
        [("Milestones", 2, "Due date", D(2019, 9, 30))],
    ),
    (
        "not-a-number",
        [("Indicators", "NI 59", "Baseline", "n/a")],
        "not-a-number",
        "E2",
        [("Indicators", "NI 59", "Baseline", 41.5)],
    ),
    (
        "number-as-text",
        [("Indicator data", 2, "Target", "45")],
        "number-as-text",
        "C2",
        [("Indicator data", 2, "Target", 45.0)],
    ),
    (
        "bad-percent",
        [("Actions", "1.4", "% complete", 120)],
        "bad-percent",
        "N5",
        [("Actions", "1.4", "% complete", 0.85)],
    ),
    (
        "percent-not-whole",
        [("Actions", "1.4", "% complete", 62.5)],
        "bad-percent",
        "N5",
        [("Actions", "1.4", "% complete", 100)],
    ),
    (
        "bad-email",
        [("Agencies", 2, "Email", "improvement at haringey")],
        "bad-email",
        "C2",
        [("Agencies", 2, "Email", "a@haringey.gov.uk; b.c@nhs.net")],
    ),
    (
        "ref-as-number",
        [("Actions", "1.2", "Ref", 1.2)],
        "ref-as-number",
        "A3",
        [("Actions", "1.2", "Ref", " 1.2 ")],
    ),
    (
        "not-in-list",
        [("Actions", "1.4", "Status", "Complete")],
        "not-in-list",
        "M5",
        [("Actions", "1.4", "Theme", "A theme of our own")],
    ),  # an empty list (themes) allows anything
    (
        "list-spelling",
        [("Actions", "1.4", "Status", "in  progress")],
        "list-spelling",
        "M5",
        [("Actions", "1.4", "Status", " In progress ")],
    ),
    (
        "priority-not-in-list",
        [("Actions", "1.4", "Priority", "Urgent")],
        "not-in-list",
        "H5",
        [("Actions", "1.4", "Priority", None)],
    ),
    (
        "polarity-not-in-list",
        [("Indicators", "NI 59", "Polarity", "Up")],
        "not-in-list",
        "D2",
        [("Indicators", "NI 59", "Polarity", "Lower is better")],
    ),
    (
        "override-not-in-list",
        [("Actions", "5.1", "RAG override", "Purple")],
        "not-in-list",
        "T27",
        [("Actions", "5.1", "RAG override", "Green")],
    ),
    (
        "pattern-mismatch",
        [("Actions", "1.1", "Ref", "1.1 (a)")],
        "pattern-mismatch",
        "A2",
        [("Actions", "1.1", "Ref", "S1.1a")],
    ),
    (
        "unknown-lead",
        [("Actions", "1.1", "Lead officer", "AD SQ")],
        "unknown-reference",
        "F2",
        [("Actions", "1.1", "Lead officer", "AD Safeguarding and Quality Assurance")],
    ),
    (
        "several-leads",
        [("Actions", "1.1", "Lead officer", "AD SQA / Bob")],
        "unknown-reference",
        "F2",
        [("Actions", "1.1", "Lead officer", "AD SQA / PSW and HoS QA")],
    ),
    (
        "reference-spelling",
        [("Actions", "1.1", "Lead officer", "ad sqa")],
        "reference-spelling",
        "F2",
        [("Actions", "1.1", "Lead officer", "PSW")],
    ),
    (
        "unknown-agency",
        [("Actions", "1.1", "Lead agency", "Haringey Council")],
        "unknown-reference",
        "G2",
        [("Actions", "1.1", "Lead agency", "NHS Haringey CCG")],
    ),
    (
        "unknown-action",
        [("Milestones", 2, "Action ref", "1.44")],
        "unknown-reference",
        "A2",
        [("Milestones", 2, "Action ref", "1.1")],
    ),
    (
        "unknown-indicator",
        [("Indicator data", 2, "Code", "NI 99")],
        "unknown-reference",
        "A2",
        [("Indicator data", 2, "Code", "L2")],
    ),
    (
        "lookup-sheet-missing",
        [("Indicators", None, None, None)],
        "lookup-sheet-missing",
        None,
        [("Indicators", None, None, None), ("Indicator data", None, None, None)],
    ),
    (
        "duplicate-ref",
        [("Actions", "1.2", "Ref", "1.1")],
        "duplicate",
        "A3",
        [("Actions", "1.2", "Ref", "1.11")],
    ),
    (
        "duplicate-period",
        [("Indicator data", 3, "Period end", D(2019, 6, 30))],
        "duplicate",
        "A3",
        [("Indicator data", 3, "Period end", D(2019, 7, 31))],
    ),
    (
        "date-order",
        [("Actions", "1.1", "Start date", D(2020, 4, 1))],
        "date-order",
        "I2",
        [("Actions", "1.1", "Start date", D(2020, 3, 31))],
    ),
    (
        "done-without-date",
        [("Actions", "1.2", "Completed date", None)],
        "done-without-date",
        "L3",
        [("Actions", "1.2", "Completed date", None), ("Actions", "1.2", "Status", "Cancelled")],
    ),
    (
        "milestone-done-without-date",
        [("Milestones", 2, "Completed date", None)],
        "done-without-date",
        "F2",
        [("Milestones", 3, "Completed date", None)],
    ),
    (
        "done-without-evidence",
        [("Actions", "2.3", "Evidence", None)],
        "done-without-evidence",
        "P14",
        [
            ("Actions", "2.3", "Evidence", None),
            ("Actions", "2.3", "Status", "In progress"),
            ("Actions", "2.3", "Completed date", None),
        ],
    ),
    (
        "revised-without-reason",
        [("Actions", "1.6", "Progress update", None)],
        "revised-without-reason",
        "K7",
        [
            ("Actions", "1.6", "Progress update", None),
            ("Actions", "1.6", "Override reason", "Agreed by the board"),
        ],
    ),
    (
        "red-without-update",
        [("Actions", "1.1", "RAG", "Red"), ("Actions", "1.1", "Progress update", None)],
        "red-without-update",
        "O2",
        [("Actions", "1.1", "RAG", "Amber"), ("Actions", "1.1", "Progress update", None)],
    ),
    (
        "red-override-without-update",
        [("Actions", "5.1", "RAG override", "Red"), ("Actions", "5.1", "Progress update", None)],
        "red-without-update",
        "O27",
        [("Actions", "5.1", "RAG", "Red"), ("Actions", "5.1", "Progress update", None)],
    ),  # override Amber wins
    (
        "override-without-reason",
        [("Actions", "5.1", "Override reason", None)],
        "override-without-reason",
        "U27",
        [("Actions", "5.1", "Override reason", None), ("Actions", "5.1", "RAG override", None)],
    ),
    (
        "stale-update",
        [("Actions", "1.1", "Last updated", D(2019, 9, 15))],
        "stale-update",
        "Q2",
        [("Actions", "1.1", "Last updated", D(2019, 9, 16))],
    ),  # 45 days: not yet stale
    (
        "formula-text",
        [("Actions", "1.1", "Progress update", "=cmd|' /c calc'!A1")],
        "formula-text",
        "O2",
        [("Actions", "1.1", "Progress update", "-5% behind plan; + see the note")],
    ),
    (
        "formula-in-own-column",
        [("Actions", "1.1", "Impact evidence", '+HYPERLINK("http://x")')],
        "formula-text",
        "W2",
        [("Actions", "1.1", "Impact evidence", "@ the board: agreed")],
    ),
    (
        "date-implausible",
        [("Actions", "1.1", "Due date", D(2109, 3, 31))],
        "date-implausible",
        "J2",
        [("Actions", "1.1", "Due date", D(2039, 3, 31))],
    ),
]


@pytest.mark.parametrize(
    ("edits", "code", "cell"), [pytest.param(b, c, at, id=i) for i, b, c, at, _ in RULES]
)
def test_a_broken_rule_is_found_exactly_once(example_grids, edits, code, cell):
    findings = check(example_grids, edits)
    assert [f.code for f in findings] == [code], findings
    assert findings[0].cell == cell
    assert findings[0].severity == all_codes()[code][1].severity
    assert not findings[0].message[0].islower() and findings[0].message.endswith((".", "?"))


@pytest.mark.parametrize("edits", [pytest.param(k, id=i) for i, _b, _c, _at, k in RULES])
def test_a_near_miss_is_not_a_finding(example_grids, edits):
    assert check(example_grids, edits) == []


def test_every_code_has_a_test():
    tested = {code for _i, _b, code, _at, _k in RULES}
    assert set(all_codes()) == tested


def test_a_missing_column_is_one_finding_for_the_sheet_not_one_per_row(example_grids):
    findings = check(example_grids, [("Actions", None, "<Status>", "State")])
    assert brief(findings) == [("Actions", None, "missing-column")]
    assert findings[0].column == "Status" and findings[0].row == 1
    assert "no 'Status' column" in findings[0].message


@pytest.mark.parametrize(
    ("typed", "reading"),
    [
        ("31.10.12", "31/10/2012"),
        ("5/10/2012", "05/10/2012"),
        ("Sept 2019", "30/09/2019"),
        ("By March 2019", "31/03/2019"),
        ("4 th November 2019", "04/11/2019"),
        ("2019/20", "31/03/2020"),
    ],
)
def test_a_date_typed_as_text_suggests_its_uk_reading(example_grids, typed, reading):
    [finding] = check(example_grids, [("Actions", "1.4", "Due date", typed)])
    assert finding.code == "date-as-text"
    assert f"Due date '{typed}' is text, not a date — did you mean {reading}" in finding.message


def test_the_issue_example_message(example_grids):
    [finding] = check(example_grids, [("Actions", "1.4", "Due date", "31.10.12")])
    assert finding.message.startswith("Due date '31.10.12' is text, not a date — did you mean 31/10/2012?")
    assert (finding.sheet, finding.row, finding.column, finding.cell) == ("Actions", 5, "Due date", "J5")


@pytest.mark.parametrize(
    "text",
    [
        "=1+2",
        "=cmd|' /C calc'!A0",
        "+SUM(1,2)",
        "-2+3+cmd|' /C calc'!A0",
        "@SUM(1+9)",
        '  =HYPERLINK("http://evil")',
    ],
)
def test_formula_like_text_is_flagged_wherever_it_is(example_grids, text):
    findings = check(example_grids, [("Leads", "PSW", "Job title", text)])
    assert brief(findings) == [("Leads", "C8", "formula-text")]


def test_the_plan_sheet_is_checked_too(example_grids):
    findings = check(
        example_grids,
        [
            ("Plan", "Report date", "Value", "31/10/2019"),
            ("Plan", "Organisation", "Value", '=HYPERLINK("x")'),
        ],
    )
    assert brief(findings) == [("Plan", "B3", "formula-text"), ("Plan", "B6", "date-as-text")]


def test_every_finding_is_collected_not_only_the_first(example_grids):
    edits = [
        (s, k, c, v)
        for _i, b, _c, _at, _k in RULES
        for s, k, c, v in b
        if s == "Actions" and c not in (None, "Ref") and not c.startswith("<")
    ]
    findings = check(example_grids, edits)
    assert len(findings) >= 10
    assert len({f.code for f in findings}) >= 8


def test_as_of_moves_the_stale_threshold(example_grids):
    assert check(example_grids, as_of=D(2019, 11, 29)) == []  # 45 days after 15/10/2019
    findings = check(example_grids, as_of=D(2019, 11, 30))
    assert {f.code for f in findings} == {"stale-update"}
    open_actions = [a for a in example_plan().actions if a.status not in ("Completed", "Embedded")]
    assert len(findings) == len(open_actions)


# -------------------------------------------------------------- rule sets


def _rules_beside(tmp_path: Path, text: str):
    (tmp_path / "plantrack.toml").write_text(text, encoding="utf-8")
    return load_rules(tmp_path / "plantrack.toml")


def test_a_plan_can_change_a_check(example_grids, tmp_path: Path):
    rules = _rules_beside(
        tmp_path,
        '[checks.stale-updates]\nseverity = "error"\ndays = 10\n'
        "[checks.done-needs-evidence]\nenabled = false\n",
    )
    findings = check(example_grids, [("Actions", "2.3", "Evidence", None)], rules=rules)
    assert findings and {(f.code, f.severity) for f in findings} == {("stale-update", "error")}


def test_a_plans_own_theme_list_is_enforced(example_grids, tmp_path: Path):
    themes = sorted({row[1] for row in example_grids["Actions"].values[1:]})
    rules = _rules_beside(tmp_path, "[lists]\nthemes = [" + ", ".join(f'"{t}"' for t in themes) + "]\n")
    assert check(example_grids, rules=rules) == []
    findings = check(example_grids, [("Actions", "1.4", "Theme", "10. Something else")], rules=rules)
    assert brief(findings) == [("Actions", "B5", "not-in-list")]


@pytest.mark.parametrize(
    ("text", "entry", "problem"),
    [
        ('[checks.x]\ntype = "spelling"\n', "checks > x", "unknown check type 'spelling'"),
        ('[checks.x]\nsheet = "Actions"\n', "checks > x", "has no type"),
        ("[checks.stale-updates]\ndayz = 3\n", "checks > stale-updates", "parameter 'dayz'"),
        ('[checks.stale-updates]\ndays = "soon"\n', "checks > stale-updates", "parameter 'days'"),
        (
            '[checks.x]\ntype = "date_order"\nsheet = "Actions"\nearlier = "Start"\nlater = "Due date"\n',
            "checks > x",
            "sheet 'Actions' has no column 'Start'",
        ),
        (
            '[checks.x]\ntype = "unique"\nsheet = "Actionz"\ncolumns = ["Ref"]\n',
            "checks > x",
            "no sheet 'Actionz'",
        ),
        ('[checks.stale-updates]\nseverity = "fatal"\n', "checks > stale-updates", "parameter 'severity'"),
    ],
)
def test_a_broken_check_stops_the_rules_loading_naming_file_and_entry(tmp_path: Path, text, entry, problem):
    with pytest.raises(RulesError) as caught:
        _rules_beside(tmp_path, text)
    message = str(caught.value)
    assert "plantrack.toml" in message and entry in message and problem in message


def test_the_rules_file_has_no_eval():
    jobs = ROOT / "addin" / "jobs"
    source = (jobs / "checks.py").read_text() + (jobs / "validate.py").read_text()
    assert "eval(" not in source and "exec(" not in source


def test_the_core_imports_neither_openpyxl_nor_xlwings():
    code = (
        "import sys, addin.jobs.validate, addin.jobs.checks; "
        "bad = [m for m in ('openpyxl', 'xlwings') if m in sys.modules]; assert not bad, bad"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)


def test_the_rule_codes_page_is_up_to_date():
    page = ROOT / "docs" / "rule-codes.md"
    assert page.read_text(encoding="utf-8") == rule_codes_markdown(), (
        "docs/rule-codes.md is out of date: run python -m addin.jobs.validate > docs/rule-codes.md"
    )
    for code in all_codes():
        assert f"`{code}`" in page.read_text(encoding="utf-8")
    assert "docs/rule-codes.md" in (ROOT / "README.md").read_text(encoding="utf-8")


# ------------------------------------------------------- in the workbook


def _break(path: Path, cells: dict[tuple[str, str], Any], target: Path | None = None) -> Path:
    wb = load_workbook(path)
    for (sheet, cell), value in cells.items():
        wb[sheet][cell] = value
        if isinstance(value, str) and value.startswith("="):
            wb[sheet][cell].data_type = "s"
    target = target or path
    wb.save(target)
    return target


BROKEN = {
    ("Actions", "J5"): "31.10.12",
    ("Actions", "M3"): "Complete",
    ("Milestones", "C4"): "PWS",
    ("Actions", "Q8"): D(2019, 8, 1),
}


@pytest.fixture(scope="module")
def broken_file(example_file: Path, tmp_path_factory) -> Path:
    """The example with four problems (three errors, a warning); read-only tests share it."""
    return _break(example_file, BROKEN, tmp_path_factory.mktemp("broken") / "tracker.xlsx")


@pytest.fixture
def broken_path(broken_file: Path, tmp_path: Path) -> Path:
    """A copy of the broken example for a test that writes."""
    path = tmp_path / "tracker.xlsx"
    shutil.copyfile(broken_file, path)
    return path


def _values(path: Path) -> dict[str, list[tuple]]:
    wb = load_workbook(path)
    return {
        ws.title: [tuple(r) for r in ws.iter_rows(values_only=True)]
        for ws in wb.worksheets
        if ws.title != "Validation"
    }


def test_write_lists_findings_links_cells_and_marks_them(broken_path: Path, capsys):
    example_path = broken_path
    _, grids = read_for_validation(example_path)
    assert previous_marks(grids) == set()
    before = _values(example_path)
    assert main(["validate", str(example_path), "--write"]) == 1
    out = capsys.readouterr().out
    assert "Wrote the Validation sheet" in out and "marked 4 cells" in out
    wb = load_workbook(example_path)
    ws = wb["Validation"]
    rows = [r for r in ws.iter_rows(values_only=True)]
    assert rows[3] == ("Sheet", "Cell", "Ref", "Column", "Severity", "Code", "Message")
    listed = {(r[0], r[1], r[2], r[5]) for r in rows[4:]}
    assert listed == {
        ("Actions", "M3", "1.2", "not-in-list"),
        ("Actions", "J5", "1.4", "date-as-text"),
        ("Actions", "Q8", "1.7", "stale-update"),
        ("Milestones", "C4", "1.7", "unknown-reference"),
    }
    links = {ws.cell(row=r, column=2).value: ws.cell(row=r, column=2).hyperlink for r in range(5, 9)}
    assert links["J5"].location == "'Actions'!J5"
    assert links["C4"].location == "'Milestones'!C4"
    j5 = wb["Actions"]["J5"]
    assert j5.fill.fgColor.rgb.endswith("FFC7CE")  # error: red
    assert "did you mean 31/10/2012" in j5.comment.text
    assert wb["Actions"]["Q8"].fill.fgColor.rgb.endswith("FFEB9C")  # warning: yellow
    assert _values(example_path) == before  # nothing typed was changed
    assert (example_path.parent / "plantrack-backups").is_dir()
    # the marks are known from the Validation sheet, not read back from the cells' formats
    _, grids = read_for_validation(example_path)
    assert previous_marks(grids) == {
        ("Actions", "J5"),
        ("Actions", "M3"),
        ("Actions", "Q8"),
        ("Milestones", "C4"),
    }


def test_a_second_run_clears_the_marks_of_fixed_cells_and_a_clean_run_says_so(broken_path: Path):
    example_path = broken_path
    assert main(["validate", str(example_path), "--write"]) == 1
    _break(example_path, {("Actions", "J5"): D(2019, 12, 31), ("Milestones", "C4"): "PSW"})
    assert main(["validate", str(example_path), "--write"]) == 1
    wb = load_workbook(example_path)
    for sheet, cell in (("Actions", "J5"), ("Milestones", "C4")):
        assert wb[sheet][cell].fill.fill_type is None, cell
        assert wb[sheet][cell].comment is None, cell
    assert wb["Actions"]["M3"].fill.fill_type == "solid" and wb["Actions"]["M3"].comment is not None
    cells = [r[1] for r in wb["Validation"].iter_rows(min_row=5, values_only=True)]
    assert sorted(cells) == ["M3", "Q8"]
    _break(example_path, {("Actions", "M3"): "Completed", ("Actions", "Q8"): D(2019, 10, 15)})
    assert main(["validate", str(example_path), "--write"]) == 0
    wb = load_workbook(example_path)
    assert wb["Validation"]["A2"].value.startswith("No problems found")
    for cell in ("M3", "Q8"):
        assert wb["Actions"][cell].fill.fill_type is None and wb["Actions"][cell].comment is None


def test_validation_changes_never_write_a_value(broken_file: Path):
    tracker, grids = read_for_validation(broken_file)
    changes = validation_changes(tracker, validate(tracker), {("Actions", "B9"), ("Gone sheet", "A1")})
    from addin.changes import KEEP

    assert all(c.value is KEEP for c in changes.cells)
    cleared = [(c.sheet, c.row, c.column) for c in changes.cells if c.fill is None]
    assert cleared == [("Actions", 9, 2)]  # a mark on a sheet that no longer exists is skipped
    assert [s.name for s in changes.sheets] == ["Validation"]


def test_a_cell_with_two_findings_gets_one_mark_with_both(example_grids):
    grids = edited(
        example_grids, [("Actions", "1.2", "Ref", "1.1 (a)"), ("Actions", "1.3", "Ref", "1.1 (a)")]
    )
    tracker = tracker_from_grids(grids, load_rules())
    findings = validate(tracker)
    assert brief(findings) == [
        ("Actions", "A3", "pattern-mismatch"),
        ("Actions", "A4", "duplicate"),
        ("Actions", "A4", "pattern-mismatch"),
    ]
    marks = [c for c in validation_changes(tracker, findings).cells if (c.row, c.column) == (4, 1)]
    assert len(marks) == 1 and "[duplicate]" in marks[0].note and "[pattern-mismatch]" in marks[0].note


def test_split_cell():
    assert split_cell("F12") == (12, 6)
    assert split_cell("$AB$3") == (3, 28)
    assert split_cell("12F") is None


@pytest.mark.office
def test_validation_sheet_and_marks_survive_libreoffice(broken_path: Path, tmp_path: Path):
    example_path = broken_path
    assert main(["validate", str(example_path), "--write"]) == 1
    pdf = convert(example_path, "pdf", outdir=tmp_path / "pdf")
    text = pdf_text(pdf)
    assert "date-as-text" in text and "Validation" in text
    resaved = convert(example_path, "xlsx", outdir=tmp_path / "lo")
    wb = load_workbook(resaved)
    assert "Validation" in wb.sheetnames
    j5 = wb["Actions"]["J5"]
    assert j5.fill.fgColor.rgb.endswith("FFC7CE") and "31/10/2012" in j5.comment.text
    link = next(r for r in wb["Validation"].iter_rows(min_row=5) if r[1].value == "J5")[1].hyperlink
    assert link is not None and "J5" in (link.location or link.target or "")
    # the file LibreOffice saved is the next run's input: its marks are still known and cleared
    _break(resaved, {("Actions", "J5"): D(2019, 12, 31)})
    assert main(["validate", str(resaved), "--write"]) == 1
    wb = load_workbook(resaved)
    assert wb["Actions"]["J5"].fill.fill_type is None and wb["Actions"]["J5"].comment is None
    assert wb["Actions"]["M3"].comment is not None


# ------------------------------------------------------------- the command


def test_exit_0_for_the_clean_example(example_path: Path, capsys):
    assert main(["validate", str(example_path)]) == 0
    out = capsys.readouterr().out
    assert "No problems found" in out and "40 actions" in out


def test_exit_0_with_warnings_only(example_file: Path, tmp_path: Path, capsys):
    (tmp_path / "plantrack.toml").write_text("[thresholds]\nstale_update_days = 10\n")
    path = tmp_path / "tracker.xlsx"
    shutil.copyfile(example_file, path)
    assert main(["validate", str(path)]) == 0
    assert "0 errors, 17 warnings" in capsys.readouterr().out  # every open action, by the plan's rules


def test_exit_1_and_a_report_grouped_by_sheet(broken_file: Path, capsys):
    assert main(["validate", str(broken_file)]) == 1
    out = capsys.readouterr().out
    counts, _, findings = out.partition("\nActions\n")
    assert "3 errors, 1 warning" in counts
    assert "Actions     2 errors, 1 warning" in counts and "Milestones  1 error" in counts
    assert findings.index("J5") < findings.index("Milestones") < findings.index("C4")
    assert "Did you mean 'PSW'?" in findings


def test_exit_2_when_the_file_is_not_a_workbook(tmp_path: Path, capsys):
    path = tmp_path / "notes.xlsx"
    path.write_text("not a workbook")
    assert main(["validate", str(path)]) == 2
    err = capsys.readouterr().err
    assert "notes.xlsx" in err and "Traceback" not in err


def test_exit_2_naming_a_missing_required_sheet(tmp_path: Path, capsys):
    wb = Workbook()
    wb.active.title = "Plan"
    wb.active.append(["Field", "Value"])
    path = tmp_path / "half.xlsx"
    wb.save(path)
    assert main(["validate", str(path)]) == 2
    assert "no 'Actions' sheet" in capsys.readouterr().err


def test_exit_2_for_a_bad_as_of(tmp_path: Path, capsys):
    with pytest.raises(SystemExit) as stopped:
        main(["validate", str(tmp_path / "tracker.xlsx"), "--as-of", "soon"])
    assert stopped.value.code == 2


def test_json_keys_and_parity_with_the_library(broken_path: Path, capsys):
    assert main(["validate", str(broken_path), "--json", "--write"]) == 1
    captured = capsys.readouterr()
    printed = json.loads(captured.out)  # stdout is pure JSON, even with --write
    assert printed and all(
        list(item) == ["sheet", "row", "column", "cell", "code", "severity", "message"] for item in printed
    )
    assert printed == [f.to_dict() for f in validate(read_tracker(broken_path))]
    assert "Wrote the Validation sheet" in captured.err


def test_as_of_on_the_command_line(broken_file: Path, capsys):
    assert main(["validate", str(broken_file), "--json", "--as-of", "30/11/2019"]) == 1
    stale = [f for f in json.loads(capsys.readouterr().out) if f["code"] == "stale-update"]
    assert len(stale) == 17 + 1  # every open action (1.2 is no longer "Completed")
    assert all("(30/11/2019)" in f["message"] for f in stale)


def test_the_command_has_help(capsys):
    with pytest.raises(SystemExit):
        main(["validate", "--help"])
    out = capsys.readouterr().out
    for option in ("--json", "--write", "--as-of"):
        assert option in out


def test_the_demo_validates_the_example_cleanly(tmp_path: Path, capsys):
    from addin.demo import STEPS, step_new, step_validate

    assert STEPS.index(step_validate) == STEPS.index(step_new) + 1
    master = tmp_path / "example-tracker.xlsx"
    step_new(tmp_path, master)
    step_validate(tmp_path, master)
    out = capsys.readouterr().out
    assert "0 errors, 0 warnings" in out
    assert load_workbook(master)["Validation"]["A2"].value.startswith("No problems found")
