"""The desktop ribbon add-in (workbook/addin/plantrack.xlam) is built from its text sources
(workbook/build_addin.py), the same bytes every time, and holds exactly those sources."""

from __future__ import annotations

import ast
import importlib.util
import io
import re
import struct
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import olefile
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.office import require_office

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning:oletools.olevba")

ROOT = Path(__file__).resolve().parents[1]
SOURCES = ROOT / "workbook" / "addin"
RIBBON_REL = "http://schemas.microsoft.com/office/2007/relationships/ui/extensibility"


def _load_builder():
    spec = importlib.util.spec_from_file_location("build_addin", ROOT / "workbook" / "build_addin.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["build_addin"] = module
    spec.loader.exec_module(module)
    return module


build_addin = _load_builder()


@pytest.fixture(scope="module")
def xlam() -> bytes:
    return build_addin.build()


@pytest.fixture(scope="module")
def vba(xlam: bytes) -> olefile.OleFileIO:
    with zipfile.ZipFile(io.BytesIO(xlam)) as zf:
        return olefile.OleFileIO(io.BytesIO(zf.read("xl/vbaProject.bin")))


def crlf(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\n", "\r\n")


def dir_records(vba: olefile.OleFileIO) -> list[tuple[int, bytes]]:
    data = build_addin.decompress(vba.openstream("VBA/dir").read())
    records, at = [], 0
    while at < len(data):
        record_id, size = struct.unpack_from("<HI", data, at)
        if record_id == 0x0009:  # PROJECTVERSION: its size field is a constant, 6 more bytes follow
            size = 6
        records.append((record_id, data[at + 6 : at + 6 + size]))
        at += 6 + size
    return records


# --------------------------------------------------------------------------- reproducible


def test_the_build_gives_the_same_bytes_every_time(xlam: bytes) -> None:
    assert build_addin.build() == xlam


def test_the_committed_add_in_is_built_from_the_committed_sources(xlam: bytes) -> None:
    assert (SOURCES / "plantrack.xlam").read_bytes() == xlam, "run: python workbook/build_addin.py"


def test_the_build_command_writes_and_checks(tmp_path: Path) -> None:
    out = tmp_path / "plantrack.xlam"
    run = [sys.executable, str(ROOT / "workbook" / "build_addin.py")]
    assert subprocess.run([*run, "--out", str(out)], capture_output=True).returncode == 0
    assert out.read_bytes() == build_addin.build()
    assert subprocess.run([*run, "--check", "--out", str(out)], capture_output=True).returncode == 0
    out.write_bytes(b"stale")
    stale = subprocess.run([*run, "--check", "--out", str(out)], capture_output=True, text=True)
    assert stale.returncode == 1 and "out of date" in stale.stderr


# --------------------------------------------------------------------------- the package


def test_the_package_is_an_add_in_with_the_ribbon(xlam: bytes) -> None:
    with zipfile.ZipFile(io.BytesIO(xlam)) as zf:
        assert zf.namelist()[0] == "[Content_Types].xml"
        ribbon = (SOURCES / "customUI14.xml").read_bytes().replace(b"\r\n", b"\n")
        assert zf.read("customUI/customUI14.xml") == ribbon
        types = zf.read("[Content_Types].xml").decode()
        root = zf.read("_rels/.rels").decode()
        book_rels = zf.read("xl/_rels/workbook.xml.rels").decode()
        assert {i.date_time for i in zf.infolist()} == {(1980, 1, 1, 0, 0, 0)}
    assert (
        'PartName="/xl/workbook.xml" ContentType="application/vnd.ms-excel.addin.macroEnabled.main+xml"'
        in types
    )
    assert f'Type="{RIBBON_REL}" Target="customUI/customUI14.xml"' in root
    assert 'relationships/vbaProject" Target="vbaProject.bin"' in book_rels


def test_every_ribbon_button_calls_a_public_macro_with_the_ribbon_signature() -> None:
    ribbon = (SOURCES / "customUI14.xml").read_text(encoding="utf-8")
    module = (SOURCES / "PlanTracker.bas").read_text(encoding="utf-8")
    assert 'xmlns="http://schemas.microsoft.com/office/2009/07/customui"' in ribbon
    assert re.search(r'<tab id="plantrackTab" label="Plan tracker">', ribbon)
    labels = re.findall(r'<button [^>]*label="([^"]+)"', ribbon)
    assert labels == ["Validate", "Recalculate RAG", "Issue copies", "Merge returns", "Board pack", "About"]
    actions = re.findall(r'onAction="PlanTracker\.(\w+)"', ribbon)
    assert len(actions) == len(labels)
    for macro in actions:
        assert re.search(rf"^Public Sub {macro}\(control As Object\)$", module, re.M), macro


def test_the_buttons_run_the_python_button_bodies_on_the_active_workbook() -> None:
    """Through the xlwings add-in's RunPython, whose Book.caller() is the active workbook."""
    module = (SOURCES / "PlanTracker.bas").read_text(encoding="utf-8")
    assert 'Application.Run "\'" & XLWINGS_ADDIN & "\'!RunPython"' in module
    jobs = re.findall(r'RunJob "(\w+)"', module)
    assert jobs == ["validate", "recalculate_rag", "issue_copies", "merge_returns", "board_pack"]
    template = re.search(
        r'"(import addin\.buttons as b, xlwings as xw; b\.)" & job & "(\(xw\.Book\.caller\(\)\))"', module
    )
    assert template is not None
    import addin.buttons as buttons

    for job in jobs:
        command = template[1] + job + template[2]
        ast.parse(command)  # a valid Python command line, with no quotes for cmd.exe to mangle
        assert '"' not in command
        assert callable(getattr(buttons, job)), job


# --------------------------------------------------------------------------- the VBA project


def test_the_vba_project_holds_the_module_source(vba: olefile.OleFileIO) -> None:
    streams = {"/".join(s) for s in vba.listdir()}
    modules = {"VBA/ThisWorkbook", "VBA/Sheet1", "VBA/PlanTracker"}
    assert streams == {"PROJECT", "PROJECTwm", "VBA/_VBA_PROJECT", "VBA/dir", *modules}
    source = (SOURCES / "PlanTracker.bas").read_text(encoding="utf-8")
    stored = build_addin.decompress(vba.openstream("VBA/PlanTracker").read()).decode("cp1252")
    assert stored == crlf(source)
    this_workbook = build_addin.decompress(vba.openstream("VBA/ThisWorkbook").read()).decode("cp1252")
    assert this_workbook.startswith('Attribute VB_Name = "ThisWorkbook"\r\nAttribute VB_Base = "0{00020819-')


def test_the_project_asks_excel_to_compile_the_source(vba: olefile.OleFileIO) -> None:
    """_VBA_PROJECT version 0xFFFF, no compiled code: Excel compiles from source ([MS-OVBA] 2.3.4.1)."""
    assert vba.openstream("VBA/_VBA_PROJECT").read() == bytes.fromhex("CC61FFFF000100")
    records = dir_records(vba)
    ids = [r for r, _ in records]
    assert ids[:4] == [0x0001, 0x0002, 0x0014, 0x0003] and ids[-1] == 0x0010
    names = [data.decode() for r, data in records if r == 0x0019]
    assert names == ["ThisWorkbook", "Sheet1", "PlanTracker"]
    assert [data for r, data in records if r == 0x0031] == [bytes(4)] * 3  # source from byte 0
    types = [r for r, _ in records if r in (0x0021, 0x0022)]
    assert types == [0x0022, 0x0022, 0x0021]  # two document modules, one standard module
    assert dict(records)[0x0004] == b"plantrack"


def test_the_project_stream_is_unprotected_and_visible(vba: olefile.OleFileIO) -> None:
    text = vba.openstream("PROJECT").read().decode("cp1252")
    lines = dict(
        line.split("=", 1) for line in text.splitlines() if "=" in line and not line.startswith("&H")
    )
    project_id = lines["ID"].strip('"')
    assert build_addin.decrypt(lines["CMG"].strip('"'), project_id) == bytes(4)  # not protected
    assert build_addin.decrypt(lines["DPB"].strip('"'), project_id) == b"\0"  # no password
    assert build_addin.decrypt(lines["GC"].strip('"'), project_id) == b"\xff"  # visible
    assert "Module=PlanTracker" in text and "Document=ThisWorkbook/&H00000000" in text


def test_olevba_reads_the_same_source(xlam: bytes) -> None:
    """An independent reader of VBA projects (oletools) finds the module source."""
    from oletools.olevba import VBA_Parser

    parser = VBA_Parser("plantrack.xlam", data=xlam)
    macros = {name: code for _, _, name, code in parser.extract_macros()}
    parser.close()
    source = (SOURCES / "PlanTracker.bas").read_text(encoding="utf-8")
    assert macros["PlanTracker.bas"].replace("\r\n", "\n").strip() == source.replace("\r\n", "\n").strip()
    assert set(macros) == {"ThisWorkbook.cls", "Sheet1.cls", "PlanTracker.bas"}


@given(st.binary(max_size=9000) | st.text(alphabet=" \r\nabcdefAB'()=\".", max_size=9000).map(str.encode))
@settings(max_examples=60, deadline=None)
def test_compression_round_trips_and_agrees_with_olevba(data: bytes) -> None:
    from oletools.olevba import decompress_stream

    packed = build_addin.compress(data)
    assert build_addin.decompress(packed) == data
    assert bytes(decompress_stream(bytearray(packed))) == data


@given(st.dictionaries(st.from_regex(r"[A-Za-z][A-Za-z0-9_]{0,20}", fullmatch=True), st.binary(max_size=6000),
                       min_size=1, max_size=12))  # fmt: skip
@settings(max_examples=25, deadline=None)
def test_the_compound_file_holds_any_streams(streams: dict[str, bytes]) -> None:
    paths = {f"VBA/{name}" if i % 2 else name: data for i, (name, data) in enumerate(streams.items())}
    if len({p.upper() for p in paths}) != len(paths) or "VBA" in {p.upper() for p in paths}:
        return  # one name for two entries (names differing only in case are the same name)
    ole = olefile.OleFileIO(io.BytesIO(build_addin.compound_file(paths)))
    for path, data in paths.items():
        assert ole.openstream(path).read() == data
    _assert_red_black(ole)


def _assert_red_black(ole: olefile.OleFileIO) -> None:
    """Each storage's children: a binary search tree by (length, upper-case name), no red
    node with a red child, the same number of black nodes on every path ([MS-CFB] 2.6.4)."""
    entries = ole.direntries

    def check(sid: int) -> tuple[int, list[tuple[int, str]]]:
        if sid == olefile.NOSTREAM:
            return 1, []
        entry = entries[sid]
        left_height, left = check(entry.sid_left)
        right_height, right = check(entry.sid_right)
        assert left_height == right_height
        for child in (entry.sid_left, entry.sid_right):
            if child != olefile.NOSTREAM:
                assert not (entry.color == 0 and entries[child].color == 0)
        key = (len(entry.name), entry.name.upper())
        assert all(k < key for k in left) and all(k > key for k in right)
        return left_height + (entry.color == 1), [*left, key, *right]

    for entry in entries:
        if entry is not None and entry.entry_type in (olefile.STGTY_ROOT, olefile.STGTY_STORAGE):
            assert entry.sid_child == olefile.NOSTREAM or entries[entry.sid_child].color == 1
            check(entry.sid_child)


# --------------------------------------------------------------------------- LibreOffice


@pytest.mark.office
def test_libreoffice_opens_the_add_in_and_reads_its_vba(xlam: bytes, tmp_path: Path) -> None:
    """LibreOffice's own VBA reader imports the module (as Basic) from the add-in.

    LibreOffice does not recognise .xlam files by their content, so the Excel 2007-365
    import filter is named."""
    exe = require_office()
    source = tmp_path / "plantrack.xlam"
    source.write_bytes(xlam)
    with tempfile.TemporaryDirectory() as profile:
        subprocess.run(
            [exe, f"-env:UserInstallation=file://{profile}", "--headless", "--norestore",
             "--infilter=Calc MS Excel 2007 XML", "--convert-to", "ods", "--outdir", str(tmp_path),
             str(source)],
            capture_output=True, text=True, timeout=180,
        )  # fmt: skip
    converted = tmp_path / "plantrack.ods"
    assert converted.exists(), "LibreOffice could not open plantrack.xlam"
    with zipfile.ZipFile(converted) as zf:
        basic = zf.read("Basic/plantrack/PlanTracker.xml").decode()
        assert "Basic/plantrack/ThisWorkbook.xml" in zf.namelist()
    for line in ("Public Sub PlantrackValidate(control As Object)", "Private Sub RunJob(job As String)"):
        assert line in basic


def test_the_readme_tells_how_to_install_and_rebuild_the_add_in() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("### Desktop Excel (ribbon add-in)", 1)[1].split("\n## ", 1)[0]
    for needed in (
        "xlwings addin install",
        'pip install ".[excel]"',
        "plantrack.xlam",
        "Unblock",
        "Interpreter",
        "ModuleNotFoundError",
        "python workbook/build_addin.py",
        "xw.Book.caller()",
    ):
        assert needed in section, needed
    module = (SOURCES / "PlanTracker.bas").read_text(encoding="utf-8")
    shown = re.search(r"`(Application\.Run [^`]+)`", section)
    assert shown and "'!RunPython\"" in module and "'xlwings.xlam'!RunPython" in shown[1]
