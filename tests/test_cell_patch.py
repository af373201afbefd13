"""Cells written straight into a sheet's XML (cell_patch, master_write) give the same
workbook as writing them through openpyxl, on masters written by every program a
council's tracker may come from: openpyxl (plantrack's own), XlsxWriter with shared
strings and in constant-memory mode, and LibreOffice (which writes like Excel: shared
strings, row spans, a dimension)."""

from __future__ import annotations

import datetime as dt
import re
import shutil
import zipfile
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from addin import master_write
from addin.cell_patch import patch_sheet, patchable
from addin.changes import KEEP, CellWrite, Changes
from addin.cli import main
from addin.files import apply_changes, read_grids, read_tracker
from addin.partner_files import fill_in_copy
from addin.preserve import Package
from tests.office import convert

ROOT = Path(__file__).resolve().parent.parent


def look(path: Path) -> dict[str, dict[str, tuple[Any, ...]]]:
    """Every cell of every sheet as a person sees it: value, fill, font colour and
    weight, number format (dates compared as dates)."""
    wb = openpyxl.load_workbook(path)
    sheets = {}
    for ws in wb.worksheets:
        cells = {}
        for row in ws.iter_rows():
            for cell in row:
                fill = _rgb(cell.fill.fgColor) if cell.fill is not None and cell.fill.fill_type else None
                font = cell.font
                colour = _rgb(font.color) if font is not None and font.color is not None else None
                value = _same(cell.value)
                if value is None and fill is None:
                    continue
                cells[cell.coordinate] = (value, fill, colour, bool(font and font.b), cell.number_format)
        sheets[ws.title] = cells
    return sheets


def _same(value: Any) -> Any:
    """A value as a person compares it (openpyxl writes 16 digits, Excel keeps 15)."""
    if isinstance(value, dt.datetime) and value.time() == dt.time():
        return value.date()
    if isinstance(value, str) and not value.strip():
        return None  # openpyxl loses text of only white space (no xml:space), the patch keeps it
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(f"{value:.14g}")
    return value


def _rgb(colour: Any) -> Any:
    """A colour without its alpha (LibreOffice writes FF where openpyxl writes 00)."""
    rgb = colour.rgb
    return rgb[-6:] if isinstance(rgb, str) else rgb


def both_ways(master: Path, folder: Path, run: Any) -> tuple[Path, Path]:
    """``run(path)`` on a copy written directly and on a copy written through openpyxl."""
    paths = []
    for direct in (True, False):
        target = folder / ("direct" if direct else "openpyxl") / master.name
        target.parent.mkdir(parents=True)
        shutil.copy(master, target)
        saved = master_write.DIRECT
        master_write.DIRECT = direct
        try:
            run(target)
        finally:
            master_write.DIRECT = saved
        paths.append(target)
    return paths[0], paths[1]


def same_workbook(direct: Path, through: Path, skip: tuple[str, ...] = ()) -> None:
    a, b = look(direct), look(through)
    assert list(a) == list(b)
    for name in a:
        if name in skip:
            continue
        assert a[name] == b[name], name
    ga, gb = read_grids(direct), read_grids(through)  # calamine reads them the same too
    for name in ga:
        if name not in skip:
            same = [[_same(v) for v in row] for row in ga[name].values]
            assert same == [[_same(v) for v in row] for row in gb[name].values], name


def actions_part(path: Path) -> bytes:
    package = Package.read(path)
    return package.parts[package.sheets()["Actions"]]


# --------------------------------------------------------------------------- masters of every kind


@pytest.fixture
def xlsxwriter_master(tmp_path: Path, example_path: Path) -> Path:
    """The example tracker as XlsxWriter writes it (shared strings, dates as numbers)."""
    import xlsxwriter

    grids = read_grids(example_path)
    path = tmp_path / "xlsxwriter" / "tracker.xlsx"
    path.parent.mkdir()
    book = xlsxwriter.Workbook(str(path))
    dated = book.add_format({"num_format": "dd/mm/yyyy"})
    for name, grid in grids.items():
        ws = book.add_worksheet(name)
        for r, row in enumerate(grid.values):
            for c, value in enumerate(row):
                if isinstance(value, (dt.date, dt.datetime)):
                    ws.write_datetime(r, c, dt.datetime.combine(value, dt.time()), dated)
                elif isinstance(value, str):
                    ws.write_string(r, c, value)
                elif value is not None:
                    ws.write(r, c, value)
    book.close()
    return path


@pytest.fixture
def libreoffice_master(tmp_path: Path, example_path: Path) -> Path:
    """The example tracker saved again by LibreOffice, which writes as Excel does."""
    folder = tmp_path / "libreoffice"
    folder.mkdir()
    return convert(example_path, "xlsx:Calc MS Excel 2007 XML", outdir=folder)


def test_the_masters_are_written_as_their_programs_write_them(
    example_path: Path, xlsxwriter_master: Path, tmp_path: Path
) -> None:
    with zipfile.ZipFile(xlsxwriter_master) as zf:
        assert "xl/sharedStrings.xml" in zf.namelist()
    assert b' t="s"' in actions_part(xlsxwriter_master)
    assert b"inlineStr" in actions_part(example_path)
    assert patchable(actions_part(example_path)) and patchable(actions_part(xlsxwriter_master))


# --------------------------------------------------------------------------- jobs, both ways


@pytest.mark.parametrize("kind", ["openpyxl", "xlsxwriter"])
def test_rag_writes_the_same_workbook_directly_as_through_openpyxl(
    kind: str, example_path: Path, xlsxwriter_master: Path, tmp_path: Path
) -> None:
    master = example_path if kind == "openpyxl" else xlsxwriter_master
    direct, through = both_ways(master, tmp_path, lambda p: main(["rag", str(p)]))
    same_workbook(direct, through, skip=("Audit log",))
    actions = read_tracker(direct).plan.actions
    assert {a.rag for a in actions} >= {"Red", "Green", "Blue"}
    assert actions_part(direct) != actions_part(master)
    # the cells plantrack did not write are byte for byte those of the master
    assert actions_part(master).split(b"<sheetData>")[0] == actions_part(direct).split(b"<sheetData>")[0]


@pytest.mark.office
def test_a_libreoffice_master_written_directly_opens_and_prints(
    libreoffice_master: Path, tmp_path: Path
) -> None:
    assert b' t="s"' in actions_part(libreoffice_master)  # shared strings, as Excel writes
    direct, through = both_ways(libreoffice_master, tmp_path, lambda p: main(["rag", str(p)]))
    same_workbook(direct, through, skip=("Audit log",))
    assert convert(direct, "pdf").stat().st_size > 0
    again = convert(direct, "xlsx:Calc MS Excel 2007 XML", outdir=tmp_path / "again")
    assert look(again)["Actions"] == look(direct)["Actions"]


def test_merge_writes_the_same_workbook_directly_as_through_openpyxl(
    example_path: Path, tmp_path: Path
) -> None:
    copies = tmp_path / "copies"
    assert main(["issue", str(example_path), "--out", str(copies)]) == 0
    copy = next(p for p in copies.glob("*.xlsx") if "Haringey Council" in p.name)
    grid = read_grids(copy)["Actions"].values
    refs = [str(row[0]) for row in grid[1:7]]
    edits = {
        ("Actions", ref): {"Status": "Completed", "% complete": 100, "Progress update": f"Done {ref} & <ok>"}
        for ref in refs
    }
    returned = fill_in_copy(copy, tmp_path / "returned.xlsx", edits)

    def merge(path: Path) -> None:
        assert main(["merge", str(path), str(returned)]) in (0, 1)

    direct, through = both_ways(example_path, tmp_path, merge)
    same_workbook(direct, through, skip=("Audit log", "Merge report", "Returns", "_plantrack_receipts"))
    merged = {a.ref: a for a in read_tracker(direct).plan.actions}
    assert all(merged[ref].progress_update == f"Done {ref} & <ok>" for ref in refs)


# --------------------------------------------------------------------------- the patcher itself


VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**12), max_value=10**12),
    st.floats(allow_nan=False, allow_infinity=False, width=32),
    st.text(max_size=40),
    st.dates(min_value=dt.date(1901, 1, 1), max_value=dt.date(2099, 12, 31)),
    st.just("=cmd|' /c calc'!A1"),
)
FILLS = st.sampled_from([KEEP, None, "C00000", "FFC000", "70AD47", "2E75B6"])
WRITES = st.lists(
    st.builds(
        CellWrite,
        sheet=st.just("Actions"),
        row=st.integers(min_value=1, max_value=60),
        column=st.integers(min_value=1, max_value=30),
        value=st.one_of(st.just(KEEP), VALUES),
        fill=FILLS,
        font_colour=st.sampled_from([KEEP, None, "FFFFFF"]),
    ),
    min_size=1,
    max_size=25,
)


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(writes=WRITES)
def test_any_writes_give_the_same_cells_directly_as_through_openpyxl(
    writes: list[CellWrite], example_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    folder = tmp_path_factory.mktemp("writes")
    direct, through = both_ways(example_path, folder, lambda p: apply_changes(p, Changes(cells=writes)))
    same_workbook(direct, through)


def _sheet(rows: str, head: str = "", tail: str = "") -> bytes:
    return (
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        f"{head}<sheetData>{rows}</sheetData>{tail}</worksheet>"
    ).encode()


def keep_style(old: int, write: CellWrite) -> int | None:
    return None


def test_new_rows_and_cells_go_in_order_and_the_dimension_grows() -> None:
    xml = _sheet(
        '<row r="2" spans="1:2"><c r="A2"><v>1</v></c><c r="C2" s="4"><v>3</v></c></row><row r="5"/>',
        head='<dimension ref="A1:C5"/>',
    )
    writes = [
        CellWrite("S", 2, 2, value="two"),
        CellWrite("S", 2, 5, value=5),
        CellWrite("S", 1, 1, value="first"),
        CellWrite("S", 5, 1, value=True),
        CellWrite("S", 9, 27, value=dt.date(2024, 10, 31)),
        CellWrite("S", 2, 3, value=KEEP),
    ]
    done = patch_sheet(xml, writes, keep_style)
    assert done is not None and (done.rewritten, done.added) == (1, 5)
    text = done.xml.decode()
    assert '<dimension ref="A1:AA9"/>' in text
    assert text.index('r="A1"') < text.index('r="A2"') < text.index('r="B2"') < text.index('r="C2"')
    assert text.index('r="C2"') < text.index('r="E2"') < text.index('r="A5"') < text.index('r="AA9"')
    assert "spans=" not in text
    assert '<c r="B2" t="inlineStr"><is><t>two</t></is></c>' in text
    assert '<c r="C2" s="4"><v>3</v></c>' in text  # a KEEP value keeps the cell
    assert '<c r="A5" t="b"><v>1</v></c>' in text
    assert '<c r="AA9"><v>45596</v></c>' in text


def test_text_is_escaped_and_never_a_formula() -> None:
    xml = _sheet('<row r="1"><c r="A1"><f>SUM(B1:B2)</f><v>3</v></c></row>')
    text = '=HYPERLINK("http://evil","<click> & go")\x07\n'
    done = patch_sheet(xml, [CellWrite("S", 1, 1, value=text)], keep_style)
    assert done is not None
    assert b"<f>" not in done.xml
    escaped = b'=HYPERLINK("http://evil","&lt;click&gt; &amp; go")\n'
    assert b'<c r="A1" t="inlineStr"><is><t xml:space="preserve">' + escaped in done.xml


def test_cells_it_cannot_rewrite_safely_are_left_to_openpyxl() -> None:
    shared = _sheet('<row r="1"><c r="A1"><f t="shared" ref="A1:A3" si="0">B1</f><v>1</v></c></row>')
    assert patch_sheet(shared, [CellWrite("S", 1, 1, value=2)], keep_style) is None
    assert patch_sheet(shared, [CellWrite("S", 1, 1, fill="C00000")], lambda o, w: 3) is not None
    merged = _sheet(
        '<row r="1"><c r="A1"><v>1</v></c></row>', tail='<mergeCells><mergeCell ref="A1:B2"/></mergeCells>'
    )
    assert patch_sheet(merged, [CellWrite("S", 2, 2, value=2)], keep_style) is None
    assert patch_sheet(merged, [CellWrite("S", 1, 1, value=2)], keep_style) is not None
    prefixed = b'<x:worksheet xmlns:x="m"><x:sheetData><x:row r="1"><x:c r="A1"/></x:row></x:sheetData>'
    assert not patchable(prefixed)
    unordered = _sheet('<row r="2"><c r="A2"/></row><row r="1"><c r="A1"/></row>')
    assert patch_sheet(unordered, [CellWrite("S", 1, 2, value=1)], keep_style) is None


def test_a_sheet_with_a_row_style_gives_new_cells_that_style() -> None:
    xml = _sheet(
        '<row r="1" s="7" customFormat="1"><c r="A1" s="7"/></row><row r="2"><c r="A2"/></row>',
        head='<cols><col min="2" max="3" width="9" style="5" customWidth="1"/></cols>',
    )
    seen = []

    def record(old: int, write: CellWrite) -> int | None:
        seen.append((write.row, write.column, old))
        return None

    done = patch_sheet(xml, [CellWrite("S", 1, 2, value=1), CellWrite("S", 2, 2, value=2)], record)
    assert done is not None
    assert seen == [(1, 2, 7), (2, 2, 5)]
    assert b'<c r="B1" s="7"><v>1</v></c>' in done.xml and b'<c r="B2" s="5"><v>2</v></c>' in done.xml


def test_validate_marks_and_notes_are_the_same_directly_as_through_openpyxl(
    example_path: Path, tmp_path: Path
) -> None:
    """validate --write fills the cells it finds wrong and puts a note on each: written
    straight into the XML (cells by cell_patch, notes by notes_xml), as through openpyxl.
    A second run with the problems fixed takes the marks and notes away again."""
    wb = openpyxl.load_workbook(example_path)
    ws = wb["Actions"]
    headers = [c.value for c in ws[1]]
    ws.cell(3, headers.index("Status") + 1).value = "Sort of done"
    ws.cell(4, headers.index("Due date") + 1).value = "next Tuesday"
    ws.cell(5, headers.index("Lead officer") + 1).value = None
    wb.save(example_path)

    def notes(path: Path) -> dict[str, str]:
        sheet = openpyxl.load_workbook(path)["Actions"]
        return {c.coordinate: c.comment.text for row in sheet.iter_rows() for c in row if c.comment}

    direct, through = both_ways(example_path, tmp_path, lambda p: main(["validate", str(p), "--write"]))
    same_workbook(direct, through, skip=("Validation", "Audit log"))
    assert len(notes(direct)) >= 3 and notes(direct) == notes(through)
    # the notes were written by notes_xml (xl/commentsN.xml), not by openpyxl (xl/comments/)
    assert any(re.fullmatch(r"xl/comments\d+\.xml", p) for p in Package.read(direct).parts)
    assert not any(p.startswith("xl/comments/") for p in Package.read(direct).parts)

    for path in (direct, through):  # the programme manager fixes the rows and validates again
        fixed = openpyxl.load_workbook(path)
        fixed["Actions"].cell(3, headers.index("Status") + 1).value = "Completed"
        fixed["Actions"].cell(4, headers.index("Due date") + 1).value = dt.datetime(2020, 3, 31)
        fixed["Actions"].cell(5, headers.index("Lead officer") + 1).value = "AD SQA"
        fixed.save(path)
    master_write.DIRECT = True
    main(["validate", str(direct), "--write"])
    master_write.DIRECT = False
    try:
        main(["validate", str(through), "--write"])
    finally:
        master_write.DIRECT = True
    assert notes(direct) == notes(through)
    same_workbook(direct, through, skip=("Validation", "Audit log"))
