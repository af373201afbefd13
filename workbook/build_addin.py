"""Build the desktop ribbon add-in ``workbook/addin/plantrack.xlam`` from its text sources.

    python workbook/build_addin.py            # rebuild plantrack.xlam
    python workbook/build_addin.py --check    # fail if plantrack.xlam is not what the sources give

The sources are ``workbook/addin/customUI14.xml`` (the "Plan tracker" ribbon tab) and
``workbook/addin/PlanTracker.bas`` (the VBA module behind the buttons). The same sources
always give the same bytes, so the committed add-in can be checked against them.

An .xlam is a zip (Office Open XML) holding a tiny workbook, the ribbon part
``customUI/customUI14.xml`` (linked from ``_rels/.rels``) and ``xl/vbaProject.bin``: an
OLE compound file with the VBA project, written here by the rules of [MS-OVBA] and
[MS-CFB]. The project carries the module *source* only: its ``_VBA_PROJECT`` stream
says version 0xFFFF and has no compiled code, so Excel compiles the source when it
opens the add-in, on any version and platform (the xlwings add-ins ship the same way).

Only the standard library is used, so any Python 3.10+ can rebuild the add-in.
"""

from __future__ import annotations

import argparse
import struct
import sys
import uuid
import zipfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
SOURCES = HERE / "addin"
RIBBON = SOURCES / "customUI14.xml"
MODULE = SOURCES / "PlanTracker.bas"
TARGET = SOURCES / "plantrack.xlam"

PROJECT_NAME = "plantrack"
# A fixed project id keeps the build reproducible (Excel only needs it to be a GUID).
PROJECT_ID = "{" + str(uuid.uuid5(uuid.NAMESPACE_URL, "plantrack ribbon add-in")).upper() + "}"
CODE_PAGE = 1252
LCID = 0x0409
ZIP_TIME = (1980, 1, 1, 0, 0, 0)

WORKBOOK_BASE = "0{00020819-0000-0000-C000-000000000046}"
WORKSHEET_BASE = "0{00020820-0000-0000-C000-000000000046}"
SHEET_NAME = "plantrack"


# --------------------------------------------------------------------------- MS-OVBA compression


def compress(data: bytes) -> bytes:
    """A CompressedContainer ([MS-OVBA] 2.4.1): signature byte, then one chunk per 4096 bytes."""
    out = bytearray(b"\x01")
    for start in range(0, len(data), 4096):
        out += _compress_chunk(data[start : start + 4096])
    return bytes(out)


def _compress_chunk(chunk: bytes) -> bytes:
    body = bytearray()
    seen: dict[bytes, list[int]] = {}  # where each 3-byte run starts, earlier in the chunk
    indexed = pos = 0
    while pos < len(chunk):
        flag_at = len(body)
        body.append(0)
        flags = 0
        for bit in range(8):
            if pos >= len(chunk):
                break
            for at in range(indexed, pos):
                seen.setdefault(chunk[at : at + 3], []).append(at)
            indexed = pos
            offset, length = _longest_match(chunk, pos, seen.get(chunk[pos : pos + 3], []))
            if length >= 3:
                bits = _offset_bits(pos)
                token = ((offset - 1) << (16 - bits)) | (length - 3)
                body += struct.pack("<H", token)
                flags |= 1 << bit
                pos += length
            else:
                body.append(chunk[pos])
                pos += 1
        body[flag_at] = flags
    if len(body) > 4096:
        if len(chunk) != 4096:  # an uncompressed chunk must hold exactly 4096 bytes
            raise ValueError("cannot compress this module source")
        return struct.pack("<H", 0x3000 | 4095) + chunk
    return struct.pack("<H", 0xB000 | (len(body) + 2 - 3)) + bytes(body)


def _offset_bits(pos: int) -> int:
    """How many of a copy token's 16 bits hold the offset, at ``pos`` in the chunk."""
    return max((pos - 1).bit_length(), 4)


def _longest_match(chunk: bytes, pos: int, candidates: list[int]) -> tuple[int, int]:
    """The nearest of the longest earlier copies of the bytes at ``pos`` (offset back, length).

    Copies may overlap ``pos`` (a run of spaces copies itself), as the format allows.
    """
    longest = min((0xFFFF >> _offset_bits(pos)) + 3, len(chunk) - pos)
    best_offset = best_length = 0
    for candidate in reversed(candidates):
        length = 0
        while length < longest and chunk[candidate + length] == chunk[pos + length]:
            length += 1
        if length > best_length:
            best_offset, best_length = pos - candidate, length
            if length == longest:
                break
    return best_offset, best_length


def decompress(data: bytes) -> bytes:
    """The inverse of :func:`compress` (any valid CompressedContainer)."""
    if not data or data[0] != 1:
        raise ValueError("not an MS-OVBA compressed container")
    out = bytearray()
    at = 1
    while at < len(data):
        header = struct.unpack_from("<H", data, at)[0]
        size = (header & 0x0FFF) + 3
        end = min(at + size, len(data))
        at += 2
        chunk_start = len(out)
        if not header & 0x8000:
            out += data[at : at + 4096]
            at = end
            continue
        while at < end:
            flags = data[at]
            at += 1
            for bit in range(8):
                if at >= end:
                    break
                if not flags & (1 << bit):
                    out.append(data[at])
                    at += 1
                    continue
                token = struct.unpack_from("<H", data, at)[0]
                at += 2
                bits = _offset_bits(len(out) - chunk_start)
                length = (token & (0xFFFF >> bits)) + 3
                offset = (token >> (16 - bits)) + 1
                for _ in range(length):
                    out.append(out[-offset])
    return bytes(out)


# --------------------------------------------------------------------------- MS-OVBA project data encryption


def encrypt(data: bytes, project_id: str = PROJECT_ID, seed: int = 0x5A) -> str:
    """Data Encryption ([MS-OVBA] 2.4.3.2) for the CMG, DPB and GC lines of the PROJECT stream.

    The seed is normally random; a fixed one keeps the build reproducible.
    """
    version, key = 2, sum(project_id.encode("ascii")) & 0xFF
    out = bytearray([seed, seed ^ version, seed ^ key])
    unencrypted, encrypted1, encrypted2 = key, out[2], out[1]
    ignored = (seed & 6) // 2
    for plain in bytes(ignored) + struct.pack("<I", len(data)) + data:
        byte = plain ^ ((encrypted2 + unencrypted) & 0xFF)
        out.append(byte)
        encrypted2, encrypted1, unencrypted = encrypted1, byte, plain
    return out.hex().upper()


def decrypt(text: str, project_id: str = PROJECT_ID) -> bytes:
    """The inverse of :func:`encrypt` (checks the version and project key)."""
    raw = bytes.fromhex(text)
    seed = raw[0]
    if raw[1] ^ seed != 2 or raw[2] ^ seed != sum(project_id.encode("ascii")) & 0xFF:
        raise ValueError("not encrypted with this project id")
    unencrypted, encrypted1, encrypted2 = raw[2] ^ seed, raw[2], raw[1]
    plain = bytearray()
    for byte in raw[3:]:
        value = byte ^ ((encrypted2 + unencrypted) & 0xFF)
        plain.append(value)
        encrypted2, encrypted1, unencrypted = encrypted1, byte, value
    ignored = (seed & 6) // 2
    length = struct.unpack_from("<I", plain, ignored)[0]
    return bytes(plain[ignored + 4 : ignored + 4 + length])


# --------------------------------------------------------------------------- the VBA project


@dataclass(frozen=True)
class Module:
    name: str
    source: str  # as exported by the VBA editor (Attribute lines first)
    document: bool = False  # ThisWorkbook and sheet modules; else a standard module

    @property
    def code(self) -> bytes:
        text = self.source.replace("\r\n", "\n").replace("\n", "\r\n")
        return text.encode(f"cp{CODE_PAGE}")


def document_module(name: str, base: str) -> Module:
    attributes = [
        f'Attribute VB_Name = "{name}"',
        f'Attribute VB_Base = "{base}"',
        "Attribute VB_GlobalNameSpace = False",
        "Attribute VB_Creatable = False",
        "Attribute VB_PredeclaredId = True",
        "Attribute VB_Exposed = True",
        "Attribute VB_TemplateDerived = False",
        "Attribute VB_Customizable = True",
    ]
    return Module(name, "\r\n".join(attributes) + "\r\n", document=True)


def _record(record_id: int, data: bytes) -> bytes:
    return struct.pack("<HI", record_id, len(data)) + data


def _text(value: str) -> bytes:
    return value.encode(f"cp{CODE_PAGE}")


def _unicode(value: str) -> bytes:
    return value.encode("utf-16-le")


def dir_stream(modules: list[Module]) -> bytes:
    """The decompressed ``VBA/dir`` stream ([MS-OVBA] 2.3.4.2): project information, no
    references (the buttons use late binding), then one record set per module."""
    out = bytearray()
    out += _record(0x0001, struct.pack("<I", 1))  # PROJECTSYSKIND: 32-bit Windows (any works)
    out += _record(0x0002, struct.pack("<I", LCID))  # PROJECTLCID
    out += _record(0x0014, struct.pack("<I", LCID))  # PROJECTLCIDINVOKE
    out += _record(0x0003, struct.pack("<H", CODE_PAGE))  # PROJECTCODEPAGE
    out += _record(0x0004, _text(PROJECT_NAME))  # PROJECTNAME
    out += _record(0x0005, b"") + _record(0x0040, b"")  # PROJECTDOCSTRING (+ Unicode)
    out += _record(0x0006, b"") + _record(0x003D, b"")  # PROJECTHELPFILEPATH (both copies)
    out += _record(0x0007, struct.pack("<I", 0))  # PROJECTHELPCONTEXT
    out += _record(0x0008, struct.pack("<I", 0))  # PROJECTLIBFLAGS
    out += struct.pack("<HIIH", 0x0009, 4, 1, 0)  # PROJECTVERSION 1.0 (Reserved is 4)
    out += _record(0x000C, b"") + _record(0x003C, b"")  # PROJECTCONSTANTS (+ Unicode)
    out += _record(0x000F, struct.pack("<H", len(modules)))  # PROJECTMODULES
    out += _record(0x0013, struct.pack("<H", 0xFFFF))  # PROJECTCOOKIE
    for module in modules:
        out += _record(0x0019, _text(module.name))  # MODULENAME
        out += _record(0x0047, _unicode(module.name))  # MODULENAMEUNICODE
        out += _record(0x001A, _text(module.name)) + _record(0x0032, _unicode(module.name))  # stream
        out += _record(0x001C, b"") + _record(0x0048, b"")  # MODULEDOCSTRING (+ Unicode)
        out += _record(0x0031, struct.pack("<I", 0))  # MODULEOFFSET: the source starts the stream
        out += _record(0x001E, struct.pack("<I", 0))  # MODULEHELPCONTEXT
        out += _record(0x002C, struct.pack("<H", 0xFFFF))  # MODULECOOKIE
        out += _record(0x0022 if module.document else 0x0021, b"")  # MODULETYPE
        out += _record(0x002B, b"")  # module terminator
    out += _record(0x0010, b"")  # dir terminator
    return bytes(out)


def project_stream(modules: list[Module]) -> bytes:
    """The ``PROJECT`` stream ([MS-OVBA] 2.3.1): the project's properties as text."""
    lines = [f'ID="{PROJECT_ID}"']
    for module in modules:
        lines.append(f"Document={module.name}/&H00000000" if module.document else f"Module={module.name}")
    lines += [
        f'Name="{PROJECT_NAME}"',
        'HelpContextID="0"',
        'VersionCompatible32="393222000"',
        f'CMG="{encrypt(struct.pack("<I", 0))}"',  # not protected
        f'DPB="{encrypt(bytes([0]), seed=0x6C)}"',  # no password
        f'GC="{encrypt(bytes([0xFF]), seed=0x7E)}"',  # visible in the VBA editor
        "",
        "[Host Extender Info]",
        "&H00000001={3832D640-CF90-11CF-8E43-00A0C911005A};VBE;&H00000000",
        "",
        "[Workspace]",
    ]
    lines += [f"{module.name}=0, 0, 0, 0, C" for module in modules]
    return _text("\r\n".join(lines) + "\r\n")


def project_wm_stream(modules: list[Module]) -> bytes:
    """The ``PROJECTwm`` stream ([MS-OVBA] 2.3.3): module names, code page and Unicode."""
    out = bytearray()
    for module in modules:
        out += _text(module.name) + b"\0" + _unicode(module.name) + b"\0\0"
    return bytes(out + b"\0\0")


# The _VBA_PROJECT stream ([MS-OVBA] 2.3.4.1) with version 0xFFFF and no performance cache:
# Excel ignores compiled code it did not write, and compiles the module source instead.
VBA_PROJECT_STREAM = bytes.fromhex("CC61FFFF000100")


def vba_project(modules: list[Module]) -> bytes:
    """``xl/vbaProject.bin``: the OLE compound file holding the VBA project."""
    streams = {
        "PROJECT": project_stream(modules),
        "PROJECTwm": project_wm_stream(modules),
        "VBA/_VBA_PROJECT": VBA_PROJECT_STREAM,
        "VBA/dir": compress(dir_stream(modules)),
    }
    for module in modules:
        streams[f"VBA/{module.name}"] = compress(module.code)
    return compound_file(streams)


# --------------------------------------------------------------------------- MS-CFB compound file

SECTOR, MINI_SECTOR, MINI_CUTOFF = 512, 64, 4096
FREE, END_OF_CHAIN, FAT_SECTOR, NO_STREAM = 0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFFD, 0xFFFFFFFF
STORAGE, STREAM, ROOT = 1, 2, 5
RED, BLACK = 0, 1


@dataclass
class _Entry:
    name: str
    kind: int
    data: bytes = b""
    children: list[_Entry] | None = None
    left: int = NO_STREAM
    right: int = NO_STREAM
    child: int = NO_STREAM
    colour: int = BLACK
    start: int = END_OF_CHAIN
    size: int = 0


def compound_file(streams: Mapping[str, bytes]) -> bytes:
    """A version 3 compound file ([MS-CFB]) holding ``streams`` ("STORAGE/NAME" paths).

    Streams under 4096 bytes live in the mini stream, as the format requires; each
    storage's children form a balanced red-black tree. Timestamps are zero.
    """
    root = _Entry("Root Entry", ROOT, children=[])
    for path, data in streams.items():
        *folders, name = path.split("/")
        parent = root
        for folder in folders:
            assert parent.children is not None
            found = next((e for e in parent.children if e.name == folder and e.kind == STORAGE), None)
            if found is None:
                found = _Entry(folder, STORAGE, children=[])
                parent.children.append(found)
            parent = found
        assert parent.children is not None
        parent.children.append(_Entry(name, STREAM, data=data, size=len(data)))

    entries: list[_Entry] = []
    _number(root, entries)

    # Mini stream: every small stream, each in whole 64-byte mini sectors.
    mini_fat: list[int] = []
    mini_stream = bytearray()
    big: list[_Entry] = []
    for entry in entries:
        if entry.kind != STREAM or entry.size == 0:
            continue
        if entry.size >= MINI_CUTOFF:
            big.append(entry)
            continue
        count = -(-entry.size // MINI_SECTOR)
        entry.start = len(mini_fat)
        mini_fat += _chain(entry.start, count)
        mini_stream += entry.data.ljust(count * MINI_SECTOR, b"\0")

    dir_sectors = -(-len(entries) // 4)
    mini_fat_sectors = -(-len(mini_fat) // 128)
    mini_stream_sectors = -(-len(mini_stream) // SECTOR)
    big_sectors = [-(-e.size // SECTOR) for e in big]
    fat_sectors = 1
    while fat_sectors * 128 < fat_sectors + dir_sectors + mini_fat_sectors + mini_stream_sectors + sum(
        big_sectors
    ):
        fat_sectors += 1
    if fat_sectors > 109:
        raise ValueError("too big for a compound file without DIFAT sectors")

    fat = [FAT_SECTOR] * fat_sectors
    first_dir = len(fat)
    fat += _chain(first_dir, dir_sectors)
    first_mini_fat = len(fat) if mini_fat_sectors else END_OF_CHAIN
    fat += _chain(len(fat), mini_fat_sectors)
    root.start = len(fat) if mini_stream_sectors else END_OF_CHAIN
    root.size = len(mini_stream)
    fat += _chain(len(fat), mini_stream_sectors)
    for entry, count in zip(big, big_sectors):
        entry.start = len(fat)
        fat += _chain(entry.start, count)
    fat += [FREE] * (fat_sectors * 128 - len(fat))

    header = struct.pack(
        "<8s16sHHHHH6sIIIIIIIII",
        bytes.fromhex("D0CF11E0A1B11AE1"),
        bytes(16),
        0x003E,  # minor version
        0x0003,  # major version 3: 512-byte sectors
        0xFFFE,  # little-endian
        9,  # sector shift: 512
        6,  # mini sector shift: 64
        bytes(6),
        0,  # directory sectors (always 0 in version 3)
        fat_sectors,
        first_dir,
        0,  # transaction signature
        MINI_CUTOFF,
        first_mini_fat,
        mini_fat_sectors,
        END_OF_CHAIN,  # no DIFAT sectors
        0,
    ) + struct.pack("<109I", *(list(range(fat_sectors)) + [FREE] * (109 - fat_sectors)))

    directory = b"".join(_dir_entry(e) for e in entries)
    directory += _dir_entry(None) * (dir_sectors * 4 - len(entries))
    mini_fat_bytes = struct.pack(f"<{len(mini_fat)}I", *mini_fat)
    mini_fat_bytes += struct.pack("<I", FREE) * (mini_fat_sectors * 128 - len(mini_fat))
    body = (
        struct.pack(f"<{len(fat)}I", *fat)
        + directory
        + mini_fat_bytes
        + bytes(mini_stream).ljust(mini_stream_sectors * SECTOR, b"\0")
        + b"".join(e.data.ljust(n * SECTOR, b"\0") for e, n in zip(big, big_sectors))
    )
    return header + body


def _number(root: _Entry, entries: list[_Entry]) -> None:
    """Give every entry its directory index; link each storage's children as a tree."""
    entries.append(root)
    queue = [root]
    while queue:
        storage = queue.pop(0)
        children = sorted(storage.children or [], key=_order)
        first = len(entries)
        entries.extend(children)
        storage.child = _tree(children, first, 0, len(children), 0, _depth(len(children)))
        queue.extend(c for c in children if c.kind == STORAGE)


def _order(entry: _Entry) -> tuple[int, str]:
    # [MS-CFB] 2.6.4: shorter names first, then by upper-case code point.
    return (len(entry.name), entry.name.upper())


def _depth(count: int) -> int:
    return max(count.bit_length() - 1, 0) if count else 0


def _tree(children: list[_Entry], first: int, lo: int, hi: int, depth: int, deepest: int) -> int:
    """Balanced tree of children[lo:hi] (by median); nodes on the deepest, possibly
    incomplete level are red, the rest black, which keeps the red-black rules."""
    if lo >= hi:
        return NO_STREAM
    mid = (lo + hi) // 2
    node = children[mid]
    node.left = _tree(children, first, lo, mid, depth + 1, deepest)
    node.right = _tree(children, first, mid + 1, hi, depth + 1, deepest)
    node.colour = RED if depth == deepest and depth > 0 and _incomplete(len(children)) else BLACK
    return first + mid


def _incomplete(count: int) -> bool:
    return (count + 1) & count != 0  # not 2**k - 1 nodes: the last level is partly filled


def _chain(first: int, count: int) -> list[int]:
    return [first + i + 1 for i in range(count - 1)] + [END_OF_CHAIN] if count else []


def _dir_entry(entry: _Entry | None) -> bytes:
    if entry is None:
        return struct.pack("<64sHBBIII16sIQQIQ", b"", 0, 0, 0, NO_STREAM, NO_STREAM, NO_STREAM,
                           bytes(16), 0, 0, 0, 0, 0)  # fmt: skip
    name = (entry.name + "\0").encode("utf-16-le")
    return struct.pack(
        "<64sHBBIII16sIQQIQ",
        name,
        len(name),
        entry.kind,
        entry.colour,
        entry.left,
        entry.right,
        entry.child,
        bytes(16),
        0,
        0,
        0,
        entry.start if entry.kind != STORAGE else 0,
        entry.size if entry.kind != STORAGE else 0,
    )


# --------------------------------------------------------------------------- the .xlam package

MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PACKAGE_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
OFFICE_DOCUMENT = f"{REL_NS}/officeDocument"
RIBBON_2010 = "http://schemas.microsoft.com/office/2007/relationships/ui/extensibility"
VBA_PROJECT_REL = "http://schemas.microsoft.com/office/2006/relationships/vbaProject"
ADDIN_TYPE = "application/vnd.ms-excel.addin.macroEnabled.main+xml"
XML_HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'


def _relationships(items: Iterable[tuple[str, str, str]]) -> bytes:
    body = "".join(f'<Relationship Id="{i}" Type="{t}" Target="{target}"/>' for i, t, target in items)
    return (XML_HEAD + f'<Relationships xmlns="{PACKAGE_REL_NS}">{body}</Relationships>').encode()


def package_parts(ribbon: bytes, modules: list[Module]) -> dict[str, bytes]:
    """Every part of the add-in, in the order they go into the zip."""
    content_types = (
        XML_HEAD + '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Default Extension="bin" ContentType="application/vnd.ms-office.vbaProject"/>'
        f'<Override PartName="/xl/workbook.xml" ContentType="{ADDIN_TYPE}"/>'
        '<Override PartName="/xl/worksheets/sheet1.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
        '<Override PartName="/xl/styles.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
        '<Override PartName="/docProps/app.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.extended-properties+xml"/>'
        "</Types>"
    )
    workbook = (
        XML_HEAD + f'<workbook xmlns="{MAIN_NS}" xmlns:r="{REL_NS}">'
        '<workbookPr codeName="ThisWorkbook"/>'
        '<bookViews><workbookView visibility="hidden"/></bookViews>'
        f'<sheets><sheet name="{SHEET_NAME}" sheetId="1" r:id="rId1"/></sheets>'
        "</workbook>"
    )
    sheet = (
        XML_HEAD + f'<worksheet xmlns="{MAIN_NS}">'
        '<sheetPr codeName="Sheet1"/><dimension ref="A1:A2"/>'
        '<sheetViews><sheetView workbookViewId="0"/></sheetViews>'
        '<sheetFormatPr defaultRowHeight="15"/><cols><col min="1" max="1" width="90" customWidth="1"/></cols>'
        "<sheetData>"
        '<row r="1"><c r="A1" t="inlineStr"><is><t>plantrack ribbon add-in (Plan tracker tab)</t></is></c>'
        "</row>"
        '<row r="2"><c r="A2" t="inlineStr"><is><t>The buttons run plantrack through the xlwings '
        "add-in. See 'In Excel' in the plantrack README.</t></is></c></row>"
        "</sheetData></worksheet>"
    )
    styles = (
        XML_HEAD + f'<styleSheet xmlns="{MAIN_NS}">'
        '<fonts count="1"><font><sz val="11"/><name val="Calibri"/><family val="2"/></font></fonts>'
        '<fills count="2"><fill><patternFill patternType="none"/></fill>'
        '<fill><patternFill patternType="gray125"/></fill></fills>'
        '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
        '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
        '<cellXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/></cellXfs>'
        '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
        "</styleSheet>"
    )
    app = (
        XML_HEAD
        + '<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties">'
        "<Application>Microsoft Excel</Application></Properties>"
    )
    return {
        "[Content_Types].xml": content_types.encode(),
        "_rels/.rels": _relationships(
            [
                ("rId1", OFFICE_DOCUMENT, "xl/workbook.xml"),
                ("rId2", f"{REL_NS}/extended-properties", "docProps/app.xml"),
                ("rId3", RIBBON_2010, "customUI/customUI14.xml"),
            ]
        ),
        "docProps/app.xml": app.encode(),
        "customUI/customUI14.xml": ribbon,
        "xl/workbook.xml": workbook.encode(),
        "xl/_rels/workbook.xml.rels": _relationships(
            [
                ("rId1", f"{REL_NS}/worksheet", "worksheets/sheet1.xml"),
                ("rId2", f"{REL_NS}/styles", "styles.xml"),
                ("rId3", VBA_PROJECT_REL, "vbaProject.bin"),
            ]
        ),
        "xl/worksheets/sheet1.xml": sheet.encode(),
        "xl/styles.xml": styles.encode(),
        "xl/vbaProject.bin": vba_project(modules),
    }


def modules_from(source: str) -> list[Module]:
    """The add-in's VBA modules: the workbook and sheet modules Excel expects, then ours."""
    name = _module_name(source)
    return [
        document_module("ThisWorkbook", WORKBOOK_BASE),
        document_module("Sheet1", WORKSHEET_BASE),
        Module(name, source),
    ]


def _module_name(source: str) -> str:
    first = source.lstrip("\ufeff").splitlines()[0] if source.strip() else ""
    prefix = 'Attribute VB_Name = "'
    if not first.startswith(prefix) or not first.endswith('"'):
        raise SystemExit(f'{MODULE.name}: the first line must be {prefix}<name>"')
    return first[len(prefix) : -1]


def build(ribbon_path: Path = RIBBON, module_path: Path = MODULE) -> bytes:
    """The bytes of plantrack.xlam, from the two text sources."""
    ribbon = ribbon_path.read_bytes().replace(b"\r\n", b"\n")  # the same bytes on any checkout
    source = module_path.read_text(encoding="utf-8").lstrip("\ufeff")
    parts = package_parts(ribbon, modules_from(source))
    return zip_bytes(parts)


def zip_bytes(parts: Mapping[str, bytes]) -> bytes:
    """A zip with fixed dates and attributes, stored (not deflated) so that every zlib gives
    the same bytes."""
    import io

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as zf:
        for name, data in parts.items():
            info = zipfile.ZipInfo(name, date_time=ZIP_TIME)
            info.create_system = 0
            info.external_attr = 0
            info.compress_type = zipfile.ZIP_STORED
            zf.writestr(info, data)
    return buffer.getvalue()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Build plantrack.xlam from its text sources.")
    parser.add_argument("--out", type=Path, default=TARGET, help=f"where to write (default {TARGET})")
    parser.add_argument(
        "--check", action="store_true", help="only check that the add-in is up to date with its sources"
    )
    args = parser.parse_args(argv)
    data = build()
    if args.check:
        if not args.out.exists() or args.out.read_bytes() != data:
            print(f"{args.out} is out of date: run python workbook/build_addin.py", file=sys.stderr)
            return 1
        print(f"{args.out} is up to date.")
        return 0
    args.out.write_bytes(data)
    print(f"Wrote {args.out} ({len(data):,} bytes).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
