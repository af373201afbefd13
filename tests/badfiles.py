"""Bad (and odd but acceptable) workbook files, built by code in a temporary folder.

Nothing here is committed as a binary: every file the guard tests use is made
by one of these functions. Each takes the path to write and returns it.
"""

from __future__ import annotations

import math
import struct
import warnings
import zipfile
from collections.abc import Iterable, Mapping
from pathlib import Path

MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"
XLSM_TYPE = "application/vnd.ms-excel.sheet.macroEnabled.main+xml"
SHEET_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"

EMPTY_SHEET = f'<?xml version="1.0" encoding="UTF-8"?>\n<worksheet xmlns="{MAIN_NS}"><sheetData/></worksheet>'


# --------------------------------------------------------------------------- good workbooks


def real_xlsx(path: Path, *, hidden: Iterable[str] = (), very_hidden: Iterable[str] = ()) -> Path:
    """A real workbook saved by openpyxl: an Actions sheet, plus any hidden ones."""
    import openpyxl

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "Actions"
    sheet.append(["Ref", "Theme", "Action", "Lead officer", "Lead agency", "Due date", "Status"])
    for ref in range(1, 200):
        sheet.append(
            [f"1.{ref:02}", "Early help", f"Action number {ref}", "DD TS", "Council", None, "In progress"]
        )
    for name in hidden:
        workbook.create_sheet(name).sheet_state = "hidden"
    for name in very_hidden:
        workbook.create_sheet(name).sheet_state = "veryHidden"
    workbook.save(path)
    return path


def minimal_xlsx(
    path: Path,
    *,
    sheets: Iterable[tuple[str, str]] = (("Actions", "visible"),),
    workbook_type: str = XLSX_TYPE,
    workbook_xml: bytes | None = None,
    extra_parts: Mapping[str, bytes] | None = None,
    compression: int = zipfile.ZIP_DEFLATED,
) -> Path:
    """A hand-built .xlsx with just the parts Excel needs; sheets are (name, state)."""
    sheets = list(sheets)
    overrides = [("/xl/workbook.xml", workbook_type)] + [
        (f"/xl/worksheets/sheet{i}.xml", SHEET_TYPE) for i in range(1, len(sheets) + 1)
    ]
    content_types = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Default Extension="bin" ContentType="application/vnd.ms-office.vbaProject"/>'
        + "".join(f'<Override PartName="{name}" ContentType="{kind}"/>' for name, kind in overrides)
        + "</Types>"
    )
    package_rels = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
        'relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>'
    )
    workbook_rels = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        + "".join(
            f'<Relationship Id="rId{i}" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
            f'relationships/worksheet" Target="worksheets/sheet{i}.xml"/>'
            for i in range(1, len(sheets) + 1)
        )
        + "</Relationships>"
    )
    parts: dict[str, bytes] = {
        "[Content_Types].xml": content_types.encode(),
        "_rels/.rels": package_rels.encode(),
        "xl/workbook.xml": workbook_xml if workbook_xml is not None else workbook_part(sheets),
        "xl/_rels/workbook.xml.rels": workbook_rels.encode(),
    }
    for i in range(1, len(sheets) + 1):
        parts[f"xl/worksheets/sheet{i}.xml"] = EMPTY_SHEET.encode()
    parts.update(extra_parts or {})
    return write_zip(path, parts, compression=compression)


def workbook_part(sheets: Iterable[tuple[str, str]]) -> bytes:
    elements = "".join(
        f'<sheet name="{name}" sheetId="{i}" r:id="rId{i}"'
        + ("" if state == "visible" else f' state="{state}"')
        + "/>"
        for i, (name, state) in enumerate(sheets, 1)
    )
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<workbook xmlns="{MAIN_NS}" xmlns:r="{REL_NS}">'
        f"<sheets>{elements}</sheets></workbook>"
    ).encode()


def write_zip(path: Path, parts: Mapping[str, bytes], *, compression: int = zipfile.ZIP_DEFLATED) -> Path:
    with zipfile.ZipFile(path, "w", compression) as zf:
        for name, data in parts.items():
            zf.writestr(name, data)
    return path


def xlsm_with_macros(path: Path) -> Path:
    return minimal_xlsx(
        path, workbook_type=XLSM_TYPE, extra_parts={"xl/vbaProject.bin": compound_file({"VBA": b"Attribute"})}
    )


def with_external_link(path: Path) -> Path:
    link = f'<?xml version="1.0" encoding="UTF-8"?>\n<externalLink xmlns="{MAIN_NS}"/>'.encode()
    return minimal_xlsx(path, extra_parts={"xl/externalLinks/externalLink1.xml": link})


# --------------------------------------------------------------------------- not workbooks at all


def text_file(path: Path) -> Path:
    path.write_text("Ref,Action,Status\n1.01,Audit case files,In progress\n", encoding="utf-8")
    return path


def web_page(path: Path) -> Path:
    path.write_text("<html><body><table><tr><td>Ref</td></tr></table></body></html>", encoding="utf-8")
    return path


def empty_file(path: Path) -> Path:
    path.write_bytes(b"")
    return path


def png_file(path: Path) -> Path:
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(64))
    return path


def pdf_file(path: Path) -> Path:
    path.write_bytes(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n")
    return path


def plain_zip(path: Path) -> Path:
    return write_zip(path, {"notes.txt": b"not a workbook"})


def xlsb_like(path: Path) -> Path:
    return write_zip(path, {"[Content_Types].xml": b"<Types/>", "xl/workbook.bin": b"\x83\x01\x00"})


def ods_like(path: Path) -> Path:
    return write_zip(
        path,
        {"mimetype": b"application/vnd.oasis.opendocument.spreadsheet", "content.xml": b"<office:document/>"},
    )


# --------------------------------------------------------------------------- damaged zips


def truncated(source: Path, path: Path) -> Path:
    """The first half of ``source``, as left by an interrupted download."""
    data = source.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    return path


def flipped(source: Path, path: Path, offset: int, count: int = 16) -> Path:
    """``source`` with ``count`` bytes inverted from ``offset`` (negative counts from the end)."""
    data = bytearray(source.read_bytes())
    start = offset % len(data)
    for i in range(start, min(start + count, len(data))):
        data[i] ^= 0xFF
    path.write_bytes(bytes(data))
    return path


def data_offset(path: Path, part: str) -> int:
    """Where the compressed bytes of ``part`` start in the zip."""
    with zipfile.ZipFile(path) as zf:
        info = zf.getinfo(part)
    raw = path.read_bytes()
    name_length, extra_length = struct.unpack_from("<2H", raw, info.header_offset + 26)
    return info.header_offset + 30 + name_length + extra_length


def patch_central_record(path: Path, part: str, **fields: int) -> Path:
    """Rewrite fields of ``part``'s central-directory record: flags, file_size, header_offset."""
    layout = {
        "flags": (8, "<H"),
        "compress_size": (20, "<L"),
        "file_size": (24, "<L"),
        "header_offset": (42, "<L"),
    }
    raw = bytearray(path.read_bytes())
    eocd = raw.rfind(b"PK\x05\x06")
    count, _, start = struct.unpack_from("<HLL", raw, eocd + 10)
    at = start
    for _ in range(count):
        name_length, extra_length, comment_length = struct.unpack_from("<3H", raw, at + 28)
        if raw[at + 46 : at + 46 + name_length].decode() == part:
            for field_name, value in fields.items():
                offset, fmt = layout[field_name]
                struct.pack_into(fmt, raw, at + offset, value)
            path.write_bytes(bytes(raw))
            return path
        at += 46 + name_length + extra_length + comment_length
    raise KeyError(part)


def duplicate_parts(path: Path) -> Path:
    minimal_xlsx(path)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zipfile warns about the duplicate: that is the point
        with zipfile.ZipFile(path, "a") as zf:
            zf.writestr("xl/worksheets/sheet1.xml", EMPTY_SHEET.encode())
    return path


def overlapping_parts(path: Path) -> Path:
    """Two parts that share one set of compressed bytes (the 'overlapping' zip bomb)."""
    minimal_xlsx(path, extra_parts={"xl/media/a.bin": bytes(1000), "xl/media/b.bin": bytes(1000)})
    with zipfile.ZipFile(path) as zf:
        first = zf.getinfo("xl/media/a.bin").header_offset
    return patch_central_record(path, "xl/media/b.bin", header_offset=first)


# --------------------------------------------------------------------------- zip bombs and limits


def zip_bomb(
    path: Path, unpacked_bytes: int = 20 * 1024 * 1024, part: str = "xl/worksheets/sheet2.xml"
) -> Path:
    """A workbook with a sheet of ``unpacked_bytes`` zeros, written in chunks so it stays fast."""
    minimal_xlsx(path)
    chunk = b"0" * (1024 * 1024)
    with zipfile.ZipFile(path, "a", zipfile.ZIP_DEFLATED) as zf:
        with zf.open(part, "w", force_zip64=unpacked_bytes > 2**31) as stream:
            stream.write(f'<worksheet xmlns="{MAIN_NS}"><sheetData><!--'.encode())
            for _ in range(unpacked_bytes // len(chunk)):
                stream.write(chunk)
            stream.write(b"--></sheetData></worksheet>")
    return path


def declared_gigabyte(path: Path) -> Path:
    """A small bomb whose directory declares 1 GB unpacked."""
    zip_bomb(path, 4 * 1024 * 1024)
    return patch_central_record(path, "xl/worksheets/sheet2.xml", file_size=1024**3)


def many_parts(path: Path, count: int) -> Path:
    minimal_xlsx(
        path,
        extra_parts={f"xl/media/image{i}.png": b"" for i in range(count)},
        compression=zipfile.ZIP_STORED,
    )
    return path


# --------------------------------------------------------------------------- XML that must not be parsed

BILLION_LAUGHS = (
    '<?xml version="1.0"?>\n<!DOCTYPE lolz [\n <!ENTITY lol "lol">\n'
    + "".join(
        f' <!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">\n' for i in range(1, 10)
    )
    + "]>\n"
    + f'<workbook xmlns="{MAIN_NS}"><sheets><sheet name="&lol9;" sheetId="1"/></sheets></workbook>'
)


def billion_laughs(path: Path) -> Path:
    return minimal_xlsx(path, workbook_xml=BILLION_LAUGHS.encode())


def billion_laughs_utf16(path: Path) -> Path:
    text = BILLION_LAUGHS.replace('<?xml version="1.0"?>', '<?xml version="1.0" encoding="UTF-16"?>')
    return minimal_xlsx(path, workbook_xml=text.encode("utf-16"))


def doctype_in_sheet(path: Path, padding: int = 0) -> Path:
    """A sheet with an entity declaration, after ``padding`` bytes of comment."""
    sheet = (
        '<?xml version="1.0"?>\n'
        + (f"<!--{'x' * padding}-->" if padding else "")
        + '<!DOCTYPE worksheet [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
        + f'<worksheet xmlns="{MAIN_NS}"><sheetData><row r="1">'
        + '<c r="A1" t="inlineStr"><is><t>&e;</t></is></c></row></sheetData></worksheet>'
    )
    return minimal_xlsx(path, extra_parts={"xl/worksheets/sheet1.xml": sheet.encode()})


def late_root_sheet(path: Path) -> Path:
    """A sheet whose root element starts after 5 KB of comment (hiding what comes first)."""
    sheet = f'<?xml version="1.0"?>\n<!--{"x" * 5000}--><worksheet xmlns="{MAIN_NS}"/>'
    return minimal_xlsx(path, extra_parts={"xl/worksheets/sheet1.xml": sheet.encode()})


# --------------------------------------------------------------------------- OLE2 compound files

_FREE, _END, _FAT, _NONE = 0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFFD, 0xFFFFFFFF
_SECTOR = 512


def compound_file(streams: Mapping[str, bytes]) -> bytes:
    """A minimal valid OLE2 compound file (version 3, 512-byte sectors) holding ``streams`` at its root.

    Streams are padded to 4096 bytes so they live in ordinary sectors, never in
    the mini stream; siblings form a simple right-leaning chain.
    """
    names = list(streams)
    data = [streams[name].ljust(4096, b"\0") for name in names]
    dir_sectors = math.ceil((len(names) + 1) / 4)
    stream_sectors = [math.ceil(len(item) / _SECTOR) for item in data]
    fat_sectors = 1
    while fat_sectors * 128 < fat_sectors + dir_sectors + sum(stream_sectors):
        fat_sectors += 1
    fat = [_FAT] * fat_sectors
    first_dir = len(fat)
    fat += _chain(first_dir, dir_sectors)
    starts = []
    for count in stream_sectors:
        starts.append(len(fat))
        fat += _chain(len(fat), count)
    fat += [_FREE] * (fat_sectors * 128 - len(fat))

    entries = [_dir_entry("Root Entry", 5, child=1 if names else _NONE, start=_END)]
    for i, (name, item, start) in enumerate(zip(names, data, starts, strict=True), 1):
        entries.append(
            _dir_entry(name, 2, right=i + 1 if i < len(names) else _NONE, start=start, size=len(item))
        )
    entries += [_dir_entry("", 0)] * (dir_sectors * 4 - len(entries))

    difat = list(range(fat_sectors)) + [_FREE] * (109 - fat_sectors)
    header = struct.pack(
        "<8s16s5H6s9L109L",
        bytes.fromhex("D0CF11E0A1B11AE1"),
        bytes(16),
        0x3E, 3, 0xFFFE, 9, 6,  # minor, major version, byte order, sector and mini-sector shifts
        bytes(6),
        0, fat_sectors, first_dir, 0, 4096, _END, 0, _END, 0,
        *difat,
    )  # fmt: skip
    body = struct.pack(f"<{len(fat)}L", *fat) + b"".join(entries)
    return (
        header
        + body
        + b"".join(
            item.ljust(count * _SECTOR, b"\0") for item, count in zip(data, stream_sectors, strict=True)
        )
    )


def _chain(first: int, count: int) -> list[int]:
    return [first + i + 1 for i in range(count - 1)] + [_END]


def _dir_entry(
    name: str, kind: int, *, child: int = _NONE, right: int = _NONE, start: int = 0, size: int = 0
) -> bytes:
    encoded = (name + "\0").encode("utf-16-le") if name else b""
    return struct.pack(
        "<64sHBB3L16sLQQLQ",
        encoded,
        len(encoded),
        kind,
        1,
        _NONE,
        right,
        child,
        bytes(16),
        0,
        0,
        0,
        start,
        size,
    )


def encrypted_workbook(path: Path) -> Path:
    """What Excel saves when a workbook has a password to open: an OLE file, not a zip."""
    info = b"\x04\x00\x04\x00\x40\x00\x00\x00"  # version 4.4, agile encryption
    path.write_bytes(compound_file({"EncryptionInfo": info, "EncryptedPackage": b"\x01" * 600}))
    return path


def legacy_xls(path: Path) -> Path:
    """An Excel 97-2003 workbook: an OLE file with a Workbook stream (a BOF record to start it)."""
    bof = struct.pack("<4H", 0x0809, 8, 0x0600, 0x0005) + bytes(4)
    path.write_bytes(compound_file({"Workbook": bof, "\x05SummaryInformation": b"\xfe\xff"}))
    return path


def word_document(path: Path) -> Path:
    path.write_bytes(compound_file({"WordDocument": b"\xec\xa5", "1Table": b""}))
    return path


def broken_compound_file(path: Path) -> Path:
    path.write_bytes(bytes.fromhex("D0CF11E0A1B11AE1") + bytes(100))
    return path


# --------------------------------------------------------------------------- Excel's owner file


def excel_owner_file(workbook: Path, user: str = "Jane Smith", *, drop_two: bool = False) -> Path:
    """The ``~$`` file Excel keeps beside an open workbook: the user's name, twice."""
    name = workbook.name[2:] if drop_two else workbook.name
    owner = workbook.with_name(f"~${name}")
    ansi = user.encode("cp1252")
    owner.write_bytes(
        bytes([len(ansi)]) + ansi.ljust(53, b" ") + bytes([len(user), 0]) + user.encode("utf-16-le")
    )
    return owner
