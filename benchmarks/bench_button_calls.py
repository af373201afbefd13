"""How many calls into Excel each button makes, for plans of 100 and 5,000 actions.

    python benchmarks/bench_button_calls.py [ACTIONS ...]      # default: 100 5000
    python benchmarks/bench_button_calls.py --append           # and append the table to BUTTONS.md

Each button body runs on a generated master (``benchmarks/generate.py``: four
milestones per action, 200 indicators with 8 periods, 5 agencies) through
xlwings' own Office.js engine (``tests/officejs.py``), the engine of xlwings
Lite. Every range action it emits is one Office.js range call
(``count_range_actions``); in desktop Excel each is one or a few COM calls. The
count must not grow with the number of rows. Times are the button body alone
(reading the engine's copy of the workbook, the job, queueing the writes), not
Excel applying them, and not the harness building the payload.

Merge returns reads one return in which the partner changed the status,
% complete and progress of 50 of its actions.
"""

from __future__ import annotations

import datetime as dt
import os
import platform
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

from generate import big_plan, write_master  # noqa: E402

from addin import buttons  # noqa: E402
from addin.partner_files import fill_in_copy  # noqa: E402
from tests.officejs import apply_actions, count_range_actions, run_button  # noqa: E402  (sets the engine up)

NOW = dt.datetime(2024, 11, 1, 9, 0)
EDITS = 50
JOBS = ("validate", "recalculate_rag", "board_pack", "issue_copies", "merge_returns")


def press(path: Path, job: str, apply: bool = False) -> dict[str, Any]:
    func = getattr(buttons, job)
    kwargs = {"now": NOW} if job in ("issue_copies", "merge_returns") else {}
    seen: dict[str, Any] = {}

    def timed(book: Any) -> None:
        started = time.perf_counter()
        seen["result"] = func(book, **kwargs)
        seen["seconds"] = time.perf_counter() - started

    actions = run_button(path, timed)
    if apply:
        apply_actions(path, actions)
    result = seen["result"]
    if not result.ok:
        raise SystemExit(f"{job} stopped: {result.line}")
    return {
        "range": count_range_actions(actions),
        "all": len(actions),
        "seconds": seen["seconds"],
        "funcs": Counter(a["func"] for a in actions if a.get("start_row") is not None),
        "written": result.written,
    }


def partner_return(folder: Path) -> None:
    """The first agency's copy, with EDITS of its actions updated, saved into returns/."""
    from openpyxl import load_workbook

    copy = sorted((folder / "partner copies").glob("*.xlsx"))[0]
    refs = [
        row[0]
        for row in load_workbook(copy, read_only=True)["Actions"].iter_rows(min_row=2, values_only=True)
    ]
    edits = {
        ("Actions", ref): {
            "Status": "Completed",
            "% complete": 100,
            "Progress update": f"Done: audit of cases completed ({i})",
        }
        for i, ref in enumerate(refs[:EDITS])
    }
    (folder / "returns").mkdir(exist_ok=True)
    fill_in_copy(copy, folder / "returns" / copy.name, edits)


def measure(actions: int) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        os.chdir(folder)  # the engine's workbook has no folder: the buttons use the current one
        path = write_master(big_plan(actions), folder / "tracker.xlsx")
        for job in JOBS:
            if job == "merge_returns":
                partner_return(folder)
            out[job] = press(path, job, apply=job == "issue_copies")
            print(
                f"  {actions:>6,} actions  {job:<16} {out[job]['range']:>4} range calls "
                f"({out[job]['all']} actions)  {out[job]['seconds']:.2f} s",
                flush=True,
            )
    return out


def table(results: dict[int, dict[str, dict[str, Any]]]) -> str:
    sizes = sorted(results)
    lines = [
        "| button | "
        + " | ".join(f"range calls, {n:,} actions" for n in sizes)
        + " | "
        + " | ".join(f"time, {n:,}" for n in sizes)
        + " |",
        "|---|" + "---:|" * (2 * len(sizes)),
    ]
    for job in JOBS:
        calls = " | ".join(str(results[n][job]["range"]) for n in sizes)
        times = " | ".join(f"{results[n][job]['seconds']:.1f} s" for n in sizes)
        lines.append(f"| {job} | {calls} | {times} |")
    lines += ["", "Range calls by kind (largest plan):", ""]
    biggest = results[sizes[-1]]
    for job in JOBS:
        kinds = ", ".join(f"{func} {n}" for func, n in sorted(biggest[job]["funcs"].items()))
        written = biggest[job]["written"]
        extra = ""
        if written is not None and (written.notes_left_out or written.formats_simplified):
            extra = (
                f" (notes left out: {written.notes_left_out}; font rectangles grouped: "
                f"{written.formats_simplified})"
            )
        lines.append(f"- {job}: {kinds}{extra}")
    return "\n".join(lines)


def main(argv: list[str]) -> None:
    append = "--append" in argv
    sizes = [int(a.replace(",", "").replace("_", "")) for a in argv if not a.startswith("--")] or [100, 5000]
    results = {n: measure(n) for n in sizes}
    text = table(results)
    print()
    print(text)
    if append:
        stamp = dt.datetime.now().strftime("%d/%m/%Y")
        with open(HERE / "BUTTONS.md", "a", encoding="utf-8") as fp:
            fp.write(f"\n## Run of {stamp} (Python {platform.python_version()}, {platform.machine()})\n\n")
            fp.write(text + "\n")


if __name__ == "__main__":
    main(sys.argv[1:])
