"""The five Excel buttons, run through xlwings' own Office.js engine (tests/officejs.py).

Each button body gets ``xw.Book(json=...)`` built from a real .xlsx, its actions
are played back onto the file with openpyxl, and the result is compared with
what the command (the file path) writes on the same workbook: the button path
and the CLI path must give the same cell values, sheet by sheet.

Documented differences, and only these, are ignored: the Plan sheet's "Last run"
row (the button's status line), random ids and checksums of an issue, and the
line under a pack sheet whose charts the button cannot draw.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import importlib.util
import io
import re
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import openpyxl
import pytest
import xlwings.server  # noqa: E402
from openpyxl.cell.cell import Cell

from addin import buttons  # noqa: E402
from addin.buttons import excel  # noqa: E402
from addin.buttons.blocks import (  # noqa: E402
    Block,
    colour_strips,
    excel_would_convert,
    readable_colour,
    uniform_blocks,
    value_blocks,
)
from addin.changes import CellWrite, Changes, GeneratedSheet  # noqa: E402
from addin.cli import main  # noqa: E402
from addin.example import LSCB, example_plan  # noqa: E402
from addin.partner_files import fill_in_copy, issue_to_files, merge_files  # noqa: E402
from addin.writer import write_tracker  # noqa: E402
from tests.officejs import apply_actions, count_range_actions, run_button, xw  # noqa: F401  (sets the engine up)

ROOT = Path(__file__).resolve().parents[1]
LITE = ROOT / "workbook" / "lite"
NOW = dt.datetime(2019, 11, 1, 9, 30)
LINK = re.compile(r'^=HYPERLINK\("(?:[^"]|"")*","((?:[^"]|"")*)"\)$')
STATUS_ROW = "Last run"
# Columns of plantrack's hidden issue book that differ between two issues by nature.
RANDOM_COLUMNS = {"Issue id", "Key", "Copy SHA-256", "Folder"}


# ------------------------------------------------------------------ helpers


def press(path: Path, func: Any, **kwargs: Any) -> tuple[buttons.ButtonResult, list[dict]]:
    """Run a button body on the workbook at ``path`` through the engine, apply what it did."""
    seen: dict[str, buttons.ButtonResult] = {}
    actions = run_button(path, lambda book: seen.setdefault("result", func(book, **kwargs)))
    apply_actions(path, actions)
    return seen["result"], actions


def _normal(value: Any) -> Any:
    if isinstance(value, dt.datetime) and value.time() == dt.time():
        return value.date()
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and (match := LINK.match(value)):
        return match.group(1).replace('""', '"')  # a link written as a formula shows its text
    return value


def sheet_values(path: Path) -> dict[str, dict[tuple[int, int], Any]]:
    """Every sheet's non-empty cells, dates and links normalised, the status row left out."""
    wb = openpyxl.load_workbook(path, read_only=True)
    out: dict[str, dict[tuple[int, int], Any]] = {}
    for ws in wb.worksheets:
        cells = {
            (r, c): _normal(v)
            for r, row in enumerate(ws.iter_rows(values_only=True), start=1)
            for c, v in enumerate(row, start=1)
            if v is not None
        }
        status = [r for (r, c), v in cells.items() if c == 1 and v == STATUS_ROW]
        cells = {k: v for k, v in cells.items() if k[0] not in status}
        cells = {k: v for k, v in cells.items() if v != buttons.CHART_NOTE}
        header = {c: v for (r, c), v in cells.items() if r == 1}
        random = {c for c, v in header.items() if v in RANDOM_COLUMNS}
        out[ws.title] = {k: v for k, v in cells.items() if k[1] not in random or k[0] == 1}
    return out


def assert_same_values(cli: Path, button: Path) -> None:
    a, b = sheet_values(cli), sheet_values(button)
    assert list(a) == list(b), "the same sheets, in the same order"
    for sheet in a:
        differ = sorted(k for k in set(a[sheet]) | set(b[sheet]) if a[sheet].get(k) != b[sheet].get(k))
        assert not differ, f"{sheet}: " + ", ".join(
            f"{k}: {a[sheet].get(k)!r} vs {b[sheet].get(k)!r}" for k in differ[:5]
        )


def cli(*argv: str) -> int:
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        return main(list(argv))


@pytest.fixture(scope="module")
def example_file(tmp_path_factory, rules) -> Path:
    path = tmp_path_factory.mktemp("example") / "tracker.xlsx"
    write_tracker(example_plan(), rules, path)
    return path


@pytest.fixture
def example_path(example_file: Path, tmp_path: Path) -> Path:
    """The example tracker, a fresh copy for each test (written once per module)."""
    return Path(shutil.copy(example_file, tmp_path / "tracker.xlsx"))


@pytest.fixture
def twins(example_path: Path, tmp_path: Path, monkeypatch) -> tuple[Path, Path]:
    """The same tracker twice, each in its own folder: one for the command, one for the button
    (the current directory, where the engine's workbook lives)."""
    paths = []
    for side in ("cli", "button"):
        folder = tmp_path / side
        folder.mkdir()
        paths.append(Path(shutil.copy(example_path, folder / "tracker.xlsx")))
    monkeypatch.chdir(paths[1].parent)
    return paths[0], paths[1]


def _header_columns(ws) -> dict[str, int]:
    return {str(c.value): c.column for c in ws[1] if c.value is not None}


def break_some_rows(path: Path) -> None:
    """Typing slips a validation should catch: a date typed as text, a missing lead, 150%,
    a milestone of an unknown action, and text that would run as a formula."""
    wb = openpyxl.load_workbook(path)
    ws = wb["Actions"]
    col = _header_columns(ws)
    ws.cell(2, col["Due date"]).value = "31.10.12"
    ws.cell(3, col["Lead officer"]).value = None
    ws.cell(4, col["% complete"]).value = 150
    formula_like: Cell = ws.cell(5, col["Progress update"])
    formula_like.value = '=HYPERLINK("http://example.com","click")'
    formula_like.data_type = "s"
    ms = wb["Milestones"]
    ms.cell(2, _header_columns(ms)["Action ref"]).value = "9.99"
    wb.save(path)


# ------------------------------------------------------------------ the buttons on the example


def test_recalculate_rag_writes_every_rag_and_reason(example_path: Path, rules, monkeypatch) -> None:
    from addin.jobs.rag import recalculate

    monkeypatch.chdir(example_path.parent)
    result, actions = press(example_path, buttons.recalculate_rag)
    assert result.ok and result.line.startswith("Recalculate RAG (")
    wb = openpyxl.load_workbook(example_path)
    ws = wb["Actions"]
    col = _header_columns(ws)
    expected = recalculate(example_plan(), rules).action_list
    rags = [ws.cell(r, col["RAG"]).value for r in range(2, 2 + len(expected))]
    assert rags == [r.rag for r in expected]
    red = next(r for r in range(2, 2 + len(expected)) if ws.cell(r, col["RAG"]).value == "Red")
    assert ws.cell(red, col["RAG"]).fill.fgColor.rgb == "FFC00000"
    assert ws.cell(red, col["RAG reason"]).value == expected[red - 2].reason
    plan = wb["Plan"]
    status = next(r for r in range(1, plan.max_row + 1) if plan.cell(r, 1).value == STATUS_ROW)
    assert plan.cell(status, 2).value == result.line
    assert "setValues" in [a["func"] for a in actions]


def test_validate_lists_findings_with_links_and_marks_the_cells(example_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(example_path.parent)
    break_some_rows(example_path)
    result, _ = press(example_path, buttons.validate)
    assert result.ok and "see the Validation sheet" in result.line
    wb = openpyxl.load_workbook(example_path)
    report = wb["Validation"]
    rows = [[c.value for c in row] for row in report.iter_rows(min_row=5)]
    cells = {LINK.match(r[1]).group(1) for r in rows if r[1] and LINK.match(r[1])}
    assert {"J2", "F3", "N4"} <= cells
    assert report.cell(5, 2).value.startswith("=HYPERLINK(\"#'Actions'!")
    actions = wb["Actions"]
    assert actions["J2"].fill.fgColor.rgb in ("FFFFC7CE", "FFFFEB9C")
    assert actions["J2"].comment is not None and "plantrack:" in actions["J2"].comment.text
    assert actions["J2"].value == "31.10.12", "nothing the user typed is changed"
    assert wb.active.title == "Validation"


def test_validate_clears_the_last_runs_marks(example_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(example_path.parent)
    break_some_rows(example_path)
    press(example_path, buttons.validate)
    wb = openpyxl.load_workbook(example_path)
    col = _header_columns(wb["Actions"])
    wb["Actions"].cell(2, col["Due date"]).value = dt.datetime(2020, 3, 31)
    wb.save(example_path)
    press(example_path, buttons.validate)
    fixed = openpyxl.load_workbook(example_path)["Actions"]["J2"]
    assert fixed.fill.fill_type is None and fixed.comment is None


def test_board_pack_writes_the_tables_and_says_where_the_charts_are(example_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(example_path.parent)
    result, actions = press(example_path, buttons.board_pack)
    assert result.ok
    assert not any(a["func"].lower().startswith("addchart") or "chart" in a["func"].lower() for a in actions)
    wb = openpyxl.load_workbook(example_path)
    summary = wb.worksheets[[ws.title for ws in wb.worksheets].index("Pack summary")]
    texts = [c.value for row in summary.iter_rows() for c in row if isinstance(c.value, str)]
    assert buttons.CHART_NOTE in texts
    assert wb.active.title == "Pack summary"
    history = next(ws for ws in wb.worksheets if ws.sheet_state != "visible")
    assert history.sheet_state == "hidden", "the engine can hide a sheet, not make it very hidden"


# ------------------------------------------------------------------ parity with the command


def test_parity_rag(twins) -> None:
    by_cli, by_button = twins
    assert cli("rag", str(by_cli)) == 0
    press(by_button, buttons.recalculate_rag)
    assert_same_values(by_cli, by_button)


def test_parity_validate(twins) -> None:
    by_cli, by_button = twins
    for path in twins:
        break_some_rows(path)
    assert cli("validate", str(by_cli), "--write") == 1
    result, _ = press(by_button, buttons.validate)
    assert "error" in result.line
    assert_same_values(by_cli, by_button)


def test_parity_pack(twins) -> None:
    """A first pack, then a month later a second one that reads the first one's history."""
    by_cli, by_button = twins
    assert cli("pack", str(by_cli)) == 0
    press(by_button, buttons.board_pack)
    assert_same_values(by_cli, by_button)
    for path in twins:
        wb = openpyxl.load_workbook(path)
        plan = wb["Plan"]
        row = next(r for r in range(1, plan.max_row + 1) if plan.cell(r, 1).value == "Report date")
        plan.cell(row, 2).value = dt.datetime(2019, 11, 30)
        wb.save(path)
    assert cli("pack", str(by_cli)) == 0
    result, _ = press(by_button, buttons.board_pack)
    assert result.details["pack"].previous == dt.date(2019, 10, 31)
    assert_same_values(by_cli, by_button)


def test_parity_issue_copies(twins) -> None:
    by_cli, by_button = twins
    done = issue_to_files(by_cli, now=NOW)
    result, _ = press(by_button, buttons.issue_copies, now=NOW)
    assert result.ok and "5 partner copies" in result.line
    assert_same_values(by_cli, by_button)
    copies = sorted((by_button.parent / "partner copies").glob("*.xlsx"))
    assert [p.name for p in copies] == sorted(p.name for p in done.paths)
    for mine, theirs in zip(copies, sorted(done.paths)):
        a, b = sheet_values(mine), sheet_values(theirs)
        assert {k: v for k, v in a.items() if not k.startswith("_")} == {
            k: v for k, v in b.items() if not k.startswith("_")
        }


def test_the_status_row_goes_under_a_row_the_job_added(example_path: Path, monkeypatch) -> None:
    """A master without a Plan id: Issue copies adds one under the fields, the status goes below it."""
    monkeypatch.chdir(example_path.parent)
    wb = openpyxl.load_workbook(example_path)
    plan = wb["Plan"]
    row = next(r for r in range(1, plan.max_row + 1) if plan.cell(r, 1).value == "Plan id")
    plan.delete_rows(row)
    wb.save(example_path)
    result, _ = press(example_path, buttons.issue_copies, now=NOW)
    plan = openpyxl.load_workbook(example_path)["Plan"]
    labels = [plan.cell(r, 1).value for r in range(1, plan.max_row + 1)]
    assert labels[-2:] == ["Plan id", STATUS_ROW]
    assert plan.cell(plan.max_row, 2).value == result.line
    assert plan.cell(plan.max_row - 1, 2).value == result.details["plan"].plan_id


def test_parity_merge_returns(example_path: Path, tmp_path: Path, monkeypatch) -> None:
    done = issue_to_files(example_path, now=NOW)
    police = next(p for p in done.paths if "Police" in p.name)
    ref = openpyxl.load_workbook(police)["Actions"]["A2"].value
    returned = fill_in_copy(
        police,
        tmp_path / police.name,
        {
            ("Actions", ref): {
                "Status": "Completed",
                "% complete": 100,
                "Progress update": '=HYPERLINK("http://example.com","x")',
            },
        },
    )
    masters = []
    for side in ("cli", "button"):
        folder = tmp_path / side
        (folder / "returns").mkdir(parents=True)
        masters.append(Path(shutil.copy(example_path, folder / "tracker.xlsx")))
        shutil.copy(returned, folder / "returns" / police.name)
    later = dt.datetime(2020, 1, 31, 10, 0)  # the other agencies are late by then: reminders
    merge_files(masters[0], [masters[0].parent / "returns"], now=later)
    monkeypatch.chdir(masters[1].parent)
    result, _ = press(masters[1], buttons.merge_returns, now=later)
    assert result.ok and "2 changes applied" in result.line and "1 rejected" in result.line
    assert_same_values(masters[0], masters[1])
    drafts = [sorted(p.name for p in (m.parent / "chasers").glob("*.eml")) for m in masters]
    assert drafts[0] and drafts[1] == drafts[0]
    assert f"Wrote {len(drafts[0])} reminders to send in 'chasers' in xlwings Lite's files." in result.line
    assert result.line.endswith(
        "Next: on the Merge report sheet, check the rejected edits; "
        "then click Recalculate RAG to work out RAG with the new progress."
    )


def _returns_folder(example_path: Path, tmp_path: Path, *, good: bool) -> Path:
    """The example issued, and its returns folder holding a file that is no workbook and the
    Police copy exactly as issued (both refused), plus, when ``good``, the LSCB copy filled in
    with a hidden sheet of its own and cells merged over two rows."""
    done = issue_to_files(example_path, tmp_path / "copies", now=NOW)
    folder = example_path.parent / "returns"
    folder.mkdir()
    (folder / "notes.xlsx").write_text("Ref,Action,Status\n1.01,Audit case files,In progress\n")
    shutil.copy(next(p for p in done.paths if "Police" in p.name), folder / "police.xlsx")
    if good:
        lscb = next(p for p in done.paths if "Safeguarding" in p.name)
        returned = fill_in_copy(lscb, folder / "lscb.xlsx", {("Actions", "9.3"): {"% complete": 80}})
        wb = openpyxl.load_workbook(returned)
        wb.create_sheet("Our working").sheet_state = "hidden"
        wb["Instructions"].merge_cells("F30:H31")
        wb.save(returned)
    return folder


def test_merge_button_says_when_every_file_was_refused(example_path: Path, tmp_path: Path, monkeypatch):
    """Not 'nothing new to merge': each refused file with its reason, then the command's closing
    sentences, naming this workbook and its buttons."""
    monkeypatch.chdir(example_path.parent)
    _returns_folder(example_path, tmp_path, good=False)
    before = sheet_values(example_path)
    result, _ = press(example_path, buttons.merge_returns, now=NOW)
    assert result.ok and "Nothing new" not in result.line
    assert "Read 2 returned files for this workbook: 2 refused." in result.line
    assert "REFUSED notes.xlsx: " in result.line
    assert "REFUSED police.xlsx: it is the copy exactly as issued" in result.line
    assert (
        "Nothing was merged: both returned files were refused (reasons earlier in this line). "
        "This workbook was not changed." in result.line
    )
    assert result.line.endswith(
        "Next: ask for each refused file again (why it was refused is earlier in this line; to send the "
        "agency a fresh copy to fill in: the Issue copies button), then merge again."
    )
    assert sheet_values(example_path) == before


def test_merge_button_shows_each_returns_notes(example_path: Path, tmp_path: Path, monkeypatch, capsys):
    monkeypatch.chdir(example_path.parent)
    folder = _returns_folder(example_path, tmp_path, good=True)
    twin = tmp_path / "cli" / "tracker.xlsx"
    twin.parent.mkdir()
    shutil.copy(example_path, twin)
    result, _ = press(example_path, buttons.merge_returns, now=NOW)
    assert (
        "Read 3 returned files for this workbook: 1 merged, 2 refused. "
        f"{LSCB} — lscb.xlsx: 1 change applied. "
        "Note: Sheet 'Our working' is hidden. Note: Sheet 'Instructions' has merged cells (F30:H31)"
    ) in result.line
    assert result.line.index("lscb.xlsx: 1 change") < result.line.index("REFUSED notes.xlsx")
    from addin.cli.merge import report

    report(merge_files(twin, [folder], now=NOW, write_chasers=False))  # what the command prints
    printed = capsys.readouterr().out.splitlines()
    assert "Note: Sheet 'Our working' is hidden." in printed[2]
    closing = printed[printed.index("") + 1 :]  # the command's closing lines, in the button's line
    assert [line.split(":")[0] for line in closing] == ["Wrote tracker.xlsx", "Returns", "Next"]
    for line in closing[:2]:
        backup = " (a backup is in plantrack-backups/)"
        assert line.replace("tracker.xlsx", "this workbook").replace(backup, "") in result.line
    assert "Next: ask the agencies again for the 2 refused files (why: see earlier in this line); then " in (
        result.line
    )


def test_merge_without_a_returns_folder_says_where_to_put_them(example_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(example_path.parent)
    before = sheet_values(example_path)
    seen: dict[str, Any] = {}
    actions = run_button(example_path, lambda b: seen.setdefault("r", buttons.merge_returns(b)))
    assert not seen["r"].ok and "returns" in seen["r"].line
    report = apply_actions(example_path, actions)
    assert report.alerts and report.alerts[0]["prompt"] == seen["r"].line
    after = sheet_values(example_path)
    assert after == before, "nothing but the status row is written"


def test_a_workbook_without_an_actions_sheet_stops_with_a_message(example_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(example_path.parent)
    wb = openpyxl.load_workbook(example_path)
    del wb["Actions"]
    wb.save(example_path)
    seen: dict[str, Any] = {}
    report = apply_actions(
        example_path, run_button(example_path, lambda b: seen.setdefault("r", buttons.recalculate_rag(b)))
    )
    assert not seen["r"].ok and "no 'Actions' sheet" in seen["r"].line
    assert [a["title"] for a in report.alerts] == ["plantrack"]
    assert report.applied == ["setValues"], "only the status line"


# ------------------------------------------------------------------ dates, text, limits


def test_dates_sent_as_serial_numbers_give_the_same_rag(
    example_path: Path, tmp_path: Path, monkeypatch
) -> None:
    """Excel 2019 and older send dates as numbers to the Office.js engine."""
    monkeypatch.chdir(example_path.parent)
    seen: dict[str, Any] = {}
    run_button(example_path, lambda b: seen.setdefault("iso", buttons.recalculate_rag(b)))
    run_button(example_path, lambda b: seen.setdefault("serial", buttons.recalculate_rag(b)), dates="serial")
    iso, serial = seen["iso"].details["result"], seen["serial"].details["result"]
    assert serial.as_of == iso.as_of == dt.date(2019, 10, 31)
    assert [r.rag for r in serial.action_list] == [r.rag for r in iso.action_list]
    assert [r.reason for r in serial.action_list] == [r.reason for r in iso.action_list]


UNTRUSTED = [
    "=cmd|' /c calc'!A1",
    "+SUM(A1:A2)",
    '@HYPERLINK("x")',
    "1.10",
    "2019-10-31",
    "31/10/2019",
    "TRUE",
    "50%",
    "'quoted",
    "#N/A",
    "2019-11-01T09:30:00",
    "Due 31 Oct 2012, 23 days overdue",
    "-",
]


def test_text_stays_text_in_cells_and_generated_sheets(example_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(example_path.parent)
    cells = [CellWrite("Leads", 20 + i, 7, value=text) for i, text in enumerate(UNTRUSTED)]
    sheet = GeneratedSheet(
        "Checks", [["Text", "As text column"], *[[t, t] for t in UNTRUSTED]], number_formats={2: "@"}
    )

    def write(book: Any) -> None:
        excel.write_changes(book, Changes(cells=cells, sheets=[sheet]))

    apply_actions(example_path, run_button(example_path, write))
    wb = openpyxl.load_workbook(example_path)
    assert [wb["Leads"].cell(20 + i, 7).value for i in range(len(UNTRUSTED))] == UNTRUSTED
    checks = wb["Checks"]
    assert [checks.cell(r, 1).value for r in range(2, 2 + len(UNTRUSTED))] == UNTRUSTED
    assert [checks.cell(r, 2).value for r in range(2, 2 + len(UNTRUSTED))] == UNTRUSTED
    assert all(c.data_type == "s" for row in checks.iter_rows(min_row=2) for c in row)


def test_notes_are_limited_and_the_status_says_so(example_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(example_path.parent)
    wb = openpyxl.load_workbook(example_path)
    ws = wb["Actions"]
    col = _header_columns(ws)
    for r in range(2, 42):  # every action: a text due date and a text start date
        ws.cell(r, col["Due date"]).value = "31.10.12"
        ws.cell(r, col["Start date"]).value = "Sept 2019"
    wb.save(example_path)
    result, actions = press(example_path, buttons.validate)
    notes = [a for a in actions if a["func"] == "addNote"]
    assert len(notes) == excel.NOTE_LIMIT
    assert result.written.notes_left_out > 0 and f"adds the first {excel.NOTE_LIMIT}" in result.line
    marked = openpyxl.load_workbook(example_path)["Actions"]
    fills = [marked.cell(r, col["Due date"]).fill.fill_type for r in range(2, 42)]
    assert fills == ["solid"] * 40, "every problem cell is marked, note or not"


def test_the_number_of_excel_calls_does_not_grow_with_rows(tmp_path: Path, monkeypatch) -> None:
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from generate import big_plan, write_master

    monkeypatch.chdir(tmp_path)
    counts = {}
    by_func = {}
    for n in (100, 2_000):
        path = tmp_path / f"plan{n}.xlsx"
        write_master(big_plan(n, milestones_per_action=1, indicators=10), path)
        actions = run_button(path, buttons.recalculate_rag)
        counts[n] = count_range_actions(actions)
        by_func[n] = Counter(a["func"] for a in actions)
    # 20 times the rows: the same values writes and fills; font colours and bold are
    # exact up to a budget per sheet, then grouped (see excel.FORMAT_RUNS).
    for func in ("setValues", "setRangeColors", "addNote", "setNumberFormat"):
        assert by_func[2_000][func] == by_func[100][func], func
    assert counts[2_000] <= counts[100] + 2 * excel.FORMAT_RUNS
    assert counts[2_000] < 150


# ------------------------------------------------------------------ xlwings Lite


def lite_module() -> Any:
    spec = importlib.util.spec_from_file_location("plantrack_lite_main", LITE / "main.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_lite_scripts_and_their_sheet_buttons() -> None:
    meta = {m["function_name"]: m for m in xlwings.server.custom_scripts_meta(lite_module())}
    assert set(meta) == {"validate", "recalculate_rag", "issue_copies", "merge_returns", "board_pack"}
    assert [
        meta[f]["button"]
        for f in ("validate", "recalculate_rag", "issue_copies", "merge_returns", "board_pack")
    ] == [f"[btn{n}]Plan!D{r}" for n, r in zip(("Validate", "Rag", "Issue", "Merge", "Pack"), range(2, 7))]
    assert meta["recalculate_rag"]["name"] == "Recalculate RAG"
    assert all(m["include"] is None and m["exclude"] is None for m in meta.values()), "every sheet is sent"


def test_lite_scripts_run_the_button_bodies(twins) -> None:
    lite = lite_module()
    by_cli, by_button = twins
    actions = run_button(by_button, lite.recalculate_rag)  # through custom_scripts_call, as Lite does
    apply_actions(by_button, actions)
    cli("rag", str(by_cli))
    assert_same_values(by_cli, by_button)
    plan = openpyxl.load_workbook(by_button)["Plan"]
    assert any(plan.cell(r, 1).value == STATUS_ROW for r in range(1, plan.max_row + 1))
    actions = run_button(by_button, lite.validate)
    assert "addSheet" in [a["func"] for a in actions]


def test_lite_requirements_install_in_pyodide() -> None:
    from packaging.specifiers import SpecifierSet

    lines = [line.split("#")[0].strip() for line in (LITE / "requirements.txt").read_text().splitlines()]
    lines = [line for line in lines if line]
    assert not any(re.fullmatch(r"plantrack\b.*", line) for line in lines), (
        "a bare 'plantrack' would install an unrelated package of that name from PyPI"
    )
    assert any(line.startswith("https://") and line.endswith("-py3-none-any.whl") for line in lines)
    assert not any("calamine" in line or "xlsxwriter" in line or line.startswith("xlwings") for line in lines)
    pydantic = next(line for line in lines if line.startswith("pydantic"))
    assert all(
        version in SpecifierSet(pydantic[len("pydantic") :]) for version in ("2.10.6", "2.11.7", "2.12.5")
    )
    pyproject = (ROOT / "pyproject.toml").read_text()
    assert '"pydantic>=2.6,<3"' in pyproject


def test_importing_the_buttons_needs_neither_xlwings_nor_calamine() -> None:
    code = (
        "import sys; import addin.buttons, addin.buttons.excel; "
        "print(sorted(m for m in ('xlwings', 'python_calamine', 'xlsxwriter') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert out.stdout.strip() == "[]"


# ------------------------------------------------------------------ blocks


def test_value_blocks_cover_every_cell_once() -> None:
    cells = {(r, c): f"{r}/{c}" for r in range(2, 42) for c in (18, 19)}
    cells[(1, 24)] = "Forecast"  # a header added to the right
    blocks = value_blocks(cells)
    assert [b for b, _ in blocks] == [Block(1, 24), Block(2, 18, 40, 2)]
    assert blocks[1][1][0] == ["2/18", "2/19"]


def test_uniform_blocks_group_equal_neighbours() -> None:
    wanted = {(r, 5): ("FFFFFF" if r % 10 else "000000") for r in range(2, 30)}
    blocks = uniform_blocks(wanted)
    covered = {cell: value for block, value in blocks for cell in block.cells()}
    assert covered == wanted and len(blocks) == 5


def test_colour_strips_join_columns_and_keep_the_rest() -> None:
    fills = {(r, c): "#FFC7CE" for r in range(5, 5001, 7) for c in (3, 9)}
    strips = colour_strips(fills)
    assert all(b.size <= 10_000 for b, _ in strips)
    assert len(strips) == 2  # 5,000 rows x 7 columns would be 35,000 cells: one strip per column
    painted = {
        (b.row + i, b.column + j): v
        for b, m in strips
        for i, row in enumerate(m)
        for j, v in enumerate(row)
        if v is not ...
    }
    assert painted == fills


@pytest.mark.parametrize(
    "text, converted",
    [
        ("1.10", True),
        ("2.1.3", True),
        ("31/10/2019", True),
        ("Sept 2019", True),
        ("10:30", True),
        ("=A1", True),
        ("- see note", True),
        ("'x", True),
        ("TRUE", True),
        ("#N/A", True),
        ("1e5", True),
        ("2019-11-01T09:30:00", True),
        ("£1,200", True),
        ("S1.3", False),
        ("OR 6", False),
        ("Due 31 Oct 2012, 23 days overdue", False),
        ("Red", False),
        ("", False),
    ],
)
def test_what_excel_would_not_keep_as_text(text: str, converted: bool) -> None:
    assert excel_would_convert(text) is converted


def test_readable_colour_on_rag_fills() -> None:
    assert readable_colour(["FFC000", "00B050", "C00000", "2E75B6"]) == "000000"
    assert readable_colour(["1F3864"]) == "FFFFFF"


@pytest.mark.office
def test_a_tracker_written_by_the_buttons_opens_in_libreoffice(twins, tmp_path: Path) -> None:
    from tests.office import convert, pdf_text

    _, by_button = twins
    break_some_rows(by_button)
    press(by_button, buttons.validate)
    press(by_button, buttons.board_pack)
    pdf = convert(by_button, "pdf")
    text = pdf_text(pdf)
    assert "Validation" in text and "Board pack" in text
