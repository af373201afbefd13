"""The one guarded way in: every workbook plantrack reads passes through
:func:`check_workbook` before openpyxl or calamine sees it.

The check is quick and bounded. It reads the first bytes of the file, the zip's
central directory, ``[Content_Types].xml``, ``xl/workbook.xml`` and the first
4 KB of every other XML part. It never inflates a whole part, never runs
macros, never follows links and never changes the file. What is unusual
but harmless (macros, links, hidden sheets) is reported in
:class:`CheckedWorkbook`, not refused.

Only the standard library is used, so the guard runs wherever Python runs,
xlwings Lite included. openpyxl is never imported here.
"""

from __future__ import annotations

import hashlib
import os
import struct
import sys
import zipfile
import zlib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, fields
from importlib.util import find_spec
from pathlib import Path
from typing import Any, BinaryIO, NoReturn, TypeVar
from xml.parsers import expat

from .errors import UnusableWorkbook, WriteRefused

__all__ = [
    "DEFAULT_LIMITS",
    "CheckedWorkbook",
    "Limits",
    "check_not_open_in_excel",
    "check_workbook",
    "defusedxml_in_use",
    "safe_read",
]

MB = 1024 * 1024
_T = TypeVar("_T")


# --------------------------------------------------------------------------- limits


@dataclass(frozen=True)
class Limits:
    """How big a workbook may be before plantrack refuses it.

    The rule set supplies these (see :meth:`from_mapping`); the defaults suit a
    council's tracker with room to spare.
    """

    max_file_bytes: int = 50 * MB
    max_uncompressed_bytes: int = 500 * MB
    max_entries: int = 10_000
    max_ratio: int = 200
    ratio_applies_above_bytes: int = 1 * MB
    max_rows: int = 200_000  # enforced by the readers, carried here

    def __post_init__(self) -> None:
        for limit in fields(self):
            value = getattr(self, limit.name)
            if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
                raise ValueError(f"limit {limit.name!r} must be a whole number above 0, not {value!r}")

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any]) -> Limits:
        """Limits from a rule-set table; missing keys keep their defaults.

        Raises ValueError naming an unknown key or a bad value (the rules loader
        turns it into a ``RulesError`` naming the file and entry).
        """
        known = sorted(limit.name for limit in fields(cls))
        unknown = sorted(set(values) - set(known))
        if unknown:
            raise ValueError(f"unknown limit {unknown[0]!r}; the limits are {', '.join(known)}")
        return cls(**values)


DEFAULT_LIMITS = Limits()


@dataclass(frozen=True)
class CheckedWorkbook:
    """A workbook that passed the guard, and what a reader should know about it."""

    path: Path
    size: int  # bytes on disk
    sha256: str  # of the bytes that were checked; compare before trusting a later read
    sheet_names: tuple[str, ...]  # in workbook order
    hidden_sheets: tuple[str, ...]  # state hidden or veryHidden
    has_macros: bool
    has_external_links: bool
    warnings: list[str]  # plain English, one line each
    limits: Limits


# --------------------------------------------------------------------------- entry points


def check_workbook(path: str | Path, limits: Limits = DEFAULT_LIMITS) -> CheckedWorkbook:
    """Check that ``path`` is an .xlsx/.xlsm workbook plantrack can safely parse.

    Decides by content, never by the file name: an .xlsx renamed .xls passes
    (with a warning), a real .xls named .xlsx does not. Raises
    :class:`UnusableWorkbook` with a one-line problem and advice otherwise.
    Note openpyxl refuses some suffixes when given a path: pass it an open file.
    """
    path = Path(path)
    if not path.exists():
        raise UnusableWorkbook(path, "the file does not exist", "check the file name and folder")
    if path.is_dir():
        raise UnusableWorkbook(path, "this is a folder, not a workbook", "choose the workbook file inside it")
    if not path.is_file():
        raise UnusableWorkbook(path, "this is not an ordinary file", "choose a workbook saved from Excel")
    try:
        with open(path, "rb") as fp:
            return _check_open_file(path, fp, limits)
    except PermissionError as error:
        raise UnusableWorkbook(
            path, "plantrack is not allowed to read the file", "check you can open it and try again"
        ) from error
    except OSError as error:
        raise UnusableWorkbook(
            path,
            f"the file cannot be read ({error.strerror or error})",
            "copy it to a local folder and try again",
        ) from error


def safe_read(zf: zipfile.ZipFile, name: str | zipfile.ZipInfo, max_bytes: int) -> bytes:
    """Inflate one part of ``zf`` in chunks, refusing it once it passes ``max_bytes``.

    Does not trust the sizes the zip declares. Damage found while reading (bad
    CRC, broken deflate stream) becomes :class:`UnusableWorkbook`.
    """
    label = _shown(name.filename if isinstance(name, zipfile.ZipInfo) else name)
    chunks: list[bytes] = []
    total = 0
    try:
        with zf.open(name) as part:
            while chunk := part.read(64 * 1024):
                total += len(chunk)
                if total > max_bytes:
                    raise UnusableWorkbook(
                        zf.filename,
                        f"the part {label} unpacks to more than {_megabytes(max_bytes)}",
                        "this is not a normal workbook; save it again from Excel as .xlsx",
                    )
                chunks.append(chunk)
    except KeyError as error:
        raise UnusableWorkbook(zf.filename, f"the part {label} is missing", _RESAVE) from error
    except _READ_ERRORS as error:
        raise _damaged(zf.filename) from error
    return b"".join(chunks)


def check_not_open_in_excel(path: str | Path) -> None:
    """Refuse to write ``path`` while Excel (or LibreOffice) has it open.

    Excel keeps an owner file ``~$<name>`` beside an open workbook; for long
    names it drops the first two characters of the name.
    """
    path = Path(path)
    owner = _excel_owner_file(path)
    if owner is not None:
        who = _owner_user_name(owner) or "someone"
        raise WriteRefused(
            path,
            f"the workbook is open in Excel ({who} has it open)",
            f"close it and run again; if nobody has it open, delete the file {owner.name} beside it",
        )
    lock = path.with_name(f".~lock.{path.name}#")
    if lock.exists():
        raise WriteRefused(
            path,
            "the workbook is open in LibreOffice",
            f"close it and run again; if nobody has it open, delete the file {lock.name} beside it",
        )


def defusedxml_in_use() -> bool:
    """True when openpyxl will parse XML through defusedxml.

    openpyxl decides when it is first imported (defusedxml importable and
    ``OPENPYXL_DEFUSEDXML`` not "False"); if it is already loaded, its decision
    is read, otherwise the same rule is applied without importing openpyxl.
    """
    openpyxl_xml = sys.modules.get("openpyxl.xml")
    if openpyxl_xml is not None:
        return bool(getattr(openpyxl_xml, "DEFUSEDXML", False))
    if find_spec("defusedxml") is None:
        return False
    return os.environ.get("OPENPYXL_DEFUSEDXML", "True") == "True"


# --------------------------------------------------------------------------- the check

_RESAVE = "open it in Excel and save it again as an Excel Workbook (.xlsx)"
_RIGHT_FILE = "check you chose the right file"
_HEAD_BYTES = 4096
_XML_PREFIX_BYTES = 4096
_MAX_SMALL_PART = 32 * MB  # [Content_Types].xml and xl/workbook.xml
_READ_ERRORS = (
    zipfile.BadZipFile,
    zlib.error,
    EOFError,
    OSError,
    RuntimeError,
    NotImplementedError,
    ValueError,
)
_OLE_MAGIC = bytes.fromhex("D0CF11E0A1B11AE1")
_ZIP_MAGICS = (b"PK\x03\x04", b"PK\x05\x06")
_WORKBOOK = "xl/workbook.xml"
_CONTENT_TYPES = "[content_types].xml"
_SHEET_NAMESPACES = (
    "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
    "http://purl.oclc.org/ooxml/spreadsheetml/main",
)


def _check_open_file(path: Path, fp: BinaryIO, limits: Limits) -> CheckedWorkbook:
    size = os.fstat(fp.fileno()).st_size
    if size == 0:
        raise UnusableWorkbook(path, "the file is empty", "save it again from Excel as .xlsx")
    head = fp.read(_HEAD_BYTES)
    if head.startswith(_OLE_MAGIC):
        _refuse_compound_file(path, fp, size)
    if not head.startswith(_ZIP_MAGICS):
        _refuse_other_format(path, head)
    if size > limits.max_file_bytes:
        raise UnusableWorkbook(
            path,
            f"the file is too big ({_megabytes(size)}; the limit is {_megabytes(limits.max_file_bytes)})",
            _RAISE_LIMIT,
        )
    digest = _sha256(fp)
    zip_facts = _check_zip(path, fp, size, limits)
    return _report(path, size, digest, zip_facts, limits)


@dataclass(frozen=True)
class _ZipFacts:
    part_names: frozenset[str]  # case-folded
    workbook_type: str
    sheets: tuple[tuple[str, str], ...]  # (name, state)


def _report(path: Path, size: int, digest: str, facts: _ZipFacts, limits: Limits) -> CheckedWorkbook:
    names = facts.part_names
    has_macros = (
        "macroenabled" in facts.workbook_type.casefold()
        or any(name.startswith("xl/") and name.endswith("vbaproject.bin") for name in names)
        or any(name.startswith("xl/macrosheets/") for name in names)
    )
    has_links = any(name.startswith("xl/externallinks/") for name in names)
    hidden = tuple(name for name, state in facts.sheets if state in ("hidden", "veryHidden"))
    warnings = _suffix_warnings(path, has_macros)
    if has_macros:
        warnings.append("The workbook contains macros; plantrack never runs them.")
    if has_links:
        warnings.append(
            "The workbook links to other workbooks; plantrack uses the values saved in it"
            " and does not update the links."
        )
    for name, state in facts.sheets:
        if state == "hidden":
            warnings.append(f"Sheet '{name}' is hidden.")
        elif state == "veryHidden":
            warnings.append(f"Sheet '{name}' is very hidden (it can only be shown from the VBA editor).")
    if _excel_owner_file(path) is not None:
        warnings.append("The workbook is open in Excel; plantrack reads the version last saved.")
    return CheckedWorkbook(
        path=path,
        size=size,
        sha256=digest,
        sheet_names=tuple(name for name, _ in facts.sheets),
        hidden_sheets=hidden,
        has_macros=has_macros,
        has_external_links=has_links,
        warnings=warnings,
        limits=limits,
    )


_BY_CONTENT = "plantrack reads it by its content."
_EXPECT_XLSM = "Excel expects such a file to end .xlsm."


def _suffix_warnings(path: Path, has_macros: bool) -> list[str]:
    suffix = path.suffix.lower()
    if suffix not in (".xlsx", ".xlsm", ".xltx", ".xltm"):
        kind = ".xlsm" if has_macros else ".xlsx"
        return [f"The file name ends '{path.suffix}' but it is an Excel {kind} workbook; {_BY_CONTENT}"]
    if has_macros and suffix in (".xlsx", ".xltx"):
        return [f"The file name ends '{path.suffix}' but the workbook contains macros; {_EXPECT_XLSM}"]
    return []


def _sha256(fp: BinaryIO) -> str:
    fp.seek(0)
    digest = hashlib.sha256()
    while chunk := fp.read(MB):
        digest.update(chunk)
    fp.seek(0)
    return digest.hexdigest()


def _shown(part_name: str) -> str:
    """A part's name as it may appear in a message (a damaged zip can hold any bytes there)."""
    return "".join(c if c.isprintable() else "?" for c in part_name)[:80]


def _megabytes(size: int) -> str:
    return f"{size / MB:,.0f} MB" if size >= 10 * MB else f"{size / MB:,.1f} MB"


def _damaged(path: str | Path | None, why: str = "incomplete download or copy?") -> UnusableWorkbook:
    return UnusableWorkbook(
        path, f"the file is damaged ({why})", "get a fresh copy, or open it in Excel and save it again"
    )


_RAISE_LIMIT = "this is not a normal tracker; if it is genuine, raise the limit in the rules"


# --------------------------------------------------------------------------- not a zip


_OTHER_FORMATS = (
    (b"\x89PNG\r\n\x1a\n", "this is an image (PNG), not a workbook"),
    (b"\xff\xd8\xff", "this is an image (JPEG), not a workbook"),
    (b"GIF87a", "this is an image (GIF), not a workbook"),
    (b"GIF89a", "this is an image (GIF), not a workbook"),
    (b"%PDF-", "this is a PDF, not a workbook"),
)


def _refuse_other_format(path: Path, head: bytes) -> NoReturn:
    for magic, problem in _OTHER_FORMATS:
        if head.startswith(magic):
            raise UnusableWorkbook(path, problem, _RIGHT_FILE)
    text = head.lower()
    if b"<html" in text or b"<!doctype html" in text:
        problem = "not an Excel workbook (it is a web page saved with a workbook's name)"
    elif b"urn:schemas-microsoft-com:office:spreadsheet" in text:
        problem = "not an Excel workbook (it is an old Excel 2003 XML spreadsheet)"
    elif _looks_like_text(head):
        problem = "not an Excel workbook (it is a text or CSV file)"
    else:
        problem = "not an Excel workbook"
    raise UnusableWorkbook(path, problem, _RESAVE)


def _looks_like_text(head: bytes) -> bool:
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return True
    if b"\x00" in head:
        return False
    decoded = head.decode("utf-8", errors="replace")
    return decoded.count("\ufffd") <= len(decoded) // 20


# --------------------------------------------------------------------------- OLE2 compound files

_NOSTREAM = 0xFFFFFFFF
_LAST_REGULAR_SECTOR = 0xFFFFFFF9


class _BrokenCompoundFile(Exception):
    pass


def _refuse_compound_file(path: Path, fp: BinaryIO, size: int) -> NoReturn:
    """Old-format Office files (OLE2): say which kind, then refuse."""
    try:
        names = _ole_root_names(fp, size)
    except (_BrokenCompoundFile, struct.error) as error:
        raise UnusableWorkbook(
            path, "the file is damaged (an old-format Office file that cannot be read)", "get a fresh copy"
        ) from error
    if names & {"encryptedpackage", "encryptioninfo"}:
        raise UnusableWorkbook(
            path,
            "the workbook is password-protected",
            "remove the password (File > Info > Protect Workbook) and save it again",
        )
    if names & {"workbook", "book"}:
        raise UnusableWorkbook(path, "this is an old .xls workbook", "open it in Excel and Save As .xlsx")
    if "worddocument" in names:
        raise UnusableWorkbook(path, "this is a Word document, not a workbook", _RIGHT_FILE)
    if "powerpoint document" in names:
        raise UnusableWorkbook(path, "this is a PowerPoint file, not a workbook", _RIGHT_FILE)
    if any(name.startswith("__substg1.0_") for name in names):
        raise UnusableWorkbook(
            path,
            "this is a saved Outlook e-mail, not a workbook",
            "open the e-mail and save the attached workbook",
        )
    raise UnusableWorkbook(path, "not an Excel workbook (an old-format Office file)", _RESAVE)


def _ole_root_names(fp: BinaryIO, size: int) -> set[str]:
    """Case-folded names of the streams and storages at the root of a compound file.

    Just enough of [MS-CFB]: the header, the FAT sectors it lists (with the
    DIFAT chain), the directory chain and the root's tree of children.
    """
    header = _read_exactly(fp, 0, 512)
    sector_shift = struct.unpack_from("<H", header, 0x1E)[0]
    if sector_shift not in (9, 12):
        raise _BrokenCompoundFile("sector size")
    sector_size = 1 << sector_shift
    max_sectors = size // sector_size + 1
    first_dir = struct.unpack_from("<L", header, 0x30)[0]
    first_difat, difat_count = struct.unpack_from("<2L", header, 0x44)
    fat_sectors = list(struct.unpack_from("<109L", header, 0x4C))
    for difat in _difat_sectors(fp, first_difat, sector_size, min(difat_count, max_sectors)):
        fat_sectors.extend(difat[:-1])

    def next_sector(sector: int) -> int:
        fat_index, slot = divmod(sector, sector_size // 4)
        if fat_index >= len(fat_sectors) or fat_sectors[fat_index] > _LAST_REGULAR_SECTOR:
            raise _BrokenCompoundFile("FAT")
        fat = _read_sector(fp, fat_sectors[fat_index], sector_size)
        return int(struct.unpack_from("<L", fat, slot * 4)[0])

    entries: list[bytes] = []
    sector, seen = first_dir, set[int]()
    while sector <= _LAST_REGULAR_SECTOR:
        if sector in seen or len(seen) > max_sectors:
            raise _BrokenCompoundFile("directory chain loops")
        seen.add(sector)
        data = _read_sector(fp, sector, sector_size)
        entries.extend(data[i : i + 128] for i in range(0, sector_size, 128))
        sector = next_sector(sector)
    if not entries or entries[0][0x42] != 5:
        raise _BrokenCompoundFile("no root entry")
    return _root_children(entries)


def _root_children(entries: list[bytes]) -> set[str]:
    names: set[str] = set()
    stack = [struct.unpack_from("<L", entries[0], 0x4C)[0]]
    visited: set[int] = set()
    while stack:
        index = stack.pop()
        if index == _NOSTREAM or index >= len(entries) or index in visited:
            continue
        visited.add(index)
        entry = entries[index]
        name_bytes = min(struct.unpack_from("<H", entry, 0x40)[0], 64)
        names.add(entry[:name_bytes].decode("utf-16-le", errors="replace").rstrip("\x00").casefold())
        stack.extend(struct.unpack_from("<2L", entry, 0x44))  # left and right siblings
    return names


def _difat_sectors(fp: BinaryIO, first: int, sector_size: int, count: int) -> Iterator[tuple[int, ...]]:
    """The DIFAT sectors (more FAT sector numbers); each ends with the number of the next one."""
    sector = first
    for _ in range(count):
        if sector > _LAST_REGULAR_SECTOR:
            return
        values = struct.unpack(f"<{sector_size // 4}L", _read_sector(fp, sector, sector_size))
        yield values
        sector = values[-1]


def _read_sector(fp: BinaryIO, sector: int, sector_size: int) -> bytes:
    return _read_exactly(fp, (sector + 1) * sector_size, sector_size)


def _read_exactly(fp: BinaryIO, offset: int, length: int) -> bytes:
    fp.seek(offset)
    data = fp.read(length)
    if len(data) != length:
        raise _BrokenCompoundFile("short read")
    return data


# --------------------------------------------------------------------------- zip


def _check_zip(path: Path, fp: BinaryIO, size: int, limits: Limits) -> _ZipFacts:
    _preflight_entry_count(path, fp, size, limits)
    try:
        zf = zipfile.ZipFile(fp)
    except _READ_ERRORS as error:
        raise _damaged(path) from error
    with zf:
        infos = zf.infolist()
        _check_entries(path, infos, limits)
        _check_layout(path, fp, infos, getattr(zf, "start_dir", size))
        parts = {info.filename.casefold(): info for info in infos}
        _require_workbook_parts(path, parts)
        content_types = _read_xml(zf, parts[_CONTENT_TYPES], _content_type_reader)
        sheets = _read_xml(zf, parts[_WORKBOOK], _sheet_reader)
        if not sheets:
            raise UnusableWorkbook(path, "the workbook lists no sheets", _RESAVE)
        for name, info in parts.items():
            if name.endswith((".xml", ".rels", ".vml")) and name not in (_WORKBOOK, _CONTENT_TYPES):
                _check_xml_prefix(zf, info)
    return _ZipFacts(
        part_names=frozenset(parts),
        workbook_type=content_types.get("/" + _WORKBOOK, ""),
        sheets=tuple(sheets),
    )


_EOCD = struct.Struct("<4s4H2LH")  # end of central directory record


def _preflight_entry_count(path: Path, fp: BinaryIO, size: int, limits: Limits) -> None:
    """Refuse a zip with too many parts before zipfile loads its whole directory."""
    tail_size = min(size, _EOCD.size + 0xFFFF + 20)
    fp.seek(size - tail_size)
    tail = fp.read(tail_size)
    at = len(tail) - _EOCD.size
    if not tail[at:].startswith(b"PK\x05\x06"):
        at = tail.rfind(b"PK\x05\x06")
    if at < 0 or len(tail) - at < _EOCD.size:
        raise _damaged(path)
    entries, directory_size = _EOCD.unpack_from(tail, at)[4:6]
    locator = at - 20  # a ZIP64 record, if present, overrides the classic one
    if locator >= 0 and tail.startswith(b"PK\x06\x07", locator):
        record_at = struct.unpack_from("<Q", tail, locator + 8)[0]
        if record_at > size:
            raise _damaged(path)
        fp.seek(record_at)
        record = fp.read(56)
        if len(record) < 56 or not record.startswith(b"PK\x06\x06"):
            raise _damaged(path)
        entries, directory_size = struct.unpack_from("<2Q", record, 32)
    if entries > limits.max_entries or directory_size > limits.max_entries * 1024:
        raise _too_many_parts(path, entries, limits)


def _too_many_parts(path: Path, count: int, limits: Limits) -> UnusableWorkbook:
    return UnusableWorkbook(
        path, f"the file has too many parts ({count:,}; the limit is {limits.max_entries:,})", _RAISE_LIMIT
    )


def _check_entries(path: Path, infos: list[zipfile.ZipInfo], limits: Limits) -> None:
    """Limits and oddities read from the central directory, before inflating anything."""
    if len(infos) > limits.max_entries:
        raise _too_many_parts(path, len(infos), limits)
    if len({info.filename.casefold() for info in infos}) != len(infos):
        raise _damaged(path, "it holds two parts with the same name")
    total = 0
    for info in infos:
        if info.flag_bits & 0x1:
            raise UnusableWorkbook(
                path, "the file is zip-encrypted, which Excel never does", "get the original workbook"
            )
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise UnusableWorkbook(path, "the file uses a kind of compression Excel does not write", _RESAVE)
        total += info.file_size
        ratio = info.file_size / max(info.compress_size, 1)
        if info.file_size > limits.ratio_applies_above_bytes and ratio > limits.max_ratio:
            raise UnusableWorkbook(
                path,
                f"the part {_shown(info.filename)} is compressed {ratio:,.0f} times, more than the limit of "
                f"{limits.max_ratio} (a 'zip bomb'?)",
                _RAISE_LIMIT,
            )
    if total > limits.max_uncompressed_bytes:
        raise UnusableWorkbook(
            path,
            f"the file would unpack to {_megabytes(total)}, more than the limit of "
            f"{_megabytes(limits.max_uncompressed_bytes)}",
            _RAISE_LIMIT,
        )


_LOCAL_HEADER = struct.Struct("<4s5H3L2H")


def _check_layout(path: Path, fp: BinaryIO, infos: list[zipfile.ZipInfo], directory_start: int) -> None:
    """Each part's local header is where the directory says, and no two parts overlap."""
    ordered = sorted(infos, key=lambda info: info.header_offset)
    starts = [info.header_offset for info in ordered] + [directory_start]
    for info, next_start in zip(ordered, starts[1:], strict=True):
        if not 0 <= info.header_offset <= directory_start:
            raise _damaged(path)
        fp.seek(info.header_offset)
        header = fp.read(_LOCAL_HEADER.size)
        if len(header) < _LOCAL_HEADER.size or not header.startswith(b"PK\x03\x04"):
            raise _damaged(path)
        name_length, extra_length = _LOCAL_HEADER.unpack(header)[-2:]
        data_end = info.header_offset + _LOCAL_HEADER.size + name_length + extra_length + info.compress_size
        if data_end > next_start:
            raise _damaged(path, "its parts overlap")


def _require_workbook_parts(path: Path, parts: Mapping[str, zipfile.ZipInfo]) -> None:
    if _CONTENT_TYPES in parts and _WORKBOOK in parts:
        return
    if "xl/workbook.bin" in parts:
        problem = "this is a binary workbook (.xlsb), which plantrack cannot read"
    elif "mimetype" in parts and "content.xml" in parts:
        problem = "this is an OpenDocument spreadsheet (.ods), not an Excel workbook"
    elif "word/document.xml" in parts:
        problem = "this is a Word document, not a workbook"
    else:
        problem = "not an Excel workbook (a zip, but not .xlsx)"
    raise UnusableWorkbook(path, problem, _RESAVE)


# --------------------------------------------------------------------------- XML, safely


_XML_ERRORS = (expat.ExpatError, LookupError, ValueError)  # LookupError: an unknown encoding


class _RefusedXml(Exception):
    pass


class _RootSeen(Exception):
    pass


def _refusing_parser() -> expat.XMLParserType:
    """An expat parser that stops at any DOCTYPE or entity declaration."""
    parser = expat.ParserCreate(namespace_separator=" ")

    def refuse(*_: object) -> None:
        raise _RefusedXml

    parser.StartDoctypeDeclHandler = refuse
    parser.EntityDeclHandler = refuse
    return parser


def _refused_xml(path: str | Path | None, what: str) -> UnusableWorkbook:
    return UnusableWorkbook(
        path,
        f"the file contains XML that plantrack refuses to read ({what})",
        "open it in Excel and save it again as .xlsx, or ask the sender for a fresh copy",
    )


def _declares_entities(data: bytes) -> bool:
    """A quick look for ``<!DOCTYPE`` or ``<!ENTITY`` in the bytes, blind to UTF-16 and letter
    case; expat's handlers (see :func:`_refusing_parser`) catch any other encoding."""
    text = data.replace(b"\x00", b"").upper()
    return b"<!DOCTYPE" in text or b"<!ENTITY" in text


_StartHandler = Callable[[str, dict[str, str]], None]


def _read_xml(
    zf: zipfile.ZipFile, info: zipfile.ZipInfo, reader: Callable[[], tuple[_T, _StartHandler]]
) -> _T:
    """Read a whole small part; ``reader`` gives a result and the element handler that fills it."""
    data = safe_read(zf, info, _MAX_SMALL_PART)
    if _declares_entities(data):
        raise _refused_xml(zf.filename, "entity declarations")
    result, on_start = reader()
    parser = _refusing_parser()
    parser.StartElementHandler = on_start
    try:
        parser.Parse(data, True)
    except _RefusedXml as error:
        raise _refused_xml(zf.filename, "entity declarations") from error
    except _XML_ERRORS as error:
        raise _damaged(zf.filename, f"the part {_shown(info.filename)} is not valid XML") from error
    return result


def _sheet_reader() -> tuple[list[tuple[str, str]], _StartHandler]:
    sheets: list[tuple[str, str]] = []

    def start(tag: str, attributes: dict[str, str]) -> None:
        namespace, _, local = tag.rpartition(" ")
        if local == "sheet" and namespace in _SHEET_NAMESPACES:
            sheets.append((attributes.get("name", ""), attributes.get("state", "visible")))

    return sheets, start


def _content_type_reader() -> tuple[dict[str, str], _StartHandler]:
    overrides: dict[str, str] = {}

    def start(tag: str, attributes: dict[str, str]) -> None:
        if tag.rpartition(" ")[2] == "Override" and "PartName" in attributes:
            overrides[attributes["PartName"].casefold()] = attributes.get("ContentType", "")

    return overrides, start


def _check_xml_prefix(zf: zipfile.ZipFile, info: zipfile.ZipInfo) -> None:
    """The first 4 KB of a part: no DOCTYPE or entities, and the root element starts there."""
    try:
        with zf.open(info) as part:
            data = part.read(_XML_PREFIX_BYTES)
    except _READ_ERRORS as error:
        raise _damaged(zf.filename) from error
    if _declares_entities(data):
        raise _refused_xml(zf.filename, "entity declarations")
    whole_part = len(data) < _XML_PREFIX_BYTES
    parser = _refusing_parser()

    def root(*_: object) -> None:
        raise _RootSeen

    parser.StartElementHandler = root
    try:
        parser.Parse(data, whole_part)
    except (_RootSeen, *_XML_ERRORS):
        return  # badly formed XML is the parser's to report: it stops at the same place
    except _RefusedXml as error:
        raise _refused_xml(zf.filename, "entity declarations") from error
    if not whole_part:
        raise _refused_xml(
            zf.filename, f"the part {_shown(info.filename)} does not start the way Excel writes it"
        )


# --------------------------------------------------------------------------- Excel's owner file


def _excel_owner_file(path: Path) -> Path | None:
    name = path.name
    candidates = [f"~${name}"] + ([f"~${name[2:]}"] if len(name) > 2 else [])
    for candidate in candidates:
        owner = path.with_name(candidate)
        if owner.is_file():
            return owner
    return None


def _owner_user_name(owner: Path) -> str | None:
    """Excel's owner file starts with the length of the user's name, then the name."""
    try:
        with open(owner, "rb") as fp:
            data = fp.read(64)
    except OSError:
        return None
    if not data or not 0 < data[0] < len(data):
        return None
    name = data[1 : 1 + data[0]].decode("cp1252", errors="replace").strip()
    return name if name and name.isprintable() else None
