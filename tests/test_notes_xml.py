"""Notes written straight into a sheet's XML (addin/notes_xml.py).

The workbooks are built in code with openpyxl and XlsxWriter (each writes notes its
own way: prefixes, authors, sizes, visible notes, rich text), changed with
``set_notes`` on the package, written, and read back by openpyxl, python-calamine
and (marked ``office``) LibreOffice.
"""

from __future__ import annotations

import re
import time
import zipfile
from pathlib import Path

import openpyxl
import pytest
import xlsxwriter
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl.comments import Comment
from python_calamine import CalamineWorkbook

from addin.notes_xml import NOTE_AUTHOR, notes_refusal, read_notes, set_notes
from addin.preserve import Package, _top_names
from tests.office import convert

SHEET = "xl/worksheets/sheet1.xml"
R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
THREADED = "http://schemas.microsoft.com/office/2017/10/relationships/threadedComment"


# --------------------------------------------------------------------------- building workbooks


def plain_workbook(path: Path, rows: int = 5) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Actions"
    ws.append(["Ref", "Action", "RAG"])
    for r in range(2, rows + 1):
        ws.append([f"1.{r}", f"Action {r}", "Green"])
    wb.save(path)
    return path


def openpyxl_notes(path: Path) -> Path:
    """Notes as openpyxl writes them (ns0/ns1/ns2 prefixes in the drawing)."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Actions"
    ws.append(["Ref", "Action", "RAG"])
    ws.append(["1.1", "Audit case files", "Red"])
    ws.append(["1.2", "Train social workers", "Amber"])
    big = Comment("Chased the lead twice & <no reply>", "Alice Jones")
    big.width, big.height = 400, 200
    ws["B2"].comment = big
    ws["C3"].comment = Comment("Second\nline", "Bob")
    ws["A3"].comment = Comment("Kept as it is", "Bob")
    wb.save(path)
    return path


def xlsxwriter_notes(path: Path) -> Path:
    """Notes as XlsxWriter writes them: rich-text runs, an author, one note always shown."""
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("Actions")
    ws.write_row(0, 0, ["Ref", "Action", "RAG"])
    ws.write_row(1, 0, ["1.1", "Audit case files", "Red"])
    ws.write_row(2, 0, ["1.2", "Train social workers", "Amber"])
    ws.write_comment("B2", "Board asked for evidence", {"author": "Carol"})
    ws.write_comment("C3", "Shown all the time", {"visible": True, "author": "Dev"})
    wb.close()
    return path


EXCEL_COMMENTS = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\r\n'
    b'<comments xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    b'xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006" mc:Ignorable="xr" '
    b'xmlns:xr="http://schemas.microsoft.com/office/spreadsheetml/2014/revision">'
    b"<authors><author>Priya Shah</author></authors><commentList>"
    b'<comment ref="B2" authorId="0" shapeId="0" xr:uid="{7B1B3C4A-1111-4C2B-9C11-0123456789AB}"><text>'
    b'<r><rPr><b/><sz val="9"/><color indexed="81"/><rFont val="Tahoma"/><family val="2"/></rPr>'
    b"<t>Priya Shah:</t></r>"
    b'<r><rPr><sz val="9"/><color indexed="81"/><rFont val="Tahoma"/><family val="2"/></rPr>'
    b'<t xml:space="preserve">\nAgreed at board, 3 March</t></r></text></comment>'
    b'<comment ref="C3" authorId="0" shapeId="0" xr:uid="{7B1B3C4A-2222-4C2B-9C11-0123456789AB}"><text>'
    b'<r><rPr><b/><sz val="9"/><color indexed="81"/><rFont val="Tahoma"/><family val="2"/></rPr>'
    b"<t>Priya Shah:</t></r>"
    b'<r><rPr><sz val="9"/><color indexed="81"/><rFont val="Tahoma"/><family val="2"/></rPr>'
    b'<t xml:space="preserve">\nRed until the audit is back</t></r></text></comment>'
    b"</commentList></comments>"
)


def excel_shape(number: int, row: int, column: int) -> str:
    return f"""<v:shape id="_x0000_s{number}" type="#_x0000_t202" style='position:absolute;
  margin-left:59.25pt;margin-top:1.5pt;width:108pt;height:59.25pt;z-index:1;
  visibility:hidden' fillcolor="#ffffe1" o:insetmode="auto">
  <v:fill color2="#ffffe1"/>
  <v:shadow on="t" color="black" obscured="t"/>
  <v:path o:connecttype="none"/>
  <v:textbox style='mso-direction-alt:auto'>
   <div style='text-align:left'></div>
  </v:textbox>
  <x:ClientData ObjectType="Note">
   <x:MoveWithCells/>
   <x:SizeWithCells/>
   <x:Anchor>
    2, 15, 0, 10, 4, 15, 4, 4</x:Anchor>
   <x:AutoFill>False</x:AutoFill>
   <x:Row>{row}</x:Row>
   <x:Column>{column}</x:Column>
  </x:ClientData>
 </v:shape>"""


EXCEL_DRAWING = f"""<xml xmlns:v="urn:schemas-microsoft-com:vml"
 xmlns:o="urn:schemas-microsoft-com:office:office"
 xmlns:x="urn:schemas-microsoft-com:office:excel">
 <o:shapelayout v:ext="edit">
  <o:idmap v:ext="edit" data="1"/>
 </o:shapelayout><v:shapetype id="_x0000_t202" coordsize="21600,21600" o:spt="202"
  path="m,l,21600r21600,l21600,xe">
  <v:stroke joinstyle="miter"/>
  <v:path gradientshapeok="t" o:connecttype="rect"/>
 </v:shapetype>{excel_shape(1025, 1, 1)}{excel_shape(1026, 2, 2)}</xml>""".encode()


def excel_notes(path: Path) -> Path:
    """Notes as Excel itself writes them: pretty-printed VML with single-quoted styles, and
    comments with revision ids and the author's name in bold as the first run."""
    package = Package.read(openpyxl_notes(path))
    comments = next(n for n in package.parts if n.endswith(".xml") and "comment" in n)
    drawing = next(n for n in package.parts if n.endswith(".vml"))
    package.parts[comments], package.parts[drawing] = EXCEL_COMMENTS, EXCEL_DRAWING
    package.write(path)
    return path


def notes_seen(path: Path, sheet: str = "Actions") -> dict[str, tuple[str, str]]:
    """What openpyxl sees: cell -> (author, text)."""
    ws = openpyxl.load_workbook(path)[sheet]
    return {
        cell.coordinate: (cell.comment.author, cell.comment.text)
        for row in ws.iter_rows()
        for cell in row
        if cell.comment is not None
    }


def values(path: Path, sheet: str = "Actions") -> list[list[object]]:
    return CalamineWorkbook.from_path(str(path)).get_sheet_by_name(sheet).to_python()


def changed(source: Path, out: Path, notes: dict[tuple[int, int], str | None]) -> Package:
    package = Package.read(source)
    assert set_notes(package, SHEET, notes), notes_refusal(Package.read(source), SHEET, notes)
    package.write(out)
    return package


def comments_part(package: Package) -> bytes:
    return next(data for name, data in package.parts.items() if re.search(r"comments?\d*\.xml$", name))


def drawing_part(package: Package) -> bytes:
    return next(data for name, data in package.parts.items() if name.endswith(".vml"))


# --------------------------------------------------------------------------- a sheet with no notes yet


def test_notes_on_a_sheet_with_none_yet(tmp_path: Path) -> None:
    source = plain_workbook(tmp_path / "plain.xlsx")
    before = Package.read(source)
    out = tmp_path / "out.xlsx"
    package = changed(
        source,
        out,
        {
            (2, 3): "plantrack: RAG is Red but the action is done & closed <check>",
            (4, 2): "plantrack: line one\nplantrack: line two\n(See the Validation sheet.)",
            (5, 1): None,  # removing a note that is not there changes nothing
        },
    )
    assert notes_seen(out) == {
        "C2": (NOTE_AUTHOR, "plantrack: RAG is Red but the action is done & closed <check>"),
        "B4": (NOTE_AUTHOR, "plantrack: line one\nplantrack: line two\n(See the Validation sheet.)"),
    }
    assert values(out) == values(source)
    parts = set(package.parts)
    assert {"xl/comments1.xml", "xl/drawings/vmlDrawing1.vml"} <= parts
    types = package.parts["[Content_Types].xml"]
    assert b'PartName="/xl/comments1.xml"' in types and b'Extension="vml"' in types
    # the sheet gains <legacyDrawing> (declaring r:, which openpyxl's sheet root lacks) and nothing else
    sheet = package.parts[SHEET]
    legacy = re.search(rb"<legacyDrawing [^>]*/>", sheet)
    assert legacy is not None and f'xmlns:r="{R}"'.encode() in legacy.group()
    assert sheet.replace(legacy.group(), b"") == before.parts[SHEET]
    vml = drawing_part(package)
    assert vml.count(b'ObjectType="Note"') == 2 and b"visibility:hidden" in vml
    assert b"<x:Row>1</x:Row><x:Column>2</x:Column>" in vml  # C2, counted from 0


def test_legacy_drawing_goes_where_the_schema_wants_it(tmp_path: Path) -> None:
    from openpyxl.worksheet.table import Table

    path = plain_workbook(tmp_path / "table.xlsx")
    wb = openpyxl.load_workbook(path)
    wb.active.add_table(Table(displayName="Actions", ref="A1:C5"))
    wb.save(path)
    out = tmp_path / "out.xlsx"
    package = changed(path, out, {(3, 2): "note"})
    names = _top_names(package.parts[SHEET])
    assert names.index("legacyDrawing") < names.index("tableParts")
    assert names.index("pageMargins") < names.index("legacyDrawing")
    assert notes_seen(out) == {"B3": (NOTE_AUTHOR, "note")}
    assert openpyxl.load_workbook(out).active.tables["Actions"].ref == "A1:C5"


# --------------------------------------------------------------------------- existing notes


def test_openpyxl_notes_kept_byte_for_byte(tmp_path: Path) -> None:
    source = openpyxl_notes(tmp_path / "opx.xlsx")
    before = Package.read(source)
    old = comments_part(before)
    kept_comment = re.search(rb"<comment ref=\"A3\".*?</comment>", old, re.S)
    assert kept_comment is not None
    out = tmp_path / "out.xlsx"
    package = changed(source, out, {(2, 2): "plantrack: replaced", (3, 3): None, (1, 1): "plantrack: new"})
    assert notes_seen(out) == {
        "A1": (NOTE_AUTHOR, "plantrack: new"),
        "B2": (NOTE_AUTHOR, "plantrack: replaced"),
        "A3": ("Bob", "Kept as it is"),
    }
    new = comments_part(package)
    assert kept_comment.group() in new
    assert re.findall(rb"<author>(.*?)</author>", new) == [b"Alice Jones", b"Bob", b"plantrack"]
    assert re.findall(rb'ref="(\w+)"', new) == [b"A1", b"B2", b"A3"]  # by row, then column
    # the drawing keeps the old shapes (openpyxl's ns0/ns1/ns2 prefixes and the 400 px box) and
    # gains one for A1; C3's shape goes
    vml = drawing_part(package)
    old_vml = drawing_part(before)
    b2_shape = re.search(
        rb"<ns1:shape [^>]*>(?:(?!</ns1:shape>).)*<ns2:Row>1</ns2:Row>.*?</ns1:shape>", old_vml, re.S
    )
    assert b2_shape is not None and b"width:400px" in b2_shape.group() and b2_shape.group() in vml
    assert vml.count(b'ObjectType="Note"') == 3
    assert b"<ns2:Row>2</ns2:Row><ns2:Column>2</ns2:Column>" not in vml
    assert b"<ns2:Row>0</ns2:Row><ns2:Column>0</ns2:Column>" in vml
    assert values(out) == values(source)


def test_xlsxwriter_notes_keep_their_rich_text_and_visibility(tmp_path: Path) -> None:
    source = xlsxwriter_notes(tmp_path / "xw.xlsx")
    before = Package.read(source)
    out = tmp_path / "out.xlsx"
    package = changed(source, out, {(2, 2): None, (4, 1): "plantrack: add evidence"})
    assert notes_seen(out) == {
        "C3": ("Dev", "Shown all the time"),
        "A4": (NOTE_AUTHOR, "plantrack: add evidence"),
    }
    old_c3 = re.search(rb'<comment ref="C3".*?</comment>', comments_part(before), re.S)
    assert old_c3 is not None and b"<rPr>" in old_c3.group()  # XlsxWriter's formatted run
    assert old_c3.group() in comments_part(package)
    vml = drawing_part(package)
    visible = re.search(
        rb"<v:shape [^>]*>(?:(?!</v:shape>).)*<x:Visible/>.*?</v:shape>", drawing_part(before), re.S
    )
    assert visible is not None and visible.group() in vml
    assert vml.count(b"<v:shape ") == 2 and vml.count(b"<v:shapetype ") == 1
    assert values(out) == values(source)


def test_excel_notes_keep_their_formatting(tmp_path: Path) -> None:
    source = excel_notes(tmp_path / "excel.xlsx")
    assert notes_seen(source) == {
        "B2": ("Priya Shah", "Priya Shah:\nAgreed at board, 3 March"),
        "C3": ("Priya Shah", "Priya Shah:\nRed until the audit is back"),
    }
    out = tmp_path / "out.xlsx"
    package = changed(source, out, {(3, 3): "plantrack: RAG should be Amber", (5, 1): "plantrack: new"})
    assert notes_seen(out) == {
        "B2": ("Priya Shah", "Priya Shah:\nAgreed at board, 3 March"),
        "C3": (NOTE_AUTHOR, "plantrack: RAG should be Amber"),
        "A5": (NOTE_AUTHOR, "plantrack: new"),
    }
    comments = comments_part(package)
    b2 = re.search(rb'<comment ref="B2".*?</comment>', EXCEL_COMMENTS, re.S)
    assert b2 is not None and b2.group() in comments
    assert comments.startswith(EXCEL_COMMENTS[: EXCEL_COMMENTS.index(b"<authors>")])  # declarations kept
    vml = drawing_part(package)
    assert excel_shape(1025, 1, 1).encode() in vml and excel_shape(1026, 2, 2).encode() in vml
    assert b"<x:Row>4</x:Row><x:Column>0</x:Column>" in vml and b'id="_x0000_s1027"' in vml


def test_writing_the_same_note_again_changes_nothing(tmp_path: Path) -> None:
    source = plain_workbook(tmp_path / "plain.xlsx")
    first = tmp_path / "first.xlsx"
    package = changed(source, first, {(2, 3): "plantrack: same", (3, 3): "plantrack: other"})
    parts = dict(package.parts)
    assert set_notes(package, SHEET, {(2, 3): "plantrack: same"})
    assert package.parts == parts


def test_a_prefixed_comments_part(tmp_path: Path) -> None:
    """A comments part naming the main namespace with a prefix (as some tools write it)."""
    source = openpyxl_notes(tmp_path / "opx.xlsx")
    package = Package.read(source)
    name = next(n for n in package.parts if n.endswith(".xml") and "comment" in n)
    xml = package.parts[name]
    xml = re.sub(rb"<(/?)(comments|authors|author|commentList|comment|text|t)\b", rb"<\1x:\2", xml)
    package.parts[name] = xml.replace(b"<x:comments xmlns=", b"<x:comments xmlns:x=")
    assert set_notes(package, SHEET, {(2, 2): None, (4, 4): "plantrack: prefixed"})
    out = tmp_path / "out.xlsx"
    package.write(out)
    assert b'<x:comment ref="D4" authorId="2" shapeId="0"><x:text><x:t>' in package.parts[name]
    assert notes_seen(out) == {
        "A3": ("Bob", "Kept as it is"),
        "C3": ("Bob", "Second\nline"),
        "D4": (NOTE_AUTHOR, "plantrack: prefixed"),
    }


def test_notes_without_a_drawing_get_one(tmp_path: Path) -> None:
    """A comments part with no drawing (some tools write it so): every note gets its shape."""
    package = Package.read(openpyxl_notes(tmp_path / "opx.xlsx"))
    drawing = next(n for n in package.parts if n.endswith(".vml"))
    del package.parts[drawing]
    package.parts[SHEET] = re.sub(rb"<legacyDrawing [^>]*/>", b"", package.parts[SHEET])
    package.set_rels(SHEET, [r for r in package.rels(SHEET) if r.target != drawing])
    assert set_notes(package, SHEET, {(4, 1): "plantrack: new"})
    vml = drawing_part(package)
    assert sorted(re.findall(rb"<x:Row>(\d+)</x:Row><x:Column>(\d+)</x:Column>", vml)) == [
        (b"1", b"1"), (b"2", b"0"), (b"2", b"2"), (b"3", b"0"),
    ]  # fmt: skip
    out = tmp_path / "out.xlsx"
    package.write(out)
    assert set(notes_seen(out)) == {"B2", "A3", "C3", "A4"}


# --------------------------------------------------------------------------- removing the last note


def test_removing_the_last_notes_removes_the_parts(tmp_path: Path) -> None:
    source = openpyxl_notes(tmp_path / "opx.xlsx")
    before = Package.read(source)
    out = tmp_path / "out.xlsx"
    package = changed(source, out, {(2, 2): None, (3, 3): None, (3, 1): None})
    assert notes_seen(out) == {}
    assert not any("comment" in n or n.endswith(".vml") for n in package.parts)
    assert b"legacyDrawing" not in package.parts[SHEET]
    assert "xl/worksheets/_rels/sheet1.xml.rels" not in package.parts  # it linked only the notes
    types = package.parts["[Content_Types].xml"]
    assert b"comments" not in types
    assert set(package.parts) == set(before.parts) - {
        n for n in before.parts if "comment" in n or n.endswith(".vml") or n.endswith("sheet1.xml.rels")
    }
    assert values(out) == values(source)


def test_set_then_remove_leaves_a_clean_sheet(tmp_path: Path) -> None:
    source = plain_workbook(tmp_path / "plain.xlsx")
    before = Package.read(source)
    package = Package.read(source)
    assert set_notes(package, SHEET, {(2, 2): "a", (3, 3): "b"})
    assert set_notes(package, SHEET, {(2, 2): None, (3, 3): ""})
    assert package.parts[SHEET] == before.parts[SHEET]
    assert set(package.parts) == set(before.parts)
    out = tmp_path / "out.xlsx"
    package.write(out)
    assert notes_seen(out) == {}


# --------------------------------------------------------------------------- refused: nothing changes


def with_form_control(source: Path) -> Package:
    """The notes drawing of an openpyxl workbook, with a button added (as Excel keeps form
    controls in the same VML drawing as the notes)."""
    package = Package.read(source)
    name = next(n for n in package.parts if n.endswith(".vml"))
    button = (
        b'<ns1:shape id="_x0000_s2049" type="#_x0000_t201" style="position:absolute;width:80pt;height:20pt">'
        b'<ns2:ClientData ObjectType="Button"><ns2:FmlaMacro>[0]!RecalculateRAG</ns2:FmlaMacro>'
        b"<ns2:Row>6</ns2:Row><ns2:Column>1</ns2:Column></ns2:ClientData></ns1:shape>"
    )
    package.parts[name] = package.parts[name].replace(b"</xml>", button + b"</xml>")
    return package


def test_form_controls_in_the_drawing_are_refused(tmp_path: Path) -> None:
    package = with_form_control(openpyxl_notes(tmp_path / "opx.xlsx"))
    before = dict(package.parts)
    assert not set_notes(package, SHEET, {(2, 2): "plantrack: note"})
    assert package.parts == before
    reason = notes_refusal(package, SHEET, {(2, 2): None})
    assert reason is not None and "form controls or buttons (Button)" in reason
    assert package.parts == before


def test_other_shapes_in_the_drawing_are_refused(tmp_path: Path) -> None:
    package = Package.read(openpyxl_notes(tmp_path / "opx.xlsx"))
    name = next(n for n in package.parts if n.endswith(".vml"))
    package.parts[name] = package.parts[name].replace(b"</xml>", b'<ns1:rect style="width:10pt"/></xml>')
    before = dict(package.parts)
    assert (
        notes_refusal(package, SHEET, {(4, 4): "x"})
        == "the drawing that holds its notes also holds other shapes (rect)"
    )
    assert package.parts == before


def add_threaded_comment(package: Package, ref: str) -> None:
    rels = package.rels(SHEET)
    package.parts["xl/threadedComments/threadedComment1.xml"] = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<ThreadedComments xmlns="http://schemas.microsoft.com/office/spreadsheetml/2018/threadedcomments">'
        f'<threadedComment ref="{ref}" dT="2024-03-01T10:00:00.00" personId="{{0}}" id="{{1}}">'
        "<text>Please update the due date</text></threadedComment></ThreadedComments>"
    ).encode()
    from addin.preserve import Rel

    package.set_rels(SHEET, [*rels, Rel("rId99", THREADED, "xl/threadedComments/threadedComment1.xml")])


def test_threaded_comment_on_a_cell_to_change_is_refused(tmp_path: Path) -> None:
    package = Package.read(openpyxl_notes(tmp_path / "opx.xlsx"))
    add_threaded_comment(package, "B2")
    before = dict(package.parts)
    reason = notes_refusal(package, SHEET, {(2, 2): "plantrack: note", (5, 5): "x"})
    assert reason is not None and "B2" in reason and "threads" in reason
    assert package.parts == before
    # elsewhere on the sheet: done, the thread and its note left as they were
    assert set_notes(package, SHEET, {(5, 5): "plantrack: elsewhere"})
    assert (
        package.parts["xl/threadedComments/threadedComment1.xml"]
        == before["xl/threadedComments/threadedComment1.xml"]
    )
    assert read_notes(package, SHEET)[(2, 2)] == ("Alice Jones", "Chased the lead twice & <no reply>")


@pytest.mark.parametrize(
    "damage",
    [
        pytest.param(
            lambda xml: b'<!DOCTYPE x [<!ENTITY e "boom">]>' + xml.split(b"?>", 1)[-1], id="doctype"
        ),
        pytest.param(
            lambda xml: xml.replace(b"</commentList>", b"<!-- hidden --></commentList>"), id="xml-comment"
        ),
        pytest.param(lambda xml: xml.replace(b'ref="B2"', b'ref="B2:C4"'), id="range-ref"),
        pytest.param(lambda xml: xml.replace(b"</comments>", b""), id="not-well-formed"),
    ],
)
def test_a_comments_part_not_understood_is_refused(tmp_path: Path, damage) -> None:
    package = Package.read(openpyxl_notes(tmp_path / "opx.xlsx"))
    name = next(n for n in package.parts if n.endswith(".xml") and "comment" in n)
    package.parts[name] = damage(package.parts[name])
    before = dict(package.parts)
    assert not set_notes(package, SHEET, {(4, 4): "plantrack: note"})
    assert package.parts == before


def test_a_missing_drawing_is_refused(tmp_path: Path) -> None:
    package = Package.read(openpyxl_notes(tmp_path / "opx.xlsx"))
    del package.parts[next(n for n in package.parts if n.endswith(".vml"))]
    before = dict(package.parts)
    assert (
        notes_refusal(package, SHEET, {(4, 4): "x"}) == "the drawing that holds the sheet's notes is missing"
    )
    assert package.parts == before


def test_cells_outside_the_sheet_are_a_mistake(tmp_path: Path) -> None:
    package = Package.read(plain_workbook(tmp_path / "plain.xlsx"))
    with pytest.raises(ValueError):
        set_notes(package, SHEET, {(0, 1): "x"})
    with pytest.raises(ValueError):
        set_notes(package, SHEET, {(1, 16_385): "x"})


# --------------------------------------------------------------------------- text


def test_text_is_stored_safely(tmp_path: Path) -> None:
    source = plain_workbook(tmp_path / "plain.xlsx")
    out = tmp_path / "out.xlsx"
    long = "Evidence: " + "the audit found gaps in supervision records; " * 700  # ~31,000 characters
    changed(
        source,
        out,
        {
            (2, 1): "bell\x07 and null\x00 dropped, tab\tkept",
            (2, 2): "windows\r\nline ends\rbecome one",
            (2, 3): "  spaces at both ends  ",
            (3, 1): long,
            (3, 2): '</t></text></comment><comment ref="Z1"> &amp; "quotes" \'apos\' ]]>',
            (3, 3): "Ünïcödé — £5k, emoji 🙂, surrogate \ud800 dropped",
            (4, 1): "\x01\x02",  # nothing left: no note
        },
    )
    assert notes_seen(out) == {
        "A2": (NOTE_AUTHOR, "bell and null dropped, tab\tkept"),
        "B2": (NOTE_AUTHOR, "windows\nline ends\nbecome one"),
        "C2": (NOTE_AUTHOR, "  spaces at both ends  "),
        "A3": (NOTE_AUTHOR, long),
        "B3": (NOTE_AUTHOR, '</t></text></comment><comment ref="Z1"> &amp; "quotes" \'apos\' ]]>'),
        "C3": (NOTE_AUTHOR, "Ünïcödé — £5k, emoji 🙂, surrogate  dropped"),
    }


def test_an_author_with_special_characters(tmp_path: Path) -> None:
    source = plain_workbook(tmp_path / "plain.xlsx")
    package = Package.read(source)
    assert set_notes(package, SHEET, {(2, 2): "x"}, author="Q&A <team>")
    out = tmp_path / "out.xlsx"
    package.write(out)
    assert notes_seen(out) == {"B2": ("Q&A <team>", "x")}


# --------------------------------------------------------------------------- many notes, several sheets


def test_ten_thousand_notes(tmp_path: Path) -> None:
    source = plain_workbook(tmp_path / "plain.xlsx", rows=10_001)
    package = Package.read(source)
    notes: dict[tuple[int, int], str | None] = {
        (r, 3): f"plantrack: row {r} needs a due date" for r in range(2, 10_002)
    }
    start = time.perf_counter()
    assert set_notes(package, SHEET, notes)
    first = time.perf_counter() - start
    # then the next run: half of them change, half go, on a sheet with 10,000 notes
    again = {cell: (f"plantrack: still {cell[0]}" if cell[0] % 2 else None) for cell in notes}
    start = time.perf_counter()
    assert set_notes(package, SHEET, again)
    second = time.perf_counter() - start
    print(f"10,000 new notes: {first:.2f} s; 10,000 changed or removed among 10,000: {second:.2f} s")
    assert first < 3 and second < 5  # well under a second each on a quiet machine
    out = tmp_path / "out.xlsx"
    package.write(out)
    seen = read_notes(Package.read(out), SHEET)
    assert len(seen) == 5_000 and seen[(3, 3)] == (NOTE_AUTHOR, "plantrack: still 3")
    with zipfile.ZipFile(out) as zf:
        vml = zf.read(next(n for n in zf.namelist() if n.endswith(".vml")))
    assert vml.count(b'ObjectType="Note"') == 5_000
    ids = re.findall(rb'id="_x0000_s(\d+)"', vml)
    assert len(set(ids)) == len(ids) == 5_000
    assert len(values(out)) == 10_001


def test_each_drawing_gets_its_own_shape_ids(tmp_path: Path) -> None:
    path = tmp_path / "two.xlsx"
    wb = openpyxl.Workbook()
    wb.active.title = "Actions"
    wb.create_sheet("Milestones")
    wb.save(path)
    package = Package.read(path)
    sheets = package.sheets()
    assert set_notes(package, sheets["Actions"], {(r, 1): "a" for r in range(1, 1_500)})
    assert set_notes(package, sheets["Milestones"], {(1, 1): "b"})
    drawings = [data for name, data in sorted(package.parts.items()) if name.endswith(".vml")]
    maps = [re.search(rb'idmap v:ext="edit" data="([\d,]+)"', d).group(1) for d in drawings]  # type: ignore[union-attr]
    assert maps == [b"1,2", b"3"]
    ids = [set(re.findall(rb'id="_x0000_s(\d+)"', d)) for d in drawings]
    assert not ids[0] & ids[1]
    out = tmp_path / "out.xlsx"
    package.write(out)
    assert notes_seen(out, "Milestones") == {"A1": (NOTE_AUTHOR, "b")}
    assert len(notes_seen(out, "Actions")) == 1_499


# --------------------------------------------------------------------------- a property


NOTE_CELLS = st.tuples(st.integers(1, 6), st.integers(1, 4))
NOTE_TEXTS = st.one_of(st.none(), st.text(st.characters(blacklist_categories=("Cs",)), max_size=30))


@pytest.fixture(scope="module")
def start_parts(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    return Package.read(xlsxwriter_notes(tmp_path_factory.mktemp("notes") / "xw.xlsx")).parts


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rounds=st.lists(st.dictionaries(NOTE_CELLS, NOTE_TEXTS, max_size=6), min_size=1, max_size=4))
def test_notes_follow_every_change_and_come_back(start_parts: dict[str, bytes], rounds) -> None:
    from addin.notes_xml import _read_drawing, note_text

    package = Package(dict(start_parts))
    original = read_notes(package, SHEET)
    expected = dict(original)
    touched: set[tuple[int, int]] = set()
    for notes in rounds:
        assert set_notes(package, SHEET, notes)
        for cell, text in notes.items():
            touched.add(cell)
            if note_text(text):
                expected[cell] = (NOTE_AUTHOR, note_text(text))
            else:
                expected.pop(cell, None)
        assert read_notes(package, SHEET) == expected
        vml = next((d for n, d in package.parts.items() if n.endswith(".vml")), None)
        shapes = {(s.row, s.column) for s in _read_drawing(vml).shapes} if vml else set()
        assert shapes == set(expected)  # one note shape per note
    # removing what was added and putting back what was there returns to the start
    restore = {cell: (original[cell][1] if cell in original else None) for cell in touched}
    assert set_notes(package, SHEET, restore)
    back = read_notes(package, SHEET)
    assert set(back) == set(original)
    assert all(back[c][1] == original[c][1] for c in original)
    untouched = set(original) - touched
    assert all(back[c] == original[c] for c in untouched)


# --------------------------------------------------------------------------- LibreOffice


@pytest.mark.office
def test_libreoffice_opens_the_notes(tmp_path: Path) -> None:
    source = xlsxwriter_notes(tmp_path / "xw.xlsx")
    out = tmp_path / "notes.xlsx"
    changed(
        source,
        out,
        {(2, 2): None, (4, 1): "plantrack: add evidence\nby Friday", (1, 3): "plantrack: & <RAG>"},
    )
    pdf = convert(out, "pdf")
    assert pdf.stat().st_size > 0
    again = convert(out, "xlsx", outdir=tmp_path / "libreoffice")
    seen = {cell: text for cell, (_, text) in notes_seen(again).items()}
    assert seen == {
        "C1": "plantrack: & <RAG>",
        "C3": "Shown all the time",
        "A4": "plantrack: add evidence\nby Friday",
    }
    assert values(again) == values(source)
    # a master LibreOffice saved (its own drawing: shape types repeated, no shape-id map) takes notes too
    package = Package.read(again)
    assert set_notes(package, SHEET, {(3, 3): None, (6, 6): "plantrack: after LibreOffice"})
    package.write(out)
    assert {cell: text for cell, (_, text) in notes_seen(out).items()} == {
        "C1": "plantrack: & <RAG>",
        "A4": "plantrack: add evidence\nby Friday",
        "F6": "plantrack: after LibreOffice",
    }
