"""Write a job's ``Changes`` into a big master without loading all of it into openpyxl.

openpyxl loads and saves the whole workbook, whatever changed: about 50 µs a cell, so
most of a minute on a 20,000-action master. :func:`write_lean` does the same work
faster, in three parts:

- **cells of existing sheets** are written straight into the sheet's XML by
  ``cell_patch`` (values and cell formats) and ``notes_xml`` (notes), leaving every other
  byte of the sheet as it was;
- **sheets the job generates** (Validation, Returns, the board pack ...) and writes into
  sheets ``cell_patch`` cannot patch are made by openpyxl, in a copy of the master in which
  every big sheet it does not need is an empty stub;
- ``preserve.restore`` then puts the stubbed sheets back byte for byte (with everything
  they link to) and checks that their cell formats mean the same in the new styles.

Every sheet that comes back is compared with what it should be; if anything is not
exactly right, :func:`write_lean` returns False and ``files.apply_changes`` loads the
whole workbook instead (slow, but it handles everything).
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .changes import KEEP, CellWrite, Changes
from .errors import PlantrackError
from .rules import Limits, normalise_header

if TYPE_CHECKING:
    from .preserve import Package

Pieces = tuple[bytes | memoryview, ...]  # a patched sheet, as cell_patch gives it

LEAN_SHEET_BYTES = 64 * 1024  # an untouched sheet smaller than this is simply loaded
LEAN_SHARE = 0.25  # and the sheets left out must be this share of the workbook's sheets at least
STORED_PART_BYTES = 1 << 20  # a bigger part is read from its file when needed, not held (see Package.read)
DIRECT = True  # write cells of existing sheets straight into their XML (False: through openpyxl)
_STUB_SHEET = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData/></worksheet>'
)


def write_lean(
    path: Path, tmp: Path, changes: Any, context: dict[str, Any] | None, limits: Limits | None = None
) -> bool:
    """Write ``changes`` to ``path`` into ``tmp`` (see the module's note); False (and ``tmp``
    to be written again) when that is not possible or not worth it."""
    from .preserve import Package

    try:
        old = Package.read(path, stored_above=STORED_PART_BYTES)
        sheets = old.sheets()
    except Exception:  # noqa: BLE001 - the full path reports what is wrong with the file
        return False
    direct = _direct_sheets(old, sheets, changes) if DIRECT else {}
    written = {normalise_header(name) for name in {c.sheet for c in getattr(changes, "cells", [])}}
    written -= {normalise_header(name) for name in direct}
    written.add(normalise_header("Plan"))  # page headers read the title and marking from it
    stubbed = {
        name: part
        for name, part in sheets.items()
        if normalise_header(name) not in written
        and (name in direct or len(old.parts.get(part, b"")) > LEAN_SHEET_BYTES)
    }
    if not direct:
        sheet_bytes = sum(len(old.parts.get(part, b"")) for part in sheets.values())
        left_out = sum(len(old.parts[part]) for part in stubbed.values())
        if not stubbed or left_out < sheet_bytes * LEAN_SHARE:
            return False  # too little left out to pay for the extra unpacking and checking
    direct_names = _names(direct)
    rest = Changes(
        cells=[c for c in getattr(changes, "cells", []) if c.sheet not in direct_names],
        sheets=list(getattr(changes, "sheets", [])),
        remove_sheets=list(getattr(changes, "remove_sheets", [])),
    )
    try:
        return _write(old, stubbed, direct, rest, context, limits, tmp)
    except PlantrackError:
        raise
    except Exception:  # noqa: BLE001 - the full path gives the real error, if there is one
        return False


def _write(
    old: Any,
    stubbed: dict[str, str],
    direct: dict[str, list[CellWrite]],
    rest: Changes,
    context: dict[str, Any] | None,
    limits: Limits | None,
    tmp: Path,
) -> bool:
    """Write the new package into ``tmp``: False when something did not come back as it
    should. The patched sheets are streamed from their pieces, the big parts left in the
    master's file or openpyxl's from there: no sheet is held in memory twice."""
    from .cell_patch import patch_sheet
    from .preserve import Package, rels_name, restore
    from .xlsx_changes import StyleMaker, apply_to_workbook, load_for_update

    sheets = old.sheets()
    with tempfile.TemporaryDirectory(prefix="plantrack-") as folder:
        lean = Path(folder) / "lean.xlsx"
        parts = dict(old.parts)
        for part in stubbed.values():
            parts[part] = _STUB_SHEET
            # and nothing it links to: openpyxl would read every chart and drawing of it
            # (restore brings the real links back from the master)
            parts.pop(rels_name(part), None)
        Package(parts).write(lean)
        wb = load_for_update(lean, limits)
        apply_to_workbook(wb, rest, context=context)
        styles = StyleMaker(wb)
        patched: dict[str, Pieces] = {}
        for name, writes in direct.items():
            done = patch_sheet(old.load(sheets[name]), writes, styles, epoch=wb.epoch, checked=True)
            if done is None:
                return False
            patched[name] = done.pieces
        saved = Path(folder) / "saved.xlsx"
        wb.save(saved)
        del wb, styles  # saved: not needed while its file is read back
        outcome = restore(old, Package.read(saved, stored_above=STORED_PART_BYTES), rest)
        result = outcome.package
        if outcome.kept_out or result is None:
            return False  # the full path says what cannot be kept, and writes the result beside
        streamed = _finish(old, result, stubbed, direct, rest, patched)
        if streamed is None:
            return False
        result.write(tmp, streamed)  # while openpyxl's file, which it may stream from, is there
    return True


def _finish(
    old: Package,
    result: Package,
    stubbed: dict[str, str],
    direct: dict[str, list[CellWrite]],
    rest: Changes,
    patched: dict[str, Pieces],
) -> dict[str, Pieces] | None:
    """The patched sheets' pieces to stream in place of their parts, with their notes
    written; None when a sheet did not come back as it should."""
    from .preserve import same_part

    new_sheets = result.sheets()
    owned = {normalise_header(s.name) for s in rest.sheets} | {
        normalise_header(n) for n in rest.remove_sheets
    }
    for name, part in stubbed.items():
        if normalise_header(name) in owned:
            continue  # regenerated or removed: its old content was not needed
        if name not in new_sheets or not same_part(result.parts.get(new_sheets[name], b""), old.parts[part]):
            return None  # not back byte for byte: load everything instead
    streamed: dict[str, Pieces] = {}  # a patched sheet is written from its pieces, never joined in memory
    for name, pieces in patched.items():
        notes = {(c.row, c.column): c.note for c in direct[name] if c.note is not KEEP}
        if not notes:
            streamed[new_sheets[name]] = pieces
            continue
        result.parts[new_sheets[name]] = b"".join(pieces)  # notes_xml links the sheet to them
        if not _set_notes(result, new_sheets[name], notes):
            return None
    return streamed


def _set_notes(package: Any, part: str, notes: dict[tuple[int, int], str | None]) -> bool:
    from .notes_xml import set_notes

    return bool(set_notes(package, part, notes))


def _direct_sheets(old: Any, sheets: dict[str, str], changes: Any) -> dict[str, list[CellWrite]]:
    """The sheets whose cell writes go straight into their XML, with those writes."""
    from .cell_patch import patchable

    by_key = {normalise_header(name): name for name in sheets}
    writes: dict[str, list[CellWrite]] = {}
    cells = getattr(changes, "cells", [])
    spelt = {given: by_key.get(normalise_header(given)) for given in {c.sheet for c in cells}}
    for change in cells:
        name = spelt[change.sheet]
        if name is not None:
            writes.setdefault(name, []).append(change)
    generated = {normalise_header(s.name) for s in getattr(changes, "sheets", [])}
    generated |= {normalise_header(n) for n in getattr(changes, "remove_sheets", [])}
    return {
        name: cells
        for name, cells in writes.items()
        if normalise_header(name) not in generated
        and sheets[name] in old.parts
        and patchable(old.load(sheets[name]))
        and (_notes_supported() or all(c.note is KEEP for c in cells))
    }


def _notes_supported() -> bool:
    try:
        from . import notes_xml  # noqa: F401
    except ImportError:
        return False
    return True


def _names(direct: dict[str, list[CellWrite]]) -> set[str]:
    """Every spelling of the direct sheets' names the writes used."""
    return {c.sheet for cells in direct.values() for c in cells}
