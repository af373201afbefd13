"""Recalculate RAG: each rule at its boundaries, indicators, the example hand-checked,
and the command on real .xlsx files (values, fills, untouched user cells, LibreOffice)."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook

from addin.cli import main
from addin.errors import UnusableWorkbook
from addin.example import example_plan
from addin.files import apply_changes, read_tracker
from addin.jobs.rag import (
    AMBER,
    BLUE,
    CLOSER,
    GREEN,
    HIGHER,
    IMPROVING,
    LOWER,
    NO_CHANGE,
    RED,
    WORSENING,
    RagResult,
    direction_of,
    polarity_of,
    rag_changes,
    recalculate,
)
from addin.model import Action, Indicator, IndicatorValue, Milestone, Plan, PlanInfo
from addin.rules import load_rules
from addin.templates import load_template
from tests.office import convert, pdf_text

AS_OF = dt.date(2019, 10, 31)


def d(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


def action(ref: str = "1.1", **fields) -> Action:
    fields.setdefault("status", "In progress")
    fields.setdefault("due_date", d("2020-03-31"))
    return Action(ref=ref, theme="T", action="Do it", lead_officer="L", lead_agency="A", **fields)


def rate(rules, *actions: Action, milestones=(), as_of=AS_OF) -> RagResult:
    plan = Plan(
        info=PlanInfo(title="t", report_date=AS_OF), actions=list(actions), milestones=list(milestones)
    )
    return recalculate(plan, rules, as_of)


def one(rules, as_of=AS_OF, milestones=(), **fields):
    return rate(rules, action(**fields), milestones=milestones, as_of=as_of).actions["1.1"]


# ------------------------------------------------------------- actions: dates


def test_due_today_is_not_overdue(rules):
    r = one(rules, due_date=AS_OF, start_date=d("2019-01-01"), percent_complete=100)
    assert r.rag == GREEN
    assert r.reason.startswith("Due 31 Oct 2019, today")


def test_due_yesterday_is_red_with_the_date_and_days_overdue(rules):
    r = one(rules, due_date=d("2019-10-30"), percent_complete=100)
    assert r.rag == RED
    assert r.reason == "Due 30 Oct 2019, 1 day overdue"


def test_the_reason_counts_the_days_overdue(rules):
    r = one(rules, due_date=d("2012-10-31"), as_of=d("2012-11-23"))
    assert r.reason == "Due 31 Oct 2012, 23 days overdue"


def test_past_the_revised_due_date_is_red_and_names_both_dates(rules):
    r = one(rules, due_date=d("2019-06-30"), revised_due_date=d("2019-10-01"))
    assert r.rag == RED
    assert r.reason == "Revised due date 1 Oct 2019, 30 days overdue (first due 30 Jun 2019)"


def test_a_revised_due_date_later_than_the_original_is_amber(rules):
    r = one(rules, due_date=d("2019-06-30"), revised_due_date=d("2020-03-31"))
    assert r.rag == AMBER
    assert "Due date moved from 30 Jun 2019 to 31 Mar 2020" in r.reason


def test_a_revised_due_date_brought_forward_is_not_a_slip(rules):
    r = one(rules, due_date=d("2020-06-30"), revised_due_date=d("2020-03-31"))
    assert r.rag == GREEN
    assert "31 Mar 2020" in r.reason


def test_on_hold_is_amber(rules):
    r = one(rules, status="On hold")
    assert r.rag == AMBER
    assert r.reason.startswith("On hold")


@pytest.mark.parametrize("days_left, expected", [(27, AMBER), (28, AMBER), (29, GREEN)])
def test_behind_is_amber_only_inside_the_amber_window(rules, days_left, expected):
    # Started 100 days before the as-at date: whatever the due date, well over 10% of the time has gone.
    due = AS_OF + dt.timedelta(days=days_left)
    r = one(rules, start_date=AS_OF - dt.timedelta(days=100), due_date=due, percent_complete=10)
    assert r.rag == expected, r.reason
    if expected == AMBER:
        assert f"due in {days_left} days" in r.reason and "10% complete" in r.reason


def test_progress_level_with_the_time_gone_is_green(rules):
    # 50% of the time from 11 Oct to 20 Nov has gone on 31 Oct (20 of 40 days).
    on_track = one(rules, start_date=d("2019-10-11"), due_date=d("2019-11-20"), percent_complete=50)
    behind = one(rules, start_date=d("2019-10-11"), due_date=d("2019-11-20"), percent_complete=49)
    assert on_track.rag == GREEN and "50% complete with 50% of the time gone" in on_track.reason
    assert behind.rag == AMBER and "49% complete with 50% of the time gone" in behind.reason


def test_not_started_inside_the_window_counts_as_no_progress(rules):
    r = one(rules, status="Not started", start_date=d("2019-10-01"), due_date=d("2019-11-15"))
    assert r.rag == AMBER
    assert "0% complete" in r.reason


def test_inside_the_window_without_a_percentage_says_it_could_not_check(rules):
    r = one(rules, start_date=d("2019-10-01"), due_date=d("2019-11-15"))
    assert r.rag == GREEN
    assert "no % complete" in r.reason


def test_the_amber_window_comes_from_the_rule_set_and_a_plan_can_change_it(tmp_path: Path):
    override = tmp_path / "plantrack.toml"
    override.write_text("[thresholds]\namber_window_days = 10\n", encoding="utf-8")
    narrow = load_rules(override)
    fields = dict(start_date=d("2019-09-01"), due_date=d("2019-11-20"), percent_complete=10)  # 20 days left
    assert one(load_rules(), **fields).rag == AMBER
    assert one(narrow, **fields).rag == GREEN


@pytest.mark.parametrize("status", ["Completed", "Embedded", "completed "])
def test_done_is_blue(rules, status):
    r = one(rules, status=status, due_date=d("2019-01-31"), completed_date=d("2019-01-15"))
    assert r.rag == BLUE
    assert "15 Jan 2019" in r.reason


def test_completed_late_is_still_blue_and_says_how_late(rules):
    r = one(rules, status="Completed", due_date=d("2019-01-31"), completed_date=d("2019-02-10"))
    assert r.rag == BLUE
    assert r.reason == "Completed 10 Feb 2019, 10 days after its due date"


def test_cancelled_has_no_rag(rules):
    r = one(rules, status="Cancelled", due_date=d("2019-01-31"))
    assert r.rag is None and r.calculated is None
    assert "Cancelled" in r.reason


def test_no_due_date_is_amber_and_says_why(rules):
    r = one(rules, due_date=None)
    assert r.rag == AMBER
    assert "No due date" in r.reason


@pytest.mark.parametrize("status, words", [(None, "No status given"), ("Done?", "Status 'Done?' is not one")])
def test_an_unknown_status_is_never_silently_green(rules, status, words):
    r = one(rules, status=status)
    assert r.rag == AMBER
    assert words in r.reason
    late = one(rules, status=status, due_date=d("2019-01-31"))
    assert late.rag == RED and words.lower()[:10] in late.reason.lower()


# ------------------------------------------------------------------ milestones


def ms(
    due: str, status: str = "In progress", ref: str = "1.1", text: str = "Policy agreed", **kw
) -> Milestone:
    return Milestone(action_ref=ref, milestone=text, due_date=d(due), status=status, **kw)


def test_a_late_milestone_makes_its_action_red_and_the_reason_names_it(rules):
    r = one(rules, milestones=[ms("2019-10-15", text="Local profile agreed"), ms("2019-12-31")])
    assert r.rag == RED
    assert r.reason.startswith("Milestone 'Local profile agreed': due 15 Oct 2019, 16 days overdue")


def test_an_action_is_never_better_than_its_worst_open_milestone(rules):
    # The action is due next year; its milestone is on hold.
    r = one(rules, milestones=[ms("2020-01-31", status="On hold", text="Panel set up")])
    assert r.rag == AMBER
    assert "Panel set up" in r.reason


def test_an_amber_action_with_a_late_milestone_gives_both_reasons(rules):
    r = one(rules, due_date=d("2019-06-30"), revised_due_date=d("2020-03-31"), milestones=[ms("2019-10-01")])
    assert r.rag == RED
    assert "30 days overdue; also due date moved" in r.reason


@pytest.mark.parametrize("status", ["Completed", "Cancelled"])
def test_finished_or_cancelled_milestones_do_not_hold_an_action_back(rules, status):
    r = one(rules, milestones=[ms("2019-06-30", status=status, completed_date=d("2019-07-10"))])
    assert r.rag == GREEN


def test_a_completed_action_stays_blue_with_an_open_milestone_and_says_so(rules):
    r = one(rules, status="Completed", completed_date=d("2019-09-30"), milestones=[ms("2019-10-01")])
    assert r.rag == BLUE
    assert "1 milestone still open" in r.reason


def test_milestones_are_rated_in_plan_order(rules):
    result = rate(
        rules, action(), milestones=[ms("2019-10-30"), ms("2019-12-31"), ms("2019-01-01", "Completed")]
    )
    assert [m.rag for m in result.milestones] == [RED, GREEN, BLUE]


# ------------------------------------------------------------------- overrides


def test_an_override_with_a_reason_wins_and_is_shown_as_an_override(rules):
    r = one(rules, rag_override="Amber", override_reason="Placements are short")
    assert (r.rag, r.calculated, r.override) == (AMBER, GREEN, True)
    assert (
        r.reason == "Override: Amber — Placements are short (calculated Green: Due 31 Mar 2020, in 152 days)"
    )


def test_an_override_beats_a_late_milestone_too(rules):
    r = one(
        rules,
        rag_override="green",
        override_reason="Milestone dropped by the board",
        milestones=[ms("2019-10-01")],
    )
    assert (r.rag, r.calculated, r.override) == (GREEN, RED, True)


def test_an_override_without_a_reason_is_not_used_and_says_so(rules):
    r = one(rules, rag_override="Red", override_reason="  ")
    assert (r.rag, r.override) == (GREEN, False)
    assert "RAG override Red not used: give an override reason" in r.reason


def test_an_override_that_is_not_a_rag_is_not_used(rules):
    r = one(rules, rag_override="Purple", override_reason="because")
    assert (r.rag, r.override) == (GREEN, False)
    assert "'Purple' not used" in r.reason


def test_result_lists_overrides_and_counts_cancelled(rules):
    result = rate(
        rules,
        action("1", rag_override="Red", override_reason="x"),
        action("2", status="Cancelled"),
        action("3", status="Completed"),
    )
    assert [ref for ref, _ in result.overrides()] == ["1"]
    assert result.counts("actions") == {"Blue": 1, "Green": 0, "Amber": 0, "Red": 1, "Cancelled": 1}


def test_no_report_date_and_no_as_of_is_unusable(rules):
    with pytest.raises(UnusableWorkbook, match="no report date"):
        recalculate(Plan(info=PlanInfo(title="t")), rules)


def test_as_of_defaults_to_the_report_date(rules):
    plan = Plan(
        info=PlanInfo(title="t", report_date=d("2019-11-30")), actions=[action(due_date=d("2019-11-29"))]
    )
    assert recalculate(plan, rules).as_of == d("2019-11-30")
    assert recalculate(plan, rules).actions["1.1"].rag == RED
    assert recalculate(plan, rules, d("2019-11-01")).actions["1.1"].rag == GREEN


# ------------------------------------------------------------------ indicators


def indicator_result(rules, periods, polarity=HIGHER, tolerance=None, unit="%", as_of=AS_OF):
    plan = Plan(
        info=PlanInfo(title="t", report_date=as_of),
        indicators=[Indicator(code="X", indicator="x", unit=unit, polarity=polarity, tolerance=tolerance)],
        indicator_data=[IndicatorValue(code="X", period_end=d(p), target=t, actual=a) for p, t, a in periods],
    )
    return recalculate(plan, rules, as_of).indicators["X"]


@pytest.mark.parametrize(
    "actual, expected", [(50, GREEN), (51, GREEN), (47.5, AMBER), (47.49, RED), (40, RED)]
)
def test_higher_is_better_against_a_relative_tolerance(rules, actual, expected):
    # Target 50, tolerance 5% of the target = 2.5.
    r = indicator_result(rules, [("2019-09-30", 50, actual)])
    assert r.rag == expected, r.reason
    assert (r.actual, r.target, r.period_end) == (actual, 50, d("2019-09-30"))


@pytest.mark.parametrize("actual, expected", [(10, GREEN), (9, GREEN), (10.5, AMBER), (10.6, RED)])
def test_lower_is_better(rules, actual, expected):
    assert indicator_result(rules, [("2019-09-30", 10, actual)], polarity="Lower is better").rag == expected


@pytest.mark.parametrize(
    "actual, expected",
    [(20, GREEN), (21, AMBER), (19, AMBER), (22, AMBER), (18, AMBER), (22.5, RED), (17.5, RED)],
)
def test_closer_is_better_goldilocks(rules, actual, expected):
    r = indicator_result(
        rules, [("2019-09-30", 20, actual)], polarity="Closer is better", tolerance=2, unit="count"
    )
    assert r.rag == expected, r.reason


def test_tolerance_cell_is_absolute_and_wins_over_the_rule_set(rules):
    # Target 80: the rule set's 5% would be 4; the Tolerance cell says 1.
    assert indicator_result(rules, [("2019-09-30", 80, 77)]).rag == AMBER
    r = indicator_result(rules, [("2019-09-30", 80, 77)], tolerance=1)
    assert r.rag == RED
    assert "outside the tolerance of 1 point" in r.reason


def test_rule_set_tolerance_can_be_absolute(tmp_path: Path):
    override = tmp_path / "plantrack.toml"
    override.write_text('[thresholds]\nindicator_tolerance = 3\nindicator_tolerance_kind = "absolute"\n')
    absolute = load_rules(override)
    # Target 200: relative 5% would allow 10 below; absolute 3 allows 3.
    assert indicator_result(load_rules(), [("2019-09-30", 200, 192)], unit="count").rag == AMBER
    r = indicator_result(absolute, [("2019-09-30", 200, 192)], unit="count")
    assert r.rag == RED and "tolerance of 3" in r.reason
    assert indicator_result(absolute, [("2019-09-30", 200, 197)], unit="count").rag == AMBER


def test_no_actual_is_no_data_never_green(rules):
    r = indicator_result(rules, [("2019-09-30", 50, None), ("2020-03-31", 60, None)])
    assert r.rag == "No data"
    assert r.direction is None and r.actual is None
    assert "No actual" in r.reason


def test_actuals_for_periods_after_the_as_at_date_do_not_count(rules):
    r = indicator_result(rules, [("2019-11-30", 50, 60)])
    assert r.rag == "No data"
    r = indicator_result(rules, [("2019-09-30", 50, 40), ("2019-11-30", 50, 60)])
    assert (r.rag, r.actual, r.period_end) == (RED, 40, d("2019-09-30"))


def test_the_target_is_the_one_for_the_latest_actuals_period(rules):
    profile = [("2019-06-30", 60, 62), ("2019-09-30", 70, 68), ("2019-12-31", 85, None)]
    r = indicator_result(rules, profile)
    assert (r.target, r.period_end, r.rag) == (70, d("2019-09-30"), AMBER)
    earlier = indicator_result(rules, profile, as_of=d("2019-07-31"))
    assert (earlier.target, earlier.period_end, earlier.rag) == (60, d("2019-06-30"), GREEN)


def test_a_period_without_a_target_uses_the_last_target_set(rules):
    r = indicator_result(rules, [("2019-06-30", 60, 55), ("2019-09-30", None, 61)])
    assert (r.target, r.rag) == (60, GREEN)


def test_an_actual_without_any_target_is_no_data_and_says_so(rules):
    r = indicator_result(rules, [("2019-09-30", None, 61)])
    assert r.rag == "No data" and "no target" in r.reason


def test_a_missing_actual_for_the_latest_period_is_mentioned(rules):
    r = indicator_result(rules, [("2019-06-30", 60, 61), ("2019-09-30", 60, None)])
    assert r.rag == GREEN and r.period_end == d("2019-06-30")
    assert "no actual yet for the period ending 30 Sep 2019" in r.reason


@pytest.mark.parametrize(
    "polarity, previous, latest, expected",
    [
        (HIGHER, 40, 45, IMPROVING),
        (HIGHER, 45, 40, WORSENING),
        (HIGHER, 45, 45, NO_CHANGE),
        (LOWER, 12, 10, IMPROVING),
        (LOWER, 10, 12, WORSENING),
        (LOWER, 10, 10, NO_CHANGE),
        (CLOSER, 24, 21, IMPROVING),
        (CLOSER, 17, 19, IMPROVING),
        (CLOSER, 21, 17, WORSENING),
        (CLOSER, 18, 22, NO_CHANGE),
    ],
)
def test_direction_of_travel_by_polarity(rules, polarity, previous, latest, expected):
    r = indicator_result(
        rules, [("2019-06-30", 20, previous), ("2019-09-30", 20, latest)], polarity=polarity, unit="count"
    )
    assert r.direction == expected
    assert r.previous_actual == previous
    assert direction_of(latest, previous, polarity, 20, 20) == expected


def test_polarity_words(rules):
    assert polarity_of("Higher is better", rules) == HIGHER
    assert polarity_of("lower  is BETTER", rules) == LOWER
    assert polarity_of("Closer is better", rules) == CLOSER
    assert polarity_of("Goldilocks", rules) == CLOSER
    assert polarity_of("", rules) is None and polarity_of("Sideways", rules) is None


def test_an_unknown_polarity_is_read_as_higher_and_the_reason_says_so(rules):
    r = indicator_result(rules, [("2019-09-30", 50, 60)], polarity=None)
    assert r.rag == GREEN and "no polarity given, so read as Higher is better" in r.reason


def test_forecast_from_the_linear_trend_of_the_actuals(rules):
    # 40 at 30 Jun, 50 at 30 Sep (92 days): about +0.109 a day; 31 Mar 2020 is 183 days after 30 Sep.
    profile = [("2019-06-30", 40, 40), ("2019-09-30", 50, 50), ("2020-03-31", 80, None)]
    r = indicator_result(rules, profile)
    assert r.forecast_period == d("2020-03-31")
    assert r.forecast_value == pytest.approx(50 + 10 * 183 / 92)
    assert r.forecast == RED  # 69.9 against 80, tolerance 4
    assert "by 31 Mar 2020 on the trend of 2 actuals" in r.forecast_reason
    steeper = indicator_result(
        rules, [("2019-06-30", 40, 30), ("2019-09-30", 50, 50), ("2020-03-31", 80, None)]
    )
    assert steeper.forecast == GREEN  # 30 -> 50 in 92 days reaches 89.8


def test_forecast_with_one_actual_assumes_it_holds(rules):
    r = indicator_result(rules, [("2019-09-30", 50, 77), ("2020-03-31", 80, None)])
    assert (r.forecast, r.forecast_value) == (AMBER, 77)
    assert "if 77% holds" in r.forecast_reason


def test_forecast_of_a_percentage_stays_between_0_and_100(rules):
    r = indicator_result(rules, [("2019-06-30", 60, 80), ("2019-09-30", 70, 95), ("2021-03-31", 98, None)])
    assert r.forecast_value == 100 and r.forecast == GREEN


def test_no_forecast_without_a_target_profile(rules):
    r = indicator_result(rules, [("2019-09-30", 50, 60)])
    assert r.forecast is None and r.forecast_reason == ""


def test_forecast_without_actuals_is_no_data(rules):
    assert indicator_result(rules, [("2019-09-30", 50, None), ("2020-03-31", 60, None)]).forecast == "No data"


# --------------------------------------------------------- the example, by hand

# The built-in example (Haringey's 2019 Ofsted action plan) at its report date,
# 31/10/2019, with the default rules (amber window 28 days). Every action:
EXPECTED_ACTIONS = {
    "1.1": GREEN,  # in progress, due 31 Mar 2020 (152 days away)
    "1.2": BLUE,  # completed
    "1.3": BLUE,  # completed
    "1.4": GREEN,  # due 31 Dec 2019 (61 days); its open milestone (85% rated good) is Green
    "1.5": BLUE,  # completed
    "1.6": AMBER,  # due date moved from 30 Apr 2019 to 30 Nov 2019
    "1.7": RED,  # due 30 Sep 2019, not done: 31 days overdue
    "1.8": BLUE,  # completed
    "1.9": BLUE,  # completed
    "1.10": AMBER,  # due date moved from 30 Jun 2019 to 31 Dec 2019
    "2.1": BLUE,  # completed (late, but completed)
    "2.2": BLUE,  # completed
    "2.3": BLUE,  # embedded
    "2.4": GREEN,  # due 31 Mar 2020
    "2.5": AMBER,  # moved from 31 Mar to 4 Nov 2019, and 85% complete with 99% of the time gone
    "2.6": BLUE,  # embedded
    "3.1": BLUE,  # completed
    "3.2": BLUE,  # completed
    "3.3": BLUE,  # completed
    "4.1": BLUE,  # embedded
    "4.2": GREEN,  # due 31 Mar 2020
    "4.3": BLUE,  # embedded
    "4.4": RED,  # due 30 Jun 2019, not done: 123 days overdue
    "4.5": AMBER,  # due today (31 Oct 2019) at 80%: behind the time gone (100%), not yet overdue
    "4.6": BLUE,  # embedded
    "5.1": AMBER,  # calculated Green (due 31 Mar 2020) but overridden to Amber with a reason
    "5.2": GREEN,  # due 31 Mar 2021
    "5.3": BLUE,  # completed
    "6.1": BLUE,  # completed
    "6.2": GREEN,  # due 31 Mar 2020
    "6.3": BLUE,  # completed
    "6.4": BLUE,  # embedded
    "7.1": BLUE,  # completed
    "7.2": RED,  # moved to 31 Dec 2019 (Amber), but its milestone due 15 Oct 2019 is late (Red)
    "8.1": GREEN,  # due 31 Mar 2020
    "8.2": BLUE,  # embedded
    "9.1": BLUE,  # completed
    "9.2": BLUE,  # completed
    "9.3": RED,  # due 31 Mar 2019, not done: 214 days overdue
    "9.4": AMBER,  # due date moved from 31 Mar 2019 to 30 Nov 2019 (30 days: outside the window)
}

# Milestones in plan order.
EXPECTED_MILESTONES = [
    BLUE,  # 1.4 60% rated good: completed
    GREEN,  # 1.4 85% rated good: due 31 Dec 2019
    BLUE,  # 1.7 PSW appointed: completed
    GREEN,  # 1.7 Academy launched: due 30 Nov 2019 (30 days)
    BLUE,  # 2.1 briefings: completed
    BLUE,  # 2.1 external sessions: completed (late)
    GREEN,  # 2.5 protocol launched: due 4 Nov 2019, no % complete to compare
    BLUE,  # 4.5 terms of reference: completed
    BLUE,  # 4.5 fieldwork: completed
    GREEN,  # 4.5 summary report: due today
    RED,  # 7.2 local profile: due 15 Oct 2019, 16 days overdue
    GREEN,  # 7.2 first report: due 31 Dec 2019
    GREEN,  # 9.3 campaign: due 4 Nov 2019
    GREEN,  # 9.4 briefing: due 30 Nov 2019 (30 days)
]

# Indicators: latest actual (30 Sep 2019) against its target, 5% relative tolerance
# unless the Tolerance cell says otherwise.
EXPECTED_INDICATORS = {
    "NI 59": (GREEN, IMPROVING),  # 49 vs 48, higher is better
    "NI 60": (AMBER, IMPROVING),  # 56 vs 58: 2 below, tolerance 2.9
    "NI 62": (RED, WORSENING),  # 12.4 vs 11, lower is better: 1.4 above, tolerance 0.55
    "NI 64": (AMBER, WORSENING),  # 5.2 vs 5: 0.2 above, tolerance 0.25
    "NI 65": (GREEN, IMPROVING),  # 9 vs 10, lower is better
    "NI 66": (GREEN, IMPROVING),  # 98 vs 97
    "NI 67": (GREEN, NO_CHANGE),  # 100 vs 100, both periods
    "NI 51": ("No data", None),  # no actuals at all
    "NI 70": (RED, WORSENING),  # 24.1 vs 22.68: 1.42 above, tolerance 1.134
    "L1": (GREEN, IMPROVING),  # 87 vs 60
    "L2": (AMBER, IMPROVING),  # 78 vs 80: 2 below, tolerance 4
    "L3": (RED, IMPROVING),  # 58 vs 70: 12 below, tolerance 3.5
    "L4": (AMBER, IMPROVING),  # caseload 21 vs 20, closer is better, tolerance cell 2; was 23
}


def test_example_at_its_report_date_matches_the_hand_check(example, rules):
    result = recalculate(example, rules)
    assert result.as_of == dt.date(2019, 10, 31)
    assert {ref: r.rag for ref, r in result.actions.items()} == EXPECTED_ACTIONS
    assert [m.rag for m in result.milestones] == EXPECTED_MILESTONES
    assert {code: (r.rag, r.direction) for code, r in result.indicators.items()} == EXPECTED_INDICATORS
    assert result.counts("actions") == {"Blue": 23, "Green": 7, "Amber": 6, "Red": 4, "Cancelled": 0}
    assert result.counts("milestones") == {"Blue": 6, "Green": 7, "Amber": 0, "Red": 1, "Cancelled": 0}
    assert result.counts("indicators") == {"Blue": 0, "Green": 5, "Amber": 4, "Red": 3, "No data": 1}
    assert result.actions["5.1"].override and result.actions["5.1"].calculated == GREEN
    assert result.actions["7.2"].reason.startswith("Milestone 'Local profile of children at risk agreed")


def test_every_rating_has_a_one_line_reason(example, rules):
    result = recalculate(example, rules)
    every = [*result.action_list, *result.milestones, *result.indicator_list]
    assert all(r.reason and "\n" not in r.reason for r in every)


# --------------------------------------------------------------- real files


def _cells(path: Path, sheet: str) -> tuple[list, dict[str, list]]:
    ws = load_workbook(path)[sheet]
    headers = [c.value for c in ws[1]]
    columns = {h: [row[i] for row in ws.iter_rows(min_row=2)] for i, h in enumerate(headers) if h}
    return headers, columns


def _rgb(cell) -> str:
    return (cell.fill.fgColor.rgb or "")[-6:] if cell.fill and cell.fill.fill_type == "solid" else ""


def test_rag_command_writes_values_fills_and_leaves_user_cells_alone(example_path: Path, capsys):
    wb = load_workbook(example_path)
    ws = wb["Actions"]
    headers = [c.value for c in ws[1]]
    impact, evidence = headers.index("Impact rating") + 1, headers.index("Impact evidence") + 1
    ws.cell(row=2, column=impact, value="Some impact")
    ws.cell(row=2, column=evidence, value="Audit in Sept showed plans updated")
    ws.cell(row=3, column=impact, value="Strong impact")
    ws.cell(row=2, column=len(headers) + 1, value="Our notes")
    ws.cell(row=1, column=len(headers) + 1, value="Board comments")
    wb.save(example_path)
    before = load_workbook(example_path)["Actions"]
    kept = {
        (c.row, c.column): c.value
        for row in before.iter_rows()
        for c in row
        if headers[c.column - 1 : c.column] not in (["RAG"], ["RAG reason"])
    }

    assert main(["rag", str(example_path)]) == 0
    out = capsys.readouterr().out
    assert "Actions (40): Red 4 · Amber 6 · Green 7 · Blue 23" in out
    assert "Milestones (14): Red 1 · Green 7 · Blue 6" in out
    assert "Indicators (13): Red 3 · Amber 4 · Green 5 · No data 1" in out
    assert (
        "Impact (did it make a difference? set by you, never calculated): Strong impact 1 · Some impact 1 · "
        "Not rated 38" in out
    )
    assert "Red — Not on track — exception reporting required" in out

    after = load_workbook(example_path)["Actions"]
    assert {k: v for k, v in ((k, after.cell(*k).value) for k in kept)} == kept
    rag_col = headers.index("RAG") + 1
    reason_col = headers.index("RAG reason") + 1
    by_ref = {after.cell(r, 1).value: r for r in range(2, after.max_row + 1)}
    template = load_template()
    for ref, expected in EXPECTED_ACTIONS.items():
        cell = after.cell(by_ref[ref], rag_col)
        assert cell.value == expected
        assert _rgb(cell) == template.rag_fills[expected]
    assert after.cell(by_ref["4.4"], reason_col).value == "Due 30 Jun 2019, 123 days overdue"
    assert after.cell(by_ref["5.1"], reason_col).value.startswith("Override: Amber — Service review")
    assert after.cell(by_ref["5.1"], rag_col).font.color.rgb.endswith(template.rag_fonts["Amber"])

    headers_i, ind = _cells(example_path, "Indicators")
    assert headers_i[-1] == "Forecast"
    codes = [c.value for c in ind["Code"]]
    l4 = codes.index("L4")
    assert (ind["RAG"][l4].value, ind["Direction"][l4].value) == ("Amber", "Improving")
    assert "tolerance of 2" in ind["RAG reason"][l4].value
    assert ind["Forecast"][codes.index("NI 64")].value == "Red"
    assert "trend" in ind["Forecast"][codes.index("NI 64")].comment.text
    _, mil = _cells(example_path, "Milestones")
    assert [c.value for c in mil["RAG"][: len(EXPECTED_MILESTONES) + 1]] == [*EXPECTED_MILESTONES, None]
    assert _rgb(mil["RAG"][10]) == template.rag_fills["Red"]
    assert list((example_path.parent / "plantrack-backups").iterdir()), "the master is backed up first"


def test_running_twice_changes_nothing_and_a_cancelled_action_loses_its_colour(example_path: Path):
    def values():
        return {
            ws.title: [[c.value for c in r] for r in ws.iter_rows()] for ws in load_workbook(example_path)
        }

    assert main(["rag", str(example_path)]) == 0
    first = values()
    assert main(["rag", str(example_path)]) == 0
    assert values() == first
    wb = load_workbook(example_path)
    ws = wb["Actions"]
    headers = [c.value for c in ws[1]]
    assert ws.cell(2, headers.index("RAG") + 1).value == GREEN
    ws.cell(row=2, column=headers.index("Status") + 1, value="Cancelled")
    wb.save(example_path)
    assert main(["rag", str(example_path)]) == 0
    cell = load_workbook(example_path)["Actions"].cell(2, headers.index("RAG") + 1)
    assert cell.value is None and _rgb(cell) == ""


def _own_layout(path: Path) -> None:
    """A council's own tracker: a title row, its own column order, no RAG columns at all."""
    wb = Workbook()
    plan = wb.active
    plan.title = "Plan"
    for row in (
        ["Field", "Value"],
        ["Title", "Safeguarding Plan"],
        ["Report date", dt.datetime(2009, 10, 31)],
    ):
        plan.append(row)
    ws = wb.create_sheet("Actions")
    ws.append(["Safeguarding Plan 2009 — actions"])
    ws.append(
        ["REF", "Action", "Theme", "Lead Officer", "Lead agency", "Due  date", "Status", "Impact rating"]
    )
    ws.append(
        [
            "1.01",
            "Culture of shared responsibility",
            "Leadership",
            "PL",
            "Council",
            dt.datetime(2009, 9, 30),
            "In progress",
            "No impact yet",
        ]
    )
    ws.append(
        [
            "1.02",
            "Communicate SCR findings",
            "Leadership",
            "GB",
            "LSCB",
            dt.datetime(2010, 3, 31),
            "Not started",
            None,
        ]
    )
    ind = wb.create_sheet("Indicators")
    ind.append(["Code", "Indicator", "Unit", "Polarity"])
    ind.append(["NI 65", "Repeat child protection plans", "%", "Lower is better"])
    data = wb.create_sheet("Indicator data")
    data.append(["Code", "Period end", "Target", "Actual"])
    data.append(["NI 65", dt.datetime(2009, 9, 30), 10, 12])
    wb.save(path)


def test_missing_rag_columns_are_added_after_the_last_header(tmp_path: Path):
    path = tmp_path / "own.xlsx"
    _own_layout(path)
    assert main(["rag", str(path)]) == 0
    wb = load_workbook(path)
    ws = wb["Actions"]
    assert [c.value for c in ws[2]][8:] == ["RAG", "RAG reason"]
    assert ws["I3"].value == "Red" and ws["J3"].value == "Due 30 Sep 2009, 31 days overdue"
    assert _rgb(ws["I3"]) == load_template().rag_fills["Red"]
    assert ws["I4"].value == "Green"
    assert ws["H3"].value == "No impact yet"
    assert ws["A1"].value == "Safeguarding Plan 2009 — actions"
    ind = wb["Indicators"]
    assert [c.value for c in ind[1]] == [
        "Code",
        "Indicator",
        "Unit",
        "Polarity",
        "RAG",
        "RAG reason",
        "Direction",
    ]
    assert ind["E2"].value == "Red"
    assert "Milestones" not in wb.sheetnames


def test_rag_changes_touch_only_rag_columns(example_path: Path):
    tracker = read_tracker(example_path)
    changes = rag_changes(tracker, recalculate(tracker.plan, tracker.rules))
    written = {
        (
            c.sheet,
            tracker.tables[c.sheet].headers[c.column - 1]
            if c.column <= len(tracker.tables[c.sheet].headers)
            else "(new)",
        )
        for c in changes.cells
    }
    assert written == {
        ("Actions", "RAG"),
        ("Actions", "RAG reason"),
        ("Milestones", "RAG"),
        ("Milestones", "RAG reason"),
        ("Indicators", "RAG"),
        ("Indicators", "RAG reason"),
        ("Indicators", "Direction"),
        ("Indicators", "(new)"),
    }
    assert not changes.sheets and not changes.remove_sheets


def test_rag_changes_refuse_a_result_from_another_plan(example_path: Path, rules):
    tracker = read_tracker(example_path)
    other = rate(rules, action())
    with pytest.raises(ValueError):
        rag_changes(tracker, other)


def test_as_of_and_dry_run(example_path: Path, capsys):
    before = example_path.read_bytes()
    assert main(["rag", str(example_path), "--as-of", "30/11/2019", "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "RAG as at 30/11/2019 for" in out and "Dry run" in out
    assert "Actions (40): Red 6 · Amber 4 · Green 7 · Blue 23" in out
    assert example_path.read_bytes() == before
    assert main(["rag", str(example_path), "--as-of", "2019-11-30", "--dry-run"]) == 0
    assert "Red 6" in capsys.readouterr().out


@pytest.mark.parametrize("bad", ["2019-13-01", "next week", "31/02/2019"])
def test_a_bad_as_of_date_is_exit_2_and_changes_nothing(example_path: Path, capsys, bad):
    before = example_path.read_bytes()
    assert main(["rag", str(example_path), "--as-of", bad]) == 2
    err = capsys.readouterr().err
    assert "is not a date" in err and "Traceback" not in err
    assert example_path.read_bytes() == before


def test_no_report_date_is_exit_2(tmp_path: Path, capsys):
    path = tmp_path / "own.xlsx"
    _own_layout(path)
    wb = load_workbook(path)
    wb["Plan"]["B3"] = None
    wb.save(path)
    before = path.read_bytes()
    assert main(["rag", str(path)]) == 2
    assert "no report date" in capsys.readouterr().err
    assert path.read_bytes() == before
    assert main(["rag", str(path), "--as-of", "2009-10-31"]) == 0


def test_a_report_date_typed_as_text_is_exit_2_and_says_so(tmp_path: Path, capsys):
    path = tmp_path / "own.xlsx"
    _own_layout(path)
    wb = load_workbook(path)
    wb["Plan"]["B3"] = "31.10.09"
    wb.save(path)
    assert main(["rag", str(path)]) == 2
    assert "Report date '31.10.09' is not a date" in capsys.readouterr().err


def test_not_a_workbook_is_exit_2(tmp_path: Path, capsys):
    path = tmp_path / "notes.xlsx"
    path.write_text("not a workbook")
    assert main(["rag", str(path)]) == 2
    assert capsys.readouterr().err.strip()


def test_json_equals_the_library_result(example_path: Path, capsys, rules):
    assert main(["rag", str(example_path), "--dry-run", "--json"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed == json.loads(json.dumps(recalculate(example_plan(), rules).to_dict()))
    assert printed["counts"]["actions"]["Red"] == 4


def test_a_plans_own_rules_change_thresholds_and_definitions(example_path: Path, capsys):
    (example_path.parent / "plantrack.toml").write_text(
        '[thresholds]\namber_window_days = 31\n\n[rag.definitions]\nRed = "Off track: report to the board"\n',
        encoding="utf-8",
    )
    assert main(["rag", str(example_path), "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "Red — Off track: report to the board" in out
    # With a 31-day window, 9.4's briefing (Not started, due 30 Nov 2019, 30 days away) is inside it and
    # behind: Amber. Its action 9.4 was Amber already (due date moved), so the actions do not change.
    assert "Milestones (14): Red 1 · Amber 1 · Green 6 · Blue 6" in out
    assert "Actions (40): Red 4 · Amber 6 · Green 7 · Blue 23" in out


def test_override_without_reason_is_reported_by_the_command(example_path: Path, capsys):
    wb = load_workbook(example_path)
    ws = wb["Actions"]
    headers = [c.value for c in ws[1]]
    ws.cell(row=2, column=headers.index("RAG override") + 1, value="Red")
    wb.save(example_path)
    assert main(["rag", str(example_path)]) == 0
    out = capsys.readouterr().out
    assert "Overrides NOT used (no reason given, or not a RAG): 1 — 1.1" in out
    reason = load_workbook(example_path)["Actions"].cell(2, headers.index("RAG reason") + 1).value
    assert "RAG override Red not used: give an override reason" in reason


def test_help_and_readme_section():
    with pytest.raises(SystemExit) as exit_:
        main(["rag", "--help"])
    assert exit_.value.code == 0
    readme = (Path(__file__).parents[1] / "README.md").read_text(encoding="utf-8")
    assert "### `plantrack rag`" in readme and "--as-of" in readme


def test_the_core_imports_neither_openpyxl_nor_xlwings():
    code = "import sys, addin.jobs.rag; print(sorted(m for m in ('openpyxl', 'xlwings') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_demo_step_writes_rag_into_the_master(tmp_path: Path, capsys):
    from addin.demo import STEPS, step_new, step_rag

    assert STEPS.index(step_rag) == STEPS.index(step_new) + 1 + sum(
        s.__name__ == "step_validate" for s in STEPS
    )
    master = tmp_path / "example-tracker.xlsx"
    step_new(tmp_path, master)
    step_rag(tmp_path, master)
    out = capsys.readouterr().out
    assert "Recalculated RAG as at 31/10/2019" in out and "Red actions: 1.7, 4.4, 7.2, 9.3" in out
    assert read_tracker(master).plan.actions[0].rag == GREEN


def test_apply_keeps_working_after_rag_wrote_a_new_column(example_path: Path):
    # The Forecast column is an extra column on the next read: kept, and overwritten in place.
    assert main(["rag", str(example_path)]) == 0
    tracker = read_tracker(example_path)
    assert tracker.plan.indicators[0].extra.get("Forecast") == "Green"
    apply_changes(example_path, rag_changes(tracker, recalculate(tracker.plan, tracker.rules)))
    headers = [c.value for c in load_workbook(example_path)["Indicators"][1]]
    assert headers.count("Forecast") == 1


@pytest.mark.office
def test_a_recalculated_tracker_opens_in_libreoffice(example_path: Path):
    assert main(["rag", str(example_path)]) == 0
    text = pdf_text(convert(example_path))
    assert "123 days overdue" in text
    assert "Override: Amber" in text
