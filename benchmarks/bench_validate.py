"""How long validation takes next to loading the workbook.

Generates a large plan in code (5,000 actions, 20,000 milestones, 200 indicators
with four periods each, 60 leads, 8 agencies; about 1% of rows with a problem),
writes it with xlsxwriter, then times:

- loading it: ``files.read_tracker`` (guard, read every sheet, build the model);
- validating it: ``jobs.validate.validate`` (every check in the default rules);
- building what --write would write: ``validation_changes``.

Aim: validation adds less than the load itself. Run:

    python benchmarks/bench_validate.py [--actions 5000] [--milestones 20000] [--indicators 200] [--write]

(``--write`` also times applying the changes with openpyxl, which is slow on a
workbook this size and is the file adapter's cost, not validation's.)
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import shutil
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import xlsxwriter  # noqa: E402

from addin.files import apply_changes, read_tracker  # noqa: E402
from addin.jobs.validate import summarise, validate, validation_changes  # noqa: E402
from addin.rules import load_rules  # noqa: E402

REPORT_DATE = dt.date(2019, 10, 31)
STATUSES = ["Not started", "In progress", "On hold", "Completed", "Embedded", "Cancelled"]
THEMES = [f"{n}. Theme {n}" for n in range(1, 10)]
AGENCIES = [
    "Council Children's Services",
    "Safeguarding Partnership",
    "Police",
    "NHS CCG",
    "NHS Trust",
    "Probation",
    "Schools",
    "Legal Services",
]


def generate(path: Path, actions: int, milestones: int, indicators: int, seed: int = 7) -> Counter[str]:
    """Write a plan of the given size; returns the problems planted, by kind."""
    rnd = random.Random(seed)
    planted: Counter[str] = Counter()
    rules = load_rules()
    wb = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    date_fmt = wb.add_format({"num_format": "dd/mm/yyyy"})

    def table(name: str, rows, dates: set[int]) -> None:
        ws = wb.add_worksheet(name)
        headers = [c.name for c in rules.sheet(name).columns]
        ws.write_row(0, 0, headers)
        for r, row in enumerate(rows, start=1):
            for c, value in enumerate(row):
                if value is None:
                    continue
                if c in dates and isinstance(value, dt.date):
                    ws.write_datetime(r, c, dt.datetime.combine(value, dt.time()), date_fmt)
                elif isinstance(value, str):
                    ws.write_string(r, c, value)
                else:
                    ws.write(r, c, value)

    plan = wb.add_worksheet("Plan")
    plan.write_row(0, 0, ["Field", "Value"])
    plan.write_row(1, 0, ["Title", "Generated improvement plan"])
    plan.write(2, 0, "Report date")
    plan.write_datetime(2, 1, dt.datetime.combine(REPORT_DATE, dt.time()), date_fmt)

    leads = [
        (
            f"L{n}",
            f"Lead officer {n}",
            "Head of Service",
            AGENCIES[n % len(AGENCIES)],
            f"lead{n}@council.example.gov.uk",
        )
        for n in range(60)
    ]
    refs = [f"{1 + i // 100}.{1 + i % 100:02d}" for i in range(actions)]

    def action(i: int) -> list:
        start = REPORT_DATE - dt.timedelta(days=rnd.randint(30, 400))
        due = start + dt.timedelta(days=rnd.randint(30, 500))
        status = rnd.choice(STATUSES)
        done = status in ("Completed", "Embedded")
        lead = leads[rnd.randrange(len(leads))]
        row = [
            refs[i],
            rnd.choice(THEMES),
            "An outcome",
            "R1",
            f"Action {refs[i]}: do the thing well",
            rnd.choice([lead[0], lead[1]]),
            lead[3],
            rnd.choice(["Must do", "Should do", "Embedding"]),
            start,
            due,
            None,
            due - dt.timedelta(days=3) if done else None,
            status,
            100 if done else rnd.randint(0, 95),
            "Progress this month: on track.",
            "Audit shows it was delivered." if done else None,
            REPORT_DATE - dt.timedelta(days=rnd.randint(0, 40)),
            None,
            None,
            None,
            None,
            None,
            None,
        ]
        problem = rnd.random()
        if problem < 0.003:
            row[9] = due.strftime("%d.%m.%y")
            planted["date-as-text"] += 1
        elif problem < 0.006:
            row[5] = "Nobody in particular"
            planted["unknown-reference"] += 1
        elif problem < 0.008:
            row[12] = "Complete"
            planted["not-in-list"] += 1
        elif problem < 0.010 and not done:
            row[16] = REPORT_DATE - dt.timedelta(days=90)
            planted["stale-update"] += 1
        return row

    table("Actions", (action(i) for i in range(actions)), {8, 9, 10, 11, 16})

    def milestone(i: int) -> list:
        ref = refs[rnd.randrange(actions)]
        start = REPORT_DATE - dt.timedelta(days=rnd.randint(10, 300))
        due = start + dt.timedelta(days=rnd.randint(10, 200))
        status = rnd.choice(STATUSES[:4])
        row = [
            ref,
            f"Milestone {i}",
            leads[rnd.randrange(len(leads))][0],
            start,
            due,
            due if status == "Completed" else None,
            status,
            None,
            None,
        ]
        if rnd.random() < 0.002:
            row[0] = "99.99"
            planted["unknown-reference"] += 1
        return row

    table("Milestones", (milestone(i) for i in range(milestones)), {3, 4, 5})
    codes = [f"PI {n}" for n in range(indicators)]
    table(
        "Indicators",
        (
            [
                code,
                f"Indicator {code}",
                "%",
                "Higher is better",
                40,
                dt.date(2019, 3, 31),
                None,
                AGENCIES[n % len(AGENCIES)],
                None,
                None,
                None,
            ]
            for n, code in enumerate(codes)
        ),
        {5},
    )
    periods = [dt.date(2019, 6, 30), dt.date(2019, 9, 30), dt.date(2019, 12, 31), dt.date(2020, 3, 31)]
    table(
        "Indicator data",
        (
            [code, p, 50 + k, 48 + k if p < REPORT_DATE else None]
            for code in codes
            for k, p in enumerate(periods)
        ),
        {1},
    )
    table("Leads", (list(lead) for lead in leads), set())
    table(
        "Agencies",
        ([a, "Contact", "returns@agency.example.gov.uk", dt.date(2019, 10, 25)] for a in AGENCIES),
        {3},
    )
    wb.close()
    return planted


def best_of(runs: int, job):
    times, result = [], None
    for _ in range(runs):
        start = time.perf_counter()
        result = job()
        times.append(time.perf_counter() - start)
    return min(times), result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--actions", type=int, default=5000)
    parser.add_argument("--milestones", type=int, default=20000)
    parser.add_argument("--indicators", type=int, default=200)
    parser.add_argument(
        "--runs", type=int, default=3, help="time each step this many times and keep the best"
    )
    parser.add_argument(
        "--write", action="store_true", help="also time writing the Validation sheet and marks"
    )
    args = parser.parse_args(argv)
    folder = Path(tempfile.mkdtemp(prefix="bench-validate-"))
    try:
        path = folder / "big-tracker.xlsx"
        start = time.perf_counter()
        planted = generate(path, args.actions, args.milestones, args.indicators)
        made = time.perf_counter() - start
        print(
            f"Generated {args.actions:,} actions, {args.milestones:,} milestones, {args.indicators:,} "
            f"indicators ({path.stat().st_size / 1e6:.1f} MB) in {made:.2f} s; planted "
            f"{sum(planted.values())} problems: {dict(planted)}"
        )
        load, tracker = best_of(args.runs, lambda: read_tracker(path))
        check, findings = best_of(args.runs, lambda: validate(tracker))
        build, changes = best_of(args.runs, lambda: validation_changes(tracker, findings))
        summary = summarise(findings)
        codes = Counter(f.code for f in findings)
        print(f"Findings: {summary.line()} — {dict(codes.most_common())}")
        print(f"load (read_tracker)            {load:7.3f} s")
        print(f"validate                       {check:7.3f} s   ({check / load:.2f} x the load)")
        print(
            f"validation_changes             {build:7.3f} s   ({len(changes.cells):,} cell marks, "
            f"{len(changes.sheets[0].rows):,} sheet rows)"
        )
        print(
            f"validation adds {(check + build) / load:.0%} to the load "
            f"({'within' if check + build < load else 'MORE than'} the aim of less than the load itself)"
        )
        if args.write:
            start = time.perf_counter()
            apply_changes(path, changes, make_backup=False)
            print(f"apply_changes (openpyxl)       {time.perf_counter() - start:7.3f} s")
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
