"""The file adapter for partner copies and returns (the CLI and the tests).

- ``issue_to_files``: read the master, decide the copies (``jobs.issue``), write
  each copy (``partner_copy``: plain .xlsx written with XlsxWriter, protected
  sheets with the editable cells unlocked, drop-downs, an Instructions sheet and
  the very hidden signed record),
  then record the issue in the master (backup, atomic). Copies are written to
  temporary files first and only given their names once the master is written,
  so a failure leaves neither a master that lists copies that do not exist nor
  copies that the master does not know.
- ``read_return``: read a returned file without ever writing to it: every
  sheet's values with python-calamine, and where the formulas are from the
  sheets' XML (calamine shows a formula's cached value, not the formula).
- ``merge_files``: read the master and the returns, merge (``jobs.merge``),
  write the master once (backup, atomic) and the reminders for late agencies.
- ``chase_files``: the reminders alone.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import html
import os
import re
import tempfile
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import files
from .errors import PlantrackError, UnusableWorkbook, WriteRefused
from .files import _sheet_parts as sheet_parts
from .files import apply_changes, checked, read_grids
from .guard import check_not_open_in_excel, safe_read
from .jobs.chasing import CHASERS_FOLDER, Reminder, reminders
from .jobs.issue import IssuePlan, PartnerCopy, agency_contacts, issue_changes, plan_issue
from .jobs.merge import MergeResult, RefusedFile, ReturnedFile, merge_returns
from .jobs.merge_report import existing_audit_rows, merge_changes
from .jobs.returns_record import ISSUED_KEYS, canonical
from .jobs.returns_status import IssueBook, ReturnStatus, read_book, return_states
from .partner_copy import CopyBook, copy_book
from .reader import Tracker
from .rules import Limits, RuleSet, normalise_header
from .tables import Grid
from .templates import Template, load_template

DEFAULT_COPIES_FOLDER = "partner copies"


# ------------------------------------------------------------------ the master


def read_master(path: str | Path, extra_rules: str | Path | None = None) -> tuple[Tracker, dict[str, Grid]]:
    """The master tracker and every sheet's grid (plantrack's own hidden sheets included), read once."""
    return files.read_master(path, extra_rules=extra_rules)


def _plan_rows(grids: Mapping[str, Grid], tracker: Tracker) -> int:
    grid = grids.get(tracker.plan_sheet.sheet)
    return len(grid.values) if grid is not None else 1


# ------------------------------------------------------------------ writing a copy


def build_copy(copy: PartnerCopy, rules: RuleSet, template: Template) -> CopyBook:
    """The partner copy, ready to ``save(path)`` (with XlsxWriter, or openpyxl without it)."""
    return copy_book(copy, rules, template)


def _file_mode(path: Path) -> None:
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(path, 0o666 & ~umask)


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fp:
        for block in iter(lambda: fp.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


@dataclass
class IssueRun:
    master: Path
    out: Path
    plan: IssuePlan
    paths: list[Path] = field(default_factory=list)
    statuses: list[ReturnStatus] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "master": str(self.master),
            "out": str(self.out),
            "plan_id": self.plan.plan_id,
            "plan_id_created": self.plan.plan_id_created,
            "issued_at": self.plan.issued_at.isoformat(timespec="seconds"),
            "copies": [
                {
                    "agency": c.agency,
                    "file": str(p),
                    "due": c.due.isoformat(),
                    "due_from": c.due_note,
                    "actions": c.count("Actions"),
                    "milestones": c.count("Milestones"),
                    "indicators": c.count("Indicators"),
                    "indicator_periods": c.count("Indicator data"),
                    "sha256": c.sha256,
                }
                for c, p in zip(self.plan.copies, self.paths)
            ],
            "notes": list(self.plan.notes),
        }


def default_out(master: Path, tracker: Tracker) -> Path:
    folder = tracker.plan.info.returns_folder
    if folder:
        path = Path(folder)
        return path if path.is_absolute() else master.parent / path
    return master.parent / DEFAULT_COPIES_FOLDER


def issue_to_files(
    master: str | Path,
    out: str | Path | None = None,
    *,
    agencies: Sequence[str] | None = None,
    due: dt.date | None = None,
    now: dt.datetime | None = None,
) -> IssueRun:
    """Write one copy per agency into ``out`` and record the issue in the master."""
    master = Path(master)
    tracker, grids = read_master(master)
    book = read_book(grids)
    folder = Path(out) if out is not None else default_out(master, tracker)
    if folder.exists() and not folder.is_dir():
        raise WriteRefused(folder, "is a file, not a folder", "give a folder for the copies with --out")
    taken = [p.name for p in folder.iterdir()] if folder.is_dir() else []
    plan = plan_issue(tracker, book, agencies=agencies, due=due, now=now, taken_names=taken)
    run = IssueRun(master, folder, plan)
    if not plan.copies:
        return run
    check_not_open_in_excel(master)
    folder.mkdir(parents=True, exist_ok=True)
    template = load_template()
    temps: list[Path] = []
    try:
        for copy in plan.copies:
            fd, name = tempfile.mkstemp(prefix=".plantrack-copy-", suffix=".xlsx", dir=folder)
            os.close(fd)
            tmp = Path(name)
            temps.append(tmp)
            build_copy(copy, tracker.rules, template).save(tmp)
            _file_mode(tmp)
            copy.sha256 = sha256_of(tmp)
            copy.folder = str(folder.resolve())
        changes, new_book = issue_changes(
            tracker,
            book,
            plan,
            plan_rows=_plan_rows(grids, tracker),
            datetime_format=template.style.datetime_format,
            date_format=template.style.date_format,
        )
        rules = tracker.rules
        del tracker, grids, book  # not needed to write: let them go first (lower peak memory)
        apply_changes(master, changes)
        for tmp, copy in zip(temps, plan.copies):
            target = folder / copy.file_name
            os.replace(tmp, target)
            run.paths.append(target)
        run.statuses = return_states(new_book, plan.issued_at, rules)
    finally:
        for tmp in temps:
            tmp.unlink(missing_ok=True)
    return run


# ------------------------------------------------------------------ reading a return

_NAME = rb"(?:[A-Za-z_][\w.-]*:)?"
_CELL_WITH_FORMULA = re.compile(
    rb"<" + _NAME + rb"c\b([^>]*)>\s*<" + _NAME + rb"f\b([^>]*?)(?:/>|>(.*?)</" + _NAME + rb"f>)", re.S
)
_ANY_FORMULA = re.compile(rb"<" + _NAME + rb"f\b")
_REF = re.compile(rb'\br="\$?([A-Z]{1,3})\$?([0-9]{1,7})"')


def _column_number(letters: bytes) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + (ch - 64)
    return n


def formula_cells(path: Path, limits: Limits | None = None) -> dict[str, dict[tuple[int, int], str]]:
    """Every cell holding a formula: sheet name -> (row, column) -> formula text ("" for a
    shared formula's followers). Read from the sheets' XML, without evaluating anything."""
    limit = int((limits.max_uncompressed_mb if limits is not None else 500.0) * 1024 * 1024)
    out: dict[str, dict[tuple[int, int], str]] = {}
    unplaced: list[str] = []
    with zipfile.ZipFile(path) as zf:
        for sheet, part in sheet_parts(zf).items():
            data = safe_read(zf, part, limit)
            total = len(_ANY_FORMULA.findall(data))
            if not total:
                continue
            cells: dict[tuple[int, int], str] = {}
            for match in _CELL_WITH_FORMULA.finditer(data):
                ref = _REF.search(match.group(1))
                if ref is None:
                    continue
                text = html.unescape((match.group(3) or b"").decode("utf-8", "replace"))
                cells[(int(ref.group(2)), _column_number(ref.group(1)))] = text
            if len(cells) < total:
                unplaced.append(sheet)
            out[sheet] = cells
    if unplaced:  # cells without addresses (rare writers): let openpyxl place them
        out.update(_openpyxl_formulas(path, unplaced))
    return out


def _openpyxl_formulas(path: Path, sheets: Iterable[str]) -> dict[str, dict[tuple[int, int], str]]:
    from openpyxl import load_workbook

    wb = load_workbook(path, read_only=True, data_only=False)
    try:
        out: dict[str, dict[tuple[int, int], str]] = {}
        for name in sheets:
            cells: dict[tuple[int, int], str] = {}
            for row in wb[name].iter_rows():
                for cell in row:
                    if getattr(cell, "data_type", None) == "f":
                        cells[(cell.row, cell.column)] = str(cell.value or "")
            out[name] = cells
        return out
    finally:
        wb.close()


def read_return(path: str | Path, limits: Limits | None = None) -> ReturnedFile | RefusedFile:
    """A returned file as read (never written), or why it cannot be read at all."""
    path = Path(path)
    try:
        info = checked(path, limits)
        grids = read_grids(path, limits, info=info)
        formulas = formula_cells(path, limits)
    except UnusableWorkbook as exc:
        reason = exc.problem + (f" — {exc.advice}" if exc.advice else "")
        return RefusedFile(path.name, reason)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        return RefusedFile(path.name, f"the workbook could not be read ({exc})")
    active = tuple(
        words
        for flag, words in (
            (info.has_macros, "macros"),
            (info.has_external_links, "links to other workbooks or programs (external or DDE links)"),
        )
        if flag
    )
    return ReturnedFile(path.name, info.sha256, grids, formulas, active)


def return_paths(items: Iterable[str | Path], master: Path) -> list[Path]:
    """The files to merge: each file given, and the .xlsx/.xlsm files in each folder given (by name)."""
    out: list[Path] = []
    for item in items:
        path = Path(item)
        if path.is_dir():
            found = sorted(
                p
                for p in path.iterdir()
                if p.is_file()
                and p.suffix.lower() in (".xlsx", ".xlsm")
                and not p.name.startswith(("~$", "."))
            )
            out.extend(found)
        else:
            out.append(path)
    seen, unique = set(), []
    for path in out:
        key = path.resolve()
        if key not in seen:
            seen.add(key)
            unique.append(path)
    return unique


# ------------------------------------------------------------------ merging


@dataclass
class MergeRun:
    master: Path
    result: MergeResult
    reminders: list[Reminder] = field(default_factory=list)
    chasers: list[Path] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        data = self.result.as_dict()
        data["master"] = str(self.master)
        data["chasers"] = [str(p) for p in self.chasers]
        return data


def merge_files(
    master: str | Path,
    returns: Sequence[str | Path],
    *,
    now: dt.datetime | None = None,
    accept_proposals: bool = False,
    write_chasers: bool = True,
    progress: Any = None,
) -> MergeRun:
    """Merge the returned files into the master; write the master once, if anything is new."""
    master = Path(master)
    tracker, grids = read_master(master)
    book = read_book(grids)
    paths = return_paths(returns, master)
    if not paths:
        raise PlantrackError(
            "no returned files to merge: give the returned .xlsx files (or a folder holding them)"
        )
    files: list[ReturnedFile | RefusedFile] = []
    iterate = progress(paths, "Reading returns") if progress else paths
    for path in iterate:
        if path.resolve() == master.resolve():
            files.append(RefusedFile(path.name, "this is the master tracker itself, not a return"))
            continue
        files.append(read_return(path, tracker.rules.limits))
    result = merge_returns(tracker, book, files, now=now, accept_proposals=accept_proposals)
    late = reminders(tracker, result.statuses, result.merged_at)
    if result.write_needed:
        template = load_template()
        changes = merge_changes(
            result,
            existing_audit_rows(grids),
            agency_contacts(tracker),
            datetime_format=template.style.datetime_format,
            date_format=template.style.date_format,
        )
        del tracker, grids, book, files  # not needed to write: let them go first (lower peak memory)
        apply_changes(master, changes)
    run = MergeRun(master, result, late)
    if write_chasers:
        run.chasers = write_reminders(run.reminders, master.parent / CHASERS_FOLDER)
    return run


# ------------------------------------------------------------------ chasing


@dataclass
class ChaseRun:
    master: Path
    statuses: list[ReturnStatus]
    reminders: list[Reminder]
    chasers: list[Path]

    def as_dict(self) -> dict[str, Any]:
        return {
            "master": str(self.master),
            "returns_status": [s.as_dict() for s in self.statuses],
            "reminders": [r.as_dict() for r in self.reminders],
            "chasers": [str(p) for p in self.chasers],
        }


def chase_files(master: str | Path, *, now: dt.datetime | None = None, write: bool = True) -> ChaseRun:
    """Reminders for every late or missing return, written as .eml drafts in chasers/ beside the master."""
    master = Path(master)
    now = (now or dt.datetime.now()).replace(microsecond=0)
    tracker, grids = read_master(master)
    book: IssueBook = read_book(grids)
    statuses = return_states(book, now, tracker.rules)
    drafts = reminders(tracker, statuses, now)
    paths = write_reminders(drafts, master.parent / CHASERS_FOLDER) if write else []
    return ChaseRun(master, statuses, drafts, paths)


def write_reminders(drafts: Sequence[Reminder], folder: Path) -> list[Path]:
    """Save each reminder as an .eml draft (with the copy attached when it is still where it was written)."""
    paths = []
    for draft in drafts:
        folder.mkdir(parents=True, exist_ok=True)
        attachment = None
        copy = Path(draft.copy_folder) / draft.copy_file if draft.copy_folder and draft.copy_file else None
        if copy is not None and copy.is_file():
            attachment = copy.read_bytes()
        target = folder / draft.file_name
        fd, name = tempfile.mkstemp(prefix=".plantrack-", suffix=".eml", dir=folder)
        with os.fdopen(fd, "wb") as fp:
            fp.write(draft.email(attachment).as_bytes())
        _file_mode(Path(name))
        os.replace(name, target)
        paths.append(target)
    return paths


# ------------------------------------------------------------------ a partner at work (demo and tests)


def fill_in_copy(
    copy: str | Path,
    target: str | Path,
    edits: Mapping[tuple[Any, ...], Mapping[str, Any]],
    rules: RuleSet | None = None,
) -> Path:
    """What a partner does in Excel: open their copy, type into cells, save it as ``target``.

    ``edits`` maps (sheet, key value, ...) to {column: value}, e.g.
    ``{("Actions", "7.1"): {"Status": "Completed"}}``; values are typed as given
    (a string starting with "=" becomes a formula, as it would in Excel).
    """
    from openpyxl import load_workbook

    from .rules import load_rules

    rules = rules or load_rules()
    wb = load_workbook(copy)
    for (sheet, *key), changes in edits.items():
        ws = wb[sheet]
        headers = {normalise_header(c.value): c.column for c in ws[1] if c.value is not None}
        key_columns = ISSUED_KEYS[sheet][: len(key)]
        rule = rules.sheet(sheet)
        wanted = [canonical(k, rule.column(n), rules) for k, n in zip(key, key_columns)]
        for row in range(2, ws.max_row + 1):
            found = [
                canonical(ws.cell(row=row, column=headers[normalise_header(n)]).value, rule.column(n), rules)
                for n in key_columns
            ]
            if found == wanted:
                for column, value in changes.items():
                    ws.cell(row=row, column=headers[normalise_header(column)]).value = value
                break
        else:
            raise KeyError(f"{sheet} has no row {key}")
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    wb.save(target)
    return target
