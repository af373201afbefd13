"""How long merging partner returns takes, beside the time merely to read the files.

    python benchmarks/bench_merge.py [ACTIONS] [AGENCIES]   # default 5,000 actions, 50 agencies

A master of ACTIONS actions (four milestones each, 200 indicators with 8
periods) comes from ``benchmarks/generate.py``, spread over AGENCIES agencies
(100 actions each by default). One copy is issued to every agency; each partner
then changes ten of its actions (status, % complete, progress update) and two
indicator actuals, and saves the file (openpyxl, as a spreadsheet program
would). The benchmark times:

- reading the master and the returns with python-calamine alone (the floor:
  no work at all, just the values);
- reading the returns the way ``merge`` does (guard, calamine, and the formula
  scan of the sheets' XML), and, beside it, with openpyxl in read-only mode
  with formulas (the other reader that sees formulas);
- the merge itself (every cell of every return against the record and the
  master), and writing the master (openpyxl: load, apply, save atomically).
"""

from __future__ import annotations

import datetime as dt
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from generate import big_plan, write_master  # noqa: E402

from addin.files import apply_changes  # noqa: E402
from addin.jobs.issue import agency_contacts  # noqa: E402
from addin.jobs.merge import merge_returns  # noqa: E402
from addin.jobs.merge_report import existing_audit_rows, merge_changes  # noqa: E402
from addin.jobs.returns_status import read_book  # noqa: E402
from addin.partner_files import fill_in_copy, issue_to_files, read_master, read_return  # noqa: E402


def timed(work: Callable[[], Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    result = work()
    return time.perf_counter() - started, result


def calamine_only(paths: list[Path]) -> int:
    from python_calamine import CalamineWorkbook

    cells = 0
    for path in paths:
        book = CalamineWorkbook.from_path(str(path))
        for name in book.sheet_names:
            rows = book.get_sheet_by_name(name).to_python(skip_empty_area=False)
            cells += sum(len(r) for r in rows)
    return cells


def openpyxl_with_formulas(paths: list[Path]) -> int:
    from openpyxl import load_workbook

    formulas = 0
    for path in paths:
        wb = load_workbook(path, read_only=True, data_only=False)
        for ws in wb.worksheets:
            for row in ws.iter_rows():
                formulas += sum(1 for c in row if getattr(c, "data_type", None) == "f")
        wb.close()
    return formulas


def partner_edits(copy: Path, n: int) -> dict[tuple[Any, ...], dict[str, Any]]:
    """Ten actions and two indicator actuals changed by the partner."""
    from python_calamine import CalamineWorkbook

    book = CalamineWorkbook.from_path(str(copy))
    actions = book.get_sheet_by_name("Actions").to_python()
    header = actions[0]
    refs = [str(r[header.index("Ref")]) for r in actions[1:]]
    edits: dict[tuple[Any, ...], dict[str, Any]] = {}
    for i, ref in enumerate(refs[:10]):
        edits[("Actions", ref)] = {
            "Status": "In progress",
            "% complete": (i * 7 + n) % 100,
            "Progress update": f"Return {n}: progress on {ref} reported this month.",
        }
    if "Indicator data" in book.sheet_names:
        data = book.get_sheet_by_name("Indicator data").to_python()
        head = data[0]
        for row in data[1:3]:
            period = row[head.index("Period end")]
            period = period.date() if isinstance(period, dt.datetime) else period
            edits[("Indicator data", str(row[head.index("Code")]), period)] = {"Actual": 50 + n % 7}
    return edits


def run(actions: int = 5000, agencies: int = 50) -> dict[str, float]:
    timings: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        master = root / "big.xlsx"
        plan = big_plan(actions, agencies=agencies)
        timings["write master (XlsxWriter)"], _ = timed(lambda: write_master(plan, master))
        timings["issue copies"], issued = timed(lambda: issue_to_files(master, root / "copies"))
        copies = issued.paths
        returns: list[Path] = []
        started = time.perf_counter()
        for n, copy in enumerate(copies):
            returns.append(
                fill_in_copy(copy, root / "returns" / f"return {n:02}.xlsx", partner_edits(copy, n))
            )
        timings["partners fill in their copies (openpyxl, setup)"] = time.perf_counter() - started
        timings[f"read {len(returns) + 1} files, calamine only"], _ = timed(
            lambda: calamine_only([master, *returns])
        )
        timings[f"read {len(returns)} returns as merge does (guard + calamine + formula scan)"], files = (
            timed(lambda: [read_return(p) for p in returns])
        )
        timings[f"read {len(returns)} returns with openpyxl read-only, formulas"], _ = timed(
            lambda: openpyxl_with_formulas(returns)
        )
        timings["read the master (calamine + plan model)"], (tracker, grids) = timed(
            lambda: read_master(master)
        )
        book = read_book(grids)
        timings["merge (the job: every cell, three ways)"], result = timed(
            lambda: merge_returns(tracker, book, files)
        )
        timings["Changes for the master (cells, audit, report, returns)"], changes = timed(
            lambda: merge_changes(result, existing_audit_rows(grids), agency_contacts(tracker))
        )
        timings["write the master (openpyxl load, apply, save)"], _ = timed(
            lambda: apply_changes(master, changes, make_backup=False)
        )
        timings["_applied"] = result.count("applied")
        timings["_conflicts+rejected"] = result.count("conflict") + result.count("rejected")
        timings["_returns"] = len(returns)
        timings["_actions"] = len(plan.actions)
        timings["_milestones"] = len(plan.milestones)
    return timings


def main(argv: list[str]) -> int:
    actions = int(argv[0]) if argv else 5000
    agencies = int(argv[1]) if len(argv) > 1 else 50
    timings = run(actions, agencies)
    print(
        f"Merge: {int(timings['_returns'])} returns of {actions // agencies} actions each into a "
        f"{int(timings['_actions']):,}-action master ({int(timings['_milestones']):,} milestones); "
        f"{int(timings['_applied']):,} changes applied, "
        f"{int(timings['_conflicts+rejected'])} conflicts/rejections"
    )
    for name, seconds in timings.items():
        if not name.startswith("_"):
            print(f"  {name:<72} {seconds:8.2f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
