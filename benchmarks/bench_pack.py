"""How long the board pack takes on a big plan, beside the time to load the workbook.

    python benchmarks/bench_pack.py [ACTIONS]      # default 5,000 actions

The plan comes from ``benchmarks/generate.py``: ACTIONS actions, four milestones
each (20,000 for 5,000 actions), 200 indicators with 8 periods each. The pack
is built twice (the second compares with the first, through the history sheet,
as every pack after the first does). Times are the best of a few runs; the
ratios are what matter: the pack's own work (build_pack + pack_changes) should
be small next to loading the workbook. Writing is openpyxl saving the whole
master, which any job that writes pays.
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

from addin.cli.pack import write_pack  # noqa: E402
from addin.files import read_grids  # noqa: E402
from addin.jobs.pack import build_pack, returns_from_grid  # noqa: E402
from addin.jobs.pack_history import PackHistory  # noqa: E402
from addin.jobs.pack_look import load_pack_template  # noqa: E402
from addin.jobs.pack_sheets import pack_changes  # noqa: E402
from addin.jobs.rag import recalculate  # noqa: E402
from addin.reader import tracker_from_grids  # noqa: E402
from addin.rules import rules_for_workbook  # noqa: E402


def best_of(runs: int, work: Callable[[], Any]) -> tuple[float, Any]:
    best, result = float("inf"), None
    for _ in range(runs):
        started = time.perf_counter()
        result = work()
        best = min(best, time.perf_counter() - started)
    return best, result


def run(actions: int = 5000) -> dict[str, float]:
    template = load_pack_template()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "big.xlsx"
        plan = big_plan(actions)
        write_master(plan, path)
        rules = rules_for_workbook(path)

        def load() -> Any:
            grids = read_grids(path, rules.limits)
            return grids, tracker_from_grids(grids, rules, path)

        load_time, (grids, tracker) = best_of(2, load)
        plan = tracker.plan
        rag_time, rag = best_of(3, lambda: recalculate(plan, rules))
        history = PackHistory.from_grids(grids, template)
        build_time, pack = best_of(3, lambda: build_pack(plan, rules, rag, history, None))
        layout_time, changes = best_of(3, lambda: pack_changes(pack, template))
        write_time, _ = best_of(1, lambda: write_pack(path, pack, changes))

        # The next month's pack: read back (with the history sheet), compare, write.
        later = rag.as_of + dt.timedelta(days=30)
        load2_time, (grids2, tracker2) = best_of(1, load)
        rag2 = recalculate(tracker2.plan, rules, later)
        history2 = PackHistory.from_grids(grids2, template)
        build2_time, pack2 = best_of(
            3, lambda: build_pack(tracker2.plan, rules, rag2, history2, returns_from_grid(None))
        )
        layout2_time, changes2 = best_of(3, lambda: pack_changes(pack2, template))
    own = build_time + layout_time
    print(
        f"Plan: {len(plan.actions):,} actions, {len(plan.milestones):,} milestones, "
        f"{len(plan.indicators)} indicators ({len(plan.indicator_data):,} indicator periods)"
    )
    print(f"{'load (read grids + plan)':34} {load_time:8.3f} s")
    print(f"{'recalculate RAG':34} {rag_time:8.3f} s   {rag_time / load_time:6.1%} of load")
    print(f"{'build_pack (first pack)':34} {build_time:8.3f} s   {build_time / load_time:6.1%} of load")
    print(
        f"{'pack_changes (sheets + charts)':34} {layout_time:8.3f} s   {layout_time / load_time:6.1%} of load"
        f"   {sum(len(s.rows) for s in changes.sheets):,} rows, {len(pack.exceptions):,} exceptions"
    )
    print(f"{'pack own work (build + layout)':34} {own:8.3f} s   {own / load_time:6.1%} of load")
    print(f"{'write into the master (openpyxl)':34} {write_time:8.3f} s")
    print(f"{'load with the pack sheets':34} {load2_time:8.3f} s")
    print(
        f"{'build_pack (second, with history)':34} {build2_time:8.3f} s   "
        f"{len(pack2.changes or []):,} changes since the first"
    )
    print(f"{'pack_changes (second)':34} {layout2_time:8.3f} s   {len(pack2.history.entries):,} history rows")
    return {
        "load": load_time,
        "recalculate": rag_time,
        "build_pack": build_time,
        "pack_changes": layout_time,
        "write": write_time,
        "build_pack_second": build2_time,
        "pack_changes_second": layout2_time,
        "changes_second": len(changes2.sheets),
    }


if __name__ == "__main__":
    run(int(sys.argv[1]) if len(sys.argv) > 1 else 5000)
