"""Never damage the master: keep what plantrack does not own when it writes a workbook.

openpyxl rewrites the whole file when it saves, and leaves out what it does not
model: the xlwings Lite code (web-extension parts linked from the package), shapes
and sheet buttons (drawings), form controls, Excel 2010 data validations kept in
``extLst``, custom XML, printer settings, and more. After ``files.apply_changes`` has
saved the new workbook with openpyxl, :func:`keep_unowned` compares it with the
master and puts back, byte for byte, every part plantrack does not own:

- parts linked from the package or the workbook by a relationship alone (xlwings
  Lite's ``xl/webextensions/``, ``customXml/``, the thumbnail, threaded-comment
  persons ...): the parts are copied and their relationships and content types added;
- every sheet plantrack did not touch: its XML, its relationships and everything they
  lead to (drawings with shapes, form controls, pictures, tables, comments, printer
  settings ...), after checking that its cell formats mean the same in the new
  styles; the old shared-strings part comes back with it (openpyxl writes inline
  strings, so nothing else uses it);
- on sheets plantrack writes cells into: the original drawing (shapes and sheet
  buttons) and the sheet elements openpyxl dropped that stand alone (``extLst`` with
  Excel 2010 data validations, ignored errors, printer settings ...).

What cannot be put back safely (slicers, form controls on a sheet plantrack writes
into, ...) makes :func:`keep_unowned` leave the master alone: the result goes to a new
file ``<name> (plantrack).xlsx`` beside it and :class:`ContentKeptOut` says, in one
line, what was kept out and why.

:func:`inventory` lists a workbook's parts and which of them openpyxl would drop.
"""

from __future__ import annotations

import os
import posixpath
import re
import shutil
import tempfile
import time
import zipfile
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any
from xml.parsers import expat

from .errors import WriteRefused
from .rules import normalise_header

PKG_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
CT_NS = "http://schemas.openxmlformats.org/package/2006/content-types"
MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
R_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
OD = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/"
MS = "http://schemas.microsoft.com/office/"

WORKSHEET = OD + "worksheet"
SHARED_STRINGS = OD + "sharedStrings"
DRAWING = OD + "drawing"
PRINTER_SETTINGS = OD + "printerSettings"
PIVOT_TABLE = OD + "pivotTable"
TABLE = OD + "table"
SIGNATURES = "http://schemas.openxmlformats.org/package/2006/relationships/digital-signature/origin"
TABLE_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.table+xml"
SHARED_STRINGS_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"

# Workbook-level parts that nothing but their relationship points at: safe to put back.
WORKBOOK_PARTS_BY_RELATIONSHIP = {
    OD + "customXml": "custom XML data",
    MS + "2017/10/relationships/person": "the people in threaded comments",
    OD + "sheetMetadata": "dynamic-array formula data",
    OD + "connections": "data connections",
    OD + "volatileDependencies": "volatile dependencies",
    MS + "2006/relationships/vbaProjectSignature": "the macro signature",
}
# Workbook-level parts plantrack leaves out on purpose: Excel rebuilds them.
WORKBOOK_PARTS_REBUILT = {OD + "calcChain"}
# What the workbook's own XML refers to: they cannot come back once openpyxl has
# rewritten workbook.xml without them.
WORKBOOK_PARTS_NAMED = {
    MS + "2007/relationships/slicerCache": "slicers",
    MS + "2011/relationships/timelineCache": "timelines",
    MS + "2006/relationships/powerPivotData": "the Power Pivot data model",
    MS + "2007/relationships/powerPivotData": "the Power Pivot data model",
    OD + "revisionHeaders": "the tracked changes of a shared workbook",
}

# The order of a worksheet's elements ([ISO/IEC 29500] CT_Worksheet).
SHEET_ORDER = [
    "sheetPr", "dimension", "sheetViews", "sheetFormatPr", "cols", "sheetData", "sheetCalcPr",
    "sheetProtection", "protectedRanges", "scenarios", "autoFilter", "sortState", "dataConsolidate",
    "customSheetViews", "mergeCells", "phoneticPr", "conditionalFormatting", "dataValidations",
    "hyperlinks", "printOptions", "pageMargins", "pageSetup", "headerFooter", "rowBreaks", "colBreaks",
    "customProperties", "cellWatches", "ignoredErrors", "smartTags", "drawing", "legacyDrawing",
    "legacyDrawingHF", "drawingHF", "picture", "oleObjects", "controls", "webPublishItems",
    "tableParts", "extLst",
]  # fmt: skip
# Sheet elements that stand alone (no relationship): spliced back when openpyxl drops them.
SELF_CONTAINED = {
    "sheetCalcPr", "protectedRanges", "scenarios", "dataConsolidate", "customSheetViews", "phoneticPr",
    "cellWatches", "ignoredErrors", "smartTags", "extLst",
}  # fmt: skip
# Sheet elements openpyxl reads and writes: when one is gone, the job removed its content
# (the last note, the last link ...). Drawings are put back whole, comments are checked.
MODELLED = {
    "sheetPr", "dimension", "sheetViews", "sheetFormatPr", "cols", "sheetData", "sheetProtection",
    "autoFilter", "mergeCells", "conditionalFormatting", "dataValidations", "hyperlinks", "printOptions",
    "pageMargins", "pageSetup", "headerFooter", "rowBreaks", "colBreaks", "drawing", "legacyDrawing",
    "tableParts",
}  # fmt: skip
# Sheet elements that need relationships openpyxl dropped, in the users' words.
LINKED = {
    "picture": "a background picture",
    "oleObjects": "embedded objects",
    "controls": "form controls",
    "legacyDrawingHF": "pictures in the page header or footer",
    "drawingHF": "pictures in the page header or footer",
    "customProperties": "custom sheet properties",
    "webPublishItems": "web publishing settings",
}


# --------------------------------------------------------------------------- outcome


class ContentKeptOut(WriteRefused):
    """The master holds something plantrack cannot keep: it was left as it was and the
    result written to ``written`` beside it."""

    def __init__(self, master: Path, written: Path, reasons: list[str]):
        self.written = written
        self.reasons = reasons
        super().__init__(
            master,
            f"not changed, because plantrack could not keep {_join(reasons)}",
            f"the result is in '{written.name}' beside it: copy what you need from one to the other",
        )


@dataclass
class Outcome:
    """What :func:`restore` did: the parts it put back, what it could not keep (in the
    users' words; empty when everything was kept), and the resulting package."""

    restored: list[str] = field(default_factory=list)
    kept_out: list[str] = field(default_factory=list)
    package: Package | None = None


def beside(master: Path) -> Path:
    """Where the result goes when the master must not be touched."""
    return master.with_name(f"{master.stem} (plantrack){master.suffix}")


# --------------------------------------------------------------------------- the package


@dataclass(frozen=True)
class Rel:
    id: str
    type: str
    target: str  # a part name (no leading "/"), or the URL of an external target
    external: bool = False
    raw_target: str = ""


def rels_name(part: str) -> str:
    """The relationships part of ``part`` ("" is the package itself)."""
    if not part:
        return "_rels/.rels"
    folder, name = posixpath.split(part)
    return posixpath.join(folder, "_rels", f"{name}.rels")


def resolve(source: str, target: str) -> str:
    """The part a relative (or absolute) ``target`` names, seen from ``source``."""
    if target.startswith("/"):
        return posixpath.normpath(target.lstrip("/"))
    return posixpath.normpath(posixpath.join(posixpath.dirname(source), target))


class StoredPart:
    """A big part left in its package's file until it is read, or written (streamed): a
    big master's untouched sheets and a board pack's sheets are then never all held in
    memory at once. It is not bytes: any use of it as bytes fails (and the caller's
    fallback runs), so whatever needs its content asks ``Package.data``."""

    __slots__ = ("path", "name", "size")

    def __init__(self, path: Path, name: str, size: int):
        self.path, self.name, self.size = path, name, size

    def __len__(self) -> int:
        return self.size

    def read(self) -> bytes:
        with zipfile.ZipFile(self.path) as zf:
            return zf.read(self.name)

    def chunks(self, size: int = 1 << 20) -> Iterator[bytes]:
        with zipfile.ZipFile(self.path) as zf, zf.open(self.name) as part:
            while chunk := part.read(size):
                yield chunk


Part = bytes | StoredPart


def same_part(a: Part, b: Part) -> bool:
    """Whether two parts hold the same bytes (a part left in its file is read to compare)."""
    if a is b:
        return True
    if isinstance(a, StoredPart) or isinstance(b, StoredPart):
        if len(a) != len(b):
            return False
        a = a.read() if isinstance(a, StoredPart) else a
        b = b.read() if isinstance(b, StoredPart) else b
    return a == b


class Package:
    """An Office Open XML package as its parts, with its relationships and content types."""

    def __init__(self, parts: Mapping[str, Part]):
        self.parts: dict[str, Part] = dict(parts)

    @classmethod
    def read(cls, path: Path, stored_above: int | None = None) -> Package:
        """The package in the file ``path``; parts bigger than ``stored_above`` bytes (when
        given) are left in the file as ``StoredPart`` (the file must then stay as it is
        while the package is used)."""
        with zipfile.ZipFile(path) as zf:
            return cls(
                {
                    info.filename: StoredPart(path, info.filename, info.file_size)
                    if stored_above is not None and info.file_size > stored_above
                    else zf.read(info)
                    for info in zf.infolist()
                    if not info.is_dir()
                }
            )

    def data(self, name: str) -> bytes:
        """The bytes of the part ``name`` (read from its file if it was left there)."""
        part = self.parts[name]
        return part.read() if isinstance(part, StoredPart) else part

    def load(self, name: str) -> bytes:
        """The bytes of the part ``name``, kept in memory from now on."""
        data = self.parts[name] = self.data(name)
        return data

    def write(self, path: Path, pieces: Mapping[str, Iterable[bytes | memoryview]] | None = None) -> None:
        """Write the package to ``path``; a part named in ``pieces`` is written from those
        pieces in turn (streamed, never joined) in place of its bytes in ``parts``, and a
        part left in its file is streamed from there."""
        names = ["[Content_Types].xml"] + [n for n in self.parts if n != "[Content_Types].xml"]
        pieces = pieces or {}
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
            for name in names:
                part = self.parts[name]
                streamed = pieces.get(name)
                if streamed is None:
                    if not isinstance(part, StoredPart):
                        zf.writestr(name, part)
                        continue
                    streamed = part.chunks()
                info = zipfile.ZipInfo(name, time.localtime()[:6])  # as writestr makes it
                info.compress_type, info.external_attr = zipfile.ZIP_DEFLATED, 0o600 << 16
                with zf.open(info, "w") as out:
                    for piece in streamed:
                        out.write(piece)

    # relationships -----------------------------------------------------------

    def rels(self, owner: str) -> list[Rel]:
        name = rels_name(owner)
        if name not in self.parts:
            return []
        data = self.data(name)
        found = []
        for attrs in _elements(data, "Relationship"):
            external = attrs.get("TargetMode", "") == "External"
            raw = attrs.get("Target", "")
            target = raw if external else resolve(owner, raw)
            found.append(Rel(attrs.get("Id", ""), attrs.get("Type", ""), target, external, raw))
        return found

    def set_rels(self, owner: str, rels: Iterable[Rel]) -> None:
        rels = list(rels)
        if not rels:
            self.parts.pop(rels_name(owner), None)
            return
        items = []
        for rel in rels:
            target = rel.target if rel.external else "/" + rel.target
            mode = ' TargetMode="External"' if rel.external else ""
            items.append(
                f'<Relationship Id="{_attr(rel.id)}" Type="{_attr(rel.type)}" '
                f'Target="{_attr(target)}"{mode}/>'
            )
        self.parts[rels_name(owner)] = (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            f'<Relationships xmlns="{PKG_REL_NS}">{"".join(items)}</Relationships>'
        ).encode()

    def add_rel(self, owner: str, type_: str, target: str) -> str:
        rels = self.rels(owner)
        rid = _free_id({r.id for r in rels})
        self.set_rels(owner, [*rels, Rel(rid, type_, target)])
        return rid

    def reachable(self) -> set[str]:
        seen: set[str] = set()
        todo = [""]
        while todo:
            part = todo.pop()
            for rel in self.rels(part):
                if not rel.external and rel.target not in seen and rel.target in self.parts:
                    seen.add(rel.target)
                    todo.append(rel.target)
        return seen

    # content types -----------------------------------------------------------

    def content_types(self) -> tuple[dict[str, str], dict[str, str]]:
        """(defaults by extension, overrides by part name): copies, to change and set again."""
        defaults, overrides = _content_types(self.data("[Content_Types].xml"))
        return dict(defaults), dict(overrides)

    def content_type(self, part: str) -> str | None:
        defaults, overrides = _content_types(self.data("[Content_Types].xml"))
        return overrides.get(part) or defaults.get(posixpath.splitext(part)[1].lstrip(".").lower())

    def set_content_types(self, defaults: dict[str, str], overrides: dict[str, str]) -> None:
        items = [f'<Default Extension="{_attr(e)}" ContentType="{_attr(t)}"/>' for e, t in defaults.items()]
        items += [
            f'<Override PartName="/{_attr(p)}" ContentType="{_attr(t)}"/>'
            for p, t in overrides.items()
            if p in self.parts
        ]
        self.parts["[Content_Types].xml"] = (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            f'<Types xmlns="{CT_NS}">{"".join(items)}</Types>'
        ).encode()

    # the workbook ------------------------------------------------------------

    def workbook(self) -> str:
        for rel in self.rels(""):
            if rel.type.endswith("/officeDocument"):
                return rel.target
        raise KeyError("no workbook part")

    def sheets(self) -> dict[str, str]:
        """Sheet name -> worksheet part (chart sheets and the like are left out)."""
        book = self.workbook()
        by_id = {r.id: r for r in self.rels(book)}
        sheets = {}
        for attrs in _elements(self.data(book), "sheet"):
            rid = next((v for k, v in attrs.items() if k.endswith("}id") or k == "r:id"), None)
            rel = by_id.get(rid or "")
            if rel is not None and rel.type == WORKSHEET:
                sheets[attrs.get("name", "")] = rel.target
        return sheets


@lru_cache(maxsize=8)
def _content_types(data: bytes) -> tuple[dict[str, str], dict[str, str]]:
    """[Content_Types].xml read once for each version of it (asked for every part)."""
    defaults = {a["Extension"].lower(): a["ContentType"] for a in _elements(data, "Default")}
    overrides = {a["PartName"].lstrip("/"): a["ContentType"] for a in _elements(data, "Override")}
    return defaults, overrides


# --------------------------------------------------------------------------- inventory


@dataclass(frozen=True)
class PartReport:
    name: str
    content_type: str
    size: int
    kept: bool  # False: openpyxl's save leaves it out


@dataclass
class Inventory:
    parts: list[PartReport]
    dropped_in_sheets: dict[str, list[str]]  # sheet -> element names openpyxl leaves out

    @property
    def dropped(self) -> list[str]:
        return [p.name for p in self.parts if not p.kept]


def inventory(path: str | Path) -> Inventory:
    """Every part of the workbook at ``path``, and whether an openpyxl save keeps it.

    Found by evidence: the workbook is loaded and saved with openpyxl once, to a
    temporary file, and the two are compared part by part and sheet by sheet.
    """
    from openpyxl import load_workbook

    from .files import checked

    path = Path(path)
    checked(path)
    old = Package.read(path)
    with tempfile.TemporaryDirectory() as folder:
        copy = Path(folder) / "saved.xlsx"
        with open(path, "rb") as handle:
            wb = load_workbook(handle, keep_vba=True, rich_text=True)
        wb.save(copy)
        new = Package.read(copy)
    reports = [
        PartReport(name, old.content_type(name) or "", len(data), name in new.parts)
        for name, data in old.parts.items()
    ]
    old_sheets, new_sheets = old.sheets(), new.sheets()
    dropped = {}
    for name, part in old_sheets.items():
        if name in new_sheets:
            lost = sorted(set(_top_names(old.data(part))) - set(_top_names(new.data(new_sheets[name]))))
            if lost:
                dropped[name] = lost
    return Inventory(reports, dropped)


# --------------------------------------------------------------------------- putting back


def keep_unowned(master: Path, written: Path, changes: Any = None) -> Outcome:
    """Put back into ``written`` (just saved by openpyxl from ``master``) every part of the
    master plantrack does not own, byte for byte.

    ``changes`` (a ``Changes``) says which sheets plantrack writes cells into and which it
    generates or removes; without it every sheet counts as written into. When something
    cannot be kept, ``written`` is copied to :func:`beside` the master and
    :class:`ContentKeptOut` is raised, so the caller leaves the master alone.
    """
    try:
        outcome = restore(Package.read(master), Package.read(written), changes)
    except (KeyError, ValueError, IndexError, expat.ExpatError, zipfile.BadZipFile) as exc:
        raise WriteRefused(
            master,
            "plantrack could not check that it keeps everything in this workbook",
            f"nothing was changed ({exc})",
        ) from exc
    assert outcome.package is not None
    outcome.package.write(written)
    if outcome.kept_out:
        target = beside(master)
        fd, tmp = tempfile.mkstemp(prefix=f".{target.stem}.", suffix=target.suffix, dir=target.parent)
        os.close(fd)
        try:
            shutil.copyfile(written, tmp)
            os.replace(tmp, target)
        finally:
            Path(tmp).unlink(missing_ok=True)
        raise ContentKeptOut(master, target, outcome.kept_out)
    return outcome


def restore(old: Package, new: Package, changes: Any = None) -> Outcome:
    """``new`` (openpyxl's save of ``old``) with the master's unowned parts put back
    (see :func:`keep_unowned`); ``new`` is changed in place."""
    job = _Job(old, new)
    job.run(changes)
    return Outcome(job.restored, job.kept_out, job.new)


class _Job:
    def __init__(self, old: Package, new: Package):
        self.old, self.new = old, new
        self.restored: list[str] = []
        self.kept_out: list[str] = []
        self.copied: dict[str, str] = {}  # old part -> its name in the result
        self.pending: list[tuple[str, str, str]] = []  # (owner, type, old target) to link
        self.sheet_rels: list[tuple[str, str]] = []  # (old sheet part, new sheet part)
        self.splices: list[tuple[str, str]] = []  # (old sheet part, new sheet part)
        self.needs_shared_strings = False

    def run(self, changes: Any) -> None:
        owned, touched = _sheets_of(changes)
        self.package_parts()
        self.workbook_parts()
        old_sheets, new_sheets = self.old.sheets(), self.new.sheets()
        styles_ok = _StyleCheck(self.old, self.new)  # read when first needed
        for name, old_part in old_sheets.items():
            key = normalise_header(name)
            if key in owned or name not in new_sheets:
                continue  # plantrack replaces or removes this sheet
            new_part = new_sheets[name]
            if touched is not None and key not in touched:
                self.keep_sheet(name, old_part, new_part, styles_ok)
            else:
                self.splice_sheet(name, old_part, new_part)
        self.finish()

    # package and workbook ------------------------------------------------------

    def package_parts(self) -> None:
        have = {r.type for r in self.new.rels("")}
        for rel in self.old.rels(""):
            if rel.external or rel.type in have or rel.target not in self.old.parts:
                continue
            if rel.type == SIGNATURES:
                continue  # any change breaks a digital signature: it cannot be kept
            self.pending.append(("", rel.type, rel.target))

    def workbook_parts(self) -> None:
        old_book, new_book = self.old.workbook(), self.new.workbook()
        have = {r.type for r in self.new.rels(new_book)}
        for rel in self.old.rels(old_book):
            if rel.external or rel.type in have or rel.target not in self.old.parts:
                continue
            if rel.type in (WORKSHEET, SHARED_STRINGS) or rel.type in WORKBOOK_PARTS_REBUILT:
                continue
            if rel.type in WORKBOOK_PARTS_BY_RELATIONSHIP:
                self.pending.append((new_book, rel.type, rel.target))
            elif rel.type.endswith(("/chartsheet", "/dialogsheet", "/macrosheet", "/xlMacrosheet")):
                self.kept_out.append("a chart sheet or macro sheet")
            else:
                what = WORKBOOK_PARTS_NAMED.get(rel.type, f"the workbook part {rel.target}")
                self.kept_out.append(what)

    # sheets plantrack does not touch -------------------------------------------

    def keep_sheet(self, name: str, old_part: str, new_part: str, styles: _StyleCheck) -> None:
        """Put the whole sheet back as it was, with everything it links to."""
        stored, xml = self.old.parts[old_part], self.old.data(old_part)
        rels = self.old.rels(old_part)
        if any(r.type == PIVOT_TABLE for r in rels):
            lost = set(_top_names(xml)) - set(_top_names(self.new.data(new_part)))
            if lost or any(r.type == DRAWING for r in rels):
                self.kept_out.append(f"what openpyxl leaves out of the pivot-table sheet '{name}'")
            return  # openpyxl keeps pivot tables: its copy stands
        problem = styles.problem(xml)
        if problem:
            self.kept_out.append(f"the sheet '{name}' as it was ({problem})")
            return
        if _uses_shared_strings(xml):
            if self.new_shared_strings():
                self.kept_out.append(f"the sheet '{name}' as it was (its text is in shared strings)")
                return
            self.needs_shared_strings = True
        self.new.parts[new_part] = stored  # as it was: left in the master's file if it was
        self.new.parts.pop(rels_name(new_part), None)
        self.sheet_rels.append((old_part, new_part))

    def new_shared_strings(self) -> bool:
        return any(r.type == SHARED_STRINGS for r in self.new.rels(self.new.workbook()))

    # sheets plantrack writes cells into -----------------------------------------

    def splice_sheet(self, name: str, old_part: str, new_part: str) -> None:
        """Keep plantrack's cells, and bring back what openpyxl dropped around them."""
        old_xml, new_xml = self.old.load(old_part), self.new.load(new_part)
        new_top = set(_top_names(new_xml))
        old_rels = {r.id: r for r in self.old.rels(old_part)}
        for element in _top_elements(old_xml):
            raw = old_xml[element.start : element.end]
            if element.name == "extLst" and (b"slicerList" in raw or b"timelineRef" in raw):
                self.kept_out.append(f"slicers or timelines on the sheet '{name}'")
            elif element.name == "legacyDrawing":
                rel = old_rels.get(element.rid or "")
                vml = b""
                if rel is not None and not rel.external and rel.target in self.old.parts:
                    vml = self.old.data(rel.target)
                if re.search(rb'ObjectType="(?!Note")', vml):
                    self.kept_out.append(f"form controls on the sheet '{name}'")
            if element.name in new_top or element.name in SELF_CONTAINED or element.name in MODELLED:
                continue
            what = LINKED.get(element.name)
            if what is None and element.name == "AlternateContent":
                what = "form controls or embedded objects"
            self.kept_out.append(f"{what or f'<{element.name}> content'} on the sheet '{name}'")
        if re.search(rb"<(?:\w+:)?c\b[^>]*\scm=", old_xml):
            self.kept_out.append(f"dynamic-array formulas on the sheet '{name}'")
        self.splices.append((old_part, new_part))

    # finishing -----------------------------------------------------------------

    def finish(self) -> None:
        # Drop what openpyxl wrote for the drawings about to be replaced, then
        # everything nothing links to any more, before copying parts back in.
        for old_part, new_part in self.splices:
            if self.old_drawing(old_part) is not None:
                self.new.parts[new_part] = _remove_element(self.new.data(new_part), "drawing")
                self.new.set_rels(new_part, [r for r in self.new.rels(new_part) if r.type != DRAWING])
        self.prune()
        for owner, type_, target in self.pending:
            self.new.add_rel(owner, type_, self.copy(target))
        for old_part, new_part in self.sheet_rels:
            self.link_sheet(old_part, new_part)
        for old_part, new_part in self.splices:
            self.splice(old_part, new_part)
        if self.needs_shared_strings:
            self.bring_back_shared_strings()
        self.prune()
        self.fix_table_ids()

    def fix_table_ids(self) -> None:
        """Table ids must be unique in a workbook: tables put back keep theirs, and any
        of openpyxl's (which it numbers afresh) that clash are moved on."""
        restored = set(self.copied.values())
        tables = sorted(n for n in self.new.parts if self.new.content_type(n) == TABLE_TYPE)
        ids = {name: _root_id(self.new.data(name)) for name in tables}
        kept = {ids[n] for n in tables if n in restored}
        next_id = max([0, *(i for i in ids.values() if i is not None)]) + 1
        for name in tables:
            if name not in restored and ids[name] in kept:
                self.new.parts[name] = _set_root_id(self.new.data(name), next_id)
                next_id += 1

    def old_drawing(self, old_part: str) -> str | None:
        """The drawing part of a sheet of the master, if it has one."""
        element = _element(self.old.data(old_part), "drawing")
        if element is None:
            return None
        rel = next((r for r in self.old.rels(old_part) if r.id == element.rid), None)
        if rel is None or rel.external or rel.target not in self.old.parts:
            return None
        return rel.target

    def copy(self, old_part: str) -> str:
        """Copy ``old_part`` and all it links to; returns its name in the result."""
        if old_part in self.copied:
            return self.copied[old_part]
        order = []
        todo = [old_part]
        while todo:
            part = todo.pop()
            if part in self.copied or part not in self.old.parts:
                continue
            data = self.old.parts[part]
            name = part
            if part in self.new.parts and not same_part(self.new.parts[part], data):
                name = _free_name(part, self.new.parts)
            self.copied[part] = name
            self.new.parts[name] = data
            self.restored.append(name)
            self.copy_content_type(part, name)
            order.append(part)
            todo += [r.target for r in self.old.rels(part) if not r.external]
        for part in order:
            self.copy_rels(part, self.copied[part])
        return self.copied[old_part]

    def copy_rels(self, old_owner: str, new_owner: str) -> None:
        rels = self.old.rels(old_owner)
        if not rels:
            return
        moved = [r for r in rels if not r.external and self.copied.get(r.target, r.target) != r.target]
        same_place = all(r.external or resolve(new_owner, r.raw_target) == r.target for r in rels)
        if not moved and same_place:
            self.new.parts[rels_name(new_owner)] = self.old.parts[rels_name(old_owner)]
        else:
            self.new.set_rels(
                new_owner,
                [r if r.external else Rel(r.id, r.type, self.copied.get(r.target, r.target)) for r in rels],
            )

    def copy_content_type(self, old_part: str, new_part: str) -> None:
        kind = self.old.content_type(old_part)
        if kind is None:
            return
        defaults, overrides = self.new.content_types()
        extension = posixpath.splitext(new_part)[1].lstrip(".").lower()
        old_defaults, old_overrides = self.old.content_types()
        if old_part not in old_overrides and extension and extension not in defaults:
            defaults[extension] = kind
        elif defaults.get(extension) != kind or old_part in old_overrides:
            overrides[new_part] = kind
        self.new.set_content_types(defaults, overrides)

    def link_sheet(self, old_part: str, new_part: str) -> None:
        for rel in self.old.rels(old_part):
            if not rel.external:
                self.copy(rel.target)
        self.copy_rels(old_part, new_part)

    def splice(self, old_part: str, new_part: str) -> None:
        old_xml = self.old.data(old_part)
        xml = self.new.data(new_part)
        old_rels = {r.id: r for r in self.old.rels(old_part)}
        new_names = set(_top_names(xml))
        declarations = _namespace_declarations(old_xml)
        for element in _top_elements(old_xml):
            raw = old_xml[element.start : element.end]
            if element.name == "drawing":
                drawing = self.old_drawing(old_part)
                if drawing is None:
                    continue
                rid = self.new.add_rel(new_part, DRAWING, self.copy(drawing))
                xml = _insert(xml, "drawing", f'<drawing xmlns:r="{R_NS}" r:id="{rid}"/>'.encode())
            elif element.name in SELF_CONTAINED and element.name not in new_names:
                xml = _insert(xml, element.name, _with_declarations(raw, declarations))
                self.restored.append(f"{new_part} <{element.name}>")
            elif element.name == "pageSetup" and element.rid:
                rel = old_rels.get(element.rid)
                if rel is None or rel.external or rel.type != PRINTER_SETTINGS:
                    continue
                if rel.target not in self.old.parts:
                    continue
                new_setup = _element(xml, "pageSetup")
                if new_setup is None or new_setup.rid:
                    continue
                rid = self.new.add_rel(new_part, PRINTER_SETTINGS, self.copy(rel.target))
                xml = _add_attribute(xml, new_setup, f'xmlns:r="{R_NS}" r:id="{rid}"')
        self.new.parts[new_part] = xml

    def bring_back_shared_strings(self) -> None:
        old_book = self.old.workbook()
        rel = next(r for r in self.old.rels(old_book) if r.type == SHARED_STRINGS)
        name = self.copy(rel.target)
        self.new.add_rel(self.new.workbook(), SHARED_STRINGS, name)
        defaults, overrides = self.new.content_types()
        overrides[name] = self.old.content_type(rel.target) or SHARED_STRINGS_TYPE
        self.new.set_content_types(defaults, overrides)

    def prune(self) -> None:
        keep = self.new.reachable()
        for name in list(self.new.parts):
            if name == "[Content_Types].xml" or name.endswith(".rels"):
                continue
            if name not in keep:
                del self.new.parts[name]
        for name in list(self.new.parts):
            if name.endswith(".rels") and name != "_rels/.rels":
                folder, base = posixpath.split(name)
                owner = posixpath.join(posixpath.dirname(folder), base[: -len(".rels")])
                if owner not in self.new.parts:
                    del self.new.parts[name]
        defaults, overrides = self.new.content_types()
        self.new.set_content_types(defaults, overrides)
        self.restored = [n for n in self.restored if n in self.new.parts or " <" in n]


# --------------------------------------------------------------------------- styles


_CELL_FORMAT = re.compile(rb'\ss="(\d+)"')


def _distinct(pattern: re.Pattern[bytes], data: bytes, chunk: int = 1 << 20) -> set[int]:
    """The distinct numbers ``pattern`` finds, a megabyte at a time: never a list of every
    cell's (a million on a big sheet). Chunks overlap, so no match is cut in two."""
    found: set[bytes] = set()
    for start in range(0, len(data), chunk):
        found.update(pattern.findall(data, start, start + chunk + 64))
    return {int(n) for n in found}


class _StyleCheck:
    """Whether a sheet's cell formats (``s="n"``) and conditional formats (``dxfId``)
    mean the same in the new styles as in the old: openpyxl keeps the order of both
    lists, and this checks it for the indices a sheet uses.

    Only the indices whose meaning changed are looked for (usually none, so a big sheet is
    not scanned at all). A reference past the end of the master's own list was dangling in
    the master already; the sheet is kept as it was, dangling reference and all."""

    def __init__(self, old: Package, new: Package):
        self.packages = old, new
        self.changed: tuple[list[int], list[int]] | None = None

    def problem(self, sheet_xml: bytes) -> str | None:
        if self.changed is None:
            (old_xfs, old_dxfs), (new_xfs, new_dxfs) = (_styles(p) for p in self.packages)
            self.changed = _changed(old_xfs, new_xfs), _changed(old_dxfs, new_dxfs)
        xfs, dxfs = self.changed
        if _refers_to_any(sheet_xml, _CELL_FORMAT, xfs):
            return "its cell formats changed"
        if _refers_to_any(sheet_xml, _CONDITIONAL_FORMAT, dxfs):
            return "its conditional formats changed"
        return None


_CONDITIONAL_FORMAT = re.compile(rb'\sdxfId="(\d+)"')


def _changed(old: list[Any], new: list[Any]) -> list[int]:
    """The indices of ``old`` that mean something else (or nothing) in ``new``."""
    return [i for i, item in enumerate(old) if i >= len(new) or new[i] != item]


def _refers_to_any(xml: bytes, pattern: re.Pattern[bytes], indices: list[int]) -> bool:
    """Whether ``xml`` refers (``pattern``) to any of ``indices``; no scan when there are none."""
    return bool(indices) and not _distinct(pattern, xml).isdisjoint(indices)


def _styles(package: Package) -> tuple[list[Any], list[Any]]:
    """Each cell format resolved to what it means, and the differential formats."""
    from openpyxl.styles import Alignment, Protection
    from openpyxl.styles.numbers import BUILTIN_FORMATS
    from openpyxl.styles.stylesheet import Stylesheet
    from openpyxl.xml.functions import fromstring

    book = package.workbook()
    rel = next((r for r in package.rels(book) if r.type.endswith("/styles")), None)
    if rel is None or rel.target not in package.parts:
        return [], []
    sheet = Stylesheet.from_tree(fromstring(package.data(rel.target)))
    formats = {n.numFmtId: n.formatCode for n in sheet.numFmts.numFmt}
    resolved = []
    for xf in sheet.cellXfs.xf:
        fmt = formats.get(xf.numFmtId, BUILTIN_FORMATS.get(xf.numFmtId, xf.numFmtId))
        resolved.append(
            (
                fmt,
                _pick(sheet.fonts, xf.fontId),
                _pick(sheet.fills, xf.fillId),
                _pick(sheet.borders, xf.borderId),
                xf.alignment or Alignment(),
                xf.protection or Protection(),
                bool(xf.quotePrefix),
            )
        )
    return resolved, list(sheet.dxfs)


def _pick(items: list[Any], index: int | None) -> Any:
    return items[index] if index is not None and 0 <= index < len(items) else None


# --------------------------------------------------------------------------- XML helpers


@dataclass(frozen=True)
class _Element:
    name: str  # local name
    start: int  # byte offsets of the whole element in the part
    end: int
    start_tag_end: int
    rid: str | None  # its r:id attribute, if any


@lru_cache(maxsize=16)
def _top_elements(data: bytes) -> list[_Element]:
    """The children of the root element, with their byte ranges (found by expat).

    The cells are skipped: expat reads the sheet with ``sheetData`` emptied, and the
    offsets after it are moved back into place.
    """
    skeleton, cut, shift = data, len(data), 0
    opening = re.search(rb"<(?:[\w.-]+:)?sheetData\b[^>]*>", data)
    if opening is not None and not opening.group().endswith(b"/>"):
        closing = re.compile(rb"</(?:[\w.-]+:)?sheetData\s*>").search(data, opening.end())
        if closing is not None:
            cut, shift = opening.end(), closing.start() - opening.end()
            skeleton = data[:cut] + data[closing.start() :]
    found = _scan(skeleton)

    def place(at: int) -> int:
        return at + shift if at >= cut else at

    return [_Element(e.name, place(e.start), place(e.end), place(e.start_tag_end), e.rid) for e in found]


def _parser() -> Any:
    """expat, refusing DOCTYPEs and entities (the guard has refused them already)."""
    parser = expat.ParserCreate(namespace_separator=" ")

    def refuse(*_: Any) -> None:
        raise ValueError("an XML part declares a DOCTYPE")

    parser.StartDoctypeDeclHandler = refuse
    parser.EntityDeclHandler = refuse
    return parser


def _scan(data: bytes) -> list[_Element]:
    parser = _parser()
    found: list[_Element] = []
    depth = 0
    opened: dict[int, tuple[str, int, str | None]] = {}

    def start(name: str, attrs: dict[str, str]) -> None:
        nonlocal depth
        depth += 1
        if depth == 2:
            rid = attrs.get(f"{R_NS} id")
            opened[depth] = (name.split(" ")[-1], parser.CurrentByteIndex, rid)

    def end(name: str) -> None:
        nonlocal depth
        if depth == 2:
            local, begin, rid = opened.pop(depth)
            at = parser.CurrentByteIndex
            tag_end = _tag_end(data, begin)
            # expat reports the end of an empty element <x/> at its start or just after it
            # (it depends on the version): either way the element ends with its own tag
            empty = data[tag_end - 2 : tag_end] == b"/>" and at in (begin, tag_end)
            stop = tag_end if empty else _tag_end(data, at)
            found.append(_Element(local, begin, stop, tag_end, rid))
        depth -= 1

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.Parse(data, True)
    return found


def _top_names(data: bytes) -> list[str]:
    return [e.name for e in _top_elements(data)]


def _element(data: bytes, name: str) -> _Element | None:
    return next((e for e in _top_elements(data) if e.name == name), None)


def _tag_end(data: bytes, at: int) -> int:
    """The offset just past the tag that starts at ``at`` (quotes respected)."""
    quote = None
    for i in range(at, len(data)):
        c = data[i : i + 1]
        if quote:
            if c == quote:
                quote = None
        elif c in (b'"', b"'"):
            quote = c
        elif c == b">":
            return i + 1
    raise ValueError("unterminated tag")


def _remove_element(data: bytes, name: str) -> bytes:
    element = _element(data, name)
    return data if element is None else data[: element.start] + data[element.end :]


def _insert(data: bytes, name: str, element: bytes) -> bytes:
    """``data`` (a worksheet) with ``element`` put where the schema wants a ``name``."""
    later = set(SHEET_ORDER[SHEET_ORDER.index(name) + 1 :])
    for existing in _top_elements(data):
        if existing.name in later:
            return data[: existing.start] + element + data[existing.start :]
    close = data.rindex(b"</")
    return data[:close] + element + data[close:]


def _add_attribute(data: bytes, element: _Element, text: str) -> bytes:
    end = element.start_tag_end
    at = end - (2 if data[end - 2 : end] == b"/>" else 1)
    return data[:at] + b" " + text.encode() + data[at:]


def _namespace_declarations(data: bytes) -> dict[bytes, bytes]:
    """The xmlns declarations on the root element (prefix -> declaration)."""
    start = re.search(rb"<(?![?!])", data)
    if start is None:
        return {}
    tag = data[start.start() : _tag_end(data, start.start())]
    return {m.group(1): m.group(0) for m in re.finditer(rb'xmlns(?::([\w.-]+))?\s*=\s*"[^"]*"', tag)}


def _with_declarations(raw: bytes, declarations: dict[bytes, bytes]) -> bytes:
    """An element cut from one part, with the namespace declarations it relied on."""
    end = _tag_end(raw, 0)
    head = raw[:end]
    own = _namespace_declarations(raw)
    used = set(re.findall(rb"</?([\w.-]+):", raw)) | set(re.findall(rb"\s([\w.-]+):[\w.-]+\s*=", raw))
    extra = [d for p, d in declarations.items() if p is not None and p not in own and p in used]
    if not extra:
        return raw
    close = end - (2 if head.endswith(b"/>") else 1)
    return raw[:close] + b" " + b" ".join(extra) + raw[close:]


def _root_tag(data: bytes) -> tuple[int, int]:
    start = re.search(rb"<(?![?!])", data)
    if start is None:
        raise ValueError("no root element")
    return start.start(), _tag_end(data, start.start())


def _root_id(data: bytes) -> int | None:
    begin, end = _root_tag(data)
    found = re.search(rb'\sid="(\d+)"', data[begin:end])
    return int(found.group(1)) if found else None


def _set_root_id(data: bytes, value: int) -> bytes:
    begin, end = _root_tag(data)
    tag = re.sub(rb'(\sid=")\d+(")', lambda m: m[1] + str(value).encode() + m[2], data[begin:end], count=1)
    return data[:begin] + tag + data[end:]


def _uses_shared_strings(sheet_xml: bytes) -> bool:
    if b't="s"' not in sheet_xml:  # a plain search first: a sheet of inline strings is not scanned
        return False
    return re.search(rb'<(?:\w+:)?c\b[^>]*\st="s"', sheet_xml) is not None


def _elements(data: bytes, local: str) -> list[dict[str, str]]:
    """The attributes of every element called ``local`` (any namespace)."""
    found: list[dict[str, str]] = []
    parser = _parser()

    def start(name: str, attrs: dict[str, str]) -> None:
        if name.split(" ")[-1] == local:
            found.append({k.replace(f"{R_NS} ", "r:"): v for k, v in attrs.items()})

    parser.StartElementHandler = start
    parser.Parse(data, True)
    return found


def _attr(value: str) -> str:
    return value.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;")


def _free_id(taken: set[str]) -> str:
    n = len(taken) + 1
    while f"rId{n}" in taken:
        n += 1
    return f"rId{n}"


def _free_name(part: str, taken: Mapping[str, object]) -> str:
    stem, extension = posixpath.splitext(part)
    n = 1
    while f"{stem}_kept{n}{extension}" in taken:
        n += 1
    return f"{stem}_kept{n}{extension}"


def _join(reasons: list[str]) -> str:
    unique = list(dict.fromkeys(reasons))
    if len(unique) == 1:
        return unique[0]
    return ", ".join(unique[:-1]) + " and " + unique[-1]


def _sheets_of(changes: Any) -> tuple[set[str], set[str] | None]:
    """(sheets plantrack generates or removes, sheets it writes cells into); without
    ``changes`` every sheet counts as written into."""
    if changes is None:
        return set(), None
    owned = {normalise_header(s.name) for s in getattr(changes, "sheets", [])}
    owned |= {normalise_header(name) for name in getattr(changes, "remove_sheets", [])}
    touched = {normalise_header(c.sheet) for c in getattr(changes, "cells", [])}
    return owned, touched
