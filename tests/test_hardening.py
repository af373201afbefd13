"""Hardening: hostile returns, damaged files and awkward masters, through the commands people run.

Every bad file gives the documented exit code and ONE line naming the file and what to do,
quickly, with no traceback, and every file in the folder keeps its bytes. What is odd but
readable (merged cells, hidden rows and sheets, formulas, macros, links) is read and
reported. Text from a partner is never written back as a formula. Writes are atomic, backed
up, and refused while the workbook is open in Excel.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import time
import zipfile
from collections.abc import Callable
from pathlib import Path

import badfiles
import hostile
import openpyxl
import pytest

from addin import cli, files, master_write
from addin.changes import CellWrite, Changes, GeneratedSheet
from addin.cli import main
from addin.cli.output import print_warnings
from addin.errors import PlantrackError, UnusableWorkbook
from addin.example import example_plan
from addin.files import apply_changes, read_grids, read_tracker
from addin.rules import load_rules
from addin.writer import write_tracker

MB = 1024 * 1024
ROOT = Path(__file__).resolve().parents[1]

# --------------------------------------------------------------------------- the example, once


@pytest.fixture(scope="module")
def example_bytes(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    return hostile.tracker(tmp_path_factory.mktemp("example") / "tracker.xlsx").read_bytes()


@pytest.fixture
def master(tmp_path: Path, example_bytes: bytes) -> Path:
    path = tmp_path / "master.xlsx"
    path.write_bytes(example_bytes)
    return path


def snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def run_cli(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str, float]:
    start = time.perf_counter()
    code = main([str(a) for a in argv])
    took = time.perf_counter() - start
    out, err = capsys.readouterr()
    return code, out, err, took


# --------------------------------------------------------------------------- the corpus of bad files

Builder = Callable[[Path, Path], Path]  # (folder, a good tracker to start from) -> the bad file


def _flipped_sheet(folder: Path, good: Path) -> Path:
    part = hostile.sheet_part(good, "Actions")
    return badfiles.flipped(good, folder / "bad.xlsx", badfiles.data_offset(good, part) + 40, 32)


def _renamed_folder(folder: Path, good: Path) -> Path:
    (folder / "bad.xlsx").mkdir()
    return folder / "bad.xlsx"


BAD_FILES: list[tuple[str, Builder, str]] = [
    ("not a workbook", lambda f, g: badfiles.text_file(f / "bad.xlsx"), "not an Excel workbook"),
    ("empty file", lambda f, g: badfiles.empty_file(f / "bad.xlsx"), "the file is empty"),
    ("truncated download", lambda f, g: badfiles.truncated(g, f / "bad.xlsx"), "damaged"),
    ("corrupt zip", _flipped_sheet, "damaged"),
    ("image renamed .xlsx", lambda f, g: badfiles.png_file(f / "bad.xlsx"), "image (PNG)"),
    ("PDF renamed .xlsx", lambda f, g: badfiles.pdf_file(f / "bad.xlsx"), "PDF"),
    ("password-protected", lambda f, g: badfiles.encrypted_workbook(f / "bad.xlsx"), "password-protected"),
    ("legacy .xls", lambda f, g: badfiles.legacy_xls(f / "bad.xls"), "old .xls workbook"),
    ("Word document", lambda f, g: badfiles.word_document(f / "bad.xlsx"), "Word document"),
    ("zip bomb", lambda f, g: badfiles.zip_bomb(f / "bad.xlsx", 20 * MB), "zip bomb"),
    ("gigabyte declared", lambda f, g: badfiles.declared_gigabyte(f / "bad.xlsx"), "bad.xlsx: "),
    ("entity expansion", lambda f, g: badfiles.billion_laughs(f / "bad.xlsx"), "entity declarations"),
    ("external entity", lambda f, g: badfiles.doctype_in_sheet(f / "bad.xlsx"), "entity declarations"),
    ("macros, no tracker", lambda f, g: badfiles.xlsm_with_macros(f / "bad.xlsm"), "no 'Plan' sheet"),
    ("value in XFD1048576", lambda f, g: hostile.value_far_away(g, f / "bad.xlsx"), "XFD1048576"),
    ("far cell, lower case", lambda f, g: hostile.lower_case_far_cell(g, f / "bad.xlsx"), "row 1,048,576"),
    ("far cell, wide", lambda f, g: hostile.value_far_away(g, f / "bad.xlsx", "ZZ100000"), "far outside"),
    ("sheet renamed", lambda f, g: hostile.sheet_renamed(f / "bad.xlsx"), "no 'Actions' sheet"),
    ("a folder", _renamed_folder, "folder"),
]
IDS = [case[0] for case in BAD_FILES]

# Every command, and how it is given a bad file. Listed by name: a new command must be added
# here (test_every_command_is_covered fails otherwise).
MASTER_COMMANDS: dict[str, Callable[[Path, Path], list[object]]] = {
    "validate": lambda bad, folder: ["validate", bad],
    "validate --write": lambda bad, folder: ["validate", bad, "--write"],
    "rag": lambda bad, folder: ["rag", bad],
    "issue": lambda bad, folder: ["issue", bad, "--out", folder / "copies"],
    "pack": lambda bad, folder: ["pack", bad],
    "chase": lambda bad, folder: ["chase", bad],
    "merge (master)": lambda bad, folder: ["merge", bad, folder / "copies"],
}
SOURCE_COMMANDS: dict[str, Callable[[Path, Path], list[object]]] = {
    "import (source)": lambda bad, folder: ["import", bad, "--out", folder / "new.xlsx"],
}
NOT_READING_A_WORKBOOK = {"new", "demo"}  # they only write (new) or build their own files (demo)


def test_every_command_is_covered() -> None:
    names = {module.__name__.rsplit(".", 1)[1].rstrip("_") for module in cli.command_modules()}
    covered = {name.split()[0] for name in [*MASTER_COMMANDS, *SOURCE_COMMANDS]} | NOT_READING_A_WORKBOOK
    assert names <= covered, f"add these commands to the hardening tests: {sorted(names - covered)}"


# import reads any layout: a renamed sheet is fine there, and a missing table is said its own way
IMPORT_SAYS = {"macros, no tracker": "no action table found", "sheet renamed": None}
_BUILT: dict[str, tuple[str, bytes]] = {}


def bad_file(what: str, build: Builder, folder: Path, good: Path) -> Path:
    """The bad file of case ``what`` in ``folder`` (built once, copied after that)."""
    if what in _BUILT:
        name, data = _BUILT[what]
        (folder / name).write_bytes(data)
        return folder / name
    built = build(folder, good)
    if built.is_file():
        _BUILT[what] = (built.name, built.read_bytes())
    return built


# Every bad file through validate, rag and import; the other commands read through the same
# guarded path (files.read_grids), so they get one of each kind of damage.
FULL = ["validate", "rag", "import (source)"]
SAMPLE = [
    "truncated download",
    "password-protected",
    "zip bomb",
    "external entity",
    "value in XFD1048576",
    "sheet renamed",
]
MATRIX = [
    (command, *case)
    for command in [*MASTER_COMMANDS, *SOURCE_COMMANDS]
    for case in BAD_FILES
    if command in FULL or case[0] in SAMPLE
]


@pytest.mark.parametrize(
    ("command", "what", "build", "fragment"), MATRIX, ids=[f"{m[0]}-{m[1]}" for m in MATRIX]
)
def test_bad_file_gives_one_line_and_changes_nothing(
    tmp_path: Path,
    master: Path,
    capsys: pytest.CaptureFixture[str],
    command: str,
    what: str,
    build: Builder,
    fragment: str,
) -> None:
    if command in SOURCE_COMMANDS and what in IMPORT_SAYS:
        fragment = IMPORT_SAYS[what]  # type: ignore[assignment]
        if fragment is None:
            return  # not a bad source for import (test_import covers it)
    folder = tmp_path / "work"
    folder.mkdir()
    bad = bad_file(what, build, folder, master)
    (folder / "copies").mkdir(exist_ok=True)
    before = snapshot(folder)
    argv = {**MASTER_COMMANDS, **SOURCE_COMMANDS}[command](bad, folder)
    code, out, err, took = run_cli(argv, capsys)
    assert code == 2, (out, err)
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith(f"Error: {bad.name}: ")
    assert fragment in lines[0]
    assert "Traceback" not in out + err
    assert took < 10
    assert snapshot(folder) == before


BAD_RETURNS = [case for case in BAD_FILES if case[0] != "a folder"]  # a folder of returns is fine
MERGE_SAYS = {"macros, no tracker": "", "sheet renamed": ""}  # merge says these its own way


@pytest.mark.parametrize(("what", "build", "fragment"), BAD_RETURNS, ids=[case[0] for case in BAD_RETURNS])
def test_bad_return_is_refused_by_name_and_left_alone(
    tmp_path: Path, master: Path, capsys: pytest.CaptureFixture[str], what: str, build: Builder, fragment: str
) -> None:
    """A bad return among the returns: merge refuses that file (exit 1, 'something to look at'),
    says why on one line naming it, and changes no file (the master has nothing new)."""
    returns = tmp_path / "returns"
    returns.mkdir()
    bad = bad_file(what, build, returns, master)
    fragment = MERGE_SAYS.get(what, fragment)
    before = snapshot(tmp_path)
    code, out, err, took = run_cli(["merge", master, bad], capsys)
    assert code == 1, (out, err)
    refused = [line for line in out.splitlines() if "REFUSED" in line]
    assert len(refused) == 1 and bad.name in refused[0] and fragment in refused[0], out
    assert "Traceback" not in out + err
    assert took < 10
    assert snapshot(tmp_path) == before


def test_merge_with_a_folder_of_returns_refuses_each_bad_one(
    tmp_path: Path, master: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    returns = tmp_path / "returns"
    returns.mkdir()
    badfiles.png_file(returns / "photo.xlsx")
    badfiles.truncated(master, returns / "half.xlsx")
    hostile.value_far_away(master, returns / "far.xlsx")
    before = snapshot(tmp_path)
    code, out, err, _ = run_cli(["merge", master, returns], capsys)
    assert code == 1
    assert sum("REFUSED" in line for line in out.splitlines()) == 3
    assert "Traceback" not in out + err
    assert snapshot(tmp_path) == before


# --------------------------------------------------------------------------- limits from the rules


def test_limits_come_from_the_rules_beside_the_workbook(
    tmp_path: Path, master: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "plantrack.toml").write_text("[limits]\nmax_rows = 30\n", encoding="utf-8")
    code, _, err, _ = run_cli(["validate", master], capsys)
    assert code == 2
    assert "more than the limit of 30 rows" in err or "more than the limit of 30" in err
    (tmp_path / "plantrack.toml").write_text("[limits]\nmax_file_mb = 0.01\n", encoding="utf-8")
    code, _, err, _ = run_cli(["validate", master], capsys)
    assert code == 2 and "the file is too big" in err


def test_rows_without_references_are_counted_against_the_limit(tmp_path: Path, master: Path) -> None:
    """Cells with no reference are legal XML; readers count them, and so do the limits."""
    path = hostile.rows_without_references(master, tmp_path / "tracker.xlsx", 60)
    (tmp_path / "plantrack.toml").write_text("[limits]\nmax_rows = 50\n", encoding="utf-8")
    with pytest.raises(UnusableWorkbook, match="sheet 'Agencies' has values in row 51"):
        read_tracker(path)


def test_a_value_planted_far_away_is_refused_in_bounded_memory(tmp_path: Path, master: Path) -> None:
    """calamine builds a dense grid up to the last cell: XFD1048576 would ask for ~550 GB and
    abort the process. The sheet scan refuses it first; checked in a process limited to 1.5 GB."""
    far = hostile.value_far_away(master, tmp_path / "far.xlsx")
    wide = hostile.value_far_away(master, tmp_path / "wide.xlsx", "ZZ100000")  # 70 million cells
    script = (
        "import resource, sys\n"
        "resource.setrlimit(resource.RLIMIT_AS, (1536 * 1024 * 1024,) * 2)\n"
        "from addin.files import read_grids\n"
        "from addin.errors import UnusableWorkbook\n"
        "for name in sys.argv[1:]:\n"
        "    try:\n"
        "        read_grids(name)\n"
        "        print('READ', name)\n"
        "    except UnusableWorkbook as error:\n"
        "        print('REFUSED', error)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, str(far), str(wide)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    lines = done.stdout.splitlines()
    assert lines[0].startswith("REFUSED far.xlsx: sheet 'Agencies' has something in cell XFD1048576")
    assert lines[1].startswith("REFUSED wide.xlsx: sheet 'Agencies' has something in cell ZZ100000")


# --------------------------------------------------------------------------- a million rows of nothing


@pytest.fixture(scope="module")
def million_rows(tmp_path_factory: pytest.TempPathFactory, example_bytes: bytes) -> Path:
    folder = tmp_path_factory.mktemp("million")
    good = folder / "good.xlsx"
    good.write_bytes(example_bytes)
    return hostile.million_styled_rows(good, folder / "tracker.xlsx")


def test_a_million_rows_of_nothing_read_in_seconds(million_rows: Path) -> None:
    start = time.perf_counter()
    tracker = read_tracker(million_rows)
    assert time.perf_counter() - start < 15
    assert [a.agency for a in tracker.plan.agencies] == []  # the sheet held only its header
    assert len(tracker.plan.actions) == 40


def test_a_dimension_that_lies_is_not_believed(tmp_path: Path, master: Path) -> None:
    path = hostile.lying_dimension(master, tmp_path / "tracker.xlsx")
    for fast in (True, False):
        start = time.perf_counter()
        grids = read_grids(path, fast=fast)
        assert time.perf_counter() - start < 5
        assert grids["Agencies"].values == [["Agency"]]


# --------------------------------------------------------------------------- odd but readable: reported


def test_awkward_master_is_read_and_every_oddity_reported(tmp_path: Path) -> None:
    tracker = read_tracker(hostile.awkward(tmp_path / "tracker.xlsx"))
    assert len(tracker.plan.actions) == 40
    text = "\n".join(tracker.warnings)
    assert "Sheet 'Old actions' is hidden." in text
    assert "Sheet 'Actions' has merged cells (B3:B5)" in text
    assert "Sheet 'Actions' has hidden rows or columns" in text
    assert "Sheet 'Actions' has a formula (the first in N8)" in text
    # the formula had no saved value (openpyxl wrote it): it reads as empty, never as the formula text
    action = next(a for a in tracker.plan.actions if a.row == 8)
    assert action.percent_complete is None


def test_writing_into_merged_cells_unmerges_them(tmp_path: Path) -> None:
    """A value or note for the inner cell of merged cells (validate marking an empty theme,
    rag writing into a merged RAG column) once stopped the command: now the cells are unmerged."""
    path = hostile.awkward(tmp_path / "tracker.xlsx")  # Actions B3:B5 merged
    apply_changes(
        path,
        Changes(
            cells=[CellWrite("Actions", 4, 2, value="1. Assessments", fill="FFC7CE", note="Theme is empty")]
        ),
    )
    sheet = openpyxl.load_workbook(path)["Actions"]
    assert not sheet.merged_cells.ranges
    assert sheet["B4"].value == "1. Assessments" and sheet["B4"].comment is not None
    assert sheet["B3"].value  # the first cell keeps its value


def test_awkward_master_through_validate_gives_no_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = hostile.awkward(tmp_path / "tracker.xlsx")
    before = path.read_bytes()
    code, out, err, _ = run_cli(["validate", path], capsys)
    assert code in (0, 1)
    assert "Traceback" not in out + err
    assert path.read_bytes() == before


def test_macros_and_links_are_reported_and_kept(tmp_path: Path, master: Path) -> None:
    path = tmp_path / "tracker.xlsm"
    parts = {name: data for name, data in _parts(master).items()}
    parts["xl/vbaProject.bin"] = badfiles.compound_file({"VBA": b"Attribute"})
    parts["xl/externalLinks/externalLink1.xml"] = (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<externalLink xmlns="{badfiles.MAIN_NS}"/>'.encode()
    )
    badfiles.write_zip(path, parts)
    tracker = read_tracker(path)
    assert "The workbook contains macros; plantrack never runs them." in tracker.warnings
    assert any("links to other workbooks" in w for w in tracker.warnings)
    assert len(tracker.plan.actions) == 40


def test_open_in_excel_is_read_with_a_warning(master: Path) -> None:
    badfiles.excel_owner_file(master)
    tracker = read_tracker(master)
    assert "The workbook is open in Excel; plantrack reads the version last saved." in tracker.warnings


def test_print_warnings_puts_one_note_per_line_on_stderr(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    tracker = read_tracker(hostile.awkward(tmp_path / "tracker.xlsx"))
    print_warnings(tracker)
    out, err = capsys.readouterr()
    assert out == ""
    lines = err.splitlines()
    assert len(lines) == len(tracker.warnings) == 4
    assert all(line.startswith("Note (tracker.xlsx): ") for line in lines)


def test_a_clean_tracker_has_no_warnings(master: Path) -> None:
    assert read_tracker(master).warnings == []


def test_plantracks_own_hidden_sheets_are_not_reported(
    tmp_path: Path, master: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for argv in (["issue", master, "--out", tmp_path / "copies"], ["pack", master]):
        code, out, err, _ = run_cli(argv, capsys)
        assert code == 0, (out, err)
    tracker = read_tracker(master)
    assert any(name.startswith("_plantrack") for name in tracker.sheet_names)
    assert tracker.warnings == []
    copy = sorted((tmp_path / "copies").glob("*.xlsx"))[0]
    assert read_grids(copy).warnings == []  # a partner's copy, with its hidden record


def test_xml_defences_off_is_said_loudly(master: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(files, "defusedxml_in_use", lambda: False)
    warnings = read_tracker(master).warnings
    assert any(w.startswith("WARNING: the XML defences are off") for w in warnings)


def test_defusedxml_is_in_use_here() -> None:
    import openpyxl.xml

    assert openpyxl.xml.DEFUSEDXML, "defusedxml must be installed (it is a dependency)"


def test_a_header_missing_is_data_not_a_crash(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = hostile.header_missing(tmp_path / "tracker.xlsx")
    tracker = read_tracker(path)
    assert [c.name for c in tracker.tables["Actions"].missing_columns()] == ["Due date"]
    code, out, err, _ = run_cli(["validate", path], capsys)
    assert code == 1 and "Due date" in out and "Traceback" not in out + err


# --------------------------------------------------------------------------- the openpyxl fallback


def _types_workbook(path: Path) -> Path:
    """Dates, times, date-times, booleans, numbers stored as text, empty rows and columns."""
    import datetime as dt

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Values"
    ws.append(["Date", "Time", "When", "Yes", "Text number", "Whole", "Part", "Negative", "Big", "Text"])
    ws.append(
        [
            dt.date(2019, 10, 31),
            dt.time(9, 30),
            dt.datetime(2019, 10, 31, 13, 5),
            True,
            "0123",
            5,
            2.5,
            -7,
            12345678901,
            "  spaced  ",
        ]
    )
    ws.append([])
    ws.append([None, None, None, False, "1.10", 0, 0.85, -0.5, 1e15, "=SUM(A1)"])
    ws["J4"].data_type = "s"  # text that looks like a formula, stored as text
    ws.append([])
    ws["L7"] = "after a gap"
    for cell in ("A2",):
        ws[cell].number_format = "dd/mm/yyyy"
    wb.save(path)
    return path


@pytest.mark.parametrize("which", ["example", "types"])
def test_openpyxl_fallback_reads_the_same_grids_as_calamine(master: Path, tmp_path: Path, which: str) -> None:
    path = master if which == "example" else _types_workbook(tmp_path / "types.xlsx")
    fast, slow = read_grids(path, fast=True), read_grids(path, fast=False)
    assert list(fast) == list(slow)
    for name in fast:
        assert fast[name].values == slow[name].values, name
    assert fast.warnings == slow.warnings


def test_calamine_is_optional(master: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Without python-calamine (xlwings Lite, a plain install) the same tracker comes back."""
    expected = read_tracker(master).plan
    monkeypatch.setitem(sys.modules, "python_calamine", None)  # import fails
    assert read_tracker(master).plan == expected


def test_calamine_failing_falls_back_to_openpyxl(master: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """calamine raises its own errors, and a Rust panic is a BaseException: either way openpyxl reads."""

    class Panic(BaseException):
        pass

    def explode(*_: object) -> None:
        raise Panic("calamine panicked")

    expected = read_tracker(master).plan
    monkeypatch.setattr(files, "_calamine_grids", explode)
    assert read_tracker(master).plan == expected


# --------------------------------------------------------------------------- text stays text

FORMULAS = ['=HYPERLINK("http://x","y")', "=cmd|' /C calc'!A0", "@SUM(1)", "+1+1", "-2+3", "=1+1"]


def _parts(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as zf:
        return {name: zf.read(name) for name in zf.namelist()}


def assert_no_formulas(path: Path) -> None:
    for name, data in _parts(path).items():
        if name.startswith("xl/worksheets/") and name.endswith(".xml"):
            assert not re.search(rb"<(?:\w+:)?f[\s>/]", data), f"{path.name}: a formula in {name}"


def test_partner_text_is_written_as_text_by_apply_changes(master: Path) -> None:
    progress = read_tracker(master).tables["Actions"].index("Progress update") + 1
    changes = Changes(
        cells=[CellWrite("Actions", 2 + i, progress, value=text) for i, text in enumerate(FORMULAS)],
        sheets=[GeneratedSheet("Returns", [["From the partner"], *[[text] for text in FORMULAS]])],
    )
    apply_changes(master, changes)
    assert_no_formulas(master)
    wb = openpyxl.load_workbook(master)
    written = [wb["Actions"].cell(row=2 + i, column=progress) for i in range(len(FORMULAS))]
    assert [(c.value, c.data_type) for c in written] == [(text, "s") for text in FORMULAS]
    sheet = wb["Returns"]
    assert [
        (sheet.cell(row=2 + i, column=1).value, sheet.cell(row=2 + i, column=1).data_type)
        for i in range(len(FORMULAS))
    ] == [(text, "s") for text in FORMULAS]
    # and they read back as the same text
    again = read_tracker(master)
    assert [again.tables["Actions"].rows[i][progress - 1] for i in range(len(FORMULAS))] == FORMULAS


def test_partner_text_is_written_as_text_in_every_workbook_the_commands_write(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The master, the partner copies (issue) and the board pack (pack) never hold a formula,
    whatever was typed into the plan."""
    plan = example_plan()
    for action, text in zip(plan.actions, FORMULAS * 3):
        action.progress_update = text
        action.evidence = text
    master = tmp_path / "master.xlsx"
    write_tracker(plan, load_rules(), master)
    assert_no_formulas(master)
    for argv in (["rag", master], ["issue", master, "--out", tmp_path / "copies"], ["pack", master]):
        code, out, err, _ = run_cli(argv, capsys)
        assert code in (0, 1), (argv, out, err)
    written = [master, *sorted((tmp_path / "copies").glob("*.xlsx"))]
    assert len(written) > 2
    for path in written:
        assert_no_formulas(path)


# --------------------------------------------------------------------------- writes


WRITING_COMMANDS: dict[str, Callable[[Path, Path], list[object]]] = {
    "new --force": lambda master, folder: ["new", master, "--example", "--force"],
    "validate --write": lambda master, folder: ["validate", master, "--write"],
    "rag": lambda master, folder: ["rag", master],
    "issue": lambda master, folder: ["issue", master, "--out", folder / "copies"],
    "pack": lambda master, folder: ["pack", master],
}


@pytest.mark.parametrize("command", WRITING_COMMANDS)
def test_writing_is_refused_while_the_master_is_open_in_excel(
    tmp_path: Path, master: Path, capsys: pytest.CaptureFixture[str], command: str
) -> None:
    owner = badfiles.excel_owner_file(master, "Jane Smith")
    before = snapshot(tmp_path)
    code, out, err, _ = run_cli(WRITING_COMMANDS[command](master, tmp_path), capsys)
    assert code == 2, (out, err)
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "open in Excel (Jane Smith has it open)" in lines[0], err
    assert f"delete the file {owner.name}" in lines[0]
    assert "Traceback" not in out + err
    assert snapshot(tmp_path) == before


@pytest.mark.parametrize("command", [c for c in WRITING_COMMANDS if c != "new --force"])
def test_a_write_keeps_a_backup_and_leaves_no_temporary_file(
    tmp_path: Path, master: Path, capsys: pytest.CaptureFixture[str], command: str
) -> None:
    before = master.read_bytes()
    code, out, err, _ = run_cli(WRITING_COMMANDS[command](master, tmp_path), capsys)
    assert code in (0, 1), (out, err)
    backups = list((tmp_path / files.BACKUP_FOLDER).glob("master.*.xlsx"))
    assert [b.read_bytes() for b in backups] == [before]
    assert not [p.name for p in tmp_path.iterdir() if p.name.startswith(".master.")]
    read_tracker(master)  # still a tracker


def test_new_force_keeps_a_backup(tmp_path: Path, master: Path, capsys: pytest.CaptureFixture[str]) -> None:
    before = master.read_bytes()
    code, _, _, _ = run_cli(["new", master, "--force"], capsys)
    assert code == 0
    assert [b.read_bytes() for b in (tmp_path / files.BACKUP_FOLDER).iterdir()] == [before]


def test_a_failed_write_leaves_the_master_as_it_was(
    tmp_path: Path, master: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The disk fills up half way through saving: the master keeps its bytes, no temporary file stays."""
    before = master.read_bytes()

    def half_save(self: openpyxl.Workbook, filename: str) -> None:
        Path(filename).write_bytes(before[: len(before) // 2])
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(openpyxl.Workbook, "save", half_save)
    with pytest.raises(OSError):
        apply_changes(master, Changes(cells=[CellWrite("Actions", 2, 1, value="x")]))
    assert master.read_bytes() == before
    code, out, err, _ = run_cli(["rag", master], capsys)
    assert code == 2 and "Traceback" not in out + err and len(err.strip().splitlines()) == 1
    assert master.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["master.xlsx", files.BACKUP_FOLDER]


def test_a_partners_return_is_never_written(
    tmp_path: Path, master: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err, _ = run_cli(["issue", master, "--out", tmp_path / "copies"], capsys)
    assert code == 0, (out, err)
    copies = sorted((tmp_path / "copies").glob("*.xlsx"))
    returned = {path: path.read_bytes() for path in copies}
    code, out, err, _ = run_cli(["merge", master, *copies], capsys)
    assert code in (0, 1), (out, err)
    assert {path: path.read_bytes() for path in copies} == returned


def test_unusable_workbook_message_is_one_line_whatever_the_parser_said(tmp_path: Path) -> None:
    error = UnusableWorkbook(tmp_path / "x.xlsx", "the workbook could not be read", "line one\nline two")
    assert isinstance(error, PlantrackError) and error.exit_code == 2
    with pytest.raises(UnusableWorkbook) as caught:
        read_grids(badfiles.truncated(hostile.tracker(tmp_path / "t.xlsx"), tmp_path / "cut.xlsx"))
    assert "\n" not in str(caught.value)


def _copy(source: Path, target: Path) -> Path:
    shutil.copyfile(source, target)
    return target


# --------------------------------------------------------------------------- the benchmark runs


def test_benchmark_quick_run(tmp_path: Path) -> None:
    """benchmarks/run --quick: a 200-action plan through every command, beside the floor."""
    out = tmp_path / "RESULTS.md"
    done = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "run.py"), "--quick", "--out", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    text = out.read_text(encoding="utf-8")
    assert "CPUs, Python" in text
    for job in ("validate", "validate --write", "rag", "issue", "merge (2 returns)", "pack"):
        row = next(line for line in text.splitlines() if line.startswith(f"| 200 | {job} |"))
        assert re.search(r"\*\*\d+\.\d×\*\*", row), row  # a ratio to the floor


@pytest.mark.office
def test_generated_master_and_an_unmerged_master_open_in_libreoffice(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The kinds of workbook written here: benchmarks/generate.py's master (XlsxWriter), the
    same after a lean write (pack, its data sheets left out of openpyxl and put back), and a
    master whose merged cells plantrack had to unmerge to mark them (validate --write)."""
    from office import convert

    sys.path.insert(0, str(ROOT / "benchmarks"))
    from generate import big_plan, write_master

    generated = write_master(big_plan(50, indicators=5), tmp_path / "generated.xlsx")
    assert len(read_tracker(generated).plan.actions) == 50
    monkeypatch.setattr(master_write, "LEAN_SHEET_BYTES", 0)
    monkeypatch.setattr(master_write, "LEAN_SHARE", 0)
    code, out, err, _ = run_cli(["pack", generated], capsys)
    assert code == 0, (out, err)
    assert "Pack summary" in read_tracker(generated).sheet_names
    awkward = hostile.awkward(tmp_path / "awkward.xlsx")
    code, out, err, _ = run_cli(["validate", awkward, "--write"], capsys)
    assert code == 1 and "Traceback" not in out + err, err
    assert not openpyxl.load_workbook(awkward)["Actions"].merged_cells.ranges  # B3:B5 unmerged to mark B4
    for path in (generated, awkward):
        csv = convert(path, "csv")
        assert csv.read_text(encoding="utf-8", errors="replace").strip()


# --------------------------------------------------------------------------- lean writes


def _sheet_xml(path: Path) -> dict[str, bytes]:
    from addin.preserve import Package

    package = Package.read(path)
    return {name: package.parts[part] for name, part in package.sheets().items()}


LEAN_COMMANDS: dict[str, Callable[[Path, Path], list[object]]] = {
    "validate --write": lambda master, folder: ["validate", master, "--write"],
    "rag": lambda master, folder: ["rag", master],
    "issue": lambda master, folder: ["issue", master, "--out", folder / "copies"],
    "pack": lambda master, folder: ["pack", master],
}


@pytest.mark.parametrize("command", LEAN_COMMANDS)
def test_sheets_a_job_does_not_touch_are_not_loaded_and_come_back_byte_for_byte(
    tmp_path: Path,
    example_bytes: bytes,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    command: str,
) -> None:
    """apply_changes leaves the sheets a job neither writes into nor regenerates out of what
    openpyxl loads (every sheet here: the threshold is 0) and puts them back byte for byte;
    the workbook reads the same as when everything is loaded. So it does when every part
    is left in its file until needed ("stored": what a big master's sheets get)."""
    results = {}
    real_lean = master_write.write_lean
    took_lean: list[bool] = []

    def spy(*args: object) -> bool:
        took_lean.append(real_lean(*args))  # type: ignore[arg-type]
        return took_lean[-1]

    monkeypatch.setattr(master_write, "write_lean", spy)
    modes = {"stored": (True, 0), "lean": (True, 10**12), "full": (False, 10**12)}
    for mode, (lean, stored_above) in modes.items():
        folder = tmp_path / mode
        folder.mkdir()
        master = folder / "master.xlsx"
        master.write_bytes(example_bytes)
        monkeypatch.setattr(master_write, "LEAN_SHEET_BYTES", 0 if lean else 10**12)
        monkeypatch.setattr(master_write, "LEAN_SHARE", 0)
        monkeypatch.setattr(master_write, "DIRECT", lean)  # cells written straight into the XML
        monkeypatch.setattr(master_write, "STORED_PART_BYTES", stored_above)
        code, out, err, _ = run_cli(LEAN_COMMANDS[command](master, folder), capsys)
        assert code in (0, 1), (out, err)
        results[mode] = master
        assert took_lean and took_lean[-1] is lean, took_lean  # the lean run did leave sheets out
        took_lean.clear()
    original = _sheet_xml(
        hostile.copy(
            tmp_path
            / "full"
            / files.BACKUP_FOLDER
            / next((tmp_path / "full" / files.BACKUP_FOLDER).iterdir()).name,
            tmp_path / "original.xlsx",
        )
    )
    full_sheets, full_grids = _sheet_xml(results["full"]), read_grids(results["full"])
    untouched = [n for n, xml in full_sheets.items() if original.get(n) == xml]
    assert untouched, "the full path keeps untouched sheets byte for byte too"
    for mode in ("lean", "stored"):
        lean_sheets, lean_grids = _sheet_xml(results[mode]), read_grids(results[mode])
        assert list(lean_sheets) == list(full_sheets)
        for rule in load_rules().sheets:  # the tracker's own sheets (generated ones hold ids and times)
            assert lean_grids[rule.name].values == full_grids[rule.name].values, (mode, rule.name)
        for name in untouched:
            assert lean_sheets[name] == original[name], (mode, name)


def test_a_lean_write_that_cannot_be_checked_loads_everything(
    tmp_path: Path, master: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """If a sheet left out would not come back exactly, the whole workbook is loaded instead."""
    from addin import preserve

    monkeypatch.setattr(master_write, "LEAN_SHEET_BYTES", 0)
    monkeypatch.setattr(master_write, "LEAN_SHARE", 0)
    real_restore = preserve.restore

    calls = []

    def lossy(old: object, new: object, changes: object = None) -> preserve.Outcome:
        outcome = real_restore(old, new, changes)
        calls.append(outcome)
        if len(calls) == 1:  # the lean attempt: as if Milestones had not come back
            assert outcome.package is not None
            outcome.package.parts[outcome.package.sheets()["Milestones"]] = b"<worksheet/>"
        return outcome

    monkeypatch.setattr(preserve, "restore", lossy)
    before = _sheet_xml(master)
    progress = read_tracker(master).tables["Actions"].index("Progress update") + 1
    apply_changes(master, Changes(cells=[CellWrite("Actions", 2, progress, value="Checked")]))
    after = _sheet_xml(master)
    assert len(calls) == 2  # the lean attempt, then the whole workbook
    assert after["Milestones"] == before["Milestones"]
    assert read_tracker(master).plan.actions[0].progress_update == "Checked"


def test_limits_raised_for_a_plan_apply_to_its_writes_too(
    tmp_path: Path, master: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A plan that lowers (or raises) a limit in its plantrack.toml gets it when plantrack writes
    the master back, not only when it reads it."""
    (tmp_path / "plantrack.toml").write_text("[limits]\nmax_zip_entries = 12\n", encoding="utf-8")
    before = snapshot(tmp_path)
    with pytest.raises(UnusableWorkbook, match="too many parts"):
        apply_changes(master, Changes(cells=[CellWrite("Actions", 2, 1, value="1.1")]))
    assert snapshot(tmp_path) == before


def test_merge_is_refused_while_the_master_is_open_in_excel(
    tmp_path: Path, master: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err, _ = run_cli(["issue", master, "--out", tmp_path / "copies"], capsys)
    assert code == 0, (out, err)
    copy = sorted((tmp_path / "copies").glob("*.xlsx"))[0]
    wb = openpyxl.load_workbook(copy)  # the partner's edit, saved as Excel would
    sheet = wb["Actions"]
    status = next(c.column for c in sheet[1] if c.value == "Status")
    sheet.cell(2, status).value = "Completed" if sheet.cell(2, status).value != "Completed" else "In progress"
    wb.save(copy)
    badfiles.excel_owner_file(master, "Jane Smith")
    before = snapshot(tmp_path)
    code, out, err, _ = run_cli(["merge", master, copy], capsys)
    assert code == 2, (out, err)
    assert "open in Excel (Jane Smith has it open)" in err and len(err.strip().splitlines()) == 1
    assert "Traceback" not in out + err
    assert snapshot(tmp_path) == before


def test_benchmark_growth_shows_cost_per_thousand_actions() -> None:
    """The growth table: seconds per 1,000 actions at each size, largest against smallest."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from run import Result, growth

    results = [
        Result(1000, "rag", seconds=0.5),
        Result(20000, "rag", seconds=6.0),  # 0.50 -> 0.30 s a thousand: fixed costs spread
        Result(1000, "merge", returns=10, seconds=0.2),
        Result(20000, "merge", returns=10, seconds=8.0),  # 0.20 -> 0.40: grows faster than rows
    ]
    table = growth(results).splitlines()
    assert table[0] == "| command | 1,000 | 20,000 | largest / smallest |"
    assert "| rag | 0.50 s | 0.30 s | 0.60 |" in table
    assert "| merge (10 returns) | 0.20 s | 0.40 s | 2.00 |" in table
    assert growth(results[:1]) == ""  # one size: nothing to compare
