"""plantrack's speed and memory on big plans, measured against the floor in the same run.

For each plan size it generates a master (``generate.py``: 4 milestones per action, 200
indicators with 8 periods), issues partner copies, edits them as partners would, and times
every command as the CLI runs it (``addin.cli.main`` in a fresh process, output discarded):
validate, validate --write, rag, issue, merge (10 and 50 returns) and pack. Beside each it
measures the **floor**: python-calamine reading the same inputs plus XlsxWriter writing the
same cells to a new file — what reading and writing those workbooks costs at best in
Python. Figures are ratios (job / floor), so they carry from one machine to another.

Times are the CPU time of the process doing the work (on a shared machine wall time
varies with the load; CPU time does not). Every measurement runs in its own process;
peak memory is that process's peak resident size
above what it held once plantrack was imported (``resource.getrusage``), compared with the
memory the floor's read needed to hold the workbook's values ("loaded size").

    benchmarks/run                      # 1,000 / 5,000 / 20,000 actions, 10 and 50 returns
    benchmarks/run --sizes 1000,5000    # other sizes
    benchmarks/run --quick              # a 200-action smoke run (seconds; the tests run it)

It prints a table and writes benchmarks/RESULTS.md (or --out FILE; a --quick run writes nothing).
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib
import importlib.util
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
AIM = 2.0  # every command within 2x the floor
MEMORY_AIM = 3.0  # and within 3x the memory the workbook takes once loaded

# name -> (the CLI module that must exist, the argv after the master, what the floor reads)
JOBS: dict[str, tuple[str, list[str], str]] = {
    "validate": ("validate", [], "master"),
    "validate --write": ("validate", ["--write"], "master"),
    "rag": ("rag", [], "master"),
    "issue": ("issue", ["--out", "{copies}"], "master"),
    "merge": ("merge", ["{returns}"], "master+returns"),
    "pack": ("pack", [], "master"),
}


# --------------------------------------------------------------------------- one measurement


def _rss_now_kb() -> int:
    try:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[1]) * (os.sysconf("SC_PAGE_SIZE") // 1024)
    except (OSError, ValueError):
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def _peak_kb() -> int:
    """The process's peak resident size: VmHWM where Linux gives it. Not ``ru_maxrss`` there: after
    fork and exec it keeps the parent's size at the fork, so a small job run from a big parent
    would report the parent's peak."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak // 1024 if sys.platform == "darwin" else peak  # bytes on macOS, KB elsewhere


def _preload_program() -> None:
    """Import every module the commands use. The CLI imports a command's job when it runs
    (so that start-up and --help are quick); the benchmark measures the work, not the imports,
    as the floor's measure leaves out importing calamine and XlsxWriter."""
    import pkgutil

    import addin

    for info in pkgutil.walk_packages(addin.__path__, "addin."):
        if not info.name.startswith("addin.buttons"):
            importlib.import_module(info.name)


def worker(kind: str, args: list[str]) -> dict[str, float]:
    """Run one measurement in this process and return seconds and memory (MB)."""
    import openpyxl  # noqa: F401
    import xlsxwriter  # noqa: F401

    import addin.cli  # noqa: F401

    _preload_program()  # before the baseline: a running command has its code loaded

    try:
        import python_calamine  # noqa: F401
    except ImportError:
        pass
    baseline = _rss_now_kb()
    start = time.process_time()
    if kind == "imports":
        cells = 0
    elif kind == "read":
        cells = floor_read([Path(a) for a in args])
    elif kind == "write":
        cells = floor_write(Path(args[0]), Path(args[1]))
    else:
        cells = 0
        with open(os.devnull, "w") as sink:
            saved = sys.stdout, sys.stderr
            sys.stdout = sys.stderr = sink
            try:
                code = addin.cli.main(args)
            finally:
                sys.stdout, sys.stderr = saved
        if code not in (0, 1):
            raise SystemExit(f"plantrack {' '.join(args)} exited {code}")
    seconds = time.process_time() - start
    return {"seconds": seconds, "memory_mb": max(_peak_kb() - baseline, 0) / 1024, "cells": cells}


def floor_read(paths: Sequence[Path]) -> int:
    """python-calamine reading every sheet of every file (the values, nothing else)."""
    from python_calamine import CalamineWorkbook

    cells = 0
    keep = []
    for path in paths:
        book = CalamineWorkbook.from_path(str(path))
        for name in book.sheet_names:
            rows = book.get_sheet_by_name(name).to_python()
            cells += sum(len(row) for row in rows)
            keep.append(rows)  # held, as a job holds what it read
    return cells


def floor_write(source: Path, target: Path) -> int:
    """XlsxWriter writing the same cells as ``source`` holds to a new file (constant memory)."""
    import xlsxwriter
    from python_calamine import CalamineWorkbook

    book = CalamineWorkbook.from_path(str(source))
    sheets = {name: book.get_sheet_by_name(name).to_python() for name in book.sheet_names}
    workbook = xlsxwriter.Workbook(str(target), {"constant_memory": True})
    dates = workbook.add_format({"num_format": "dd/mm/yyyy"})
    cells = 0
    for name, rows in sheets.items():
        sheet = workbook.add_worksheet(name[:31])
        for r, row in enumerate(rows):
            for c, value in enumerate(row):
                if value == "" or value is None:
                    continue
                cells += 1
                if isinstance(value, (dt.date, dt.datetime)):
                    sheet.write_datetime(r, c, value, dates)
                elif isinstance(value, str):
                    sheet.write_string(r, c, value)
                elif isinstance(value, (int, float)) and not isinstance(value, bool):
                    sheet.write_number(r, c, value)
                else:
                    sheet.write(r, c, value if not isinstance(value, (dt.time, dt.timedelta)) else str(value))
    workbook.close()
    return cells


def measure(kind: str, args: Sequence[object]) -> dict[str, float]:
    """One measurement in a new Python process. Not a child forked from this one: a forked child
    reuses the memory this process freed (it is already resident) without its resident size
    growing, and so under-counts; at 20,000 actions the floor's read showed 43 MB where it holds
    104 MB. The imports are done in the worker before its baseline, so they are not counted."""
    done = subprocess.run(
        [sys.executable, str(Path(__file__)), "--worker", kind, *map(str, args)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": _python_path()},
    )
    if done.returncode != 0:
        raise RuntimeError(f"{kind} {' '.join(map(str, args))} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def _python_path() -> str:
    return os.pathsep.join([str(ROOT), str(HERE), os.environ.get("PYTHONPATH", "")])


# --------------------------------------------------------------------------- a plan and its returns


@dataclass
class Result:
    actions: int
    job: str
    returns: int = 0
    seconds: float | None = None
    floor_seconds: float | None = None
    memory_mb: float | None = None
    loaded_mb: float | None = None
    note: str = ""

    @property
    def label(self) -> str:
        return f"{self.job} ({self.returns} returns)" if self.returns else self.job

    @property
    def ratio(self) -> float | None:
        if self.seconds is None or not self.floor_seconds:
            return None
        return self.seconds / self.floor_seconds

    @property
    def memory_ratio(self) -> float | None:
        if self.memory_mb is None or not self.loaded_mb:
            return None
        return self.memory_mb / self.loaded_mb


@dataclass
class Setup:
    folder: Path
    master: Path
    copies: list[Path] = field(default_factory=list)


def available(module: str) -> bool:
    return importlib.util.find_spec(f"addin.cli.{module}") is not None


def make_plan(folder: Path, actions: int, agencies: int, indicators: int = 200) -> Setup:
    """A generated master, its partner copies issued by plantrack and edited as a partner would."""
    sys.path[:0] = [str(ROOT), str(HERE)]
    from generate import big_plan, write_master

    folder.mkdir(parents=True, exist_ok=True)
    plan = big_plan(actions, agencies=agencies, indicators=indicators)
    master = write_master(plan, folder / "master.xlsx")
    setup = Setup(folder, master)
    if available("issue") and available("merge"):
        work = folder / "issued"
        work.mkdir()
        issued = shutil.copy(master, work / "master.xlsx")
        measure("job", ["issue", issued, "--out", work / "copies"])
        shutil.copy(issued, master)  # the master that knows what was issued (Plan id, record)
        setup.copies = sorted((work / "copies").glob("*.xlsx"))
        for number, copy in enumerate(setup.copies):
            edit_like_a_partner(copy, number)
    return setup


def edit_like_a_partner(path: Path, seed: int) -> None:
    """Change status, % complete and progress on one action in ten, and save (as Excel would)."""
    import openpyxl

    wb = openpyxl.load_workbook(path)
    sheet = wb["Actions"]
    columns = {str(c.value): c.column for c in sheet[1] if c.value}
    for row in range(2 + seed % 10, sheet.max_row + 1, 10):
        if sheet.cell(row, 1).value is None:
            continue
        sheet.cell(row, columns["Status"]).value = "In progress"
        sheet.cell(row, columns["% complete"]).value = 80
        update = f"Partner update {seed}: audit done, report to board."
        sheet.cell(row, columns["Progress update"]).value = update
    wb.save(path)


# --------------------------------------------------------------------------- the run


def run(
    sizes: Sequence[int], return_counts: Sequence[int], jobs: Sequence[str], indicators: int = 200, say=print
) -> list[Result]:
    results: list[Result] = []
    agencies = max(return_counts) if return_counts else 5
    with tempfile.TemporaryDirectory(prefix="plantrack-bench-") as tmp:
        for actions in sizes:
            say(f"{actions:,} actions: generating the plan, issuing {agencies} copies ...")
            setup = make_plan(Path(tmp) / f"plan{actions}", actions, agencies, indicators)
            read = measure("read", [setup.master])
            write = measure("write", [setup.master, Path(tmp) / "floor.xlsx"])
            master_floor = read["seconds"] + write["seconds"]
            loaded = read["memory_mb"]
            for job in jobs:
                module, extra, reads = JOBS[job]
                counts = return_counts if job == "merge" else [0]
                for returns in counts:
                    result = Result(actions, job, returns, loaded_mb=loaded)
                    results.append(result)
                    if not available(module):
                        result.note = "not available yet"
                        say(f"  {job}: not available yet")
                        continue
                    if job == "merge" and len(setup.copies) < returns:
                        result.note = f"only {len(setup.copies)} copies"
                        continue
                    floor = master_floor
                    if reads == "master+returns":  # the returns are read too, and held
                        both = measure("read", [setup.master, *setup.copies[:returns]])
                        floor, result.loaded_mb = both["seconds"] + write["seconds"], both["memory_mb"]
                    result.floor_seconds = floor
                    work = Path(tmp) / f"run-{actions}-{module}-{returns}"
                    work.mkdir()
                    master = Path(shutil.copy(setup.master, work / "master.xlsx"))
                    argv: list[object] = [module, master]
                    for part in extra:
                        if part == "{copies}":
                            argv.append(work / "copies")
                        elif part == "{returns}":
                            argv.extend(setup.copies[:returns])
                        else:
                            argv.append(part)
                    done = measure("job", argv)
                    result.seconds, result.memory_mb = done["seconds"], done["memory_mb"]
                    say(
                        f"  {result.label}: {result.seconds:.2f} s, {result.ratio:.1f}x the floor "
                        f"({floor:.2f} s); {result.memory_mb:.0f} MB"
                    )
                    shutil.rmtree(work, ignore_errors=True)
    return results


def machine() -> str:
    return (
        f"{os.cpu_count()} CPUs, Python {platform.python_version()}, {platform.platform()}, "
        f"{dt.datetime.now():%d/%m/%Y %H:%M}"
    )


def table(results: Sequence[Result]) -> str:
    lines = [
        "| actions | command | time | floor | time / floor | memory | loaded | memory / loaded |",
        "|---:|---|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        label = r.label
        if r.seconds is None:
            lines.append(f"| {r.actions:,} | {label} | {r.note} | | | | | |")
            continue
        flag = "" if (r.ratio or 0) <= AIM else " ✗"
        mflag = "" if (r.memory_ratio or 0) <= MEMORY_AIM else " ✗"
        lines.append(
            f"| {r.actions:,} | {label} | {r.seconds:.2f} s | {r.floor_seconds:.2f} s | "
            f"**{r.ratio:.1f}×**{flag} | {r.memory_mb:.0f} MB | {r.loaded_mb or 0:.0f} MB | "
            f"{r.memory_ratio:.1f}×{mflag} |"
        )
    return "\n".join(lines)


def growth(results: Sequence[Result]) -> str:
    """Each command's CPU seconds per 1,000 actions at each plan size, and the largest plan's
    figure against the smallest's: about 1.0 (or less, as fixed costs spread) when the cost
    is linear in rows, well above 1 when it grows faster. Empty for a single size."""
    sizes = sorted({r.actions for r in results})
    if len(sizes) < 2:
        return ""
    per: dict[str, dict[int, float]] = {}
    for r in results:
        if r.seconds is not None:
            per.setdefault(r.label, {})[r.actions] = r.seconds / r.actions * 1000
    lines = [
        "| command | " + " | ".join(f"{n:,}" for n in sizes) + " | largest / smallest |",
        "|---|" + "---:|" * (len(sizes) + 1),
    ]
    for label, by_size in per.items():
        cells = [f"{by_size[n]:.2f} s" if n in by_size else "" for n in sizes]
        first, last = by_size.get(sizes[0]), by_size.get(sizes[-1])
        trend = f"{last / first:.2f}" if first and last else ""
        lines.append(f"| {label} | {' | '.join(cells)} | {trend} |")
    return "\n".join(lines)


def report(results: Sequence[Result], sizes: Sequence[int]) -> str:
    return f"""# plantrack benchmarks

Measured by `benchmarks/run` on {machine()}.

Plans of {", ".join(f"{n:,}" for n in sizes)} actions (4 milestones per action, 200 indicators
with 8 periods each), generated by `benchmarks/generate.py`; partner copies issued by
`plantrack issue` and edited as a partner would (one action in ten) for `merge`.

Times are CPU seconds of the process doing the work. **time / floor**: the command, run as
the CLI runs it, against the floor measured in the
same run — python-calamine reading the same inputs plus XlsxWriter writing the same cells
to a new file. The aim is every command within {AIM:g}× the floor (✗ marks a miss).
**memory / loaded**: the command's peak memory above the imported program, against the memory
the floor's read took to hold the workbook's values (**loaded**; for `merge`, the master's and
the returns' values); the aim is {MEMORY_AIM:g}×. The aims are set for the 20,000-action plan;
✗ marks a ratio above them at any size (on small plans fixed costs weigh more: see
benchmarks/README.md, *What still costs*).

{table(results)}
{_growth_section(results)}
See benchmarks/README.md for what dominates and what was done about it.
"""


def _growth_section(results: Sequence[Result]) -> str:
    grown = growth(results)
    if not grown:
        return ""
    return f"""
**Cost per 1,000 actions** (CPU seconds): the same at every size when the cost is linear in
rows; smaller for bigger plans where fixed costs (start-up, one file per agency) spread.

{grown}
"""


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["--worker"]:  # one measurement, in this process (see measure)
        print(json.dumps(worker(argv[1], argv[2:])))
        return 0
    parser = argparse.ArgumentParser(prog="benchmarks/run", description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1000,5000,20000", help="plan sizes in actions (comma-separated)")
    parser.add_argument("--returns", default="10,50", help="numbers of returns to merge (comma-separated)")
    parser.add_argument("--jobs", default=",".join(JOBS), help="commands to time (comma-separated)")
    parser.add_argument(
        "--quick", action="store_true", help="a smoke run: 200 actions, 20 indicators, 2 returns"
    )
    parser.add_argument(
        "--out", type=Path, help="where to write the results (default RESULTS.md; a --quick run writes none)"
    )
    args = parser.parse_args(argv)
    sizes = [200] if args.quick else [int(s) for s in args.sizes.split(",") if s]
    returns = [2] if args.quick else [int(s) for s in args.returns.split(",") if s]
    indicators = 20 if args.quick else 200
    jobs = [j.strip() for j in args.jobs.split(",") if j.strip()]
    unknown = [j for j in jobs if j not in JOBS]
    if unknown:
        parser.error(f"unknown job {unknown[0]!r}; the jobs are {', '.join(JOBS)}")
    results = run(sizes, returns, jobs, indicators)
    print()
    print(table(results))
    grown = growth(results)
    if grown:
        print()
        print(grown)
    out = args.out or (None if args.quick else HERE / "RESULTS.md")
    if out is None:
        print("\nA smoke run: RESULTS.md left as it was (give --out to keep these figures).")
    else:
        out.write_text(report(results, sizes), encoding="utf-8")
        print(f"\nWrote {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
