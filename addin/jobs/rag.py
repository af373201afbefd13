"""Recalculate RAG: a colour and a one-line reason for every action, milestone
and indicator, as at a report date.

``recalculate(plan, rules, as_of)`` is the job: it reads only the plan model
and the rule set and returns a ``RagResult``. ``rag_changes`` turns a result
into the cells to write (RAG, RAG reason, Direction, Forecast) for either
adapter. Nothing here touches a workbook.

The rules, in the order they are tried (numbers such as the amber window come
from the rule set, ``[thresholds]``):

Actions and milestones
  - Cancelled: no RAG.  Completed or Embedded: Blue.
  - Not done and past its due date (the revised due date if there is one): Red.
  - Amber when the due date was moved later, when it is On hold, when it is due
    within the amber window and its % complete is behind the share of time gone
    between its start and due dates, or when it has no due date or a status
    plantrack does not know (it cannot tell whether it is on track).
  - Otherwise Green.
  - An unfinished action is never better than its worst open milestone: a late
    milestone (Red) makes its action Red, an Amber one makes it Amber.
  - A RAG override with an override reason wins and is shown as an override;
    without a reason it is not used, and the reason says so.

Indicators
  - The latest actual for a period ending on or before the as-at date, against
    the target for that period (carried forward from an earlier period if that
    period has none), by polarity: meets the target, Green; misses it by no more
    than the tolerance, Amber; worse, Red. No actual: "No data".
  - Direction of travel from the previous actual, by polarity.
  - For an indicator with a target profile (targets for two or more periods),
    a forecast for the last target period from the linear trend of the actuals.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from ..changes import KEEP, CellWrite, Changes
from ..dates import describe
from ..errors import UnusableWorkbook
from ..model import Action, Indicator, IndicatorValue, Milestone, Plan
from ..reader import Tracker
from ..rules import RuleSet, normalise_header
from ..tables import Table, is_blank
from ..templates import Template, load_template

BLUE, GREEN, AMBER, RED = "Blue", "Green", "Amber", "Red"
RAG_ORDER = (BLUE, GREEN, AMBER, RED)
CANCELLED = "Cancelled"
NOT_RATED = "Not rated"
IMPROVING, WORSENING, NO_CHANGE = "Improving", "Worsening", "No change"
HIGHER, LOWER, CLOSER = "Higher is better", "Lower is better", "Closer is better"
FORECAST_COLUMN = "Forecast"

# How bad a RAG is, for "never better than" (Blue is done, so it never caps anything).
_BADNESS = {BLUE: 0, GREEN: 1, AMBER: 2, RED: 3}
_EPSILON = 1e-9
_NAME_LENGTH = 60


# ------------------------------------------------------------------ results


@dataclass(frozen=True)
class Rating:
    """The RAG of one action, milestone or indicator, and why.

    ``rag`` is None for a cancelled item. ``calculated`` is what the rules gave
    before any override; ``override`` is True when ``rag`` is a manual override.
    """

    rag: str | None
    reason: str
    calculated: str | None
    override: bool = False


@dataclass(frozen=True)
class IndicatorRating(Rating):
    """An indicator's RAG for its latest period, its direction and its forecast."""

    direction: str | None = None
    forecast: str | None = None
    forecast_reason: str = ""
    period_end: date | None = None
    actual: float | None = None
    target: float | None = None
    previous_actual: float | None = None
    forecast_value: float | None = None
    forecast_period: date | None = None


@dataclass
class RagResult:
    """Every RAG of a plan as at ``as_of``.

    ``actions`` and ``indicators`` are by ref and code; ``action_list`` and
    ``indicator_list`` are the same ratings in the plan's row order (a ref typed
    twice keeps both rows there). ``impact`` counts the actions' impact ratings
    (set by people, never calculated).
    """

    as_of: date
    actions: dict[str, Rating]
    milestones: list[Rating]
    indicators: dict[str, IndicatorRating]
    action_list: list[Rating] = field(default_factory=list)
    indicator_list: list[IndicatorRating] = field(default_factory=list)
    impact: dict[str, int] = field(default_factory=dict)
    no_data: str = "No data"

    def counts(self, kind: str = "actions") -> dict[str, int]:
        """RAG -> how many, for ``actions``, ``milestones``, ``indicators`` or ``forecasts``.

        Every RAG appears (zero included); cancelled actions and milestones
        count under "Cancelled"; indicators without an actual under "No data".
        """
        if kind == "actions":
            ratings: Iterable[str | None] = (r.rag for r in self.action_list)
            keys = (*RAG_ORDER, CANCELLED)
        elif kind == "milestones":
            ratings = (r.rag for r in self.milestones)
            keys = (*RAG_ORDER, CANCELLED)
        elif kind == "indicators":
            ratings = (r.rag for r in self.indicator_list)
            keys = (*RAG_ORDER, self.no_data)
        elif kind == "forecasts":
            ratings = (r.forecast for r in self.indicator_list if r.forecast is not None)
            keys = (*RAG_ORDER, self.no_data)
        else:
            raise ValueError(f"unknown kind {kind!r}: use actions, milestones, indicators or forecasts")
        out = dict.fromkeys(keys, 0)
        for rag in ratings:
            key = CANCELLED if rag is None else rag
            out[key] = out.get(key, 0) + 1
        return out

    def overrides(self) -> list[tuple[str, Rating]]:
        """(ref, rating) of every action whose RAG is a manual override."""
        return [(ref, r) for ref, r in self.actions.items() if r.override]

    def to_dict(self) -> dict[str, Any]:
        """The result as plain data (for ``plantrack rag --json``)."""

        def one(r: Rating) -> dict[str, Any]:
            data = {k: v for k, v in r.__dict__.items()}
            for k, v in data.items():
                if isinstance(v, date):
                    data[k] = v.isoformat()
            return data

        return {
            "as_of": self.as_of.isoformat(),
            "counts": {k: self.counts(k) for k in ("actions", "milestones", "indicators", "forecasts")},
            "impact": dict(self.impact),
            "actions": {ref: one(r) for ref, r in self.actions.items()},
            "milestones": [one(r) for r in self.milestones],
            "indicators": {code: one(r) for code, r in self.indicators.items()},
        }


# ------------------------------------------------------------------ the job


def recalculate(plan: Plan, rules: RuleSet, as_of: date | None = None) -> RagResult:
    """The RAG of every action, milestone and indicator of ``plan`` as at ``as_of``
    (the Plan sheet's report date when not given)."""
    as_of = as_of or plan.info.report_date
    if as_of is None:
        raise UnusableWorkbook(
            None,
            "the Plan sheet has no report date, so there is no date to work RAG out at",
            "fill in Report date on the Plan sheet (dd/mm/yyyy), or give one with --as-of",
        )
    words = RuleWords(rules)
    milestones = [rate_milestone(m, as_of, words) for m in plan.milestones]
    open_by_ref: dict[str, list[tuple[Milestone, Rating]]] = defaultdict(list)
    for milestone, rating in zip(plan.milestones, milestones):
        if _is_open(rating):
            open_by_ref[milestone.action_ref].append((milestone, rating))
    action_list = [rate_action(a, as_of, words, open_by_ref.get(a.ref, ())) for a in plan.actions]
    data_by_code: dict[str, list[IndicatorValue]] = defaultdict(list)
    for value in plan.indicator_data:
        if value.period_end is not None:
            data_by_code[value.code].append(value)
    indicator_list = [rate_indicator(i, data_by_code.get(i.code, []), as_of, rules) for i in plan.indicators]
    return RagResult(
        as_of=as_of,
        actions={a.ref: r for a, r in zip(plan.actions, action_list)},
        milestones=milestones,
        indicators={i.code: r for i, r in zip(plan.indicators, indicator_list)},
        action_list=action_list,
        indicator_list=indicator_list,
        impact=impact_counts(plan, words),
        no_data=rules.rag.no_data,
    )


def impact_counts(plan: Plan, words: RuleWords) -> dict[str, int]:
    """How many actions (not cancelled) have each impact rating; blank is "Not rated"."""
    out = dict.fromkeys(words.rules.choices("impact_ratings"), 0)
    for action in plan.actions:
        if words.kind(action.status) == "cancelled":
            continue
        key = (action.impact_rating or "").strip() or NOT_RATED
        out[key] = out.get(key, 0) + 1
    return out


# ------------------------------------------------------ actions and milestones


class RuleWords:
    """The rule set's statuses and RAG words, matched once per recalculation (a plan
    uses a handful of statuses across thousands of rows)."""

    def __init__(self, rules: RuleSet):
        self.rules = rules
        self.window = rules.thresholds.amber_window_days
        self.rags = {v.casefold(): v for v in rules.rag.values}
        groups = {normalise_header(v): "open" for v in rules.statuses.values}
        for kind in ("on_hold", "done", "cancelled"):
            groups.update({normalise_header(v): kind for v in getattr(rules.statuses, kind)})
        self._groups = groups
        self._kinds: dict[Any, str] = {}

    def kind(self, status: str | None) -> str:
        """blank, unknown, open, not_started, on_hold, done or cancelled."""
        found = self._kinds.get(status)
        if found is None:
            key = normalise_header(status) if isinstance(status, str) else ""
            found = "blank" if not key else self._groups.get(key, "unknown")
            if found == "open" and key == "notstarted":
                found = "not_started"
            self._kinds[status] = found
        return found


def _is_open(rating: Rating) -> bool:
    return rating.rag in (GREEN, AMBER, RED)


def _days(n: int) -> str:
    return f"{n} day" if n == 1 else f"{n} days"


def _short(text: str | None, limit: int = _NAME_LENGTH) -> str:
    text = " ".join((text or "").split()) or "(no text)"
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _elapsed_share(start: date | None, due: date, as_of: date) -> float | None:
    """The share of the time from start to due that has gone (0 to 1), or None without a start."""
    if start is None:
        return None
    if due <= start:
        return 1.0 if as_of >= due else 0.0
    return min(1.0, max(0.0, (as_of - start).days / (due - start).days))


def _due_in(days_left: int) -> str:
    return "due today" if days_left == 0 else f"due in {_days(days_left)}"


def _lower(text: str) -> str:
    return text[:1].lower() + text[1:]


def _join(parts: Sequence[str]) -> str:
    """Reasons joined into one line: the first starts with a capital, the rest do not."""
    out = [p for p in parts if p]
    out = (
        [out[0][:1].upper() + out[0][1:]]
        + [p[:1].lower() + p[1:] if not p[:2].isupper() else p for p in out[1:]]
        if out
        else []
    )
    return "; ".join(out)


def rate_dates(
    *,
    status: str | None,
    due: date | None,
    as_of: date,
    words: RuleWords,
    start: date | None = None,
    revised: date | None = None,
    percent: float | None = None,
    completed: date | None = None,
) -> Rating:
    """The RAG from status and dates, shared by actions and milestones (no override, no milestones)."""
    word = (status or "").strip()
    kind = words.kind(status)
    if kind == "cancelled":
        return Rating(None, f"{word}: no RAG", None)
    effective = revised or due
    if kind == "done":
        reason = f"{word} {describe(completed)}" if completed else f"{word} (no completed date given)"
        if completed and effective and completed > effective:
            reason += f", {_days((completed - effective).days)} after its due date"
        return Rating(BLUE, reason, BLUE)

    concerns: list[str] = []
    if kind == "blank":
        concerns.append("No status given, so progress is unknown")
    elif kind == "unknown":
        concerns.append(f"Status '{word}' is not one of the statuses, so progress is unknown")
    if effective is None:
        concerns.insert(0, "No due date, so plantrack cannot tell whether it is on track")
        return Rating(AMBER, _join(concerns), AMBER)

    days_left = (effective - as_of).days
    if days_left < 0:
        reason = f"Due {describe(effective)}, {_days(-days_left)} overdue"
        if revised and due and revised != due:
            reason = (
                f"Revised due date {describe(revised)}, {_days(-days_left)} overdue "
                f"(first due {describe(due)})"
            )
        return Rating(RED, _join([reason, *concerns]), RED)

    if revised and due and revised > due:
        concerns.append(f"Due date moved from {describe(due)} to {describe(revised)} ({_due_in(days_left)})")
    if kind == "on_hold":
        concerns.append(f"On hold ({_due_in(days_left)}, {describe(effective)})")
    progress = ""
    if days_left <= words.window:
        if percent is None and kind == "not_started":
            percent = 0.0
        share = _elapsed_share(start, effective, as_of)
        if percent is not None and share is not None:
            gone = share * 100
            compared = f"{percent:g}% complete with {gone:.0f}% of the time gone"
            if percent < gone - _EPSILON:
                concerns.append(f"Only {compared} ({_due_in(days_left)}, {describe(effective)})")
            else:
                progress = f"; {compared}"
        elif percent is None:
            progress = "; no % complete to check progress against"
        else:
            progress = "; no start date to check progress against"
    if concerns:
        return Rating(AMBER, _join(concerns), AMBER)
    when = "today" if days_left == 0 else f"in {_days(days_left)}"
    return Rating(GREEN, f"Due {describe(effective)}, {when}{progress}", GREEN)


def rate_milestone(milestone: Milestone, as_of: date, words: RuleWords) -> Rating:
    return rate_dates(
        status=milestone.status,
        due=milestone.due_date,
        start=milestone.start_date,
        completed=milestone.completed_date,
        as_of=as_of,
        words=words,
    )


def rate_action(
    action: Action,
    as_of: date,
    words: RuleWords,
    open_milestones: Sequence[tuple[Milestone, Rating]] = (),
) -> Rating:
    """An action's RAG: its own dates, capped by its worst open milestone, then any override."""
    own = rate_dates(
        status=action.status,
        due=action.due_date,
        revised=action.revised_due_date,
        start=action.start_date,
        percent=action.percent_complete,
        completed=action.completed_date,
        as_of=as_of,
        words=words,
    )
    rating = own
    if own.rag == BLUE and open_milestones:
        rating = Rating(
            BLUE,
            f"{own.reason} ({len(open_milestones)} milestone"
            f"{'s' if len(open_milestones) > 1 else ''} still open)",
            BLUE,
        )
    elif own.rag in (GREEN, AMBER, RED) and open_milestones:
        milestone, worst = max(open_milestones, key=lambda pair: _BADNESS[pair[1].rag or GREEN])
        if _BADNESS[worst.rag or GREEN] > _BADNESS[own.rag]:
            reason = f"Milestone '{_short(milestone.milestone)}': {_lower(worst.reason)}"
            if own.rag != GREEN:
                reason += f"; also {_lower(own.reason)}"
            rating = Rating(worst.rag, reason, worst.rag)
    return apply_override(rating, action.rag_override, action.override_reason, words)


def apply_override(rating: Rating, override: str | None, reason: str | None, words: RuleWords) -> Rating:
    """A RAG override with a reason wins (shown as an override); without a reason it is not used."""
    if is_blank(override):
        return rating
    wanted = str(override).strip()
    value = words.rags.get(wanted.casefold())
    calculated = rating.rag or "no RAG"
    if value is None:
        return Rating(
            rating.rag, f"{rating.reason} (RAG override '{wanted}' not used: it is not a RAG)", rating.rag
        )
    if is_blank(reason):
        return Rating(
            rating.rag,
            f"{rating.reason} (RAG override {value} not used: give an override reason)",
            rating.rag,
        )
    why = " ".join(str(reason).split())
    return Rating(
        value,
        f"Override: {value} — {why} (calculated {calculated}: {rating.reason})",
        rating.rag,
        override=True,
    )


# ---------------------------------------------------------------- indicators


def polarity_of(text: str | None, rules: RuleSet) -> str | None:
    """Higher, Lower or Closer is better, from the Polarity cell (the rule set's words or
    anything starting higher/lower/closer); None when it cannot be told."""
    if is_blank(text):
        return None
    key = normalise_header(text)
    words = [normalise_header(p) for p in rules.choices("polarities")]
    if key in words and words.index(key) < 3:
        return (HIGHER, LOWER, CLOSER)[words.index(key)]
    for start, polarity in (
        ("higher", HIGHER),
        ("high", HIGHER),
        ("lower", LOWER),
        ("low", LOWER),
        ("closer", CLOSER),
        ("nearer", CLOSER),
        ("near", CLOSER),
        ("goldilocks", CLOSER),
    ):
        if key.startswith(start):
            return polarity
    return None


def _number(value: float, unit: str | None = None) -> str:
    text = f"{value:,.2f}".rstrip("0").rstrip(".")
    if text == "-0":
        text = "0"
    return f"{text}%" if (unit or "").strip() == "%" else text


@dataclass(frozen=True)
class _Period:
    end: date
    target: float | None
    actual: float | None


def _periods(values: Sequence[IndicatorValue]) -> list[_Period]:
    """One entry per period end, oldest first (a target row and an actual row for the same
    period are read together; the last value given wins)."""
    by_end: dict[date, list[float | None]] = {}
    for v in values:
        if v.period_end is None:
            continue
        slot = by_end.setdefault(v.period_end, [None, None])
        if v.target is not None:
            slot[0] = v.target
        if v.actual is not None:
            slot[1] = v.actual
    return [_Period(end, t, a) for end, (t, a) in sorted(by_end.items())]


def _shortfall(actual: float, target: float, polarity: str) -> float:
    """How far ``actual`` misses ``target`` the wrong way (0 or less: meets it)."""
    if polarity == LOWER:
        return actual - target
    if polarity == CLOSER:
        return abs(actual - target)
    return target - actual


def _amount(value: float, unit: str | None) -> str:
    """A difference in the indicator's unit: "2 points" for a %, else the number."""
    text = _number(value)
    if (unit or "").strip() == "%":
        return f"{text} point" if text == "1" else f"{text} points"
    return text


def _tolerance(indicator: Indicator, target: float, rules: RuleSet) -> tuple[float, str]:
    """The amber tolerance for ``target`` and how to say it: the Tolerance cell (absolute,
    in the indicator's unit), else the rule set's (relative to the target, or absolute)."""
    if indicator.tolerance is not None:
        return abs(indicator.tolerance), _amount(abs(indicator.tolerance), indicator.unit)
    t = rules.thresholds
    if t.indicator_tolerance_kind == "absolute":
        return t.indicator_tolerance, _amount(t.indicator_tolerance, indicator.unit)
    amount = abs(target) * t.indicator_tolerance
    return amount, f"{_amount(amount, indicator.unit)} ({t.indicator_tolerance * 100:g}% of the target)"


def judge(actual: float, target: float, polarity: str, tolerance: float) -> str:
    """Green when ``actual`` meets ``target``, Amber within ``tolerance`` of it, else Red."""
    short = _shortfall(actual, target, polarity)
    if short <= _EPSILON:
        return GREEN
    if short <= tolerance + _EPSILON:
        return AMBER
    return RED


def _gap_words(actual: float, target: float, unit: str | None) -> str:
    gap = actual - target
    if abs(gap) <= _EPSILON:
        return "on target"
    return f"{_amount(abs(gap), unit)} {'above' if gap > 0 else 'below'}"


def direction_of(
    latest: float, previous: float, polarity: str, latest_target: float | None, previous_target: float | None
) -> str:
    """Improving, Worsening or No change from ``previous`` to ``latest``, by polarity."""
    if polarity == CLOSER:
        target_now = latest_target if latest_target is not None else previous_target
        target_then = previous_target if previous_target is not None else target_now
        if target_now is None or target_then is None:
            return NO_CHANGE
        change = abs(previous - target_then) - abs(latest - target_now)
    elif polarity == LOWER:
        change = previous - latest
    else:
        change = latest - previous
    if abs(change) <= _EPSILON:
        return NO_CHANGE
    return IMPROVING if change > 0 else WORSENING


def _trend(points: Sequence[tuple[date, float]], when: date) -> float:
    """The least-squares line through ``points`` at ``when`` (one point: it holds)."""
    if len(points) == 1:
        return points[0][1]
    xs = [d.toordinal() for d, _ in points]
    ys = [v for _, v in points]
    mean_x, mean_y = sum(xs) / len(xs), sum(ys) / len(ys)
    spread = sum((x - mean_x) ** 2 for x in xs)
    slope = sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys)) / spread
    return mean_y + slope * (when.toordinal() - mean_x)


def rate_indicator(
    indicator: Indicator, values: Sequence[IndicatorValue], as_of: date, rules: RuleSet
) -> IndicatorRating:
    """An indicator's RAG for its latest actual, its direction and its forecast."""
    no_data = rules.rag.no_data
    unit = indicator.unit
    periods = _periods(values)
    polarity = polarity_of(indicator.polarity, rules)
    notes: list[str] = []
    if polarity is None:
        polarity = HIGHER
        shown = f"'{indicator.polarity}' is not a polarity" if indicator.polarity else "no polarity given"
        notes.append(f"{shown}, so read as {HIGHER}")
    reported = [p for p in periods if p.end <= as_of and p.actual is not None]
    forecast, forecast_reason, forecast_value, forecast_period = _forecast(
        indicator, periods, reported, polarity, rules
    )
    common: dict[str, Any] = dict(
        forecast=forecast,
        forecast_reason=forecast_reason,
        forecast_value=forecast_value,
        forecast_period=forecast_period,
    )
    if not reported:
        due = [p for p in periods if p.end <= as_of]
        reason = (
            f"No actual reported for any period up to {describe(as_of)}"
            if due or not periods
            else f"No actual yet: the first period ends {describe(periods[0].end)}"
        )
        return IndicatorRating(no_data, _join([reason, *notes]), no_data, **common)
    latest = reported[-1]
    target = _target_for(periods, latest.end)
    previous = reported[-2] if len(reported) > 1 else None
    direction = None
    if previous is not None:
        direction = direction_of(
            latest.actual or 0.0, previous.actual or 0.0, polarity, target, _target_for(periods, previous.end)
        )
    missing = [p for p in periods if latest.end < p.end <= as_of and p.actual is None]
    if missing:
        notes.append(f"no actual yet for the period ending {describe(missing[-1].end)}")
    assert latest.actual is not None
    common.update(
        direction=direction,
        period_end=latest.end,
        actual=latest.actual,
        target=target,
        previous_actual=previous.actual if previous else None,
    )
    when = describe(latest.end)
    if target is None:
        reason = f"{_number(latest.actual, unit)} for {when} but no target for the period"
        return IndicatorRating(no_data, _join([reason, *notes]), no_data, **common)
    tolerance, tolerance_text = _tolerance(indicator, target, rules)
    rag = judge(latest.actual, target, polarity, tolerance)
    head = f"{_number(latest.actual, unit)} against a target of {_number(target, unit)} for {when}"
    if rag == GREEN:
        verdict = "meets the target" if polarity != CLOSER else "on target"
        if polarity != CLOSER and abs(latest.actual - target) > _EPSILON:
            verdict = f"meets the target ({_gap_words(latest.actual, target, unit)})"
    else:
        inside = "within" if rag == AMBER else "outside"
        verdict = f"{_gap_words(latest.actual, target, unit)}, {inside} the tolerance of {tolerance_text}"
    return IndicatorRating(rag, _join([f"{head}: {verdict}", *notes]), rag, **common)


def _target_for(periods: Sequence[_Period], end: date) -> float | None:
    """The target for the period ending ``end``, else the latest earlier target."""
    found = None
    for p in periods:
        if p.end > end:
            break
        if p.target is not None:
            found = p.target
    return found


def _forecast(
    indicator: Indicator,
    periods: Sequence[_Period],
    reported: Sequence[_Period],
    polarity: str,
    rules: RuleSet,
) -> tuple[str | None, str, float | None, date | None]:
    """(forecast RAG, reason, forecast value, period) for the last target period of a profile."""
    targets = [p for p in periods if p.target is not None]
    if len(targets) < 2:
        return None, "", None, None
    final = targets[-1]
    assert final.target is not None
    unit = indicator.unit
    when = describe(final.end)
    if not reported:
        return rules.rag.no_data, f"No actuals yet to forecast {when} from", None, final.end
    tolerance, _ = _tolerance(indicator, final.target, rules)
    last = reported[-1]
    assert last.actual is not None
    if last.end >= final.end:
        value = last.actual
        for p in reported:
            if p.end == final.end and p.actual is not None:
                value = p.actual
        rag = judge(value, final.target, polarity, tolerance)
        return (
            rag,
            f"Final target period {when} reported: {_number(value, unit)} against "
            f"{_number(final.target, unit)}",
            value,
            final.end,
        )
    value = _trend([(p.end, p.actual) for p in reported if p.actual is not None], final.end)
    if (unit or "").strip() == "%":
        value = min(100.0, max(0.0, value))
    if not math.isfinite(value):
        return None, "", None, None
    rag = judge(value, final.target, polarity, tolerance)
    basis = (
        f"if {_number(last.actual, unit)} holds"
        if len(reported) == 1
        else f"on the trend of {len(reported)} actuals"
    )
    return (
        rag,
        f"Forecast {_number(value, unit)} by {when} {basis}, against a target of "
        f"{_number(final.target, unit)}",
        value,
        final.end,
    )


# ------------------------------------------------------------- what to write


def rag_changes(tracker: Tracker, result: RagResult, template: Template | None = None) -> Changes:
    """The cells to write for ``result``: RAG (with its colour), RAG reason, Direction and
    Forecast, at the tracker's own rows and columns. A missing column is added after the
    sheet's last header. Nothing else is touched (Impact rating, overrides, progress ...)."""
    template = template or load_template()
    plan = tracker.plan
    if (
        len(result.action_list) != len(plan.actions)
        or len(result.milestones) != len(plan.milestones)
        or len(result.indicator_list) != len(plan.indicators)
    ):
        raise ValueError("the RAG result was not worked out from this tracker's plan")
    changes = Changes()
    writer = _SheetWriter(template)
    table = tracker.tables.get("Actions")
    if table is not None:
        changes.cells += writer.write(
            table,
            [
                (a.row, {"RAG": writer.rag(r.rag), "RAG reason": writer.text(r.reason)})
                for a, r in zip(plan.actions, result.action_list)
            ],
        )
    table = tracker.tables.get("Milestones")
    if table is not None:
        changes.cells += writer.write(
            table,
            [
                (m.row, {"RAG": writer.rag(r.rag), "RAG reason": writer.text(r.reason)})
                for m, r in zip(plan.milestones, result.milestones)
            ],
        )
    table = tracker.tables.get("Indicators")
    if table is not None:
        rows = []
        with_forecasts = any(r.forecast is not None for r in result.indicator_list)
        for i, r in zip(plan.indicators, result.indicator_list):
            cells = {
                "RAG": writer.rag(r.rag),
                "RAG reason": writer.text(r.reason),
                "Direction": writer.text(r.direction),
            }
            if with_forecasts:
                cells[FORECAST_COLUMN] = writer.rag(r.forecast, note=r.forecast_reason or None)
            rows.append((i.row, cells))
        changes.cells += writer.write(table, rows)
    return changes


_Cell = tuple[Any, Any, Any, Any]  # value, fill, font colour, note (KEEP: leave as it is)


class _SheetWriter:
    """Turns (row, {column: cell}) into CellWrites, adding columns a sheet lacks."""

    def __init__(self, template: Template):
        self.template = template
        self._rags: dict[str | None, _Cell] = {}

    def rag(self, value: str | None, note: Any = KEEP) -> _Cell:
        """A RAG cell: the value, filled in its colour (no fill when there is no RAG)."""
        cell = self._rags.get(value)
        if cell is None:
            fills, fonts = self.template.rag_fills, self.template.rag_fonts
            cell = (
                value,
                fills.get(value) if value else None,
                fonts.get(value, "000000") if value in fills else None,
                KEEP,
            )
            self._rags[value] = cell
        return cell if note is KEEP else (*cell[:3], note)

    @staticmethod
    def text(value: str | None) -> _Cell:
        return (value, KEEP, KEEP, KEEP)

    def write(self, table: Table, rows: Sequence[tuple[int | None, dict[str, _Cell]]]) -> list[CellWrite]:
        placed = [(r, cells) for r, cells in rows if r is not None]
        if not placed:
            return []
        out: list[CellWrite] = []
        positions = self._columns(table, list(placed[0][1]), out)
        sheet = table.sheet
        for row, cells in placed:
            for name, (value, fill, font_colour, note) in cells.items():
                out.append(CellWrite(sheet, row, positions[name], value, fill, font_colour, note))
        return out

    def _columns(self, table: Table, names: Sequence[str], out: list[CellWrite]) -> dict[str, int]:
        """Excel column (from 1) of each name; a missing one is added after the last header."""
        headers = {
            normalise_header(h): i for i, h in reversed(list(enumerate(table.headers))) if not is_blank(h)
        }
        next_free = len(table.headers)
        style = self.template.style
        positions = {}
        for name in names:
            at = table.index(name)
            if at is None:
                at = headers.get(normalise_header(name))
            if at is None:
                at = next_free
                next_free += 1
                out.append(
                    CellWrite(
                        table.sheet,
                        table.header_row,
                        at + 1,
                        value=name,
                        fill=style.header_fill,
                        font_colour=style.header_font_colour,
                    )
                )
            positions[name] = at + 1
        return positions
