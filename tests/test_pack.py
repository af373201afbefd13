"""The board pack: build_pack (data), pack_changes (sheets), plantrack pack (file + PDF)."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import subprocess
import sys
import zipfile
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from addin.cli import main
from addin.cli.pack import pack_workbook
from addin.example import example_plan
from addin.files import read_grids, read_tracker
from addin.jobs.pack import (
    COMPLETED,
    DETERIORATED,
    IMPROVED,
    NEW_RED,
    against_target,
    build_pack,
    milestone_keys,
    misses,
    movement,
    returns_from_grid,
)
from addin.jobs.pack_history import HISTORY_HEADERS, PackHistory, SnapshotEntry
from addin.jobs.pack_look import load_pack_template
from addin.jobs.pack_sheets import pack_changes, pack_sheet_names, wrapped_lines
from addin.jobs.rag import IndicatorRating, RagResult, Rating, recalculate
from addin.model import Action, Indicator, IndicatorValue, Milestone, Plan, PlanInfo
from addin.tables import Grid, as_date
from addin.writer import write_tracker
from tests.office import pdf_pages, pdf_text

GOLDEN = Path(__file__).parent / "golden" / "pack_example.json"
D = dt.date.fromisoformat
TEMPLATE = load_pack_template()
NAMES = {
    key: TEMPLATE.sheet(key).name
    for key in (
        "summary",
        "exceptions",
        "indicators",
        "trends",
        "milestones",
        "changes",
        "returns",
        "history",
    )
}
PACK_SHEETS = set(NAMES.values())
# The example's pack as at its report date (31/10/2019), printed by LibreOffice: 3 summary pages,
# 2 of exceptions, 1 of indicators, 6 of trends, 1 of milestones due, 1 of changes.
EXAMPLE_PDF_PAGES = 14


# ------------------------------------------------------------------ helpers


def values(path: Path, sheet: str) -> list[list[Any]]:
    return read_grids(path)[sheet].values


def table(path: Path, sheet: str, first_header: str) -> list[dict[str, Any]]:
    """The rows under the header row starting with ``first_header``, as dicts."""
    rows = values(path, sheet)
    head = next(i for i, row in enumerate(rows) if row and row[0] == first_header)
    headers = rows[head]
    return [dict(zip(headers, row)) for row in rows[head + 1 :] if any(v is not None for v in row)]


def section(rows: list[list[Any]], title: str) -> tuple[list[Any], list[list[Any]]]:
    """A summary section: its header row and its data rows (up to the first empty row)."""
    start = next(i for i, row in enumerate(rows) if row and row[0] == title)
    header, body = rows[start + 1], []
    for row in rows[start + 2 :]:
        if not row or all(v is None for v in row):
            break
        body.append(row)
    return header, body


def edit_cells(path: Path, *edits: tuple[str, str, str, dict[str, Any]]) -> None:
    """Change cells the way a person would in Excel: each edit is (sheet, key header, key,
    {header: value}), the row found by its key. One open and save for all of them."""
    wb = load_workbook(path)
    for sheet, key_header, key, updates in edits:
        ws = wb[sheet]
        header_row = next(r for r in range(1, 12) if any(c.value == key_header for c in ws[r]))
        headers = {c.value: c.column for c in ws[header_row] if c.value}
        row = next(
            r
            for r in range(header_row + 1, ws.max_row + 1)
            if str(ws.cell(r, headers[key_header]).value) == key
        )
        for header, value in updates.items():
            ws.cell(row, headers[header]).value = value
    wb.save(path)


@pytest.fixture(scope="module")
def first_pack(tmp_path_factory, rules):
    """The example tracker with its first pack (as at 31/10/2019) built in: read, never change."""
    path = tmp_path_factory.mktemp("first-pack") / "tracker.xlsx"
    write_tracker(example_plan(), rules, path)
    return path, pack_workbook(path)


@pytest.fixture
def packed(first_pack, tmp_path):
    """A copy of the example with its first pack, to change."""
    path = tmp_path / "tracker.xlsx"
    shutil.copy(first_pack[0], path)
    return path


def user_sheet_values(path: Path) -> dict[str, list[list[Any]]]:
    return {name: grid.values for name, grid in read_grids(path).items() if name not in PACK_SHEETS}


def canonical(value: Any) -> Any:
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


# ------------------------------------------------------------------ core, hand-made RAG


def small_plan() -> Plan:
    return Plan(
        info=PlanInfo(
            title="Test plan", report_date=D("2024-10-31"), protective_marking="OFFICIAL-SENSITIVE"
        ),
        actions=[
            Action(
                ref="A1",
                theme="Front door",
                action="Review thresholds",
                lead_officer="HoS",
                lead_agency="Council",
                due_date=D("2024-09-30"),
                status="In progress",
                progress_update="Workshop held.",
                last_updated=D("2024-10-20"),
            ),
            Action(
                ref="A2",
                theme="Front door",
                action="Publish guidance",
                lead_officer="HoS",
                lead_agency="Police",
                due_date=D("2024-11-15"),
                status="In progress",
            ),
            Action(
                ref="B1",
                theme="Care",
                action="Train staff",
                lead_officer="PSW",
                lead_agency="Council",
                due_date=D("2024-06-30"),
                status="Completed",
                completed_date=D("2024-06-28"),
            ),
        ],
        milestones=[
            Milestone(
                action_ref="A2", milestone="Draft agreed", due_date=D("2024-10-15"), status="In progress"
            ),
            Milestone(
                action_ref="A2", milestone="Signed off", due_date=D("2024-11-20"), status="Not started"
            ),
        ],
        indicators=[Indicator(code="P1", indicator="Visits on time", unit="%", polarity="Higher is better")],
        indicator_data=[
            IndicatorValue(code="P1", period_end=D("2024-06-30"), target=80, actual=70),
            IndicatorValue(code="P1", period_end=D("2024-09-30"), target=80, actual=65),
        ],
    )


def small_rag() -> RagResult:
    """RAG made by hand (not by the RAG engine): the pack only lays out what it is given."""
    red = Rating("Red", "Due 30 Sep 2024, 31 days overdue", "Red")
    return RagResult(
        as_of=D("2024-10-31"),
        actions={
            "A1": red,
            "A2": Rating(
                "Amber", "Override: Amber — agreed at board (calculated Red: milestone late)", "Red", True
            ),
            "B1": Rating("Blue", "Completed 28 Jun 2024", "Blue"),
        },
        milestones=[
            Rating("Red", "Due 15 Oct 2024, 16 days overdue", "Red"),
            Rating("Green", "Due 20 Nov 2024, in 20 days", "Green"),
        ],
        indicators={
            "P1": IndicatorRating(
                "Red",
                "65% against 80%",
                "Red",
                direction="Worsening",
                forecast="Red",
                period_end=D("2024-09-30"),
                actual=65,
                target=80,
                previous_actual=70,
            )
        },
    )


def test_pack_from_hand_made_rag(rules):
    pack = build_pack(small_plan(), rules, small_rag(), PackHistory(), None)
    assert pack.counts("Actions") == {"Red": 1, "Amber": 1, "Blue": 1}
    assert [(r.label, dict(r.counts)) for r in pack.by_theme] == [
        ("Front door", {"Red": 1, "Amber": 1}),
        ("Care", {"Blue": 1}),
    ]
    assert [(r.label, r.total) for r in pack.by_agency] == [("Council", 2), ("Police", 1)]
    assert pack.actions_done == 1 and pack.actions_overdue == 1 and round(pack.percent_complete) == 33
    refs = {e.ref: e for e in pack.exceptions}
    assert set(refs) == {"A1", "A2", "A2 M1", "P1"}  # the Red, the override, the Red milestone, the indicator
    assert refs["A1"].days_overdue == 31 and refs["A1"].progress == "Workshop held. (updated 20 Oct 2024)"
    assert refs["A2"].override and "Override" in refs["A2"].reason
    assert refs["P1"].persistent == "Missed target 2 periods running; Worsening"
    assert [(d.when, d.ref) for d in pack.due] == [
        ("Overdue", "A1"),
        ("Overdue", "A2 M1"),
        ("Due next", "A2"),
        ("Due next", "A2 M2"),
    ]
    line = pack.indicators[0]
    assert (line.arrow, line.direction, line.against_target) == ("↓", "Worsening", "Missed by 15 pts")
    assert pack.changes is None and pack.returns is None


def test_sheets_from_hand_made_rag(rules):
    pack = build_pack(small_plan(), rules, small_rag(), PackHistory(), None)
    changes = pack_changes(pack)
    sheets = {s.name: s for s in changes.sheets}
    assert list(sheets) == [
        NAMES[k]
        for k in ("summary", "exceptions", "indicators", "trends", "milestones", "changes", "history")
    ]
    assert changes.remove_sheets == [NAMES["returns"]]  # no returns: an old returns sheet goes
    exceptions = sheets[NAMES["exceptions"]]
    head = exceptions.header_row
    assert exceptions.rows[head - 1][0] == "Ref" and exceptions.print_ready
    rag_col = exceptions.rows[head - 1].index("RAG") + 1
    assert exceptions.fills[(head + 1, rag_col)] == TEMPLATE.rag_fills["Red"]
    indicators = sheets[NAMES["indicators"]]
    direction = indicators.rows[indicators.header_row - 1].index("Direction") + 1
    assert indicators.rows[indicators.header_row][direction - 1] == "↓ Worsening"
    assert indicators.font_colours[(indicators.header_row + 1, direction)] == TEMPLATE.colours.worsening
    trends = sheets[NAMES["trends"]]
    assert len(trends.charts) == 1 and trends.charts[0].kind == "line"
    summary = sheets[NAMES["summary"]]
    assert [c.kind for c in summary.charts] == ["stacked_bar", "stacked_bar"]
    assert summary.charts[0].colours == [TEMPLATE.rag_fills[r] for r in ("Red", "Amber", "Green", "Blue")]
    assert len(summary.row_breaks) == 2
    history = sheets[NAMES["history"]]
    assert history.state == "veryHidden" and not history.print_ready
    assert history.rows[0] == list(HISTORY_HEADERS)
    kinds = Counter(row[1] for row in history.rows[1:])
    assert (kinds["Action"], kinds["Milestone"], kinds["Indicator"], kinds["Pack"]) == (3, 2, 1, 1)
    counted = {tuple(row[1:4]): row[4] for row in history.rows[1:] if len(row) > 4 and row[4] is not None}
    assert (
        counted[("Actions", "All", "Red")] == 1 and counted[("Actions by theme", "Front door", "Amber")] == 1
    )


def test_an_empty_plan_still_makes_a_pack(rules):
    plan = Plan(info=PlanInfo(title="New plan", report_date=D("2024-01-31")))
    pack = build_pack(plan, rules, recalculate(plan, rules), PackHistory(), None)
    sheets = {s.name: s for s in pack_changes(pack).sheets}
    assert pack.percent_complete == 0 and not pack.exceptions and not pack.due
    assert ["No exceptions at this report date."] in sheets[NAMES["exceptions"]].rows
    assert not sheets[NAMES["summary"]].charts and not sheets[NAMES["trends"]].charts


def test_movements():
    assert movement("Green", "Red") == NEW_RED
    assert movement("Red", "Blue") == COMPLETED
    assert movement("Green", "Amber") == DETERIORATED
    assert movement("Red", "Amber") == IMPROVED
    assert movement("Amber", "Amber") is None
    assert movement(None, "Red", new=True) == NEW_RED


@pytest.mark.parametrize(
    ("actual", "target", "polarity", "unit", "words"),
    [
        (49, 48, "Higher is better", "%", "Met (1 pts better)"),
        (12.4, 11, "Lower is better", "%", "Missed by 1.4 pts"),
        (21, 20, "Closer is better", "count", "1 above target"),
        (100, 100, "Higher is better", "%", "On target"),
        (None, 5, "Higher is better", "%", "No actual yet"),
    ],
)
def test_against_target(actual, target, polarity, unit, words):
    assert against_target(actual, target, polarity, unit) == words


def test_misses_by_polarity():
    assert misses(10, 12, "Higher is better") and not misses(12, 12, "Higher is better")
    assert misses(13, 12, "Lower is better") and not misses(11, 12, "Lower is better")
    assert misses(15, 12, "Closer is better", 2) and not misses(13, 12, "Closer is better", 2)


def test_milestone_keys_number_within_their_action():
    ms = [
        Milestone(action_ref=r, milestone="m", due_date=D("2024-01-01"), status="x") for r in ("1", "2", "1")
    ]
    assert milestone_keys(ms) == ["1 M1", "2 M1", "1 M2"]


def test_wrapped_lines():
    assert wrapped_lines("short", 20) == 1
    assert wrapped_lines("one two three four five six", 10) == 3
    assert wrapped_lines("a" * 25, 10) == 3
    assert wrapped_lines("line one\nline two", 40) == 2


def test_history_replaces_a_date_and_counts_red_runs():
    day1, day2, day3 = D("2024-08-31"), D("2024-09-30"), D("2024-10-31")
    history = PackHistory(
        [
            SnapshotEntry(day1, "Action", "A1", "Red"),
            SnapshotEntry(day2, "Action", "A1", "Red"),
            SnapshotEntry(day2, "Action", "A2", "Green", "Old fix"),
        ]
    )
    assert history.previous_date(day3) == day2 and history.previous_date(day1) is None
    assert history.red_run("Action", "A1", day3) == 2
    assert history.red_run("Action", "A1", day2) == 1
    again = history.with_snapshot(day2, [SnapshotEntry(day2, "Action", "A1", "Amber")])
    assert [e.rag for e in again.entries if e.pack_date == day2] == ["Amber"]
    assert again.red_run("Action", "A1", day3) == 0


def test_corrective_actions_typed_win_and_an_emptied_cell_stays_empty():
    history = PackHistory(
        [
            SnapshotEntry(D("2024-09-30"), "Action", "A1", "Red", "Stored fix"),
            SnapshotEntry(D("2024-09-30"), "Action", "A2", "Red", "Stored fix 2"),
        ],
        corrective_on_sheet={"A1": None, "A3": "Typed fix"},
    )
    assert history.corrective_for("A1") is None  # cleared on the sheet: not brought back
    assert history.corrective_for("A2") == "Stored fix 2"  # not on the sheet: the stored one
    assert history.corrective_for("A3") == "Typed fix"


@pytest.mark.parametrize(
    "headers",
    [
        [
            "Agency",
            "Issued at",
            "Due",
            "Received at",
            "File",
            "Changes applied",
            "Conflicts",
            "Rejected",
            "State",
        ],
        [
            "Agency",
            "Contact",
            "Email",
            "Copy issued",
            "Issued",
            "Due",
            "Received",
            "Return file",
            "Changes applied",
            "Conflicts",
            "Rejected",
            "Proposals",
            "State",
            "Days late",
        ],
    ],
)
def test_returns_from_grid_reads_either_layout(headers):
    def row(agency, state):
        data = {"Agency": agency, "State": state, "Due": dt.datetime(2024, 10, 25), "Changes applied": 3}
        return [data.get(h) for h in headers]

    grid = Grid(
        "Returns",
        [
            ["Returns — as at 31/10/2024"],
            [],
            headers,
            row("Police", "Returned"),
            row("NHS", "Missing"),
            [None] * len(headers),
        ],
    )
    lines = returns_from_grid(grid)
    assert [(r.agency, r.state, r.due, r.applied) for r in lines] == [
        ("Police", "Returned", D("2024-10-25"), 3),
        ("NHS", "Missing", D("2024-10-25"), 3),
    ]
    assert returns_from_grid(None) is None


def test_core_imports_neither_openpyxl_nor_xlwings():
    code = (
        "import sys; import addin.jobs.pack, addin.jobs.pack_sheets, addin.jobs.pack_history, "
        "addin.jobs.pack_look; bad = [m for m in ('openpyxl', 'xlwings') if m in sys.modules]; "
        "print(bad); sys.exit(1 if bad else 0)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=Path(__file__).parent.parent
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_golden_example_pack(rules):
    """The example's pack sheets as canonical JSON. After an intended change, regenerate with
    PLANTRACK_UPDATE_GOLDEN=1 pytest tests/test_pack.py -k golden, and review the diff."""
    plan = example_plan()
    pack = build_pack(plan, rules, recalculate(plan, rules), PackHistory(), None)
    got = {s.name: [[canonical(v) for v in row] for row in s.rows] for s in pack_changes(pack).sheets}
    text = json.dumps(got, indent=1, ensure_ascii=False, sort_keys=True) + "\n"
    if os.environ.get("PLANTRACK_UPDATE_GOLDEN"):
        GOLDEN.parent.mkdir(exist_ok=True)
        GOLDEN.write_text(text, encoding="utf-8")
    assert GOLDEN.exists(), "no golden file: run with PLANTRACK_UPDATE_GOLDEN=1 once"
    assert json.loads(text) == json.loads(GOLDEN.read_text(encoding="utf-8"))


# ------------------------------------------------------------------ the pack in a workbook


def test_summary_counts_equal_the_model(first_pack, rules):
    path, done = first_pack
    tracker = read_tracker(path)
    result = recalculate(tracker.plan, rules)
    rows = values(path, NAMES["summary"])

    header, body = section(rows, "RAG overall")
    overall = {
        row[0]: {h: n for h, n in zip(header[1:], row[1:]) if h and h != "Total" and n} for row in body
    }
    for label, kind in (("Actions", "actions"), ("Milestones", "milestones"), ("Indicators", "indicators")):
        expected = {k: v for k, v in result.counts(kind).items() if v and k != "Cancelled"}
        assert overall[label] == expected, label

    header, body = section(rows, "Actions by theme")
    by_theme = Counter((a.theme, result.actions[a.ref].rag) for a in tracker.plan.actions)
    themes = [row for row in body if row[0] != "All"]
    assert [row[0] for row in themes] == list(dict.fromkeys(a.theme for a in tracker.plan.actions))
    for row in themes:
        for rag, count in zip(header[1:5], row[1:5]):
            assert count == by_theme[(row[0], rag)], (row[0], rag)
    total = next(row for row in body if row[0] == "All")
    assert total[5] == len(tracker.plan.actions)

    header, body = section(rows, "Actions by lead agency")
    by_agency = Counter(a.lead_agency for a in tracker.plan.actions)
    assert {row[0]: row[5] for row in body if row[0] != "All"} == dict(by_agency)

    glance = {row[0]: row[1] for row in section(rows, "At a glance")[1]}
    as_of = tracker.plan.info.report_date
    overdue = sum(
        1
        for a in tracker.plan.actions
        if a.effective_due < as_of and not rules.is_done(a.status) and not rules.is_cancelled(a.status)
    )
    done_count = sum(1 for a in tracker.plan.actions if rules.is_done(a.status))
    assert glance["Actions overdue"] == f"{overdue} actions"
    assert glance["Actions complete (Completed or Embedded)"].startswith(f"{done_count} of 40")
    assert glance["Red actions: exception reporting required"] == f"{result.counts()['Red']} actions"
    assert glance["Returns from partner agencies"] == "No returns issued yet"
    assert glance["Changes since the last pack"] == "First pack: no earlier pack to compare with"
    assert done.pack.counts("Actions") == {k: v for k, v in result.counts().items() if v and k != "Cancelled"}
    start = next(i for i, row in enumerate(rows) if row and row[0] == "What the colours mean")
    key = {row[0]: row[1] for row in rows[start + 1 : start + 1 + len(rules.rag.definitions)]}
    assert key == dict(rules.rag.definitions)


def test_every_red_and_override_is_on_exceptions(first_pack, rules):
    path, _ = first_pack
    plan = read_tracker(path).plan
    result = recalculate(plan, rules)
    listed = {row["Ref"]: row for row in table(path, NAMES["exceptions"], "Ref")}
    reds = {ref for ref, r in result.actions.items() if r.rag == "Red"}
    overrides = {ref for ref, r in result.actions.items() if r.override}
    red_milestones = {k for k, r in zip(milestone_keys(plan.milestones), result.milestones) if r.rag == "Red"}
    red_indicators = {c for c, r in result.indicators.items() if r.rag == "Red"}
    assert reds and overrides and red_milestones and red_indicators
    assert reds | overrides | red_milestones | red_indicators <= set(listed)
    for ref in reds:
        action = next(a for a in plan.actions if a.ref == ref)
        assert listed[ref]["RAG"] == "Red"
        assert listed[ref]["Latest progress update"].startswith(action.progress_update)
    assert listed["5.1"]["RAG"] == "Amber" and "Override" in listed["5.1"]["Why this RAG"]
    assert table(path, NAMES["changes"], "Change")[0]["Change"] == "First pack"


def test_second_pack_changes_and_corrective_actions(packed, rules):
    """A month later: known movements, a persistent Red, and the corrective actions people typed."""
    plan1 = read_tracker(packed).plan
    edit_cells(
        packed,
        (
            "Actions",
            "Ref",
            "1.7",
            {"Status": "Completed", "% complete": 100, "Completed date": dt.datetime(2019, 11, 20)},
        ),
        ("Actions", "Ref", "1.1", {"Due date": dt.datetime(2019, 11, 15)}),
        (NAMES["exceptions"], "Ref", "4.4", {"Corrective action": "Recovery plan agreed at DMT"}),
        (NAMES["exceptions"], "Ref", "9.3", {"Corrective action": "Campaign brought forward"}),
    )
    second = pack_workbook(packed, as_of=D("2019-11-30"))
    plan2 = read_tracker(packed).plan

    assert second.pack.previous == D("2019-10-31")
    rows = table(packed, NAMES["changes"], "Change")
    by_ref = {row["Ref"]: row for row in rows}
    assert (by_ref["1.7"]["Change"], by_ref["1.7"]["Was"], by_ref["1.7"]["Now"]) == (COMPLETED, "Red", "Blue")
    assert (by_ref["1.1"]["Change"], by_ref["1.1"]["Was"], by_ref["1.1"]["Now"]) == (NEW_RED, "Green", "Red")
    # Every movement, and nothing else, compared with the RAG engine on both plans.
    rag1, rag2 = recalculate(plan1, rules, D("2019-10-31")), recalculate(plan2, rules, D("2019-11-30"))
    moved = {ref for ref in rag2.actions if rag1.actions[ref].rag != rag2.actions[ref].rag}
    keys = milestone_keys(plan2.milestones)
    moved |= {k for k, a, b in zip(keys, rag1.milestones, rag2.milestones) if a.rag != b.rag}
    moved |= {c for c in rag2.indicators if rag1.indicators[c].rag != rag2.indicators[c].rag}
    assert set(by_ref) == moved and len(rows) == len(moved)
    glance = {row[0]: row[1] for row in section(values(packed, NAMES["summary"]), "At a glance")[1]}
    new_reds = sum(r["Change"] == NEW_RED for r in rows)
    assert glance["Changes since the pack of 31 Oct 2019"].startswith(f"{new_reds} New Red")

    exceptions = {row["Ref"]: row for row in table(packed, NAMES["exceptions"], "Ref")}
    assert exceptions["4.4"]["Persistent"] == "Red at 2 packs running"  # Red at both packs
    assert "1.7" not in exceptions
    assert exceptions["4.4"]["Corrective action"] == "Recovery plan agreed at DMT"
    assert exceptions["9.3"]["Corrective action"] == "Campaign brought forward"

    # The programme manager clears one and runs the pack again for the same date.
    history_rows = len(values(packed, NAMES["history"]))
    edit_cells(packed, (NAMES["exceptions"], "Ref", "9.3", {"Corrective action": None}))
    again = pack_workbook(packed, as_of=D("2019-11-30"))
    fixes = {row["Ref"]: row["Corrective action"] for row in table(packed, NAMES["exceptions"], "Ref")}
    assert fixes["4.4"] == "Recovery plan agreed at DMT" and fixes["9.3"] is None
    assert len(values(packed, NAMES["history"])) == history_rows  # that date's snapshot replaced
    assert again.pack.previous == D("2019-10-31")
    stored = {(row[2], row[8]) for row in values(packed, NAMES["history"])[1:] if row[8]}
    assert ("4.4", "Recovery plan agreed at DMT") in stored


def test_first_history_holds_one_snapshot(first_pack):
    path, done = first_pack
    plan = example_plan()
    rows = values(path, NAMES["history"])
    assert rows[0] == list(HISTORY_HEADERS)
    items = [r for r in rows[1:] if r[1] in ("Action", "Milestone", "Indicator")]
    assert len(items) == len(plan.actions) + len(plan.milestones) + len(plan.indicators)
    assert {as_date(r[0]) for r in rows[1:]} == {D("2019-10-31")}
    assert [r[1:3] for r in rows[1:] if r[1] == "Pack"] == [["Pack", "Item RAGs kept"]]


def test_user_sheets_are_never_touched(packed):
    wb = load_workbook(packed)
    notes = wb.create_sheet("My notes")
    notes["A1"], notes["B2"], notes["C3"] = "Board asked for a deep dive on 4.4", 42, dt.datetime(2019, 10, 1)
    wb.save(packed)
    before = user_sheet_values(packed)
    pack_workbook(packed, as_of=D("2019-11-30"))
    assert user_sheet_values(packed) == before
    names = load_workbook(packed).sheetnames
    assert [n for n in names if n in PACK_SHEETS] == [
        NAMES[k]
        for k in ("summary", "exceptions", "indicators", "trends", "milestones", "changes", "history")
    ]
    assert len(names) == len(set(names))


def test_print_setup_charts_and_hidden_history(first_pack):
    path, done = first_pack
    wb = load_workbook(path)
    assert done.sheets == pack_sheet_names(done.pack)
    for name in done.sheets:
        ws = wb[name]
        assert ws.page_setup.orientation == "landscape" and ws.page_setup.fitToWidth == 1, name
        assert ws.sheet_properties.pageSetUpPr.fitToPage, name
        assert ws.oddHeader.center.text == "OFFICIAL" and ws.oddFooter.right.text == "Page &P of &N", name
        assert "31/10/2019" in ws.oddHeader.right.text
    assert wb[NAMES["exceptions"]].print_title_rows == "$6:$6"
    assert wb[NAMES["history"]].sheet_state == "veryHidden"
    with zipfile.ZipFile(path) as z:
        charts = [n for n in z.namelist() if n.startswith("xl/charts/chart")]
    plan = example_plan()
    with_trends = sum(
        1 for i in plan.indicators if sum(d.actual is not None for d in plan.data_of(i.code)) >= 2
    )
    assert len(charts) == 2 + with_trends


def test_returns_are_summarised_when_issued(packed):
    wb = load_workbook(packed)
    ws = wb.create_sheet("Returns")
    ws.append(["Returns — as at 31/10/2019 09:00"])
    ws.append(["One row per agency"])
    ws.append(
        [
            "Agency",
            "Contact",
            "Issued",
            "Due",
            "Received",
            "Return file",
            "Changes applied",
            "Conflicts",
            "Rejected",
            "State",
        ]
    )
    ws.append(
        [
            "NHS Haringey CCG",
            "Nurse",
            dt.datetime(2019, 10, 1),
            dt.datetime(2019, 10, 25),
            dt.datetime(2019, 10, 24, 10),
            "nhs.xlsx",
            4,
            0,
            1,
            "Returned",
        ]
    )
    ws.append(
        [
            "Metropolitan Police Service",
            None,
            dt.datetime(2019, 10, 1),
            dt.datetime(2019, 10, 25),
            None,
            None,
            None,
            None,
            None,
            "Late",
        ]
    )
    ws.append(
        [
            "Haringey Local Safeguarding Children Board",
            None,
            dt.datetime(2019, 10, 1),
            dt.datetime(2019, 10, 1),
            None,
            None,
            None,
            None,
            None,
            "Missing",
        ]
    )
    wb.save(packed)
    done = pack_workbook(packed)
    assert NAMES["returns"] in done.sheets
    glance = {row[0]: row[1] for row in section(values(packed, NAMES["summary"]), "At a glance")[1]}
    assert glance["Returns from partner agencies"] == "1 returned, 1 late, 1 missing"
    rows = table(packed, NAMES["returns"], "Agency")
    assert [(r["Agency"], r["State"], r["Changes applied"]) for r in rows] == [
        ("NHS Haringey CCG", "Returned", 4),
        ("Metropolitan Police Service", "Late", None),
        ("Haringey Local Safeguarding Children Board", "Missing", None),
    ]


# ------------------------------------------------------------------ the command


def test_cli_pack(packed, capsys):
    assert main(["pack", str(packed), "--as-of", "30/11/2019"]) == 0
    out = capsys.readouterr().out
    assert "Board pack for Children's Service Ofsted Action Plan, as at 30/11/2019" in out
    assert "Actions: Red" in out and "Since the pack of 31/10/2019" in out
    assert "Next: type recovery actions" in out


def test_cli_bad_input(tmp_path, example_path, capsys):  # example_path: a tracker with no pack yet
    junk = tmp_path / "junk.xlsx"
    junk.write_text("not a workbook")
    assert main(["pack", str(junk)]) == 2
    with pytest.raises(SystemExit) as exit_:
        main(["pack", str(example_path), "--as-of", "2019-31-10"])
    assert exit_.value.code == 2
    assert main(["pack", str(example_path), "--pdf", str(tmp_path / "pack.docx")]) == 2
    err = capsys.readouterr().err
    assert "not an Excel workbook" in err
    assert "not a date like 2019-10-31" in err and "must end in .pdf" in err
    assert "Pack summary" not in load_workbook(example_path).sheetnames  # nothing written


def test_cli_pdf_without_libreoffice(example_path, tmp_path, monkeypatch, capsys):
    import addin.pdf

    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setattr(addin.pdf, "KNOWN_PLACES", ())
    before = example_path.read_bytes()
    assert main(["pack", str(example_path), "--pdf", str(tmp_path / "pack.pdf")]) == 2
    err = capsys.readouterr().err
    assert "LibreOffice is not installed" in err and "apt-get install libreoffice-calc" in err
    assert example_path.read_bytes() == before and not (tmp_path / "pack.pdf").exists()


def test_help_and_readme():
    with pytest.raises(SystemExit) as exit_:
        main(["pack", "--help"])
    assert exit_.value.code == 0
    readme = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")
    assert "### `plantrack pack`" in readme


@pytest.mark.office
def test_pdf_of_the_example(example_path, tmp_path, capsys):
    pdf = tmp_path / "out" / "board-pack.pdf"
    assert main(["pack", str(example_path), "--pdf", str(pdf)]) == 0
    assert f"({EXAMPLE_PDF_PAGES} pages)" in capsys.readouterr().out
    assert pdf.is_file() and pdf_pages(pdf) == EXAMPLE_PDF_PAGES
    text = pdf_text(pdf)
    plan = read_tracker(example_path).plan
    rules = read_tracker(example_path).rules
    pack = build_pack(plan, rules, recalculate(plan, rules), PackHistory(), None)
    for exception in pack.exceptions:
        assert exception.ref in text, exception.ref
    assert "Board pack" in text and "OFFICIAL" in text and f"Page 1 of {EXAMPLE_PDF_PAGES}" in text
    assert "What the colours mean" in text and "First pack: no earlier pack to compare with" in text
    assert "How to use this tracker" not in text  # the tracker's own sheets are not in the pack
