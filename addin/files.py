"""The file adapter: .xlsx files on disk (the CLI and the tests).

- ``read_grids`` reads every sheet's values once, after the guard has checked
  the file (python-calamine when installed, else openpyxl in read-only mode).
- ``read_tracker`` turns a master tracker into a ``reader.Tracker``.
- ``apply_changes`` writes a job's ``Changes`` into a master: backup first,
  then write to a temporary file and replace, so a failure leaves it as it was.
"""

from __future__ import annotations

import datetime as dt
import os
import posixpath
import re
import shutil
import tempfile
import warnings
import zipfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import PlantrackError, UnusableWorkbook, WriteRefused
from .guard import CheckedWorkbook, check_not_open_in_excel, check_workbook, defusedxml_in_use, safe_read
from .guard import Limits as GuardLimits
from .reader import Tracker, tracker_from_grids
from .rules import Limits, RuleSet, normalise_header, rules_for_workbook
from .tables import Grid, Grids

BACKUP_FOLDER = "plantrack-backups"
BACKUPS_KEPT = 20


def guard_limits(limits: Limits) -> GuardLimits:
    mb = 1024 * 1024
    return GuardLimits(
        max_file_bytes=int(limits.max_file_mb * mb),
        max_uncompressed_bytes=int(limits.max_uncompressed_mb * mb),
        max_entries=limits.max_zip_entries,
        max_ratio=int(limits.max_inflation_ratio),
        max_rows=limits.max_rows,
    )


def checked(path: str | Path, limits: Limits | None = None) -> CheckedWorkbook:
    """The guarded way in: every workbook plantrack reads passes here first."""
    return check_workbook(Path(path), guard_limits(limits or Limits()))


# ------------------------------------------------------------------ reading
#
# Reading is guarded twice. The guard (guard.check_workbook) looks at the file
# as a zip before anything parses it. Then ``scan_sheets`` streams each sheet's
# XML once, before calamine or openpyxl sees it, for what a parser would trust:
# where the cells are (calamine builds a dense grid from the first to the last
# cell, so one stray value in cell XFD1048576 would ask for hundreds of
# gigabytes and abort the process), and what the user should be told (merged
# cells, hidden rows, formulas). A sheet that is not written the way Excel
# writes it goes to openpyxl in read-only mode, which reads row by row and is
# stopped at the limits.


_SCAN_CHUNK = 1 << 20
# A cell whose reference is not of the small, canonical form Excel writes
# (r first, capital letters, at most column CZ and row 99,999). Most sheets
# have none, so the exact scan below runs only on the rare sheet that does.
_UNUSUAL_CELL = re.compile(rb'<c(?! r="[A-C]?[A-Z][0-9]{1,5}"[ />])[\s>/]')
# The exact scan reads references as calamine does (any case, either quote, spaces around '=');
# a cell without one, or with another attribute first, is left to openpyxl.
_NOT_CANONICAL_CELL = re.compile(rb"<c(?:[>/]|\s(?!\s*r\s*=))")
_CONTENT_CELL = re.compile(  # not <c .../>: that holds only a style
    rb"<c\s+r\s*=\s*[\"']([A-Za-z]{1,3})([0-9]{1,7})[\"'][^>/]*>"
)
_PREFIXED_CELL = re.compile(rb":c[\s>/]")  # <x:c ...>: calamine reads these too
# A merged range as Excel writes it (<mergeCell ref="B3:B5"/>), or with a namespace prefix,
# other attributes first or single quotes, as other writers may: every reader honours them.
_MERGED = re.compile(
    rb"<(?:[A-Za-z_][\w.-]*:)?mergeCell\b[^>]*?\sref\s*=\s*[\"']"
    rb"\$?([A-Za-z]{1,3}\$?[0-9]{1,7}(?::\$?[A-Za-z]{1,3}\$?[0-9]{1,7})?)[\"']"
)
_CELL_BEFORE = re.compile(rb'<c r="([A-Za-z]{1,3}[0-9]{1,7})"')


@dataclass
class SheetScan:
    """What one pass over a sheet's XML found (before any parser read it)."""

    name: str
    part: str
    canonical: bool = True  # every cell written as Excel writes it: safe to give to calamine
    exact: bool = False  # last_row and last_column were worked out (the sheet had unusual cells)
    last_row: int = 0  # of the cells holding something (0: within CZ99999, not worked out)
    last_column: int = 0
    last_cell: str = ""
    hidden_rows_or_columns: bool = False
    formulas: int = 0
    first_formula: str = ""
    merged: list[str] = field(default_factory=list)

    @property
    def area(self) -> int:
        """Cells a dense reader would hold for this sheet (from A1 to the last cell)."""
        return self.last_row * self.last_column

    def warnings(self) -> list[str]:
        out = []
        if self.merged:
            more = len(self.merged) - 3
            shown = ", ".join(self.merged[:3]) + (f" and {more:,} more" if more > 0 else "")
            out.append(
                f"Sheet '{self.name}' has merged cells ({shown}); plantrack reads the value in the first "
                "cell of each and treats the others as empty. Unmerge them so every row has its own values."
            )
        if self.hidden_rows_or_columns:
            out.append(
                f"Sheet '{self.name}' has hidden rows or columns; plantrack reads them like the others."
            )
        if self.formulas:
            count = "a formula" if self.formulas == 1 else f"{self.formulas:,} formulas"
            where = f" (the first in {self.first_formula})" if self.first_formula else ""
            out.append(
                f"Sheet '{self.name}' has {count}{where} where plantrack expects typed values; it reads "
                "the value Excel last saved with each (empty if the file was never saved in Excel) "
                "and never runs them."
            )
        return out


def _column_number(letters: bytes | str) -> int:
    number = 0
    for letter in letters.upper() if isinstance(letters, str) else letters.decode("ascii").upper():
        number = number * 26 + ord(letter) - 64
    return number


def _sheet_parts(zf: zipfile.ZipFile) -> dict[str, str]:
    """Sheet name -> the zip part holding its XML, from the workbook and its relationships."""
    names = {info.filename.casefold(): info.filename for info in zf.infolist()}
    sheets: list[tuple[str, str]] = []
    targets: dict[str, str] = {}

    def on_sheet(tag: str, attributes: dict[str, str]) -> None:
        if tag.rpartition(" ")[2] == "sheet":
            rel = next((v for k, v in attributes.items() if k.rpartition(" ")[2] == "id"), "")
            sheets.append((attributes.get("name", ""), rel))

    def on_relationship(tag: str, attributes: dict[str, str]) -> None:
        # worksheets only: a chart sheet has no cells (and neither reader gives it a grid)
        if tag.rpartition(" ")[2] == "Relationship" and attributes.get("Type", "").endswith("/worksheet"):
            targets[attributes.get("Id", "")] = attributes.get("Target", "")

    _parse_small_xml(zf, names.get("xl/workbook.xml", "xl/workbook.xml"), on_sheet)
    rels = names.get("xl/_rels/workbook.xml.rels")
    if rels is not None:
        _parse_small_xml(zf, rels, on_relationship)
    parts = {}
    for name, rel in sheets:
        target = targets.get(rel)
        if target is None:
            continue
        resolved = posixpath.normpath(target.lstrip("/") if target.startswith("/") else f"xl/{target}")
        if resolved.casefold() in names:
            parts[name] = names[resolved.casefold()]
    return parts


def _parse_small_xml(zf: zipfile.ZipFile, part: str, on_start: Any) -> None:
    from xml.parsers import expat

    data = safe_read(zf, part, 32 * 1024 * 1024)
    parser = expat.ParserCreate(namespace_separator=" ")

    def refuse(*_: object) -> None:
        raise UnusableWorkbook(zf.filename, "the file contains XML that plantrack refuses to read", _RESAVE)

    parser.StartDoctypeDeclHandler = refuse
    parser.EntityDeclHandler = refuse
    parser.StartElementHandler = on_start
    try:
        parser.Parse(data, True)
    except expat.ExpatError as exc:
        raise UnusableWorkbook(zf.filename, f"the part {part} is not valid XML", _RESAVE) from exc


_RESAVE = "open it in Excel and save it again as an Excel Workbook (.xlsx)"


def scan_sheets(path: Path, limits: Limits, only: set[str] | None = None) -> dict[str, SheetScan]:
    """One streaming pass over each sheet's XML (see the note above); never builds a grid."""
    scans = {}
    with zipfile.ZipFile(path) as zf:
        for name, part in _sheet_parts(zf).items():
            if only is not None and normalise_header(name) not in only:
                continue
            scan = SheetScan(name, part)
            if not _scan_part(zf, scan, limits, exact=False):
                scan = SheetScan(name, part, exact=True)
                _scan_part(zf, scan, limits, exact=True)
            scans[name] = scan
    return scans


def _scan_part(zf: zipfile.ZipFile, scan: SheetScan, limits: Limits, *, exact: bool) -> bool:
    """Scan ``scan.part``; False when an unusual cell was found and ``exact`` was not asked for."""
    path = Path(zf.filename or "")
    budget = int(limits.max_uncompressed_mb * 1024 * 1024)
    carry = b""
    total = 0
    try:
        with zf.open(scan.part) as stream:
            while True:
                chunk = stream.read(_SCAN_CHUNK)
                total += len(chunk)
                if total > budget:
                    raise UnusableWorkbook(
                        zf.filename,
                        f"sheet '{scan.name}' unpacks to more than {limits_mb(budget)}",
                        "this is not a normal tracker; if it is genuine, raise the limit in the rules",
                    )
                data = carry + chunk
                if chunk:
                    cut = data.rfind(b"<")
                    if cut <= 0 or len(data) - cut > _SCAN_CHUNK:
                        cut = len(data)  # no tag boundary in a megabyte: not written by Excel
                        scan.canonical = False
                    data, carry = data[:cut], data[cut:]
                if not _scan_chunk(data, scan, exact, path, limits):
                    return False
                if not chunk:
                    return True
    except PlantrackError:
        raise
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, RuntimeError, ValueError) as exc:
        raise UnusableWorkbook(
            zf.filename, "the file is damaged", "get a fresh copy, or open it in Excel and save it again"
        ) from exc


def _scan_chunk(data: bytes, scan: SheetScan, exact: bool, path: Path, limits: Limits) -> bool:
    if exact:
        # Every cell must carry its reference first, in capitals; otherwise openpyxl reads the sheet.
        if scan.canonical and _NOT_CANONICAL_CELL.search(data):
            scan.canonical = False
        for letters, digits in _CONTENT_CELL.findall(data):  # cells holding more than a style
            row, column = int(digits), _column_number(letters)
            if row > scan.last_row or column > scan.last_column:
                scan.last_row, scan.last_column = max(row, scan.last_row), max(column, scan.last_column)
                scan.last_cell = f"{letters.decode().upper()}{row}"
                _check_extent(path, scan, limits)  # stop at the first cell past a limit
    elif _UNUSUAL_CELL.search(data):
        return False
    if scan.canonical and _PREFIXED_CELL.search(data):
        scan.canonical = False
    if not scan.hidden_rows_or_columns and (b'hidden="1"' in data or b'hidden="true"' in data):
        scan.hidden_rows_or_columns = True
    formulas = data.count(b"<f>") + data.count(b"<f ")
    if formulas:
        if not scan.first_formula:
            at = min(i for i in (data.find(b"<f>"), data.find(b"<f ")) if i >= 0)
            start = data.rfind(b"<c ", 0, at)
            found = _CELL_BEFORE.match(data, start) if start >= 0 else None
            scan.first_formula = found.group(1).decode().upper() if found else ""
        scan.formulas += formulas
    if b"mergeCell" in data:
        scan.merged.extend(m.decode().upper().replace("$", "") for m in _MERGED.findall(data))
    return True


def limits_mb(size: int) -> str:
    return f"{size / (1024 * 1024):,.0f} MB"


def _check_extent(path: Path, scan: SheetScan, limits: Limits) -> None:
    """Refuse a sheet whose cells reach too far for a dense reader (see ``scan_sheets``)."""
    if scan.last_row > limits.max_rows:
        raise UnusableWorkbook(
            path,
            f"sheet '{scan.name}' has something in cell {scan.last_cell}, row {scan.last_row:,}: more than "
            f"the limit of {limits.max_rows:,} rows",
            "delete the stray rows below the table (select them, right-click, Delete), or raise max_rows "
            "in the rule set",
        )
    if scan.area > limits.max_cells:
        raise UnusableWorkbook(
            path,
            f"sheet '{scan.name}' has something in cell {scan.last_cell}, far outside the table "
            f"({scan.area:,} cells from A1; the limit is {limits.max_cells:,})",
            "delete the stray rows and columns around the table, or raise max_cells in the rule set",
        )


def _calamine_grids(path: Path, names: list[str]) -> Grids | None:
    """The sheets ``names`` read by python-calamine, or None when it is not installed."""
    try:
        from python_calamine import CalamineWorkbook
    except ImportError:
        return None
    grids = Grids()
    with open(path, "rb") as handle:  # by content, whatever the file is called
        book = CalamineWorkbook.from_filelike(handle)
    try:
        for name in names:
            rows = book.get_sheet_by_name(name).to_python(skip_empty_area=False)
            grids[name] = Grid(name, _calamine_values(rows))
    finally:
        book.close()
    return grids


_WHOLE = float(2**53)
_MIDNIGHT = dt.time()  # floats beyond this are not exact whole numbers


def _calamine_values(rows: list[list[Any]]) -> list[list[Any]]:
    """calamine's values as plantrack reads them: None for an empty cell, whole numbers as int
    (calamine gives 5.0), dates with no time as ``date``. One comprehension per row (it runs per
    cell), put back into calamine's own list so that the sheet is not held twice."""
    for row in rows:
        row[:] = [
            None
            if v == ""
            else int(v)
            if v.__class__ is float and v.is_integer() and -_WHOLE < v < _WHOLE
            else v
            for v in row
        ]
    return rows


def _openpyxl_value(value: Any) -> Any:
    """openpyxl's values as calamine gives them (a date with no time is a ``date``, not midnight)."""
    if value.__class__ is dt.datetime and value.time() == _MIDNIGHT:
        return value.date()
    if value == "":
        return None
    return value


def _openpyxl_grids(path: Path, scans: list[SheetScan], limits: Limits) -> Grids:
    """Sheets read row by row by openpyxl (read-only), stopped at the limits."""
    from openpyxl import load_workbook

    grids = Grids()
    by_name = {scan.name: scan for scan in scans}
    with open(path, "rb") as handle, warnings.catch_warnings():
        # openpyxl warns on stderr about what it drops or cannot read (a date out of range,
        # an extension); the user gets one line from plantrack, not Python's warnings.
        warnings.simplefilter("ignore")
        wb = load_workbook(handle, read_only=True, data_only=True)  # by content, whatever the name
        try:
            for ws in wb.worksheets:
                if ws.title in by_name:
                    grids[ws.title] = Grid(ws.title, _bounded_rows(path, ws, by_name[ws.title], limits))
        finally:
            wb.close()
    return grids


def _bounded_rows(path: Path, ws: Any, scan: SheetScan, limits: Limits) -> list[list[Any]]:
    """A sheet's rows, each as long as its last cell; refused when a value lies past the row
    limit or the sheet holds too many cells. Empty rows past the limit are skipped, not kept."""
    ws.reset_dimensions()  # the dimension a file declares may lie: rows are as long as their cells
    last = scan.last_row if scan.exact and scan.canonical else None  # no value below it
    rows: list[list[Any]] = []
    cells = 0
    for number, values in enumerate(ws.iter_rows(max_row=last or None, values_only=True), start=1):
        if number > limits.max_rows:
            if any(v is not None and v != "" for v in values):
                raise UnusableWorkbook(
                    path,
                    f"sheet '{ws.title}' has values in row {number:,}, more than the limit of "
                    f"{limits.max_rows:,} rows",
                    "delete the stray rows below the table, or raise max_rows in the rule set",
                )
            continue
        cells += len(values)
        if cells > limits.max_cells:
            raise UnusableWorkbook(
                path,
                f"sheet '{ws.title}' holds more than {limits.max_cells:,} cells",
                "delete the stray rows and columns around the table, or raise max_cells in the rule set",
            )
        row = [_openpyxl_value(v) for v in values]
        while row and row[-1] is None:  # a cell with only a style ends no row
            row.pop()
        rows.append(row)
    width = max(map(len, rows), default=0)  # as calamine gives them: every row as wide as the sheet
    return [row + [None] * (width - len(row)) for row in rows]


def read_grids(
    path: str | Path,
    limits: Limits | None = None,
    sheets: list[str] | None = None,
    fast: bool = True,
    info: CheckedWorkbook | None = None,
) -> Grids:
    """Every sheet's values (or only ``sheets``), read once, after the guard and the sheet scan.

    python-calamine reads when it is installed (``fast``) and the sheet is
    written the way Excel writes it; openpyxl (read-only) otherwise. The
    result's ``warnings`` say what the user should know (see ``tables.Grids``).
    ``info``: the guard's verdict on the file, when the caller has just asked for it.
    """
    path = Path(path)
    limits = limits or Limits()
    info = info if info is not None else checked(path, limits)
    only = {normalise_header(s) for s in sheets} if sheets else None
    try:
        scans = scan_sheets(path, limits, only)
        for scan in scans.values():
            _check_extent(path, scan, limits)
        names = list(scans)
        fast_names = [n for n in names if scans[n].canonical] if fast else []
        slow_names = [n for n in names if n not in fast_names]
        read = _read_fast(path, fast_names)
        if read is None:  # calamine is not installed, or could not read the file
            read, slow_names = Grids(), names
        if slow_names:
            read.update(_openpyxl_grids(path, [scans[n] for n in slow_names], limits))
    except PlantrackError:
        raise
    except Exception as exc:  # openpyxl raises many types on damaged files
        raise UnusableWorkbook(
            path, "the workbook could not be read (it may be damaged)", f"{_RESAVE} ({_short(exc)})"
        ) from exc
    grids = Grids(warnings=_workbook_warnings(info) + _xml_defence_warnings())
    for name in names:
        grid = read.get(name) or Grid(name, [])
        while grid.values and not any(v is not None and v != "" for v in grid.values[-1]):
            grid.values.pop()
        if len(grid.values) > limits.max_rows:
            raise UnusableWorkbook(
                path,
                f"sheet '{grid.name}' has {len(grid.values):,} rows, more than the limit of "
                f"{limits.max_rows:,}",
                "remove empty or stray rows, or raise max_rows in the rule set",
            )
        grids[name] = grid
        grids.warnings.extend(scans[name].warnings())
        if scans[name].merged:
            grids.merged[name] = list(scans[name].merged)
    return grids


PLANTRACK_SHEET_PREFIX = "_plantrack"  # plantrack's own hidden record sheets


def _workbook_warnings(info: CheckedWorkbook) -> list[str]:
    """The guard's warnings, less plantrack's own hidden sheets (issue and pack records):
    those are hidden on purpose and not worth a note on every run."""
    own = [name for name in info.hidden_sheets if name.startswith(PLANTRACK_SHEET_PREFIX)]
    return [w for w in info.warnings if not any(w.startswith(f"Sheet '{name}' is ") for name in own)]


def _xml_defence_warnings() -> list[str]:
    """Loud, on every read, if openpyxl would parse XML without defusedxml (the guard still
    refuses entity declarations, but a second line of defence is missing)."""
    if defusedxml_in_use():
        return []
    return [
        "WARNING: the XML defences are off (defusedxml is not installed, or OPENPYXL_DEFUSEDXML is "
        "False): install plantrack again with its dependencies ('pip install defusedxml')."
    ]


def _read_fast(path: Path, names: list[str]) -> Grids | None:
    """calamine's grids, or None to fall back to openpyxl (calamine missing, or it failed:
    a Rust panic is a BaseException, so it is caught here too)."""
    if not names:
        return Grids()
    try:
        return _calamine_grids(path, names)
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException:  # noqa: B036 - calamine's PanicException derives from BaseException
        return None


def _short(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text[:120]


def read_master(
    path: str | Path, rules: RuleSet | None = None, extra_rules: str | Path | None = None
) -> tuple[Tracker, Grids]:
    """A master tracker and every sheet's grid (plantrack's own sheets included), read once.

    The rule set is the default, then ``plantrack.toml`` beside the file, then the file
    the Plan sheet names ("Rule set"), then ``extra_rules`` (``--rules``).
    """
    path = Path(path)
    rules = rules or rules_for_workbook(path, extra=extra_rules)
    grids = read_grids(path, rules.limits)
    tracker = tracker_from_grids(grids, rules, path)
    named = tracker.plan.info.rule_set
    if named:
        rules = rules_for_workbook(path, named=named, extra=extra_rules)
        tracker = tracker_from_grids(grids, rules, path)
    return tracker, grids


def read_tracker(
    path: str | Path, rules: RuleSet | None = None, extra_rules: str | Path | None = None
) -> Tracker:
    """Read a master tracker into the plan model (with its raw tables for validation)."""
    return read_master(path, rules, extra_rules)[0]


# ------------------------------------------------------------------ writing


def backup(path: Path) -> Path:
    """Copy the master into ``plantrack-backups/`` beside it, stamped; keep the last few."""
    folder = path.parent / BACKUP_FOLDER
    folder.mkdir(exist_ok=True)
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S-%f")
    target = folder / f"{path.stem}.{stamp}{path.suffix}"
    shutil.copy2(path, target)
    old = sorted(folder.glob(f"{path.stem}.*{path.suffix}"))
    for stale in old[:-BACKUPS_KEPT]:
        stale.unlink(missing_ok=True)
    return target


@contextmanager
def atomic_target(path: Path, *, make_backup: bool = True) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; on success it replaces ``path``.

    The master is backed up first; if anything fails, the temporary file is
    removed and ``path`` is untouched.
    """
    path = Path(path)
    if path.exists():
        check_not_open_in_excel(path)
        if make_backup:
            backup(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=path.suffix, dir=path.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        yield tmp
        _copy_mode(path, tmp)
        if not tmp.exists() or tmp.stat().st_size == 0:
            raise WriteRefused(path, "the new workbook came out empty; nothing was changed")
        try:
            os.replace(tmp, path)
        except PermissionError as exc:
            raise WriteRefused(
                path, "cannot replace the file (is it open in Excel?)", "close it and run again"
            ) from exc
    finally:
        tmp.unlink(missing_ok=True)


def _copy_mode(original: Path, tmp: Path) -> None:
    """Give the new file the old file's permissions (or the usual ones for a new file)."""
    if original.exists():
        shutil.copymode(original, tmp)
    else:
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)


def save_workbook(wb: Any, path: Path, *, backup: bool = True) -> Path:
    """Save an openpyxl workbook atomically (backing up the old file)."""
    with atomic_target(path, make_backup=backup) as tmp:
        wb.save(tmp)
    return path


def apply_changes(
    path: str | Path, changes: Any, *, make_backup: bool = True, context: dict[str, Any] | None = None
) -> Path:
    """Write a job's ``Changes`` into the workbook at ``path`` (atomic, with a backup).

    Everything in the file plantrack does not own (xlwings Lite code, shapes, ...) is
    kept byte for byte (``preserve.keep_unowned``); if something cannot be kept, the
    master is left as it was, the result goes beside it and ``ContentKeptOut`` says why.
    ``context`` (title, marking, report date) is passed to the page headers.

    openpyxl loads and saves the whole workbook, whatever changed (on a 20,000-action
    master that is minutes). So ``master_write.write_lean`` writes cells straight into
    the sheets' XML and gives openpyxl only the sheets it has to make; if anything does
    not come back exactly as it should, the whole workbook is loaded instead.
    """
    from .master_write import write_lean
    from .preserve import keep_unowned
    from .xlsx_changes import apply_to_workbook, load_for_update

    path = Path(path)
    limits = _limits_for(path)
    checked(path, limits)  # a workbook that cannot be used is refused before any backup is made
    with atomic_target(path, make_backup=make_backup) as tmp:
        if not write_lean(path, tmp, changes, context, limits):
            wb = load_for_update(path, limits)
            apply_to_workbook(wb, changes, context=context)
            wb.save(tmp)
            keep_unowned(path, tmp, changes)
    return path


def _limits_for(path: Path) -> Limits:
    """The plan's limits (its plantrack.toml may raise them), as ``read_tracker`` used them."""
    try:
        return rules_for_workbook(path).limits
    except PlantrackError:
        return Limits()
