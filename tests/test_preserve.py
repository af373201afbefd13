"""Never damage the master: what openpyxl drops is put back byte for byte, or the
master is left alone and the result written beside it (addin/preserve.py).

The masters here are built in code: the example tracker, plus what Excel and its
add-ins store in real trackers (xlwings Lite's code in a web extension, shapes used
as sheet buttons, Excel 2010 data validations, shared strings in Excel's order ...).
"""

from __future__ import annotations

import html
import json
import random
import re
import shutil
import zipfile
from pathlib import Path

import openpyxl
import pytest

from addin.changes import CellWrite, Changes, GeneratedSheet
from addin.files import apply_changes, read_grids
from addin.preserve import ContentKeptOut, Package, beside, inventory
from tests.office import convert

PKG = "http://schemas.openxmlformats.org/package/2006/relationships"
R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
XML_HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\r\n'

LITE_CODE = (
    "import xlwings as xw\nfrom xlwings import script\n\n\n@script\n"
    'def recalculate_rag(book: xw.Book):\n    """Work out the RAG of every action."""\n'
    '    import addin.buttons as b\n    b.recalculate_rag(book)  # <Actions> & "Milestones"\n'
)
LITE_REQUIREMENTS = "xlwings==0.33.14\nplantrack\n"
LITE_PARTS = [
    "xl/webextensions/taskpanes.xml",
    "xl/webextensions/_rels/taskpanes.xml.rels",
    "xl/webextensions/webextension1.xml",
]


# --------------------------------------------------------------------------- building masters


def parts_of(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as zf:
        return {name: zf.read(name) for name in zf.namelist()}


def write_parts(path: Path, parts: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", parts["[Content_Types].xml"])
        for name, data in parts.items():
            if name != "[Content_Types].xml":
                zf.writestr(name, data)
    return path


def add_rel(xml: bytes, rid: str, kind: str, target: str) -> bytes:
    rel = f'<Relationship Id="{rid}" Type="{kind}" Target="{target}"/>'
    return xml.replace(b"</Relationships>", rel.encode() + b"</Relationships>")


def add_override(types: bytes, part: str, kind: str) -> bytes:
    return types.replace(b"</Types>", f'<Override PartName="{part}" ContentType="{kind}"/></Types>'.encode())


def lite_webextension(code: str = LITE_CODE, requirements: str = LITE_REQUIREMENTS) -> bytes:
    """The web-extension part Excel writes for xlwings Lite (store id WA200008175): the add-in's
    settings, each a JSON value in a ``we:property``, hold the code and the requirements."""

    def prop(name: str, value: object) -> str:
        return f'<we:property name="{name}" value="{html.escape(json.dumps(value), quote=True)}"/>'

    return (
        XML_HEAD + '<we:webextension xmlns:we="http://schemas.microsoft.com/office/webextensions/'
        'webextension/2010/11" id="{2B9B6A0D-8E3C-4B5E-9D3A-6F1B7C2E4A11}">'
        '<we:reference id="wa200008175" version="1.0.0.0" store="en-GB" storeType="OMEX"/>'
        '<we:alternateReferences><we:reference id="WA200008175" version="1.0.0.0" store="" '
        'storeType="OMEX"/></we:alternateReferences><we:properties>'
        + prop("Office.AutoShowTaskpaneWithDocument", True)
        + prop("xlwingsWorkbookId", "a0403022-5c1e-4d6f-9f0b-3e2d7c8b1a90")
        + prop("main.py", code)
        + prop("requirements.txt", requirements)
        + prop("pyodideVersion", "0.27.5")
        + prop("xlwingsSettingsWorkbook", json.dumps({"startupBehavior": "taskpane"}))
        + "</we:properties><we:bindings/>"
        f'<we:snapshot xmlns:r="{R}"/></we:webextension>'
    ).encode()


def lite_code(webextension: bytes) -> dict[str, object]:
    """The settings stored in a web-extension part, decoded."""
    found = re.findall(rb'<we:property name="([^"]+)" value="([^"]*)"/>', webextension)
    return {name.decode(): json.loads(html.unescape(value.decode())) for name, value in found}


def add_lite(parts: dict[str, bytes]) -> None:
    """xlwings Lite's code, the way Excel stores an add-in's task pane and settings."""
    parts["xl/webextensions/taskpanes.xml"] = (
        XML_HEAD + '<wetp:taskpanes xmlns:wetp="http://schemas.microsoft.com/office/webextensions/'
        'taskpanes/2010/11"><wetp:taskpane dockstate="right" visibility="1" width="525" row="4">'
        f'<wetp:webextensionref xmlns:r="{R}" r:id="rId1"/></wetp:taskpane></wetp:taskpanes>'
    ).encode()
    parts["xl/webextensions/_rels/taskpanes.xml.rels"] = (
        XML_HEAD + f'<Relationships xmlns="{PKG}"><Relationship Id="rId1" '
        'Type="http://schemas.microsoft.com/office/2011/relationships/webextension" '
        'Target="webextension1.xml"/></Relationships>'
    ).encode()
    parts["xl/webextensions/webextension1.xml"] = lite_webextension()
    parts["_rels/.rels"] = add_rel(
        parts["_rels/.rels"],
        "rId9",
        "http://schemas.microsoft.com/office/2011/relationships/webextensiontaskpanes",
        "xl/webextensions/taskpanes.xml",
    )
    types = add_override(
        parts["[Content_Types].xml"],
        "/xl/webextensions/taskpanes.xml",
        "application/vnd.ms-office.webextensiontaskpanes+xml",
    )
    parts["[Content_Types].xml"] = add_override(
        types, "/xl/webextensions/webextension1.xml", "application/vnd.ms-office.webextension+xml"
    )


def shape_drawing(name: str, text: str) -> bytes:
    """A drawing holding one rounded rectangle with text: a sheet button."""
    return (
        XML_HEAD
        + '<xdr:wsDr xmlns:xdr="http://schemas.openxmlformats.org/drawingml/2006/spreadsheetDrawing" '
        'xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main">'
        '<xdr:twoCellAnchor editAs="oneCell"><xdr:from><xdr:col>1</xdr:col><xdr:colOff>0</xdr:colOff>'
        "<xdr:row>1</xdr:row><xdr:rowOff>0</xdr:rowOff></xdr:from><xdr:to><xdr:col>3</xdr:col>"
        "<xdr:colOff>0</xdr:colOff><xdr:row>3</xdr:row><xdr:rowOff>0</xdr:rowOff></xdr:to>"
        f'<xdr:sp macro="" textlink=""><xdr:nvSpPr><xdr:cNvPr id="2" name="{name}"/><xdr:cNvSpPr/>'
        '</xdr:nvSpPr><xdr:spPr><a:xfrm><a:off x="609600" y="190500"/><a:ext cx="1219200" cy="381000"/>'
        '</a:xfrm><a:prstGeom prst="roundRect"><a:avLst/></a:prstGeom><a:solidFill><a:srgbClr val="2E75B6"/>'
        '</a:solidFill></xdr:spPr><xdr:txBody><a:bodyPr rtlCol="0" anchor="ctr"/><a:lstStyle/><a:p>'
        f'<a:pPr algn="ctr"/><a:r><a:rPr lang="en-GB" sz="1100"/><a:t>{text}</a:t></a:r></a:p></xdr:txBody>'
        "</xdr:sp><xdr:clientData/></xdr:twoCellAnchor></xdr:wsDr>"
    ).encode()


def sheet_part(parts: dict[str, bytes], name: str) -> str:
    return Package(parts).sheets()[name]


def sheet_rels(part: str) -> str:
    folder, base = part.rsplit("/", 1)
    return f"{folder}/_rels/{base}.rels"


def link_from_sheet(parts: dict[str, bytes], sheet: str, rid: str, kind: str, target: str) -> None:
    name = sheet_rels(sheet_part(parts, sheet))
    rels = parts.get(name, f'{XML_HEAD}<Relationships xmlns="{PKG}"></Relationships>'.encode())
    parts[name] = add_rel(rels, rid, kind, target)


def put_in_sheet(parts: dict[str, bytes], sheet: str, element: str, before: tuple[str, ...]) -> None:
    """Insert ``element`` into a sheet's XML before the first of ``before`` (or at the end)."""
    part = sheet_part(parts, sheet)
    xml = parts[part]
    for tag in (*before, "</worksheet>"):
        at = xml.find(tag.encode())
        if at >= 0:
            parts[part] = xml[:at] + element.encode() + xml[at:]
            return


AFTER_DRAWING = ("<legacyDrawing", "<tableParts", "<extLst")


def add_shape(parts: dict[str, bytes], sheet: str, drawing: str, name: str, text: str) -> None:
    parts[f"xl/drawings/{drawing}"] = shape_drawing(name, text)
    link_from_sheet(parts, sheet, "rIdButton", f"{R}/drawing", f"../drawings/{drawing}")
    put_in_sheet(parts, sheet, f'<drawing xmlns:r="{R}" r:id="rIdButton"/>', AFTER_DRAWING)
    parts["[Content_Types].xml"] = add_override(
        parts["[Content_Types].xml"],
        f"/xl/drawings/{drawing}",
        "application/vnd.openxmlformats-officedocument.drawing+xml",
    )


def to_shared_strings(parts: dict[str, bytes], seed: int = 7) -> None:
    """Store every text cell as a shared string, in a shuffled order, as Excel does."""
    cell = re.compile(
        rb'<c ([^>]*?)t="inlineStr"([^>]*)><is><t(?: xml:space="preserve")?>(.*?)</t></is></c>', re.S
    )
    sheets = [n for n in parts if n.startswith("xl/worksheets/sheet")]
    texts: list[bytes] = []
    for name in sheets:
        texts += [m.group(3) for m in cell.finditer(parts[name]) if m.group(3) not in texts]
    random.Random(seed).shuffle(texts)
    index = {text: i for i, text in enumerate(texts)}
    for name in sheets:
        parts[name] = cell.sub(
            lambda m: b"<c " + m[1] + b't="s"' + m[2] + b"><v>%d</v></c>" % index[m[3]], parts[name]
        )
    items = b"".join(b'<si><t xml:space="preserve">' + t + b"</t></si>" for t in texts)
    parts["xl/sharedStrings.xml"] = (
        XML_HEAD.encode()
        + b'<sst xmlns="%s" count="%d" uniqueCount="%d">' % (MAIN.encode(), len(texts), len(texts))
        + items
        + b"</sst>"
    )
    parts["xl/_rels/workbook.xml.rels"] = add_rel(
        parts["xl/_rels/workbook.xml.rels"], "rIdStrings", f"{R}/sharedStrings", "sharedStrings.xml"
    )
    parts["[Content_Types].xml"] = add_override(
        parts["[Content_Types].xml"],
        "/xl/sharedStrings.xml",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml",
    )


CUSTOM_XML = b'<?xml version="1.0"?><plantrackBoard><meeting>2019-11-14</meeting></plantrackBoard>'


def add_custom_xml(parts: dict[str, bytes]) -> None:
    """A custom XML part, linked from the workbook by its relationship alone."""
    parts["customXml/item1.xml"] = CUSTOM_XML
    parts["xl/_rels/workbook.xml.rels"] = add_rel(
        parts["xl/_rels/workbook.xml.rels"], "rIdCustom", f"{R}/customXml", "../customXml/item1.xml"
    )


def with_notes_sheet(path: Path) -> None:
    """A sheet of the programme manager's own, which plantrack knows nothing about."""
    wb = openpyxl.load_workbook(path)
    notes = wb.create_sheet("Notes")
    notes["A1"] = "Board dates"
    notes["A2"] = "Next board: 14 November"
    wb.save(path)


@pytest.fixture(scope="module")
def tracker_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example tracker, written once for this module (tests work on copies)."""
    from addin.example import example_plan
    from addin.rules import load_rules
    from addin.writer import write_tracker

    return write_tracker(example_plan(), load_rules(), tmp_path_factory.mktemp("base") / "tracker.xlsx")


@pytest.fixture
def example_path(tracker_file: Path, tmp_path: Path) -> Path:
    return Path(shutil.copy(tracker_file, tmp_path / "tracker.xlsx"))


@pytest.fixture(scope="module")
def lite_file(tracker_file: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = Path(shutil.copy(tracker_file, tmp_path_factory.mktemp("lite") / "tracker.xlsx"))
    with_notes_sheet(path)
    parts = parts_of(path)
    add_lite(parts)
    add_shape(parts, "Notes", "drawing1.xml", "Board dates box", "Dates agreed with the chair")
    add_shape(parts, "Actions", "drawing2.xml", "Recalculate RAG", "Recalculate RAG")
    add_custom_xml(parts)
    return write_parts(path, parts)


@pytest.fixture
def lite_master(lite_file: Path, tmp_path: Path) -> Path:
    """The example tracker with xlwings Lite's code, a Notes sheet with a shape, and a
    sheet button (a shape) on the Actions sheet."""
    return Path(shutil.copy(lite_file, tmp_path / "tracker.xlsx"))


def job_changes() -> Changes:
    """What a job writes: one cell on Actions, and a sheet of its own."""
    return Changes(
        cells=[CellWrite("Actions", 2, 18, value="Red", fill="FF0000")],
        sheets=[
            GeneratedSheet(
                name="Validation", rows=[["Ref", "Problem"], ["1.01", "No lead officer"]], header_row=1
            )
        ],
    )


# --------------------------------------------------------------------------- tests


def test_openpyxl_drops_lite_code_and_shapes(lite_master: Path) -> None:
    """The evidence: an openpyxl save leaves out the Lite code and both drawings."""
    found = inventory(lite_master)
    for part in LITE_PARTS + ["xl/drawings/drawing1.xml", "xl/drawings/drawing2.xml", "customXml/item1.xml"]:
        assert part in found.dropped
    assert "xl/worksheets/sheet1.xml" not in found.dropped
    assert "drawing" in found.dropped_in_sheets["Actions"]
    assert "drawing" in found.dropped_in_sheets["Notes"]


def test_lite_code_and_shapes_are_kept_byte_for_byte(lite_master: Path) -> None:
    before = parts_of(lite_master)
    notes = sheet_part(before, "Notes")

    apply_changes(lite_master, job_changes())

    after = parts_of(lite_master)
    for part in LITE_PARTS:
        assert after[part] == before[part], part
    assert lite_code(after["xl/webextensions/webextension1.xml"])["main.py"] == LITE_CODE
    package = Package(after)
    assert (
        package.content_type("xl/webextensions/webextension1.xml")
        == "application/vnd.ms-office.webextension+xml"
    )
    assert [r.target for r in package.rels("") if r.type.endswith("/webextensiontaskpanes")] == [
        LITE_PARTS[0]
    ]
    # The sheet plantrack does not touch comes back whole, with its shape.
    assert package.sheets()["Notes"] == notes
    for part in (notes, sheet_rels(notes), "xl/drawings/drawing1.xml"):
        assert after[part] == before[part], part
    # The sheet button on Actions is linked again from the sheet plantrack wrote into.
    actions = package.sheets()["Actions"]
    drawing = [r.target for r in package.rels(actions) if r.type.endswith("/drawing")]
    assert drawing and after[drawing[0]] == before["xl/drawings/drawing2.xml"]
    assert re.search(rb'<drawing [^>]*r:id="[^"]+"/>', after[actions])
    # Custom XML, linked from the workbook by a relationship alone, is kept too.
    assert after["customXml/item1.xml"] == CUSTOM_XML
    assert "customXml/item1.xml" in [r.target for r in package.rels(package.workbook())]
    # And plantrack's own work is there.
    grids = read_grids(lite_master)
    assert grids["Actions"].values[1][17] == "Red"
    assert grids["Validation"].values[1] == ["1.01", "No lead officer"]
    assert openpyxl.load_workbook(lite_master)["Actions"]["R2"].fill.fgColor.rgb.endswith("FF0000")


@pytest.mark.office
def test_kept_parts_open_in_libreoffice(lite_master: Path, tmp_path: Path) -> None:
    apply_changes(lite_master, job_changes())
    assert convert(lite_master, "pdf").stat().st_size > 0
    content = zipfile.ZipFile(convert(lite_master, "ods")).read("content.xml")
    shapes = set(re.findall(rb'<draw:custom-shape [^>]*draw:name="([^"]+)"', content))
    assert shapes == {b"Board dates box", b"Recalculate RAG"}


def test_sheets_plantrack_does_not_touch_keep_shared_strings(example_path: Path) -> None:
    """Excel keeps text in a shared-strings table; openpyxl writes text inline. The sheets
    plantrack does not touch come back byte for byte, with the old table."""
    expected = {name: grid.values for name, grid in read_grids(example_path).items()}
    expected_slow = {name: grid.values for name, grid in read_grids(example_path, fast=False).items()}
    parts = parts_of(example_path)
    to_shared_strings(parts)
    write_parts(example_path, parts)
    assert {n: g.values for n, g in read_grids(example_path).items()} == expected

    apply_changes(example_path, Changes(cells=[CellWrite("Actions", 2, 18, value="Amber")]))

    after = parts_of(example_path)
    sheets = Package(after).sheets()
    for name, part in sheets.items():
        if name != "Actions":
            assert after[part] == parts[part], name
    assert after["xl/sharedStrings.xml"] == parts["xl/sharedStrings.xml"]
    for name, grid in read_grids(example_path).items():
        if name != "Actions":
            assert grid.values == expected[name], name
    for name, grid in read_grids(example_path, fast=False).items():
        if name != "Actions":
            assert grid.values == expected_slow[name], name
    assert openpyxl.load_workbook(example_path)["Actions"]["R2"].value == "Amber"


@pytest.fixture
def through_openpyxl(monkeypatch: pytest.MonkeyPatch) -> None:
    """Cells of existing sheets written by openpyxl (the way taken when a sheet cannot be
    patched directly, see master_write), so what openpyxl drops around them is tested."""
    from addin import master_write

    monkeypatch.setattr(master_write, "DIRECT", False)


@pytest.mark.filterwarnings("ignore:Data Validation extension:UserWarning")  # openpyxl saying it drops it
@pytest.mark.usefixtures("through_openpyxl")
def test_what_openpyxl_drops_on_a_written_sheet_comes_back(example_path: Path) -> None:
    """Excel writes a drop-down whose list is on another sheet in the sheet's extLst, which
    openpyxl drops: it goes back into the rewritten sheet, with the ignored-error marks and
    the bold words inside cells, and the printer settings."""
    validation = (  # its prefixes are declared on the sheet's root element, as Excel may do
        '<extLst><ext uri="{CCE6A557-97BC-4b89-ADB6-D9C93CAAB3DF}">'
        '<x14:dataValidations count="1">'
        '<x14:dataValidation type="list" allowBlank="1" showErrorMessage="1"><x14:formula1>'
        "<xm:f>Leads!$A$2:$A$40</xm:f></x14:formula1><xm:sqref>D2:D500</xm:sqref></x14:dataValidation>"
        "</x14:dataValidations></ext></extLst>"
    )
    from openpyxl.cell.rich_text import CellRichText, TextBlock
    from openpyxl.cell.text import InlineFont

    wb = openpyxl.load_workbook(example_path)
    wb["Actions"]["O3"] = CellRichText(["Audit done; ", TextBlock(InlineFont(b=True), "re-audit due")])
    wb.save(example_path)
    parts = parts_of(example_path)
    actions = sheet_part(parts, "Actions")
    parts[actions] = parts[actions].replace(
        f'<worksheet xmlns="{MAIN}"'.encode(),
        f'<worksheet xmlns="{MAIN}" xmlns:r="{R}" '
        'xmlns:x14="http://schemas.microsoft.com/office/spreadsheetml/2009/9/main" '
        'xmlns:xm="http://schemas.microsoft.com/office/excel/2006/main"'.encode(),
        1,
    )
    put_in_sheet(parts, "Actions", validation, ())
    put_in_sheet(parts, "Actions", '<ignoredErrors><ignoredError sqref="A2:A41" numberStoredAsText="1"/>'
                 "</ignoredErrors>", ("<drawing", *AFTER_DRAWING))  # fmt: skip
    # Printer settings (binary, from the printer driver) linked from the page setup.
    parts["xl/printerSettings/printerSettings1.bin"] = bytes(range(256)) * 4
    link_from_sheet(
        parts, "Actions", "rIdPrinter", f"{R}/printerSettings", "../printerSettings/printerSettings1.bin"
    )
    parts[actions] = re.sub(
        rb"(<pageSetup\b[^>]*?)\s*/>", rb'\1 r:id="rIdPrinter"/>', parts[actions], count=1
    )
    assert b'r:id="rIdPrinter"' in parts[actions]
    parts["[Content_Types].xml"] = parts["[Content_Types].xml"].replace(
        b"</Types>",
        b'<Default Extension="bin" '
        b'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.printerSettings"/></Types>',
    )
    write_parts(example_path, parts)

    apply_changes(example_path, Changes(cells=[CellWrite("Actions", 3, 18, value="Green")]))

    sheet_xml = parts_of(example_path)[Package(parts_of(example_path)).sheets()["Actions"]]
    assert b"<xm:f>Leads!$A$2:$A$40</xm:f>" in sheet_xml
    assert re.search(rb"<extLst [^>]*xmlns:xm=", sheet_xml)  # the prefixes it needs came with it
    assert sheet_xml.index(b"<ignoredErrors") < sheet_xml.index(b"<extLst")
    assert sheet_xml.rstrip().endswith(b"</extLst></worksheet>")
    wb = openpyxl.load_workbook(example_path, rich_text=True)  # still well-formed, namespaces declared
    assert wb["Actions"]["R3"].value == "Green"
    # The bold words inside a cell the job did not write stay bold.
    assert [str(run) for run in wb["Actions"]["O3"].value] == ["Audit done; ", "re-audit due"]
    assert wb["Actions"]["O3"].value[1].font.b
    after = Package(parts_of(example_path))
    printer = [r.target for r in after.rels(after.sheets()["Actions"]) if r.type.endswith("/printerSettings")]
    assert printer and after.parts[printer[0]] == parts["xl/printerSettings/printerSettings1.bin"]
    assert re.search(rb'<pageSetup [^>]*r:id="[^"]+"', after.parts[after.sheets()["Actions"]])
    assert (
        after.content_type(printer[0])
        == "application/vnd.openxmlformats-officedocument.spreadsheetml.printerSettings"
    )


def _with_form_control(lite_master: Path) -> dict[str, bytes]:
    parts = parts_of(lite_master)
    parts["xl/ctrlProps/ctrlProp1.xml"] = (
        b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\r\n<formControlPr '
        b'xmlns="http://schemas.microsoft.com/office/spreadsheetml/2009/9/main" '
        b'objectType="CheckBox" checked="Checked"/>'
    )
    link_from_sheet(parts, "Actions", "rIdControl", f"{R}/ctrlProp", "../ctrlProps/ctrlProp1.xml")
    control = (
        '<mc:AlternateContent xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006">'
        '<mc:Choice Requires="x14"><controls><mc:AlternateContent><mc:Choice Requires="x14">'
        f'<control xmlns:r="{R}" shapeId="1025" r:id="rIdControl" name="Check Box 1"/>'
        "</mc:Choice></mc:AlternateContent></controls></mc:Choice></mc:AlternateContent>"
    )
    put_in_sheet(parts, "Actions", control, ("<tableParts", "<extLst"))
    write_parts(lite_master, parts)
    return parts


@pytest.mark.usefixtures("through_openpyxl")
def test_form_controls_on_a_sheet_openpyxl_writes_leave_the_master_alone(lite_master: Path) -> None:
    """A form control on Actions cannot be put back into the sheet openpyxl rewrote: the
    master stays as it was, and the result is written beside it."""
    parts = _with_form_control(lite_master)
    master = lite_master.read_bytes()

    with pytest.raises(ContentKeptOut) as refused:
        apply_changes(lite_master, job_changes())

    assert lite_master.read_bytes() == master
    written = beside(lite_master)
    assert refused.value.written == written and written.name == "tracker (plantrack).xlsx"
    message = str(refused.value)
    assert "\n" not in message and "form controls" in message and "'Actions'" in message
    assert written.name in message
    assert read_grids(written)["Actions"].values[1][17] == "Red"
    assert (
        parts_of(written)["xl/webextensions/webextension1.xml"] == parts["xl/webextensions/webextension1.xml"]
    )


def test_form_controls_on_a_written_sheet_are_kept_when_cells_are_written_directly(lite_master: Path) -> None:
    """Written straight into the sheet's XML, Actions keeps its form control, its relationship
    and the control's own part byte for byte, and the master is changed in place."""
    parts = _with_form_control(lite_master)
    before = Package(parts)
    old_sheet = before.parts[before.sheets()["Actions"]]

    apply_changes(lite_master, job_changes())

    assert not beside(lite_master).exists()
    assert read_grids(lite_master)["Actions"].values[1][17] == "Red"
    after = Package(parts_of(lite_master))
    new_sheet = after.parts[after.sheets()["Actions"]]
    assert b'<control xmlns:r="' in new_sheet and new_sheet.count(b"<c r=") >= old_sheet.count(b"<c r=")
    controls = [r.target for r in after.rels(after.sheets()["Actions"]) if r.type.endswith("/ctrlProp")]
    assert controls and after.parts[controls[0]] == parts["xl/ctrlProps/ctrlProp1.xml"]
    assert after.parts["xl/webextensions/webextension1.xml"] == parts["xl/webextensions/webextension1.xml"]


@pytest.mark.usefixtures("through_openpyxl")
def test_the_command_line_prints_one_line_when_the_master_is_left_alone(
    lite_master: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from addin.cli import main

    parts = parts_of(lite_master)
    put_in_sheet(
        parts, "Actions", f'<picture xmlns:r="{R}" r:id="rIdMissing"/>', ("<oleObjects", "<tableParts")
    )
    write_parts(lite_master, parts)
    master = lite_master.read_bytes()

    code = main(["rag", str(lite_master)])  # writes RAG cells into Actions

    assert lite_master.read_bytes() == master
    err = capsys.readouterr().err.strip()
    assert code == 2
    assert "background picture" in err and "tracker (plantrack).xlsx" in err
    assert beside(lite_master).exists()


def test_tables_put_back_keep_their_ids_and_openpyxl_tables_move(example_path: Path) -> None:
    """Table ids must be unique: openpyxl numbers tables afresh, the kept ones keep theirs."""
    from openpyxl.worksheet.table import Table

    wb = openpyxl.load_workbook(example_path)
    wb["Leads"].add_table(Table(displayName="LeadsTable", ref="A1:B5"))
    notes = wb.create_sheet("Notes")
    notes.append(["Date", "Board"])
    notes.append(["14/11/2019", "Improvement board"])
    notes.add_table(Table(displayName="BoardDates", ref="A1:B2"))
    wb.save(example_path)
    parts = parts_of(example_path)
    tables = {name: data for name, data in parts.items() if name.startswith("xl/tables/")}
    # Excel numbers tables as they were made: the Notes table came first.
    for name, data in tables.items():
        new_id = b"1" if b"BoardDates" in data else b"2"
        parts[name] = re.sub(rb'(<table [^>]*?\bid=")\d+"', rb"\g<1>" + new_id + b'"', data, count=1)
    write_parts(example_path, parts)

    apply_changes(
        example_path, Changes(cells=[CellWrite("Leads", 2, 2, value="Director of Children's Services")])
    )

    after = parts_of(example_path)
    ids = [
        re.search(rb'<table [^>]*?\bid="(\d+)"', d)[1] for n, d in after.items() if n.startswith("xl/tables/")
    ]
    assert len(ids) == len(set(ids)) == 2
    board = next(n for n, d in parts.items() if n.startswith("xl/tables/") and b"BoardDates" in d)
    assert board in after and after[board] == parts[board]


def test_removing_an_empty_element_leaves_the_next_one() -> None:
    """expat may report the end of ``<x/>`` just after it: only that element goes."""
    from addin.preserve import _remove_element

    sheet = b'<w><a/><drawing r:id="x" xmlns:r="u"/><legacyDrawing xmlns:r="u" r:id="y"/></w>'
    assert _remove_element(sheet, "drawing") == b'<w><a/><legacyDrawing xmlns:r="u" r:id="y"/></w>'
    assert (
        _remove_element(sheet, "a")
        == b'<w><drawing r:id="x" xmlns:r="u"/><legacyDrawing xmlns:r="u" r:id="y"/></w>'
    )


def test_big_parts_are_left_in_their_file_until_read_or_written(example_path: Path, tmp_path: Path) -> None:
    """Package.read(stored_above=n) leaves parts bigger than n in the file: their bytes are
    read when asked for, streamed when written, and they cannot pass for bytes anywhere."""
    from addin.preserve import StoredPart, same_part

    held, stored = Package.read(example_path), Package.read(example_path, stored_above=1000)
    big = [name for name, part in stored.parts.items() if isinstance(part, StoredPart)]
    assert big and len(big) < len(stored.parts)  # the sheets, not the small parts
    for name in held.parts:
        assert stored.data(name) == held.parts[name] and len(stored.parts[name]) == len(held.parts[name])
    with pytest.raises(TypeError):
        re.search(b"<sheetData", stored.parts[big[0]])  # type: ignore[call-overload]
    assert same_part(stored.parts[big[0]], held.parts[big[0]]) and same_part(
        stored.parts[big[0]], stored.parts[big[0]]
    )
    assert not same_part(stored.parts[big[0]], held.parts[big[0]] + b" ")
    stored.load(big[0])
    assert stored.parts[big[0]] == held.parts[big[0]]  # loaded: held from now on
    stored.write(tmp_path / "copy.xlsx")
    with zipfile.ZipFile(tmp_path / "copy.xlsx") as zf:
        assert {n: zf.read(n) for n in zf.namelist()} == held.parts
    assert read_grids(tmp_path / "copy.xlsx")["Actions"].values == read_grids(example_path)["Actions"].values


def _swap_cell_formats(styles: bytes, first: int, second: int) -> bytes:
    """styles.xml with cell formats ``first`` and ``second`` swapped: both now mean the other."""
    start, end = styles.index(b"<cellXfs"), styles.index(b"</cellXfs>")
    block = styles[start:end]
    xfs = re.findall(rb"<xf\b[^>]*?(?:/>|>.*?</xf>)", block, re.S)
    assert xfs[first] != xfs[second]
    swapped = list(xfs)
    swapped[first], swapped[second] = xfs[second], xfs[first]
    head = block[: block.index(xfs[0])]
    return styles[:start] + head + b"".join(swapped) + styles[end:]


def test_a_sheet_is_kept_only_if_its_cell_formats_mean_the_same(example_path: Path) -> None:
    """The check restore runs before putting a sheet back: a sheet using a cell format whose
    meaning changed is refused; one using only unchanged formats is kept, as is a reference
    that was dangling in the master already."""
    from addin.preserve import _StyleCheck

    old = Package.read(example_path)
    styles = next(n for n in old.parts if n.endswith("styles.xml"))
    actions, leads = (old.data(old.sheets()[name]) for name in ("Actions", "Leads"))

    def formats(xml: bytes) -> set[int]:
        return {int(n) for n in re.findall(rb'\ss="(\d+)"', xml)}

    first, second = sorted(formats(actions) - formats(leads))[-2:]  # Actions uses them, Leads does not
    changed = Package(dict(old.parts))
    changed.parts[styles] = _swap_cell_formats(old.data(styles), first, second)

    assert _StyleCheck(old, Package(dict(old.parts))).problem(actions) is None
    check = _StyleCheck(old, changed)
    assert check.problem(actions) == "its cell formats changed"
    assert check.problem(leads) is None
    dangling = leads.replace(b"<sheetData>", b'<sheetData><row r="999"><c r="A999" s="9999"/></row>', 1)
    assert b's="9999"' in dangling and check.problem(dangling) is None
