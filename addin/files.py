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
import shutil
import tempfile
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from .errors import PlantrackError, UnusableWorkbook, WriteRefused
from .guard import CheckedWorkbook, check_not_open_in_excel, check_workbook
from .guard import Limits as GuardLimits
from .reader import Tracker, tracker_from_grids
from .rules import Limits, RuleSet, normalise_header, rules_for_workbook
from .tables import Grid

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


def _calamine_grids(path: Path, only: set[str] | None) -> dict[str, Grid] | None:
    try:
        from python_calamine import CalamineWorkbook
    except ImportError:
        return None
    with open(path, "rb") as handle:  # by content, whatever the file is called
        book = CalamineWorkbook.from_filelike(handle)
    grids = {}
    for name in book.sheet_names:
        if only is not None and normalise_header(name) not in only:
            continue
        rows = book.get_sheet_by_name(name).to_python(skip_empty_area=False)
        grids[name] = Grid(name, [_calamine_row(r) for r in rows])
    return grids


def _calamine_row(row: list[Any]) -> list[Any]:
    # calamine gives "" for empty cells and floats for whole numbers; match openpyxl.
    out = []
    for v in row:
        if v == "":
            out.append(None)
        elif isinstance(v, float) and v.is_integer() and abs(v) < 2**53:
            out.append(int(v))
        elif isinstance(v, dt.time):
            out.append(v)
        else:
            out.append(v)
    return out


def _openpyxl_grids(path: Path, only: set[str] | None) -> dict[str, Grid]:
    from openpyxl import load_workbook

    handle = open(path, "rb")  # openpyxl refuses names not ending .xlsx; the guard checked the content
    wb = load_workbook(handle, read_only=True, data_only=True)
    try:
        grids = {}
        for ws in wb.worksheets:
            if only is not None and normalise_header(ws.title) not in only:
                continue
            grids[ws.title] = Grid(ws.title, [list(r) for r in ws.iter_rows(values_only=True)])
        return grids
    finally:
        wb.close()
        handle.close()


def read_grids(
    path: str | Path, limits: Limits | None = None, sheets: list[str] | None = None, fast: bool = True
) -> dict[str, Grid]:
    """Every sheet's values (or only ``sheets``), read once, after the guard."""
    path = Path(path)
    info = checked(path, limits)
    only = {normalise_header(s) for s in sheets} if sheets else None
    max_rows = (limits or Limits()).max_rows
    try:
        grids = (_calamine_grids(path, only) if fast else None) or _openpyxl_grids(path, only)
    except PlantrackError:
        raise
    except (zipfile.BadZipFile, KeyError, ValueError, OSError, TypeError) as exc:
        raise UnusableWorkbook(path, "the workbook could not be read", f"it may be damaged ({exc})") from exc
    except Exception as exc:  # calamine raises its own error types
        raise UnusableWorkbook(path, "the workbook could not be read", f"it may be damaged ({exc})") from exc
    for grid in grids.values():
        while grid.values and not any(v not in (None, "") for v in grid.values[-1]):
            grid.values.pop()
        if len(grid.values) > max_rows:
            raise UnusableWorkbook(
                path,
                f"sheet '{grid.name}' has {len(grid.values):,} rows, more than the limit of {max_rows:,}",
                "remove empty or stray rows, or raise max_rows in the rule set",
            )
    _ = info
    return grids


def read_tracker(
    path: str | Path, rules: RuleSet | None = None, extra_rules: str | Path | None = None
) -> Tracker:
    """Read a master tracker into the plan model (with its raw tables for validation)."""
    path = Path(path)
    rules = rules or rules_for_workbook(path, extra=extra_rules)
    grids = read_grids(path, rules.limits)
    tracker = tracker_from_grids(grids, rules, path)
    named = tracker.plan.info.rule_set
    if named:
        rules = rules_for_workbook(path, named=named, extra=extra_rules)
        tracker = tracker_from_grids(grids, rules, path)
    return tracker


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


def apply_changes(path: str | Path, changes: Any, *, make_backup: bool = True) -> Path:
    """Write a job's ``Changes`` into the workbook at ``path`` (atomic, with a backup)."""
    from .xlsx_changes import apply_to_workbook, load_for_update

    path = Path(path)
    wb = load_for_update(path)
    apply_to_workbook(wb, changes)
    with atomic_target(path, make_backup=make_backup) as tmp:
        wb.save(tmp)
    return path
