"""Tests for plantrack import: a council's own plan -> a new master tracker.

The source workbooks are built in ``import_fixtures`` from the seed plans' text,
laid out as each published plan lays out its tables.
"""

from __future__ import annotations

import ast
import datetime as dt
import hashlib
import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from import_fixtures import REFS_2009, REFS_2019, plan_2009, plan_2019, simple_plan, write_rows
from office import convert, pdf_text

from addin.cli import main
from addin.dates import DateReading
from addin.errors import RulesError, UnusableWorkbook
from addin.files import read_grids, read_tracker
from addin.jobs import import_cells as cells
from addin.jobs.import_map import MapOptionError, load_import_rules, loose_key, parse_map_option
from addin.jobs.import_report import REPORT_SHEET, report_sheet
from addin.jobs.importer import ImportResult, import_plan
from addin.tables import Grid

D = dt.date
AS_OF = D(2019, 10, 31)


@pytest.fixture(scope="module")
def import_rules(rules):
    return load_import_rules(rules)


def run_import(path: Path, rules, import_rules, **options) -> ImportResult:
    options.setdefault("as_of", AS_OF)
    return import_plan(read_grids(path), rules, import_rules, source=path, **options)


def by_ref(result: ImportResult) -> dict:
    return {a.ref: a for a in result.plan.actions}


def codes(result: ImportResult) -> list[str]:
    return [n.code for n in result.notes]


# ----------------------------------------------------------- the 2019 layout


@pytest.fixture(scope="module")
def imported_2019(tmp_path_factory, rules, import_rules) -> ImportResult:
    path = plan_2019(tmp_path_factory.mktemp("src") / "haringey-2019.xlsx")
    return run_import(path, rules, import_rules)


def test_2019_actions_and_refs(imported_2019: ImportResult) -> None:
    result = imported_2019
    assert [a.ref for a in result.plan.actions] == REFS_2019
    assert result.plan.milestones == []
    assert (result.sheet, result.header_row) == ("Action plan", 11)
    assert result.plan.info.title == "Haringey Children's Service Ofsted Action Plan March 2019"
    assert result.plan.info.report_date == AS_OF
    assert [c.target for c in result.columns] == ["Action", "Due date", "Progress update"]


def test_2019_duplicate_ref_is_renamed_and_reported(imported_2019: ImportResult) -> None:
    actions = by_ref(imported_2019)
    assert actions["9.3"].action.startswith("Increasing number of private fostering")
    assert actions["9.3a"].action.startswith("An increased awareness of private fostering")
    [note] = [n for n in imported_2019.notes if n.code == "ref_duplicate"]
    assert note.attention and note.ref == "9.3a" and note.value == "9.3" and note.cell == "A47"
    assert "renamed 9.3a" in note.message


@pytest.mark.parametrize(
    ("ref", "due", "status"),
    [
        ("1.1", None, "In progress"),  # "On-going and in line with ..." / "This remains on track"
        ("1.2", None, "Completed"),  # timescale "Completed."
        ("1.3", None, "Completed"),
        ("1.4", None, "In progress"),  # "At least 60% by Sept 2019. 85% by Dec 2019 ..." is not one date
        ("1.5", D(2019, 4, 30), "In progress"),  # "April 2019."
        ("1.7", D(2019, 9, 30), "In progress"),  # "Sept 2019."
        ("1.8", D(2019, 4, 30), "Completed"),  # "April 2019, 60% of audits ..." / "Target achieved ..."
        ("1.9", D(2019, 3, 31), "Completed"),  # "By March 2019." / "Completed Staff feedback ..."
        ("1.10", D(2019, 6, 30), "In progress"),  # "By June 2019." / "On target ..."
        ("4.1", None, "Completed"),  # "Ongoing." / "Completed and monitored ..."
        ("4.3", None, "In progress"),  # "On track and embedded ..."
        ("4.6", None, "Completed"),  # "Quarterly report to QPN ..." / "Completed and embedded ..."
        ("9.2", D(2019, 6, 30), "In progress"),  # "June 2019"
        ("9.3a", D(2019, 3, 31), "In progress"),
    ],
)
def test_2019_dates_and_statuses(imported_2019: ImportResult, ref: str, due: D | None, status: str) -> None:
    action = by_ref(imported_2019)[ref]
    assert (action.due_date, action.status) == (due, status)


def test_2019_words_that_are_not_dates_are_kept_in_the_progress_text(imported_2019: ImportResult) -> None:
    actions = by_ref(imported_2019)
    assert actions["1.1"].progress_update == (
        "This remains on track and is evidenced through the monthly audits\n"
        "Original Target / Timescales: On-going and in line with the child's requirements."
    )
    assert actions["1.2"].progress_update.endswith("Original Target / Timescales: Completed.")
    assert actions["4.1"].progress_update.endswith("Original Target / Timescales: Ongoing.")
    assert "At least 60% by Sept 2019" in actions["1.4"].progress_update
    assert (
        "60% of audits demonstrate good assessment" in actions["1.8"].progress_update
    )  # date read, words kept
    unreadable = [n for n in imported_2019.notes if n.code == "date_unreadable"]
    assert {n.ref for n in unreadable} == {
        "1.1",
        "1.2",
        "1.3",
        "1.4",
        "4.1",
        "4.2",
        "4.3",
        "4.5",
        "4.6",
        "9.1",
    }
    assert all(n.attention and n.cell and n.cell.startswith("B") for n in unreadable)


def test_2019_headings_become_themes_and_outcome_rows_outcomes(imported_2019: ImportResult) -> None:
    actions = by_ref(imported_2019)
    assert actions["1.1"].theme == (
        "1. Assessments of children's needs when their circumstances change, in order to inform plans"
    )
    assert actions["9.3a"].theme == "9. Pathways to private fostering"
    assert actions["1.10"].outcome.split("\n") == [
        "The assessments of children's needs are of the highest quality and are updated when there is a "
        "change in the child and family circumstance as appropriate",
        "That plans reflect the findings of assessments and that they are updated in accordance with changes "
        "to assessments",
        "Practitioners are supported to deliver the highest quality practice and that this is reflected in "
        "assessments and audits findings",
    ]
    assert actions["4.1"].outcome.startswith("That there are timely permanence decisions")
    assert actions["1.1"].extra == {}  # no Theme column: the heading is the theme, not an extra column


def test_2019_cells_cut_by_a_page_break_run_on(imported_2019: ImportResult) -> None:
    actions = by_ref(imported_2019)
    assert (
        actions["1.6"].action
        == "Staff are aware of and are trained on the use of assessment tools as appropriate."
    )
    assert actions["1.6"].progress_update == (
        "This will be further embedded through the launch of Children Social Care's Academy in November 2019"
    )
    assert actions["4.5"].progress_update.startswith(
        "Peer Review completed July 2019 summary report on schedule for October 2019"
    )
    [repeated] = [n for n in imported_2019.notes if n.code == "header_repeated"]
    assert "19, 30, 36, 43" in repeated.message


def test_2019_no_lead_columns_means_to_be_confirmed(imported_2019: ImportResult) -> None:
    plan = imported_2019.plan
    assert {a.lead_officer for a in plan.actions} == {"To be confirmed"}
    assert [(lead.name, lead.agency) for lead in plan.leads] == [("To be confirmed", "To be confirmed")]
    assert [a.agency for a in plan.agencies] == ["To be confirmed"]
    assert {"no_lead_officer_column", "no_lead_agency_column", "status_guessed"} <= set(codes(imported_2019))


# ----------------------------------------------------------- the 2009 layout


@pytest.fixture(scope="module")
def imported_2009(tmp_path_factory, rules, import_rules) -> ImportResult:
    path = plan_2009(tmp_path_factory.mktemp("src") / "haringey-2009.xlsx")
    return run_import(path, rules, import_rules)


def test_2009_actions_and_milestones(imported_2009: ImportResult) -> None:
    plan = imported_2009.plan
    assert [a.ref for a in plan.actions] == REFS_2009
    counts = {ref: len(plan.milestones_of(ref)) for ref in REFS_2009}
    assert counts == {
        "1.01": 4,
        "1.02": 5,
        "1.03": 4,
        "1.04": 3,
        "1.05": 3,
        "1.06": 10,
        "1.14": 3,
        "1.15": 8,
        "2.10": 3,
        "3.01": 3,
        "3.02": 3,
    }
    assert len(plan.milestones) == 49
    assert imported_2009.header_row == 4


def test_2009_one_milestone_per_line_with_its_own_dates(imported_2009: ImportResult) -> None:
    plan = imported_2009.plan
    m102 = plan.milestones_of("1.02")
    assert [m.milestone for m in m102][:2] == [
        "Composite action plan pulling together findings of all available SCRs developed",
        "Safeguarding children communications programme implemented",
    ]
    assert {m.start_date for m in m102} == {D(2009, 7, 1)}  # one Start date ("Jul 09") for every line
    assert [m.due_date for m in m102] == [
        D(2009, 8, 31),
        D(2009, 12, 31),
        D(2009, 10, 31),
        D(2009, 10, 31),
        D(2009, 10, 31),
    ]
    action = by_ref(imported_2009)["1.02"]
    assert (action.start_date, action.due_date) == (D(2009, 7, 1), D(2009, 12, 31))  # first start, last end
    m101 = plan.milestones_of("1.01")
    assert {(m.start_date, m.due_date) for m in m101} == {
        (D(2009, 7, 1), D(2009, 9, 30))
    }  # "Jul 09" / "Sep 09"
    m115 = plan.milestones_of("1.15")
    assert [m.due_date.month for m in m115] == [9, 9, 8, 10, 9, 8, 8, 12]


def test_2009_continuation_rows_add_milestones_with_their_own_lead(imported_2009: ImportResult) -> None:
    m106 = imported_2009.plan.milestones_of("1.06")
    assert m106[4].milestone.startswith("Clear thresholds developed")
    assert (
        m106[-1].milestone == "Improvements demonstrated through quality of care plans / conference minutes"
    )
    assert {m.lead_officer for m in m106} == {"Eleanor Brazil"}
    assert by_ref(imported_2009)["1.06"].theme == "Good Practice"  # the same theme on each row, once


def test_2009_merged_cells_and_page_breaks(imported_2009: ImportResult) -> None:
    actions = by_ref(imported_2009)
    # An Outcome written once for several actions, and cut by a page break.
    for ref in ("1.03", "1.04", "1.05"):
        assert actions[ref].outcome == "Reduced number of referrals due to improved preventative work"
    assert actions["1.02"].outcome == actions["1.01"].outcome
    assert actions["1.04"].action == "Partnership Family Support Strategy developed and published"
    assert (
        actions["1.14"].action
        == "Introduce additional short term social work professional and management capacity"
    )
    assert actions["1.14"].outcome == (
        "Capacity is available to improve service and day to day management whilst permanent posts are filled"
    )
    assert actions["2.10"].lead_officer == "Jan Doust"  # a name over two lines in one cell
    assert actions["3.01"].extra == {"Section": "Section 3: Other Headline Actions \u2013 By March 2012"}


def test_2009_dates_that_do_not_pair_up_are_reported(imported_2009: ImportResult) -> None:
    mismatched = [n for n in imported_2009.notes if n.code == "milestone_dates_mismatch"]
    assert {(n.row, n.cell) for n in mismatched} == {(7, "E7"), (7, "F7"), (8, "E8"), (8, "F8")}
    m103 = imported_2009.plan.milestones_of("1.03")
    assert [m.due_date for m in m103] == [D(2009, 9, 30), D(2009, 10, 31), None, None]
    m302 = imported_2009.plan.milestones_of("3.02")
    assert m302[1].milestone == "Review of compliance undertaken (Start: Annual; End: Annual)"
    assert (m302[1].start_date, m302[1].due_date) == (None, None)


def test_2009_leads_and_agencies(imported_2009: ImportResult) -> None:
    plan = imported_2009.plan
    assert [lead.name for lead in plan.leads] == [
        "Peter Lewis",
        "Graham Badman",
        "Jan Doust",
        "Alison Botham",
        "Eleanor Brazil",
        "Stuart Young",
    ]
    assert {lead.agency for lead in plan.leads} == {"To be confirmed"}
    assert "no_lead_agency_column" in codes(imported_2009)
    assert {a.status for a in plan.actions} == {"In progress"}  # started before the report date
    assert {m.status for m in plan.milestones} == {"In progress"}


# ---------------------------------------------------------------- dates


DATE_FORMS = [
    # text in a date cell, how it reads: (start, due), kind
    ("27.9.12", None, D(2012, 9, 27), "date"),
    ("31/10/12", None, D(2012, 10, 31), "date"),
    ("Sept 2019", None, D(2019, 9, 30), "month"),
    ("Sept 2019.", None, D(2019, 9, 30), "month"),
    ("By March 2019", None, D(2019, 3, 31), "month"),
    ("By March 2019.", None, D(2019, 3, 31), "month"),
    ("Jan 10", None, D(2010, 1, 31), "month"),
    ("Jul 09", None, D(2009, 7, 31), "month"),
    ("June 2019", None, D(2019, 6, 30), "month"),
    ("03.01.12 \u2013 31.03.12", D(2012, 1, 3), D(2012, 3, 31), "range"),
    ("03.01.12 - 31.03.12", D(2012, 1, 3), D(2012, 3, 31), "range"),
    ("Ongoing", None, None, "ongoing"),
    ("Ongoing.", None, None, "ongoing"),
    ("On-going and in line with the child's requirements.", None, None, "ongoing"),
    ("Completed.", None, None, "not_a_date"),
    ("In line with targets set in the strategy.", None, None, "not_a_date"),
    ("Terms of reference to be agreed by April 2019.", None, None, "not_a_date"),
    (43769, None, D(2019, 10, 31), "date"),  # a date typed into a cell formatted as a number
    (dt.datetime(2019, 10, 31), None, D(2019, 10, 31), "date"),
]


@pytest.mark.parametrize(("value", "start", "due", "kind"), DATE_FORMS)
def test_date_forms(value, start: D | None, due: D | None, kind: str) -> None:
    reading = cells.read_date(value)
    assert (reading.start, reading.end, reading.kind) == (start, due, kind)


@pytest.mark.parametrize(
    ("value", "dues"),
    [
        ("Jul 09\nSep 09", [D(2009, 7, 31), D(2009, 9, 30)]),  # one date per line
        (
            "Aug 09 Dec 09 Oct 09",
            [D(2009, 8, 31), D(2009, 12, 31), D(2009, 10, 31)],
        ),  # as a Word paste flattens
        ("Sep 09\nAnnual\nJul 10", [D(2009, 9, 30), None, D(2010, 7, 31)]),
        ("Sep 09 Annual Jul 10", [D(2009, 9, 30), None, D(2010, 7, 31)]),
        ("Jul 09 - Sep 09", [D(2009, 9, 30)]),  # a range is one reading
        ("Dec 2018 completed and quarterly from April 2019.", [D(2018, 12, 31)]),
        ("", []),
    ],
)
def test_date_lines(value: str, dues: list) -> None:
    assert [r.end for r in cells.date_lines(value)] == dues


@pytest.mark.parametrize(
    ("reading", "first"),
    [
        (DateReading(None, D(2009, 7, 31), "Jul 09", "month"), D(2009, 7, 1)),
        (DateReading(None, D(2020, 3, 31), "2019/20", "year"), D(2019, 4, 1)),
        (DateReading(None, D(2021, 12, 31), "2021", "year"), D(2021, 1, 1)),
        (DateReading(D(2012, 1, 3), D(2012, 3, 31), "03.01.12 - 31.03.12", "range"), D(2012, 1, 3)),
        (DateReading(None, D(2012, 9, 27), "27.9.12", "date"), D(2012, 9, 27)),
        (DateReading(None, None, "Ongoing", "ongoing"), None),
    ],
)
def test_a_start_date_is_the_first_day(reading: DateReading, first: D | None) -> None:
    assert cells.first_day(reading) == first


def test_every_date_form_through_a_whole_import(tmp_path: Path, rules, import_rules) -> None:
    rows = [
        [str(i), f"Action {i}", "Lead", "Council", text, None, None]
        for i, (text, *_rest) in enumerate(DATE_FORMS, start=1)
    ]
    path = simple_plan(
        tmp_path / "dates.xlsx",
        header=["Ref", "Action", "Lead", "Agency", "Deadline", "Status", "Progress"],
        rows=rows,
    )
    actions = run_import(path, rules, import_rules).plan.actions
    for action, (text, start, due, kind) in zip(actions, DATE_FORMS):
        assert (action.start_date, action.due_date) == (start, due), text
        if kind in ("ongoing", "not_a_date"):
            assert action.progress_update == f"Deadline: {text}"


# ------------------------------------------------------------- other cells


@pytest.mark.parametrize(
    ("text", "status"),
    [
        ("Completed: report to the board in May", "Completed"),
        ("Completed.", "Completed"),
        ("completed and monitored through CIC reviews", "Completed"),
        ("On track", "In progress"),
        ("On track - first audit done", "In progress"),
        ("Underway; recruitment started", "In progress"),
        ("Held: awaiting funding", "On hold"),
        ("Held.", "On hold"),
        ("Held a workshop with partners", None),  # "Held" alone must stand alone
        ("Target achieved and monitored as part of BAU processes.", "Completed"),
        ("Absorbed as part of BAU and governance from AD Safeguarding.", "Embedded"),
        ("Completely redesigned the offer", None),
        ("Review evidenced the need for a protocol", None),
        (None, None),
    ],
)
def test_status_from_progress_text(import_rules, text: str | None, status: str | None) -> None:
    found = import_rules.status_of(text)
    assert (found[0] if found else None) == status


@pytest.mark.parametrize(
    ("text", "items"),
    [
        (
            "(1) Recruit two auditors (2) Run a thematic audit (3) Report to the board",
            ["Recruit two auditors", "Run a thematic audit", "Report to the board"],
        ),
        (
            "Improve audits: 1) train staff; 2) monitor quality",
            ["Improve audits: train staff", "Improve audits: monitor quality"],
        ),
        ("Audit findings indicate that a) Timeliness improved b) Quality improved", None),
        ("Only (1) one item", None),
        ("(2) out of order (1) items", None),
    ],
)
def test_numbered_items(text: str, items: list[str] | None) -> None:
    assert cells.numbered_items(text) == items


def test_numbered_actions_in_one_cell_become_actions_with_refs(tmp_path: Path, rules, import_rules) -> None:
    header = ["Recommendation", "Actions", "Lead", "Agency", "Deadline", "Progress"]
    rows = [
        [
            "S3 Strengthen the quality of audits",
            "(1) Recruit two auditors (2) Run a thematic audit",
            "HoS QA",
            "Council",
            "31/10/12",
            "(1) Completed: both in post (2) On track",
        ],
        [
            "OR 6 Improve return home interviews",
            "(1) Recommission the service (2) Report take-up monthly",
            "HoS MASH",
            "Council",
            "Jan 13",
            "Underway",
        ],
    ]
    result = run_import(
        simple_plan(tmp_path / "numbered.xlsx", header=header, rows=rows), rules, import_rules
    )
    actions = by_ref(result)
    assert list(actions) == ["S3.1", "S3.2", "OR 6.1", "OR 6.2"]
    assert actions["S3.1"].action == "Recruit two auditors"
    assert (actions["S3.1"].status, actions["S3.1"].progress_update) == (
        "Completed",
        "Completed: both in post",
    )
    assert (actions["S3.2"].status, actions["S3.2"].progress_update) == ("In progress", "On track")
    assert actions["OR 6.2"].progress_update == "Underway"  # not numbered: each item keeps the whole text
    assert {a.due_date for a in result.plan.actions[:2]} == {D(2012, 10, 31)}
    assert codes(result).count("split_numbered") == 2


def test_refs_made_up_when_the_plan_has_none(tmp_path: Path, rules, import_rules) -> None:
    rows = [
        ["Audit supervision", "Sept 2019"],
        ["Relaunch the policy", "Dec 2019"],
        ["report to the board", None],
    ]  # carries on the row above
    result = run_import(
        simple_plan(tmp_path / "norefs.xlsx", header=["Actions", "Timescale"], rows=rows), rules, import_rules
    )
    assert [(a.ref, a.action) for a in result.plan.actions] == [
        ("1", "Audit supervision"),
        ("2", "Relaunch the policy report to the board"),
    ]
    assert "ref_made_up" in codes(result)


def test_a_ref_typed_as_a_number_after_x9_is_x10(tmp_path: Path, rules, import_rules) -> None:
    rows = [[1.8, "Eighth", "Sept 2019"], [1.9, "Ninth", "Sept 2019"], [1.1, "Tenth", "Sept 2019"]]
    result = run_import(
        simple_plan(tmp_path / "numbers.xlsx", header=["Ref", "Action", "Due"], rows=rows),
        rules,
        import_rules,
    )
    assert [a.ref for a in result.plan.actions] == ["1.8", "1.9", "1.10"]


def test_leading_refs() -> None:
    assert cells.leading_ref("1.4 85% of assessments meet required case standards") == (
        "1.4",
        "85% of assessments meet required case standards",
    )
    assert cells.leading_ref("S1.3: Launch the academy") == ("S1.3", "Launch the academy")
    assert cells.leading_ref("85% of assessments") is None
    assert cells.leading_ref("2019 review") is None
    assert cells.recommendation_id("OR 6 Improve return home interviews") == "OR 6"
    assert cells.recommendation_id("Recommendation 3: thresholds") == "3"
    assert cells.recommendation_id("Strengthen audits") is None


# ----------------------------------------------------- header, --map, extras


def test_header_on_row_4_under_a_title(tmp_path: Path, rules, import_rules) -> None:
    result = run_import(simple_plan(tmp_path / "tracker.xlsx"), rules, import_rules)
    assert result.header_row == 4
    assert result.plan.info.title == "Anytown Children's Services Improvement Plan"
    assert result.plan.info.protective_marking == "OFFICIAL-SENSITIVE"
    actions = by_ref(result)
    assert list(actions) == ["1", "2", "3", "4"]
    assert (
        actions["2"].recommendation == "S1 Strengthen management oversight of front-line practice"
    )  # filled down
    assert actions["2"].lead_agency == "Council"
    assert (actions["1"].due_date, actions["2"].due_date, actions["3"].due_date) == (
        D(2012, 10, 31),
        D(2012, 9, 27),
        D(2012, 12, 31),
    )
    assert (actions["4"].start_date, actions["4"].due_date) == (D(2012, 1, 3), D(2012, 3, 31))
    assert [a.status for a in actions.values()] == ["In progress", "Completed", "Not started", "On hold"]
    assert actions["4"].progress_update == "Status: Held: awaiting terms of reference"  # nothing lost
    assert [a.agency for a in result.plan.agencies] == ["Council", "Metropolitan Police"]
    assert [(lead.name, lead.agency) for lead in result.plan.leads] == [
        ("Head of Service", "Council"),
        ("AD Safeguarding", "Council"),
        ("DI Public Protection", "Metropolitan Police"),
    ]
    assert "agency_unknown" not in codes(result)


def test_loose_header_matching() -> None:
    assert loose_key("Original Target / Timescales") == loose_key("original targets/timescale")
    assert loose_key("Lead Officer/\nExecutive Head") == loose_key("Lead Officer/ Executive Head")
    assert loose_key("Progress %") != loose_key("Progress")


def test_map_overrides(tmp_path: Path, rules, import_rules) -> None:
    header = ["No.", "Key deliverable", "Owner", "Deadline", "Commentary", "Notes"]
    rows = [["1", "Audit supervision", "HoS QA", "Sept 2019", "On track", "Board asked for it"]]
    path = simple_plan(tmp_path / "own.xlsx", header=header, rows=rows)
    with pytest.raises(UnusableWorkbook, match="no action table found"):
        run_import(path, rules, import_rules)
    overrides = [
        parse_map_option("Key deliverable=Action", rules),
        parse_map_option("notes=evidence", rules),
        parse_map_option("Commentary=Impact evidence", rules),
    ]
    result = run_import(path, rules, import_rules, overrides=overrides)
    [action] = result.plan.actions
    assert (action.ref, action.action, action.evidence, action.impact_evidence) == (
        "1",
        "Audit supervision",
        "Board asked for it",
        "On track",
    )
    assert action.progress_update is None  # "Commentary" went where --map said, not to Progress update
    assert [(c.header, c.target, c.how) for c in result.columns][1] == ("Key deliverable", "Action", "--map")


@pytest.mark.parametrize(
    ("option", "message"),
    [
        ("Key deliverable", "write it as"),
        ("Key deliverable=Deliverable", "not a tracker column"),
        ("=Action", "write it as"),
    ],
)
def test_bad_map_options(rules, option: str, message: str) -> None:
    with pytest.raises(MapOptionError, match=message):
        parse_map_option(option, rules)


def test_map_naming_a_header_the_table_lacks(tmp_path: Path, rules, import_rules) -> None:
    path = simple_plan(tmp_path / "tracker.xlsx")
    with pytest.raises(MapOptionError, match="no column headed 'Key deliverable'"):
        run_import(path, rules, import_rules, overrides=[("Key deliverable", "Action")])


def test_unmapped_columns_are_kept(tmp_path: Path, rules, import_rules) -> None:
    path = simple_plan(
        tmp_path / "tracker.xlsx",
        extra_headers=["Notes", "Budget"],
        rows=[
            [
                "1",
                "S1 Oversight",
                "Audit supervision",
                "HoS",
                "Council",
                "31/10/12",
                "On track",
                "Fine",
                "Notes A",
                12000,
            ],
            ["2", None, "Relaunch policy", "HoS", None, "27.9.12", None, None, None, None],
        ],
    )
    out = tmp_path / "master.xlsx"
    assert main(["import", str(path), "--out", str(out), "--as-of", "31/10/2012"]) == 1
    actions = {a.ref: a for a in read_tracker(out).plan.actions}
    assert actions["1"].extra == {"Notes": "Notes A", "Budget": 12000}
    assert actions["2"].extra == {}
    kept = [
        c for c in import_plan(read_grids(path), rules, import_rules, as_of=AS_OF).columns if c.target is None
    ]
    assert [(c.letter, c.kept_as) for c in kept] == [("I", "Notes"), ("J", "Budget")]


def test_a_second_column_for_the_same_target_is_kept(tmp_path: Path, rules, import_rules) -> None:
    path = simple_plan(
        tmp_path / "two.xlsx",
        header=["Ref", "Action", "Progress", "Progress", "Due"],
        rows=[["1", "Audit", "Q1: started", "Q2: on track", "Sept 2019"]],
    )
    result = run_import(path, rules, import_rules)
    [action] = result.plan.actions
    assert action.progress_update == "Q1: started"
    assert action.extra == {"Progress (column D)": "Q2: on track"}


def test_the_sheet_that_looks_most_like_an_action_table_is_chosen(
    tmp_path: Path, rules, import_rules
) -> None:
    notes = [["Read me"], ["This workbook holds the plan."], ["Action", "Due"], ["x", "Sept 2019"]]
    path = write_rows(
        tmp_path / "book.xlsx",
        notes,
        sheet="Read me",
        more_sheets={"Plan 2019": [["Ref", "Action", "Lead", "Due"], ["1", "Audit", "HoS", "Sept 2019"]]},
    )
    result = run_import(path, rules, import_rules)
    assert result.sheet == "Plan 2019" and "sheet_chosen" in codes(result)
    assert run_import(path, rules, import_rules, sheet="read me").sheet == "Read me"
    with pytest.raises(UnusableWorkbook, match="no sheet called 'Summary'"):
        run_import(path, rules, import_rules, sheet="Summary")


# ----------------------------------------------------------- import rules


def test_import_rules_load_and_cover_the_issue_synonyms(import_rules, rules) -> None:
    targets = import_rules.targets(rules)
    expected = {
        "By When": "Due date",
        "Timescale": "Due date",
        "Original Target / Timescales": "Due date",
        "Deadline": "Due date",
        "End": "Due date",
        "Start": "Start date",
        "Lead Officer/ Executive Head": "Lead officer",
        "Action Lead": "Lead officer",
        "Accountable Lead": "Lead officer",
        "Progress Update": "Progress update",
        "Progress": "Progress update",
        "Recommendations": "Recommendation",
        "Areas for improvement": "Recommendation",
        "Outcomes required": "Outcome",
        "Outcome": "Outcome",
        "Ref": "Ref",
        "No.": "Ref",
        "Impact of actions": "Action",
        "Action": "Action",
        "Actions": "Action",
        "Milestones": "Milestones",
        "Theme": "Theme",
    }
    assert {header: targets[loose_key(header)] for header in expected} == expected


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        ('[columns]\n"Due date" = ["Deadline"]\n"Start date" = ["deadlines"]\n', "listed under both"),
        ('[columns]\n"When" = ["By when"]\n', "'When' is not a column of the Actions sheet"),
        ('fill_down = ["Theme"]\n[columns]\n"Ref" = ["No."]\n', "fill_down names columns not listed"),
        (
            '[columns]\n"Ref" = ["No."]\n[[status_words]]\nstatus = "Finished"\nphrases = ["Done"]\n',
            "'Finished' is not a status",
        ),
        ('[columns]\n"Ref" = ["No."]\n[rag_words]\nPurple = ["P"]\n', "'Purple' is not a RAG value"),
        ("[columns\n", "not valid TOML"),
    ],
)
def test_broken_import_rules_name_the_entry(tmp_path: Path, rules, toml: str, message: str) -> None:
    path = tmp_path / "import.toml"
    path.write_text(toml, encoding="utf-8")
    with pytest.raises(RulesError, match=message) as caught:
        load_import_rules(rules, path)
    assert "import.toml" in str(caught.value)


# ------------------------------------------------------------ the command


def test_cli_writes_a_master_that_reads_back(tmp_path: Path, capsys) -> None:
    source = plan_2009(tmp_path / "haringey-2009.xlsx")
    digest = hashlib.sha256(source.read_bytes()).hexdigest()
    out = tmp_path / "master.xlsx"
    code = main(["import", str(source), "--out", str(out), "--as-of", "30/09/2009"])
    printed = capsys.readouterr().out
    assert code == 1  # imported, with things to check
    assert "11 actions, 49 milestones, 6 leads and 1 agency from 15 rows" in printed
    assert "D 'Milestones' \u2192 Milestones" in printed
    assert "4 milestones but 2 start dates" in printed
    assert hashlib.sha256(source.read_bytes()).hexdigest() == digest  # the source is never written
    tracker = read_tracker(out)
    plan = tracker.plan
    assert [a.ref for a in plan.actions] == REFS_2009
    assert len(plan.milestones) == 49
    assert plan.info.report_date == D(2009, 9, 30)
    assert plan.info.title == "Safeguarding Plan for Haringey"
    assert plan.info.extra["Imported from"].startswith("haringey-2009.xlsx, sheet 'Safeguarding Plan'")
    assert by_ref_plan(plan)["1.02"].due_date == D(2009, 12, 31)
    assert REPORT_SHEET in tracker.sheet_names


def by_ref_plan(plan) -> dict:
    return {a.ref: a for a in plan.actions}


def test_cli_json_is_the_library_result(tmp_path: Path, capsys, rules, import_rules) -> None:
    source = simple_plan(tmp_path / "tracker.xlsx")
    out = tmp_path / "master.xlsx"
    assert main(["import", str(source), "--out", str(out), "--as-of", "31/10/2012", "--json"]) == 1
    printed = json.loads(capsys.readouterr().out)
    expected = run_import(source, rules, import_rules, as_of=D(2012, 10, 31)).to_dict()
    assert printed == json.loads(json.dumps(expected))
    assert printed["actions"] == 4 and printed["needs_attention"] is True


def test_cli_exit_0_when_nothing_needs_checking(tmp_path: Path, capsys) -> None:
    header = ["Ref", "Theme", "Action", "Lead officer", "Lead agency", "Due date", "Status"]
    rows = [["1.1", "Audits", "Audit supervision", "HoS QA", "Council", "30/09/2019", "In progress"]]
    source = simple_plan(tmp_path / "clean.xlsx", header=header, rows=rows, title_rows=1)
    assert main(["import", str(source), "--out", str(tmp_path / "m.xlsx"), "--as-of", "31/10/2019"]) == 0
    assert "Nothing to check" in capsys.readouterr().out


def test_cli_refuses_to_overwrite_without_force(tmp_path: Path, capsys) -> None:
    source = simple_plan(tmp_path / "tracker.xlsx")
    out = tmp_path / "master.xlsx"
    out.write_bytes(b"keep me")
    assert main(["import", str(source), "--out", str(out)]) == 2
    assert "already exists" in capsys.readouterr().err
    assert out.read_bytes() == b"keep me"
    assert main(["import", str(source), "--out", str(out), "--force"]) == 1
    assert read_tracker(out).plan.actions
    assert [p.read_bytes() for p in (tmp_path / "plantrack-backups").iterdir()] == [b"keep me"]


def test_cli_never_writes_into_the_source(tmp_path: Path, capsys) -> None:
    source = simple_plan(tmp_path / "tracker.xlsx")
    before = source.read_bytes()
    assert main(["import", str(source), "--out", str(source), "--force"]) == 2
    assert "import never writes into it" in capsys.readouterr().err
    assert source.read_bytes() == before


@pytest.mark.parametrize(
    ("make", "args", "message"),
    [
        (lambda p: p.write_text("Ref,Action\n1,Audit\n"), [], "not an Excel workbook"),
        (lambda p: write_rows(p, [["Budget", "Spend"], [1, 2]]), [], "no action table found"),
        (lambda p: simple_plan(p), ["--sheet", "Summary"], "no sheet called 'Summary'"),
        (lambda p: simple_plan(p), ["--map", "Actions=Nonsense"], "not a tracker column"),
        (lambda p: simple_plan(p), ["--as-of", "next week"], "is not a date"),
    ],
)
def test_cli_unusable_input_is_exit_2_with_one_line(tmp_path: Path, capsys, make, args, message) -> None:
    source = tmp_path / "source.xlsx"
    make(source)
    out = tmp_path / "master.xlsx"
    assert main(["import", str(source), "--out", str(out), *args]) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and "\n" not in err
    assert not out.exists()


def test_help_and_readme(capsys) -> None:
    with pytest.raises(SystemExit):
        main(["import", "--help"])
    help_text = capsys.readouterr().out
    for option in ("--out", "--sheet", "--map", "--as-of", "--force"):
        assert option in help_text
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    assert "### `plantrack import`" in readme


# ---------------------------------------------------------- the new master


def test_report_sheet_lists_columns_then_checks(imported_2019: ImportResult) -> None:
    sheet = report_sheet(imported_2019)
    assert sheet.name == "Import report" and sheet.header_row == 5
    body = sheet.rows[5:]
    assert [r[0] for r in body[:3]] == ["Column"] * 3
    kinds = [r[0] for r in body[3:]]
    assert kinds == sorted(kinds)  # every Check before every Note
    assert kinds.count("Check") == len(imported_2019.attention)
    assert ["Check", "A47", "Impact of actions", "9.3"] == body[
        3 + [n.code for n in imported_2019.attention].index("ref_duplicate")
    ][:4]


def test_imported_master_validates_with_only_real_errors(tmp_path: Path, rules) -> None:
    validate = pytest.importorskip("addin.jobs.validate")
    out = tmp_path / "master.xlsx"
    main(["import", str(plan_2019(tmp_path / "src.xlsx")), "--out", str(out), "--as-of", "31/10/2019"])
    tracker = read_tracker(out)
    errors = [f for f in validate.validate(tracker) if f.severity == "error"]
    # Real gaps the source has, each listed in the import report: a due date that was "Ongoing" or
    # "Completed." in the source, and actions "Completed" with no completion date or evidence.
    assert {f.code for f in errors} <= {"required-empty", "done-without-date", "done-without-evidence"}
    assert {f.column for f in errors if f.code == "required-empty"} == {"Due date"}
    refs_without_due = {a.ref for a in tracker.plan.actions if a.due_date is None}
    assert refs_without_due == {"1.1", "1.2", "1.3", "1.4", "4.1", "4.2", "4.3", "4.5", "4.6", "9.1"}
    assert not [f for f in validate.validate(tracker) if "9.3" in f.message]  # the duplicate was renamed


def test_core_imports_neither_openpyxl_nor_xlwings() -> None:
    folder = Path(cells.__file__).parent
    for module in (
        "importer",
        "import_map",
        "import_cells",
        "import_rows",
        "import_actions",
        "import_report",
    ):
        tree = ast.parse((folder / f"{module}.py").read_text(encoding="utf-8"))
        imported = {
            (node.module or "") if isinstance(node, ast.ImportFrom) else alias.name
            for node in ast.walk(tree)
            if isinstance(node, (ast.Import, ast.ImportFrom))
            for alias in node.names
        }
        assert not {name for name in imported if name.split(".")[0] in ("openpyxl", "xlwings")}, module


@pytest.mark.office
def test_imported_master_converts_to_pdf(tmp_path: Path) -> None:
    out = tmp_path / "imported.xlsx"
    main(
        [
            "import",
            str(plan_2009(tmp_path / "haringey-2009.xlsx")),
            "--out",
            str(out),
            "--as-of",
            "30/09/2009",
        ]
    )
    text = pdf_text(convert(out, "pdf"))
    for words in (
        "Import report",
        "Safeguarding Plan for Haringey",
        "Create a culture of shared",
        "Jan Doust",
        "Milestones",
    ):
        assert words in text


def test_report_date_is_today_without_as_of(tmp_path: Path) -> None:
    out = tmp_path / "master.xlsx"
    main(["import", str(simple_plan(tmp_path / "tracker.xlsx")), "--out", str(out)])
    assert read_tracker(out).plan.info.report_date == dt.date.today()


def test_demo_step_imports_a_plan_made_from_the_example(tmp_path: Path, capsys) -> None:
    from addin.cli.import_ import demo_step

    result = demo_step(tmp_path, 7)
    printed = capsys.readouterr().out
    assert printed.startswith("7. Imported an existing plan")
    refs = [a.ref for a in result.plan.actions]
    assert refs[:3] == ["1.1", "1.2", "1.3"] and refs[-1] == "3.3" and len(refs) == 19
    assert by_ref(result)["1.2"].status == "Completed"
    assert result.plan.actions[0].theme.startswith("1. Assessments of children's needs")
    assert {a.lead_agency for a in result.plan.actions} == {"Haringey Council Children's Services"}
    assert (tmp_path / "imported-tracker.xlsx").exists()
    from addin.demo import STEPS, step_import

    assert STEPS[-1] is step_import  # after new, validate, rag, issue, merge and pack


def test_status_rag_and_percent_columns(tmp_path: Path, rules, import_rules) -> None:
    header = ["Ref", "Action", "Due", "Status", "RAG", "% Complete", "Progress"]
    rows = [
        ["1", "Audit", "Sept 2019", "Complete", "B", 1.0, "Done in May"],
        ["2", "Train", "Sept 2019", "Partly there", "G", "50%", None],
        ["3", "Recruit", "Sept 2019", "In progress", "Purple", "about half", "Two posts filled"],
    ]
    result = run_import(simple_plan(tmp_path / "s.xlsx", header=header, rows=rows), rules, import_rules)
    one, two, three = result.plan.actions
    assert (one.status, one.rag, one.percent_complete) == ("Completed", "Blue", 100)
    assert (two.status, two.rag, two.percent_complete) == ("In progress", "Green", 50)
    assert two.progress_update == "Status: Partly there"  # not a status: kept, and a status from the dates
    assert (three.status, three.rag, three.percent_complete) == ("In progress", None, None)
    assert three.progress_update == "Two posts filled\n% Complete: about half\nRAG: Purple"
    assert {n.code for n in result.attention} >= {"status_unreadable", "rag_unreadable", "percent_unreadable"}


def test_a_header_with_no_actions_under_it_is_unusable(tmp_path: Path, rules, import_rules) -> None:
    path = write_rows(tmp_path / "empty.xlsx", [["Plan"], ["Ref", "Action", "Due date"], [], []])
    with pytest.raises(UnusableWorkbook, match="has no actions under its header"):
        run_import(path, rules, import_rules)


_CELLS = st.one_of(
    st.none(),
    st.sampled_from(
        [
            "1.1",
            "1.1 Audit all cases",
            "9.3",
            "S1",
            "(1) Train (2) Audit",
            "Ongoing",
            "Completed.",
            "Sept 2019",
            "Jul 09\nSep 09",
            "03.01.12 \u2013 31.03.12",
            "Held: waiting",
            "On track",
            "- bullet\n- another",
            "Outcome",
            "1. A heading",
            "Ref",
            "Action",
            "lower case run-on",
            "=SUM(A1)",
            "[draft]",
            "",
        ]
    ),
    st.integers(min_value=-5, max_value=50000),
    st.floats(min_value=0, max_value=2, allow_nan=False),
    st.datetimes(min_value=dt.datetime(2000, 1, 1), max_value=dt.datetime(2030, 1, 1)),
    st.text(max_size=30),
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(st.lists(_CELLS, min_size=6, max_size=6), max_size=12))
def test_any_table_imports_or_is_refused_plainly(rules, import_rules, rows) -> None:
    header = ["Ref", "Action", "Milestones", "Start", "End", "Progress"]
    grid = Grid("Plan", [["A title"], header, *rows])
    try:
        result = import_plan({"Plan": grid}, rules, import_rules, as_of=AS_OF)
    except UnusableWorkbook:
        return
    refs = [a.ref for a in result.plan.actions]
    assert len(refs) == len(set(refs)) and all(refs)
    assert {m.action_ref for m in result.plan.milestones} <= set(refs)
    assert all(a.status in rules.statuses.values for a in result.plan.actions)
    report_sheet(result)  # the report can always be written
