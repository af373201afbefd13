"""The guard: every bad file is refused quickly, with a plain message, and left untouched."""

from __future__ import annotations

import dataclasses
import hashlib
import io
import os
import subprocess
import sys
import time
import types
import zipfile
from collections.abc import Callable
from pathlib import Path

import badfiles
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from addin.errors import UnusableWorkbook, WriteRefused
from addin.guard import (
    DEFAULT_LIMITS,
    CheckedWorkbook,
    Limits,
    check_not_open_in_excel,
    check_workbook,
    defusedxml_in_use,
    safe_read,
)

MB = 1024 * 1024
SECONDS = 1.0


def checked(path: Path, limits: Limits = DEFAULT_LIMITS) -> CheckedWorkbook:
    """check_workbook, asserting it was quick and left the file's bytes alone."""
    before = path.read_bytes() if path.is_file() else None
    start = time.perf_counter()
    try:
        return check_workbook(path, limits)
    finally:
        assert time.perf_counter() - start < SECONDS
        if before is not None:
            assert path.read_bytes() == before


def refused(path: Path, limits: Limits = DEFAULT_LIMITS) -> UnusableWorkbook:
    with pytest.raises(UnusableWorkbook) as caught:
        checked(path, limits)
    error = caught.value
    assert str(error).startswith(f"{path.name}: ")
    assert error.problem and error.advice and "\n" not in str(error)
    return error


def real(tmp_path: Path) -> Path:
    return badfiles.real_xlsx(tmp_path / "source.xlsx")


def central_directory_start(path: Path) -> int:
    raw = path.read_bytes()
    return int.from_bytes(raw[raw.rfind(b"PK\x05\x06") + 16 :][:4], "little")


def folder(path: Path) -> Path:
    path.mkdir()
    return path


Builder = Callable[[Path], Path]

BAD_FILES: list[tuple[str, Builder, Limits, str]] = [
    ("missing", lambda t: t / "Tracker.xlsx", DEFAULT_LIMITS, "does not exist"),
    ("folder", lambda t: folder(t / "Tracker.xlsx"), DEFAULT_LIMITS, "this is a folder, not a workbook"),
    ("empty", lambda t: badfiles.empty_file(t / "Tracker.xlsx"), DEFAULT_LIMITS, "the file is empty"),
    ("text", lambda t: badfiles.text_file(t / "Tracker.xlsx"), DEFAULT_LIMITS, "not an Excel workbook"),
    ("csv named .xls", lambda t: badfiles.text_file(t / "Tracker.xls"), DEFAULT_LIMITS, "text or CSV"),
    ("web page", lambda t: badfiles.web_page(t / "Tracker.xls"), DEFAULT_LIMITS, "web page"),
    ("png", lambda t: badfiles.png_file(t / "Tracker.xlsx"), DEFAULT_LIMITS, "image (PNG), not a workbook"),
    ("pdf", lambda t: badfiles.pdf_file(t / "Tracker.xlsx"), DEFAULT_LIMITS, "PDF, not a workbook"),
    (
        "truncated",
        lambda t: badfiles.truncated(real(t), t / "Tracker.xlsx"),
        DEFAULT_LIMITS,
        "the file is damaged (incomplete download or copy?)",
    ),
    (
        "corrupt directory",
        lambda t: badfiles.flipped(real(t), t / "Tracker.xlsx", central_directory_start(real(t))),
        DEFAULT_LIMITS,
        "the file is damaged",
    ),
    (
        "corrupt workbook part",
        lambda t: badfiles.flipped(
            real(t), t / "Tracker.xlsx", badfiles.data_offset(real(t), "xl/workbook.xml") + 20, count=8
        ),
        DEFAULT_LIMITS,
        "the file is damaged",
    ),
    ("duplicate parts", lambda t: badfiles.duplicate_parts(t / "Tracker.xlsx"), DEFAULT_LIMITS, "same name"),
    (
        "overlapping parts",
        lambda t: badfiles.overlapping_parts(t / "Tracker.xlsx"),
        DEFAULT_LIMITS,
        "overlap",
    ),
    (
        "zip-encrypted part",
        lambda t: badfiles.patch_central_record(
            badfiles.minimal_xlsx(t / "Tracker.xlsx"), "xl/workbook.xml", flags=1
        ),
        DEFAULT_LIMITS,
        "zip-encrypted",
    ),
    (
        "bzip2 part",
        lambda t: badfiles.minimal_xlsx(t / "Tracker.xlsx", compression=zipfile.ZIP_BZIP2),
        DEFAULT_LIMITS,
        "compression",
    ),
    ("plain zip", lambda t: badfiles.plain_zip(t / "Tracker.xlsx"), DEFAULT_LIMITS, "a zip, but not .xlsx"),
    ("xlsb", lambda t: badfiles.xlsb_like(t / "Tracker.xlsx"), DEFAULT_LIMITS, ".xlsb"),
    ("ods", lambda t: badfiles.ods_like(t / "Tracker.xlsx"), DEFAULT_LIMITS, "OpenDocument"),
    (
        "no sheets",
        lambda t: badfiles.minimal_xlsx(t / "Tracker.xlsx", sheets=()),
        DEFAULT_LIMITS,
        "lists no sheets",
    ),
    (
        "password-protected",
        lambda t: badfiles.encrypted_workbook(t / "Tracker.xlsx"),
        DEFAULT_LIMITS,
        "the workbook is password-protected",
    ),
    ("legacy xls", lambda t: badfiles.legacy_xls(t / "Tracker.xlsx"), DEFAULT_LIMITS, "old .xls workbook"),
    ("word document", lambda t: badfiles.word_document(t / "Tracker.xlsx"), DEFAULT_LIMITS, "Word document"),
    ("broken OLE", lambda t: badfiles.broken_compound_file(t / "Tracker.xls"), DEFAULT_LIMITS, "damaged"),
    ("zip bomb", lambda t: badfiles.zip_bomb(t / "Tracker.xlsx"), DEFAULT_LIMITS, "zip bomb"),
    ("declared 1 GB", lambda t: badfiles.declared_gigabyte(t / "Tracker.xlsx"), DEFAULT_LIMITS, "zip bomb"),
    (
        "unpacks too big",
        lambda t: badfiles.zip_bomb(t / "Tracker.xlsx", 3 * MB),
        Limits(max_uncompressed_bytes=2 * MB, max_ratio=10_000),
        "would unpack to 3.0 MB, more than the limit of 2.0 MB",
    ),
    (
        "file too big",
        lambda t: badfiles.zip_bomb(t / "Tracker.xlsx", 3 * MB),
        Limits(max_file_bytes=1024),
        "the file is too big",
    ),
    (
        "too many parts",
        lambda t: badfiles.many_parts(t / "Tracker.xlsx", 10_001),
        DEFAULT_LIMITS,
        "too many parts (10,006; the limit is 10,000)",
    ),
    (
        "too many parts, low limit",
        lambda t: badfiles.many_parts(t / "Tracker.xlsx", 50),
        Limits(max_entries=20),
        "too many parts",
    ),
    (
        "billion laughs",
        lambda t: badfiles.billion_laughs(t / "Tracker.xlsx"),
        DEFAULT_LIMITS,
        "XML that plantrack refuses to read (entity declarations)",
    ),
    (
        "billion laughs in UTF-16",
        lambda t: badfiles.billion_laughs_utf16(t / "Tracker.xlsx"),
        DEFAULT_LIMITS,
        "entity declarations",
    ),
    (
        "external entity in a sheet",
        lambda t: badfiles.doctype_in_sheet(t / "Tracker.xlsx"),
        DEFAULT_LIMITS,
        "entity declarations",
    ),
    (
        "entity after padding",
        lambda t: badfiles.doctype_in_sheet(t / "Tracker.xlsx", padding=3000),
        DEFAULT_LIMITS,
        "entity declarations",
    ),
    (
        "entity past 4 KB of padding",
        lambda t: badfiles.doctype_in_sheet(t / "Tracker.xlsx", padding=5000),
        DEFAULT_LIMITS,
        "XML that plantrack refuses to read",
    ),
    (
        "root element hidden past 4 KB",
        lambda t: badfiles.late_root_sheet(t / "Tracker.xlsx"),
        DEFAULT_LIMITS,
        "does not start the way Excel writes it",
    ),
]


@pytest.mark.parametrize(
    ("build", "limits", "fragment"), [case[1:] for case in BAD_FILES], ids=[case[0] for case in BAD_FILES]
)
def test_bad_file_is_refused_quickly_and_left_untouched(
    tmp_path: Path, build: Builder, limits: Limits, fragment: str
) -> None:
    error = refused(build(tmp_path), limits)
    assert fragment in str(error)


def test_real_excel_encryption_is_recognised(tmp_path: Path) -> None:
    ooxml = pytest.importorskip("msoffcrypto.format.ooxml")
    source = real(tmp_path)
    target = tmp_path / "Tracker.xlsx"
    with open(source, "rb") as plain, open(target, "wb") as encrypted:
        ooxml.OOXMLFile(plain).encrypt("Passw0rd", encrypted)
    assert "password-protected" in refused(target).problem


def test_compound_file_writer_makes_files_olefile_can_read() -> None:
    olefile = pytest.importorskip("olefile")
    data = badfiles.compound_file({"EncryptionInfo": b"info", "EncryptedPackage": b"x" * 5000, "Third": b""})
    ole = olefile.OleFileIO(io.BytesIO(data))
    assert sorted(ole.listdir()) == [["EncryptedPackage"], ["EncryptionInfo"], ["Third"]]
    assert ole.openstream("EncryptedPackage").read()[:5000] == b"x" * 5000


# --------------------------------------------------------------------------- accepted, and reported


def test_real_workbook_passes_with_its_sheets(tmp_path: Path) -> None:
    path = real(tmp_path)
    result = checked(path)
    assert result.path == path
    assert result.size == path.stat().st_size
    assert result.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert result.sheet_names == ("Actions",)
    assert result.hidden_sheets == ()
    assert (result.has_macros, result.has_external_links) == (False, False)
    assert result.warnings == []
    assert result.limits == DEFAULT_LIMITS


def test_hidden_and_very_hidden_sheets_are_reported(tmp_path: Path) -> None:
    path = badfiles.real_xlsx(tmp_path / "Tracker.xlsx", hidden=["Old actions"], very_hidden=["_issued"])
    result = checked(path)
    assert result.sheet_names == ("Actions", "Old actions", "_issued")
    assert result.hidden_sheets == ("Old actions", "_issued")
    assert "Sheet 'Old actions' is hidden." in result.warnings
    assert any("'_issued' is very hidden" in warning for warning in result.warnings)


def test_macros_are_reported_not_refused(tmp_path: Path) -> None:
    result = checked(badfiles.xlsm_with_macros(tmp_path / "Tracker.xlsm"))
    assert result.has_macros
    assert result.warnings == ["The workbook contains macros; plantrack never runs them."]


def test_macros_are_found_by_content_whatever_the_name(tmp_path: Path) -> None:
    result = checked(badfiles.xlsm_with_macros(tmp_path / "Tracker.xlsx"))
    assert result.has_macros
    assert any("ends '.xlsx' but the workbook contains macros" in warning for warning in result.warnings)


def test_old_excel_4_macro_sheets_count_as_macros(tmp_path: Path) -> None:
    macro_sheet = b'<?xml version="1.0"?><xm:macrosheet xmlns:xm="urn:x"/>'
    path = badfiles.minimal_xlsx(
        tmp_path / "Tracker.xlsx", extra_parts={"xl/macrosheets/sheet1.xml": macro_sheet}
    )
    assert checked(path).has_macros


def test_plain_xlsx_renamed_xlsm_still_works(tmp_path: Path) -> None:
    result = checked(badfiles.minimal_xlsx(tmp_path / "Tracker.xlsm"))
    assert not result.has_macros
    assert result.warnings == []


@pytest.mark.parametrize("suffix", [".xls", ".csv", ""])
def test_xlsx_with_another_name_is_read_by_content(tmp_path: Path, suffix: str) -> None:
    result = checked(badfiles.minimal_xlsx(tmp_path / f"Tracker{suffix}"))
    assert result.sheet_names == ("Actions",)
    assert any("plantrack reads it by its content" in warning for warning in result.warnings)


def test_external_links_are_reported(tmp_path: Path) -> None:
    result = checked(badfiles.with_external_link(tmp_path / "Tracker.xlsx"))
    assert result.has_external_links
    assert any("links to other workbooks" in warning for warning in result.warnings)


def test_sheet_names_keep_their_text(tmp_path: Path) -> None:
    sheets = [("Plan", "visible"), ("Indicator data", "visible"), ("Ofsted &amp; JAR", "visible")]
    result = checked(badfiles.minimal_xlsx(tmp_path / "Tracker.xlsx", sheets=sheets))
    assert result.sheet_names == ("Plan", "Indicator data", "Ofsted & JAR")


def test_prefixed_namespace_is_understood(tmp_path: Path) -> None:
    workbook = (
        f'<x:workbook xmlns:x="{badfiles.MAIN_NS}"><x:sheets>'
        '<x:sheet name="Actions" sheetId="1"/><x:sheet name="Leads" sheetId="2" state="hidden"/>'
        "</x:sheets></x:workbook>"
    ).encode()
    result = checked(badfiles.minimal_xlsx(tmp_path / "Tracker.xlsx", workbook_xml=workbook))
    assert result.sheet_names == ("Actions", "Leads")
    assert result.hidden_sheets == ("Leads",)


def test_bomb_is_allowed_when_the_rules_allow_it(tmp_path: Path) -> None:
    path = badfiles.zip_bomb(tmp_path / "Tracker.xlsx", 2 * MB)
    assert checked(path, Limits(max_ratio=5_000)).sheet_names == ("Actions",)


def test_workbook_open_in_excel_is_still_read_with_a_warning(tmp_path: Path) -> None:
    path = badfiles.minimal_xlsx(tmp_path / "Tracker.xlsx")
    badfiles.excel_owner_file(path)
    assert "The workbook is open in Excel; plantrack reads the version last saved." in checked(path).warnings


# --------------------------------------------------------------------------- damage never escapes otherwise


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(position=st.integers(min_value=0), length=st.integers(min_value=1, max_value=64), cut=st.booleans())
def test_any_damage_to_a_workbook_gives_unusable_or_a_result(
    tmp_path: Path, position: int, length: int, cut: bool
) -> None:
    source = tmp_path / "source.xlsx"
    if not source.exists():
        badfiles.minimal_xlsx(source, extra_parts={"xl/media/blob.bin": bytes(5000)})
    data = source.read_bytes()
    target = tmp_path / "Tracker.xlsx"
    if cut:
        target.write_bytes(data[: position % len(data)])
    else:
        badfiles.flipped(source, target, position % len(data), length)
    try:
        result = checked(target)
    except UnusableWorkbook:
        return
    assert result.sheet_names


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(position=st.integers(min_value=0), junk=st.binary(min_size=1, max_size=16))
def test_any_damage_to_a_compound_file_gives_unusable(tmp_path: Path, position: int, junk: bytes) -> None:
    data = bytearray(badfiles.compound_file({"Workbook": b"BOF", "Other": b"y" * 10}))
    at = position % len(data)
    data[at : at + len(junk)] = junk
    target = tmp_path / "Tracker.xls"
    target.write_bytes(bytes(data))
    refused(target)


# --------------------------------------------------------------------------- safe_read


def test_safe_read_returns_the_part(tmp_path: Path) -> None:
    path = badfiles.minimal_xlsx(tmp_path / "Tracker.xlsx")
    with zipfile.ZipFile(path) as zf:
        assert safe_read(zf, "xl/worksheets/sheet1.xml", 1024) == badfiles.EMPTY_SHEET.encode()


def test_safe_read_stops_at_the_limit(tmp_path: Path) -> None:
    path = badfiles.zip_bomb(tmp_path / "Tracker.xlsx", 8 * MB)
    with zipfile.ZipFile(path) as zf, pytest.raises(UnusableWorkbook, match="unpacks to more than 1.0 MB"):
        safe_read(zf, "xl/worksheets/sheet2.xml", 1 * MB)


def test_safe_read_does_not_trust_a_declared_size(tmp_path: Path) -> None:
    path = badfiles.minimal_xlsx(tmp_path / "Tracker.xlsx", extra_parts={"xl/media/blob.bin": bytes(5 * MB)})
    badfiles.patch_central_record(path, "xl/media/blob.bin", file_size=1000)
    assert checked(path).sheet_names == ("Actions",)  # the lie is only found by inflating
    with zipfile.ZipFile(path) as zf, pytest.raises(UnusableWorkbook, match="damaged"):
        safe_read(zf, "xl/media/blob.bin", 1 * MB)


def test_safe_read_names_a_missing_part(tmp_path: Path) -> None:
    path = badfiles.minimal_xlsx(tmp_path / "Tracker.xlsx")
    with zipfile.ZipFile(path) as zf, pytest.raises(UnusableWorkbook, match="xl/styles.xml is missing"):
        safe_read(zf, "xl/styles.xml", 1024)


# --------------------------------------------------------------------------- open in Excel


def test_closed_workbook_may_be_written(tmp_path: Path) -> None:
    path = badfiles.minimal_xlsx(tmp_path / "Tracker.xlsx")
    check_not_open_in_excel(path)  # no error


@pytest.mark.parametrize("drop_two", [False, True])
def test_owner_file_refuses_the_write_and_names_the_user(tmp_path: Path, drop_two: bool) -> None:
    path = badfiles.minimal_xlsx(tmp_path / "Improvement plan tracker.xlsx")
    owner = badfiles.excel_owner_file(path, "Jane Smith", drop_two=drop_two)
    before = path.read_bytes()
    with pytest.raises(WriteRefused) as caught:
        check_not_open_in_excel(path)
    message = str(caught.value)
    assert "the workbook is open in Excel (Jane Smith has it open)" in message
    assert f"delete the file {owner.name}" in message
    assert path.read_bytes() == before and owner.exists()


def test_unreadable_owner_file_still_refuses(tmp_path: Path) -> None:
    path = badfiles.minimal_xlsx(tmp_path / "Tracker.xlsx")
    (tmp_path / "~$Tracker.xlsx").write_bytes(b"")
    with pytest.raises(WriteRefused, match=r"open in Excel \(someone has it open\)"):
        check_not_open_in_excel(path)


def test_libreoffice_lock_refuses_the_write(tmp_path: Path) -> None:
    path = badfiles.minimal_xlsx(tmp_path / "Tracker.xlsx")
    (tmp_path / ".~lock.Tracker.xlsx#").write_text(",jsmith,host,01.01.2024 10:00,file:///Tracker.xlsx;")
    with pytest.raises(WriteRefused, match="open in LibreOffice"):
        check_not_open_in_excel(path)


# --------------------------------------------------------------------------- limits


def test_limits_defaults() -> None:
    assert Limits() == Limits(
        max_file_bytes=50 * MB,
        max_uncompressed_bytes=500 * MB,
        max_entries=10_000,
        max_ratio=200,
        ratio_applies_above_bytes=1 * MB,
        max_rows=200_000,
    )


def test_limits_from_mapping_keeps_defaults_for_missing_keys() -> None:
    limits = Limits.from_mapping({"max_rows": 5_000, "max_entries": 500})
    assert (limits.max_rows, limits.max_entries, limits.max_ratio) == (5_000, 500, 200)


@pytest.mark.parametrize(
    ("mapping", "fragment"),
    [
        ({"max_rowz": 5}, "unknown limit 'max_rowz'"),
        ({"max_rows": 0}, "must be a whole number above 0"),
        ({"max_rows": -3}, "must be a whole number above 0"),
        ({"max_rows": "many"}, "must be a whole number above 0"),
        ({"max_rows": True}, "must be a whole number above 0"),
    ],
)
def test_limits_from_mapping_rejects_bad_entries(mapping: dict[str, object], fragment: str) -> None:
    with pytest.raises(ValueError, match=fragment):
        Limits.from_mapping(mapping)


def test_limits_are_frozen() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        Limits().max_rows = 1  # type: ignore[misc]


# --------------------------------------------------------------------------- defusedxml and openpyxl


def test_defusedxml_in_use_follows_openpyxl_when_it_is_loaded(monkeypatch: pytest.MonkeyPatch) -> None:
    for flag in (True, False):
        monkeypatch.setitem(sys.modules, "openpyxl.xml", types.SimpleNamespace(DEFUSEDXML=flag))
        assert defusedxml_in_use() is flag


def test_defusedxml_in_use_applies_openpyxl_rule_without_importing_it(tmp_path: Path) -> None:
    path = badfiles.minimal_xlsx(tmp_path / "Tracker.xlsx")
    script = (
        "import sys, importlib.util\n"
        "from addin.guard import check_workbook, defusedxml_in_use\n"
        f"check_workbook({str(path)!r})\n"
        "expected = importlib.util.find_spec('defusedxml') is not None\n"
        "assert defusedxml_in_use() is expected, defusedxml_in_use()\n"
        "assert not [name for name in sys.modules if name.startswith('openpyxl')]\n"
    )
    root = Path(__file__).resolve().parents[1]
    subprocess.run([sys.executable, "-c", script], check=True, cwd=root)
    switched_off = script.replace("is expected", "is False")
    env = {**os.environ, "OPENPYXL_DEFUSEDXML": "False"}
    subprocess.run([sys.executable, "-c", switched_off], check=True, cwd=root, env=env)
