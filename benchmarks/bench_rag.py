"""How long Recalculate RAG takes on a big plan, beside the time to load the workbook.

    python benchmarks/bench_rag.py [ACTIONS]      # default 5,000 actions

The plan comes from ``benchmarks/generate.py``: ACTIONS actions, four milestones
each (20,000 for 5,000 actions), 200 indicators with 8 periods each. Times are
the best of a few runs; the ratios are what matter (the job's own work should
be small next to loading the workbook).
"""

from __future__ import annotations

import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from generate import big_plan, write_master  # noqa: E402

from addin.files import apply_changes, read_tracker  # noqa: E402
from addin.jobs.rag import rag_changes, recalculate  # noqa: E402


def best_of(runs: int, work: Callable[[], Any]) -> tuple[float, Any]:
    best, result = float("inf"), None
    for _ in range(runs):
        started = time.perf_counter()
        result = work()
        best = min(best, time.perf_counter() - started)
    return best, result


def run(actions: int = 5000) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "big.xlsx"
        plan = big_plan(actions)
        write_master(plan, path)
        load, tracker = best_of(2, lambda: read_tracker(path))
        plan = tracker.plan
        rag, result = best_of(5, lambda: recalculate(plan, tracker.rules))
        changes_time, changes = best_of(3, lambda: rag_changes(tracker, result))
        write, _ = best_of(1, lambda: apply_changes(path, changes, make_backup=False))
        # O(n): twice the plan should take about twice as long, not four times.
        double = plan.model_copy(
            update={
                "actions": plan.actions + [a.model_copy(update={"ref": a.ref + "b"}) for a in plan.actions],
                "milestones": plan.milestones
                + [m.model_copy(update={"action_ref": m.action_ref + "b"}) for m in plan.milestones],
            }
        )
        rag_double, _ = best_of(3, lambda: recalculate(double, tracker.rules))
    counts = result.counts("actions")
    print(
        f"Plan: {len(plan.actions):,} actions, {len(plan.milestones):,} milestones, "
        f"{len(plan.indicators)} indicators ({len(plan.indicator_data):,} indicator periods)"
    )
    print(f"Actions: {counts}")
    print(f"{'load (read_tracker)':32} {load:8.3f} s")
    print(f"{'recalculate':32} {rag:8.3f} s   {rag / load:6.1%} of load")
    print(f"{'rag_changes':32} {changes_time:8.3f} s   {len(changes.cells):,} cells")
    print(f"{'apply_changes (openpyxl write)':32} {write:8.3f} s")
    print(f"{'recalculate, plan twice as big':32} {rag_double:8.3f} s   x{rag_double / rag:.2f}")
    return {
        "load": load,
        "recalculate": rag,
        "rag_changes": changes_time,
        "apply": write,
        "recalculate_double": rag_double,
    }


if __name__ == "__main__":
    run(int(sys.argv[1]) if len(sys.argv) > 1 else 5000)
