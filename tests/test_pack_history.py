"""The pack history: compact and bounded (counts for every pack, item RAGs for the latest only),
read back in either layout, and never more rows than the reader or Excel allows."""

from __future__ import annotations

import datetime as dt
from collections import Counter

import pytest
from openpyxl import load_workbook

from addin.cli.pack import pack_workbook
from addin.example import example_plan
from addin.files import read_grids
from addin.jobs.pack import COMPLETED, GONE, NEW, NEW_RED, build_pack, milestone_keys
from addin.jobs.pack_history import (
    COUNTS_ONLY,
    EXCEL_MAX_ROWS,
    GROUPS_KEPT,
    HISTORY_HEADERS,
    ITEMS_KEPT,
    OLD_HEADERS,
    OTHERS,
    PACKS_KEPT,
    CountEntry,
    PackHistory,
    SnapshotEntry,
    count_entries,
    read_history,
    row_limit,
)
from addin.jobs.pack_look import load_pack_template
from addin.jobs.pack_sheets import pack_changes
from addin.jobs.rag import recalculate
from addin.model import Action, Milestone, Plan, PlanInfo
from addin.rules import RuleSet
from addin.tables import Grid, as_date
from addin.writer import write_tracker

D = dt.date.fromisoformat
TEMPLATE = load_pack_template()
HISTORY = TEMPLATE.sheet("history").name
EXCEPTIONS = TEMPLATE.sheet("exceptions").name
CHANGES = TEMPLATE.sheet("changes").name
SUMMARY = TEMPLATE.sheet("summary").name
ITEM_KINDS = ("Action", "Milestone", "Indicator")


def month_ends(start: str, n: int) -> list[dt.date]:
    out, day = [], D(start)
    for _ in range(n):
        out.append(day)
        nxt = (day.replace(day=1) + dt.timedelta(days=32)).replace(day=1)
        day = (nxt + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)
    return out


def reread(history: PackHistory, on_sheet: dict[str, str | None] | None = None) -> PackHistory:
    """``history`` written as the sheet's rows and read back, as the next pack reads it."""
    rows = [row + [None] * (len(HISTORY_HEADERS) - len(row)) for row in history.rows()]
    found = read_history(Grid(HISTORY, rows))
    found.corrective_on_sheet = dict(on_sheet or {})
    return found


def items(rows: list[list[object]]) -> list[list[object]]:
    return [r for r in rows[1:] if r[1] in ITEM_KINDS]


def packs_in_a_row(plan: Plan, rules: RuleSet, days: list[dt.date], history: PackHistory | None = None):
    """Build a pack at each day, each reading what the one before wrote; yield each pack."""
    history = history or PackHistory()
    for day in days:
        pack = build_pack(plan, rules, recalculate(plan, rules, day), history, None, as_of=day)
        yield pack
        history = reread(pack.history)


# ------------------------------------------------------------------ compact and bounded


def test_the_history_grows_by_counts_not_by_items(rules):
    plan = example_plan()
    n_items = len(plan.actions) + len(plan.milestones) + len(plan.indicators)
    days = month_ends("2019-10-31", PACKS_KEPT + 4)
    sizes, packs = [], list(packs_in_a_row(plan, rules, days))
    for pack in packs:
        rows = pack.history.rows()
        assert len(items(rows)) == n_items  # only the latest pack's items, whatever the number of packs
        sizes.append(len(rows))
    growth = [b - a for a, b in zip(sizes, sizes[1:PACKS_KEPT])]
    assert all(0 < g < 60 for g in growth), growth  # a pack's row and its counts: a few dozen rows
    assert max(sizes[PACKS_KEPT:]) <= max(sizes[:PACKS_KEPT])  # counts of 36 packs at most
    last = packs[-1].history
    assert last.dates == days[-PACKS_KEPT:] and last.item_dates == days[-2:]
    kinds = Counter(r[2] for r in last.rows()[1:] if r[1] == "Pack")
    assert kinds == {COUNTS_ONLY: PACKS_KEPT - 2, ITEMS_KEPT: 2}
    # The counts kept agree with what each pack showed.
    # A Red run is counted over every pack, not only over those whose counts are kept.
    runs = [recalculate(plan, rules, d) for d in days]
    longest = 0
    for e in packs[-1].exceptions:
        if e.kind == "Action" and e.rag == "Red":
            run = next((n for n, r in enumerate(reversed(runs)) if r.actions[e.ref].rag != "Red"), len(runs))
            assert e.persistent == (f"Red at {run} packs running" if run >= 2 else ""), e.ref
            longest = max(longest, run)
    assert longest > PACKS_KEPT
    for pack in packs[-PACKS_KEPT:]:
        kept = {(c.group, c.label, c.rag): c.number for c in last.counts if c.pack_date == pack.as_of}
        for row in pack.overall:
            assert {r: n for (g, _, r), n in kept.items() if g == row.label} == {
                r: n for r, n in row.counts.items() if n
            }
        for row in pack.by_theme:
            assert all(kept[("Actions by theme", row.label, r)] == n for r, n in row.counts.items() if n)


def test_written_and_read_back_the_history_is_the_same(rules):
    plan = example_plan()
    *_, pack = packs_in_a_row(plan, rules, month_ends("2019-10-31", 3))
    history = pack.history
    again = reread(history)
    assert again.dates == history.dates and again.item_dates == history.item_dates
    assert sorted(again.counts) == sorted(history.counts)
    for day in history.item_dates:
        mine = {k: (e.rag, e.red_run or None) for k, e in history.snapshot(day).items()}
        assert {k: (e.rag, e.red_run or None) for k, e in again.snapshot(day).items()} == mine
    latest = history.item_dates[-1]
    assert {k: e.corrective for k, e in again.snapshot(latest).items()} == {
        k: e.corrective for k, e in history.snapshot(latest).items()
    }


def test_groups_per_pack_are_bounded():
    rows = [(f"Theme {n}", {"Red": n % 3, "Green": 1}) for n in range(500)]
    counted = count_entries(D("2024-10-31"), "Actions by theme", rows)
    labels = list(dict.fromkeys(c.label for c in counted))
    assert len(labels) == GROUPS_KEPT + 1 and labels[-1] == OTHERS
    assert sum(c.number for c in counted) == sum(sum(r.values()) for _, r in rows)  # nothing lost


def test_a_theme_per_action_still_adds_a_bounded_number_of_rows(rules):
    plan = Plan(
        info=PlanInfo(title="Many themes", report_date=D("2024-10-31")),
        actions=[
            Action(
                ref=f"A{n}",
                theme=f"Theme {n}",
                action="Do it",
                due_date=D("2024-12-31"),
                status="Not started",
            )
            for n in range(300)
        ],
    )
    first, second = packs_in_a_row(plan, rules, [D("2024-10-31"), D("2024-11-30")])
    counts_rows = [r for r in second.history.rows()[1:] if r[1] not in ITEM_KINDS and r[1] != "Pack"]
    per_pack = Counter(as_date(r[0]) for r in counts_rows)
    assert max(per_pack.values()) <= 3 * len(rules.rag.values) + 2 * (GROUPS_KEPT + 1) * len(rules.rag.values)


# ------------------------------------------------------------------ what the board sees


def test_red_runs_corrective_actions_and_a_rerun_survive_the_compact_layout(rules):
    plan = example_plan()
    days = month_ends("2019-10-31", 5)
    packs = list(packs_in_a_row(plan, rules, days[:4]))
    # How long each item has been Red, worked out from all four RAGs, is what the 4th pack says.
    rags = [recalculate(plan, rules, d) for d in days[:4]]
    for exception in packs[-1].exceptions:
        if exception.kind != "Action" or exception.rag != "Red":
            continue
        run = 0
        for result in reversed(rags):
            if result.actions[exception.ref].rag != "Red":
                break
            run += 1
        assert (exception.persistent == f"Red at {run} packs running") == (run >= 2), exception.ref

    # A corrective action typed at the 4th pack is carried however many packs go by.
    red = next(e.ref for e in packs[-1].exceptions if e.kind == "Action" and e.rag == "Red")
    history = reread(packs[-1].history, {red: "Weekly huddle"})
    pack5 = build_pack(plan, rules, recalculate(plan, rules, days[4]), history, None, as_of=days[4])
    later = reread(pack5.history)  # its exceptions sheet not read: the stored one comes back
    assert later.corrective_for(red) == "Weekly huddle"

    # Running the latest pack again compares with the pack before it, as the first run did.
    rerun = build_pack(
        plan, rules, recalculate(plan, rules, days[3]), reread(packs[-1].history), None, as_of=days[3]
    )
    assert rerun.previous == days[2]
    assert rerun.changes == packs[-1].changes
    assert [e.persistent for e in rerun.exceptions] == [e.persistent for e in packs[-1].exceptions]


def test_a_rerun_still_lists_what_left_the_plan(rules):
    plan = example_plan()
    first = build_pack(plan, rules, recalculate(plan, rules, D("2019-10-31")), PackHistory(), None)
    smaller = plan.model_copy(update={"actions": plan.actions[1:]})
    gone = plan.actions[0].ref
    day = D("2019-11-30")
    second = build_pack(
        smaller, rules, recalculate(smaller, rules, day), reread(first.history), None, as_of=day
    )
    rerun = build_pack(
        smaller, rules, recalculate(smaller, rules, day), reread(second.history), None, as_of=day
    )
    for pack in (second, rerun):
        assert (GONE, gone) in {(m.change, m.ref) for m in pack.changes}
    assert rerun.changes == second.changes


# ------------------------------------------------------------------ the older layout


def old_history_rows(
    plan: Plan, rules: RuleSet, days: list[dt.date], fixes: dict[str, str]
) -> list[list[object]]:
    """A history as plantrack wrote it before the compact layout: every item at every pack."""
    rows: list[list[object]] = [list(OLD_HEADERS)]
    for n, day in enumerate(days):
        result = recalculate(plan, rules, day)
        for a in plan.actions:
            fix = fixes.get(a.ref) if n == 0 else None  # typed at the oldest pack only
            rows.append(
                [dt.datetime.combine(day, dt.time()), "Action", a.ref, result.actions[a.ref].rag, fix]
            )
        for key, rating in zip(milestone_keys(plan.milestones), result.milestones):
            rows.append([dt.datetime.combine(day, dt.time()), "Milestone", key, rating.rag, None])
        for i in plan.indicators:
            rows.append(
                [
                    dt.datetime.combine(day, dt.time()),
                    "Indicator",
                    i.code,
                    result.indicators[i.code].rag,
                    None,
                ]
            )
    return rows


def test_a_master_with_the_older_big_history_is_read_and_rewritten_compact(example_path, rules):
    plan = example_plan()
    old_days = month_ends("2019-07-31", 4)  # 31 Jul .. 31 Oct 2019
    runs = [recalculate(plan, rules, d) for d in old_days]
    always_red = [a.ref for a in plan.actions if all(r.actions[a.ref].rag == "Red" for r in runs)]
    assert always_red, "the example should have an action Red since July"
    fix_ref = always_red[0]
    wb = load_workbook(example_path)
    ws = wb.create_sheet(HISTORY)
    for row in old_history_rows(plan, rules, old_days, {fix_ref: "Deep dive with the DCS"}):
        ws.append(row)
    ws.sheet_state = "veryHidden"
    wb.save(example_path)
    old_rows = len(read_grids(example_path)[HISTORY].values)

    day = D("2019-11-30")
    done = pack_workbook(example_path, as_of=day)
    pack = done.pack
    assert pack.previous == old_days[-1]
    expected = {
        ref for ref, r in recalculate(plan, rules, day).actions.items() if r.rag != runs[-1].actions[ref].rag
    }
    assert {m.ref for m in pack.changes if m.kind == "Action"} == expected
    exceptions = {e.ref: e for e in pack.exceptions}
    still_red = [ref for ref in always_red if exceptions.get(ref) and exceptions[ref].rag == "Red"]
    assert still_red
    for ref in still_red:
        assert exceptions[ref].persistent == f"Red at {len(old_days) + 1} packs running"
    assert fix_ref in still_red
    assert exceptions[fix_ref].corrective == "Deep dive with the DCS"  # from the oldest pack

    rows = read_grids(example_path)[HISTORY].values
    assert rows[0] == list(HISTORY_HEADERS)
    n_items = len(plan.actions) + len(plan.milestones) + len(plan.indicators)
    assert len(items(rows)) == n_items and len(rows) < old_rows
    assert {as_date(r[0]) for r in rows[1:] if r[1] == "Pack"} == {*old_days, day}
    old_counts = {(as_date(r[0]), r[1], r[3]): r[4] for r in rows[1:] if r[1] == "Actions"}
    for d, result in zip(old_days, runs):
        assert all(old_counts[(d, "Actions", rag)] == n for rag, n in result.counts("actions").items() if n)
    stored = {r[2]: r[8] for r in items(rows) if len(r) > 8}
    assert stored.get(fix_ref) == "Deep dive with the DCS"

    # The next pack reads the compact history: the run goes on, the corrective action stays.
    nxt = pack_workbook(example_path, as_of=D("2019-12-31")).pack
    assert nxt.previous == day
    for e in nxt.exceptions:
        if e.ref in still_red and e.rag == "Red":
            assert e.persistent == f"Red at {len(old_days) + 2} packs running"
        if e.ref == fix_ref:
            assert e.corrective == "Deep dive with the DCS"


# ------------------------------------------------------------------ the row limit


def test_row_limit_is_the_rules_and_never_above_excel():
    assert row_limit(200_000) == 200_000
    assert row_limit(5_000_000) == EXCEL_MAX_ROWS and row_limit(None) == EXCEL_MAX_ROWS


def history_of(days: list[dt.date], sizes: list[int], groups: int = 5) -> PackHistory:
    history = PackHistory()
    for day, size in zip(days, sizes):
        entries = [SnapshotEntry(day, "Action", f"A{n}", "Red" if n % 2 else "Green") for n in range(size)]
        counts = [CountEntry(day, "Actions by theme", f"T{g}", "Red", 1) for g in range(groups)]
        history = history.with_snapshot(day, entries, counts)
    return history


def test_too_big_a_history_gives_up_the_pack_before_then_old_counts_then_items():
    days = month_ends("2024-01-31", 10)
    full = history_of(days, [100] * 9 + [50])  # the latest pack has 50 items fewer: 50 rows of their own
    assert full.item_dates == days[-2:] and full.row_count() == len(full.rows()) == 1 + 10 + 50 + 50 + 50

    def fit(limit: int) -> PackHistory:
        fitted = full.fitted(limit)
        assert len(fitted.rows()) == fitted.row_count() <= limit
        return fitted

    assert fit(full.row_count()) is full
    no_before = fit(160)  # the pack before's own rows go first
    assert no_before.item_dates == days[-1:] and no_before.dates == days
    fewer = fit(110)  # then the oldest packs' counts, to keep the latest items
    assert fewer.item_dates == days[-1:] and fewer.dates == days[1:]
    counts_only = fit(56)  # the latest items cannot fit even alone: counts of as many packs as fit
    assert counts_only.item_dates == [] and counts_only.dates == days[1:]
    tiny = fit(5)
    assert tiny.item_dates == [] and tiny.dates == days[-1:]
    # Dropping the pack before saves no row when every item is still in the plan: it stays.
    same = history_of(days, [100] * 10)
    assert same.fitted(same.row_count() - 1).item_dates == days[-2:]


def bigger_example() -> Plan:
    """The example with 150 more actions and 150 more milestones, none due for a year."""
    plan = example_plan()
    extra = [
        Action(
            ref=f"X{n}",
            theme="Extra",
            action="Embed the practice standards",
            lead_officer="Head of Service",
            due_date=D("2020-12-31"),
            status="In progress",
            percent_complete=20,
            progress_update="On track.",
            last_updated=D("2019-10-25"),
        )
        for n in range(150)
    ]
    milestones = [
        Milestone(action_ref=f"X{n}", milestone="Audit", due_date=D("2020-11-30"), status="Not started")
        for n in range(150)
    ]
    return plan.model_copy(
        update={"actions": [*plan.actions, *extra], "milestones": [*plan.milestones, *milestones]}
    )


def test_a_plan_too_big_for_the_history_says_it_cannot_compare(tmp_path, rules):
    """max_rows of 250: every sheet of the plan fits, but its 367 items do not fit in the history
    with the counts. Only counts are kept; the next pack says it cannot list changes item by
    item, and why; the history never passes the limit."""
    path = tmp_path / "tracker.xlsx"
    write_tracker(bigger_example(), rules, path)
    (tmp_path / "plantrack.toml").write_text("[limits]\nmax_rows = 250\n", encoding="utf-8")
    first = pack_workbook(path).pack
    assert first.history.item_dates == [] and len(read_grids(path)[HISTORY].values) <= 250
    second = pack_workbook(path, as_of=D("2019-11-30")).pack
    assert second.previous is None and second.changes is None and second.uncompared == D("2019-10-31")
    grids = read_grids(path)
    text = " ".join(str(v) for row in grids[CHANGES].values for v in row if v)
    assert "Not compared item by item" in text and "31 Oct 2019" in text and "First pack" not in text
    summary = " ".join(str(v) for row in grids[SUMMARY].values for v in row if v)
    assert "Not compared item by item" in summary and "First pack" not in summary
    for day in month_ends("2019-12-31", 4):
        pack_workbook(path, as_of=day)
        assert len(read_grids(path)[HISTORY].values) <= 250


def test_first_pack_wording_is_unchanged(rules):
    plan = example_plan()
    pack = build_pack(plan, rules, recalculate(plan, rules), PackHistory(), None)
    sheets = {s.name: s for s in pack_changes(pack).sheets}
    assert ["First pack", None, None, "No earlier pack to compare with."] in sheets[CHANGES].rows


@pytest.mark.parametrize("back", [D("2019-12-15"), D("2019-11-15")])
def test_a_back_dated_pack_keeps_the_latest_items(rules, back):
    plan = example_plan()
    days = [D("2019-10-31"), D("2019-11-30"), D("2019-12-31")]
    *_, last = packs_in_a_row(plan, rules, days)
    pack = build_pack(plan, rules, recalculate(plan, rules, back), reread(last.history), None, as_of=back)
    history = pack.history
    assert history.item_dates[-1] == days[-1] and back in history.dates
    if back > days[1]:  # between the two packs whose items are kept: compared with the older
        assert pack.previous == days[1] and pack.uncompared is None
    else:  # before them: only counts are kept of the pack before it
        assert pack.previous is None and pack.uncompared == days[0]
    nxt = build_pack(
        plan, rules, recalculate(plan, rules, D("2020-01-31")), reread(history), None, as_of=D("2020-01-31")
    )
    assert nxt.previous == days[-1]
    assert {m.change for m in nxt.changes} <= {
        NEW_RED,
        COMPLETED,
        NEW,
        GONE,
        "Deteriorated",
        "Improved",
        "Changed",
    }
