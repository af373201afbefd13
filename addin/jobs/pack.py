"""The board pack: what the Improvement Board reads, worked out from the plan and its RAG.

``build_pack`` takes the plan, the rule set, the RAG worked out as at the
report date (``jobs.rag.recalculate``), what earlier packs left in the
workbook (``PackHistory``) and the returns status, and returns a ``Pack``:
plain data (counts, exceptions, indicators, what is due, what changed).
``pack_sheets.pack_changes`` lays it out as sheets. Nothing here touches a
workbook.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..dates import describe
from ..model import Action, Indicator, Milestone, Plan
from ..rules import RuleSet, normalise_header
from ..tables import Grid, as_date, as_number, as_text
from .pack_history import CountEntry, PackHistory, SnapshotEntry, count_entries, find_header
from .returns_status import RETURNS_SHEET, ReturnStatus, read_book, return_states

if TYPE_CHECKING:  # the RAG engine's result; only its attributes are used here
    from .rag import IndicatorRating, RagResult, Rating

ACTION, MILESTONE, INDICATOR = "Action", "Milestone", "Indicator"
OVERDUE, DUE_NEXT = "Overdue", "Due next"
# How serious each RAG is (higher is worse). Values a rule set adds rank after these.
SEVERITY = {"Blue": 0, "Green": 1, "Amber": 2, "Red": 3}
RED, BLUE = "Red", "Blue"
# The changes since the last pack, most important first.
NEW_RED, DETERIORATED, IMPROVED, COMPLETED, CHANGED, NEW, GONE = (
    "New Red",
    "Deteriorated",
    "Improved",
    "Newly completed",
    "Changed",
    "New",
    "No longer in plan",
)
CHANGE_ORDER = (NEW_RED, DETERIORATED, IMPROVED, COMPLETED, CHANGED, NEW, GONE)
RETURN_STATES = ("Returned", "Returned late", "Late", "Missing", "Not yet due")
ARROWS = {"up": "↑", "down": "↓", "same": "→"}


# ------------------------------------------------------------------ the pack


@dataclass(frozen=True)
class CountRow:
    """RAG counts of one group (a theme, an agency, or all actions)."""

    label: str
    counts: Mapping[str, int]

    @property
    def total(self) -> int:
        return sum(self.counts.values())


@dataclass(frozen=True)
class ExceptionLine:
    """A row of the exceptions sheet: a Red, an override, or a persistent concern."""

    ref: str
    kind: str
    text: str
    lead: str
    due: dt.date | None
    days_overdue: int | None
    rag: str | None
    reason: str
    progress: str
    corrective: str | None
    persistent: str  # why it is a persistent exception, "" when it is not
    override: bool = False


@dataclass(frozen=True)
class IndicatorLine:
    code: str
    name: str
    unit: str
    polarity: str
    period_end: dt.date | None
    target: float | None
    actual: float | None
    against_target: str
    rag: str | None
    reason: str
    forecast: str | None
    forecast_reason: str
    direction: str | None  # Improving / Worsening / No change
    arrow: str  # ↑ ↓ → (how the actual moved), "" with fewer than two actuals
    series: tuple[tuple[dt.date, float | None, float | None], ...]  # period end, target, actual

    @property
    def actuals(self) -> int:
        return sum(1 for _, _, a in self.series if a is not None)


@dataclass(frozen=True)
class DueLine:
    """A milestone or action overdue, or due in the next reporting period."""

    when: str  # OVERDUE or DUE_NEXT
    kind: str
    ref: str
    text: str
    lead: str
    due: dt.date
    days: int  # days overdue (OVERDUE) or days to go (DUE_NEXT)
    status: str
    rag: str | None
    reason: str


@dataclass(frozen=True)
class Movement:
    change: str
    kind: str
    ref: str
    text: str
    was: str | None
    now: str | None
    reason: str


@dataclass(frozen=True)
class ReturnLine:
    """One agency's return, as the Returns sheet shows it."""

    agency: str
    state: str
    issued_at: Any = None
    due: dt.date | None = None
    received_at: Any = None
    file: str | None = None
    applied: float | None = None
    conflicts: float | None = None
    rejected: float | None = None


@dataclass
class Pack:
    """Everything on the board pack, as data."""

    title: str
    organisation: str
    marking: str
    as_of: dt.date
    previous: dt.date | None  # the pack compared with (None: the first pack)
    next_period_end: dt.date
    rag_values: tuple[str, ...]  # worst first: the columns of every count table
    definitions: dict[str, str]
    overall: list[CountRow]  # Actions, Milestones, Indicators
    by_theme: list[CountRow]
    by_agency: list[CountRow]
    actions_total: int
    actions_done: int
    actions_cancelled: int
    actions_overdue: int
    exceptions: list[ExceptionLine]
    indicators: list[IndicatorLine]
    due: list[DueLine]
    changes: list[Movement] | None  # None for the first pack
    returns: list[ReturnLine] | None  # None when no returns were issued
    history: PackHistory = field(default_factory=PackHistory)
    uncompared: dt.date | None = None  # the last pack, when its item RAGs are no longer kept

    @property
    def percent_complete(self) -> float:
        live = self.actions_total - self.actions_cancelled
        return 100.0 * self.actions_done / live if live else 0.0

    def counts(self, label: str) -> Mapping[str, int]:
        """The overall counts of ``Actions``, ``Milestones`` or ``Indicators``."""
        return next(row.counts for row in self.overall if row.label == label)

    @property
    def milestones_overdue(self) -> int:
        return sum(1 for d in self.due if d.kind == MILESTONE and d.when == OVERDUE)

    @property
    def milestones_due_next(self) -> int:
        return sum(1 for d in self.due if d.kind == MILESTONE and d.when == DUE_NEXT)

    def change_counts(self) -> dict[str, int]:
        counted = Counter(m.change for m in self.changes or [])
        return {c: counted[c] for c in CHANGE_ORDER if counted[c]}

    def return_counts(self) -> dict[str, int]:
        counted = Counter(r.state for r in self.returns or [])
        states = [*RETURN_STATES, *sorted(s for s in counted if s not in RETURN_STATES)]
        return {s: counted[s] for s in states if counted[s]}

    @property
    def persistent(self) -> list[ExceptionLine]:
        return [e for e in self.exceptions if e.persistent]


# ------------------------------------------------------------------ building it


def build_pack(
    plan: Plan,
    rules: RuleSet,
    rag: RagResult,
    history: PackHistory | None = None,
    returns: Sequence[ReturnLine] | None = None,
    as_of: dt.date | None = None,
) -> Pack:
    """The board pack of ``plan`` as at ``as_of`` (default: the RAG's date).

    ``history`` is what earlier packs left (``PackHistory.from_grids``);
    ``returns`` the rows of the Returns sheet, or None when none were issued.
    The returned pack's ``history`` holds this pack's snapshot and counts in
    place of any earlier ones for the same date, cut to the rule set's
    ``max_rows`` (see ``pack_history``).
    """
    history = history or PackHistory()
    as_of = as_of or rag.as_of
    values = _display_order(rules.rag.values)
    previous = history.previous_date(as_of)
    milestone_refs = milestone_keys(plan.milestones)
    milestone_rating = dict(zip(milestone_refs, rag.milestones))
    by_ref = {a.ref: a for a in plan.actions}

    a_ratings, i_ratings = action_ratings(plan, rag), indicator_ratings(plan, rag)
    action_rags = [(a, _rag_of(r)) for a, r in zip(plan.actions, a_ratings)]
    overall = [
        CountRow("Actions", _count(r for _, r in action_rags)),
        CountRow("Milestones", _count(_rag_of(m) for m in rag.milestones)),
        CountRow("Indicators", _count(_rag_of(r) for r in i_ratings)),
    ]
    by_theme = _group(action_rags, lambda a: a.theme or "(no theme)")
    by_agency = _group(action_rags, lambda a: a.lead_agency or "(no lead agency)")

    statuses = _Statuses(rules)
    done = sum(1 for a in plan.actions if statuses.is_done(a.status))
    cancelled = sum(1 for a in plan.actions if statuses.is_cancelled(a.status))
    overdue = sum(1 for a in plan.actions if _days_overdue(a.effective_due, a.status, statuses, as_of))

    indicators = [indicator_line(i, plan, r) for i, r in zip(plan.indicators, i_ratings)]
    exceptions = _exceptions(
        plan, statuses, a_ratings, i_ratings, history, as_of, milestone_refs, milestone_rating, indicators
    )
    due = _due(
        plan,
        statuses,
        rules.thresholds.next_period_days,
        rag,
        as_of,
        milestone_refs,
        milestone_rating,
        by_ref,
    )
    snapshot = _snapshot(plan, rag, as_of, milestone_refs, milestone_rating, history)
    changes = None
    if previous is not None:
        changes = _changes(history.snapshot(previous), snapshot, plan, rag, milestone_refs, milestone_rating)
    return Pack(
        title=plan.info.title or "Improvement plan",
        organisation=plan.info.organisation or "",
        marking=plan.info.protective_marking or "",
        as_of=as_of,
        previous=previous,
        next_period_end=as_of + dt.timedelta(days=rules.thresholds.next_period_days),
        rag_values=values,
        definitions={k: v for k, v in rules.rag.definitions.items()},
        overall=overall,
        by_theme=by_theme,
        by_agency=by_agency,
        actions_total=len(plan.actions),
        actions_done=done,
        actions_cancelled=cancelled,
        actions_overdue=overdue,
        exceptions=exceptions,
        indicators=indicators,
        due=due,
        changes=changes,
        returns=list(returns) if returns is not None else None,
        history=history.with_snapshot(
            as_of,
            snapshot.values(),
            _count_entries(as_of, values, overall, by_theme, by_agency),
            rules.limits.max_rows,
        ),
        uncompared=history.uncompared(as_of),
    )


def milestone_keys(milestones: Sequence[Milestone]) -> list[str]:
    """The ref each milestone is shown and stored under: its action's ref and its number, "1.4 M2"."""
    seen: Counter[str] = Counter()
    keys = []
    for m in milestones:
        seen[m.action_ref] += 1
        keys.append(f"{m.action_ref} M{seen[m.action_ref]}")
    return keys


def _display_order(values: Iterable[str]) -> tuple[str, ...]:
    """The rule set's RAG values, worst first (Red, Amber, Green, Blue)."""
    listed = list(values)
    return tuple(sorted(listed, key=lambda v: (-SEVERITY.get(v, -1), listed.index(v))))


def _rag_of(rating: Rating | None) -> str | None:
    return rating.rag if rating is not None else None


def _count(rags: Iterable[str | None]) -> dict[str, int]:
    return dict(Counter(r for r in rags if r))


def _group(action_rags: Sequence[tuple[Action, str | None]], key: Any) -> list[CountRow]:
    groups: dict[str, Counter[str]] = {}
    for action, rag in action_rags:
        counts = groups.setdefault(key(action), Counter())
        if rag:
            counts[rag] += 1
    return [CountRow(label, dict(counts)) for label, counts in groups.items()]


class _Statuses:
    """The rule set's done and cancelled statuses, for fast look-ups over many rows."""

    def __init__(self, rules: RuleSet):
        self.done = {s.casefold() for s in rules.statuses.done}
        self.cancelled = {s.casefold() for s in rules.statuses.cancelled}
        self._seen: dict[str | None, tuple[bool, bool]] = {}

    def _of(self, status: str | None) -> tuple[bool, bool]:
        found = self._seen.get(status)
        if found is None:
            key = status.strip().casefold() if isinstance(status, str) else ""
            found = self._seen[status] = (key in self.done, key in self.cancelled)
        return found

    def is_done(self, status: str | None) -> bool:
        return self._of(status)[0]

    def is_cancelled(self, status: str | None) -> bool:
        return self._of(status)[1]

    def is_closed(self, status: str | None) -> bool:
        done, cancelled = self._of(status)
        return done or cancelled


def _days_overdue(due: dt.date | None, status: str | None, statuses: _Statuses, as_of: dt.date) -> int | None:
    if due is None or due >= as_of or statuses.is_closed(status):
        return None
    return (as_of - due).days


def _updated(text: str | None, when: dt.date | None) -> str:
    if not text:
        return "No progress update"
    return f"{text} (updated {describe(when)})" if when else text


def _reason(rating: Rating | None) -> str:
    """The RAG's one-line reason (an override's says so, with the calculated RAG)."""
    return rating.reason if rating is not None else ""


def action_ratings(plan: Plan, rag: RagResult) -> list[Rating | None]:
    """Each action's rating in the plan's row order (a ref typed twice keeps both rows)."""
    listed = getattr(rag, "action_list", None)
    if listed and len(listed) == len(plan.actions):
        return list(listed)
    return [rag.actions.get(a.ref) for a in plan.actions]


def indicator_ratings(plan: Plan, rag: RagResult) -> list[IndicatorRating | None]:
    listed = getattr(rag, "indicator_list", None)
    if listed and len(listed) == len(plan.indicators):
        return list(listed)
    return [rag.indicators.get(i.code) for i in plan.indicators]


# ------------------------------------------------------------------ indicators


def _fmt(number: float) -> str:
    return f"{number:,.1f}".rstrip("0").rstrip(".") if number != int(number) else f"{int(number):,}"


def misses(
    actual: float | None, target: float | None, polarity: str | None, tolerance: float | None = None
) -> bool:
    """True when ``actual`` does not meet ``target`` (Closer is better: further away than the tolerance)."""
    if actual is None or target is None:
        return False
    pol = normalise_header(polarity or "")
    if pol.startswith("lower"):
        return actual > target
    if pol.startswith("closer"):
        return abs(actual - target) > (tolerance or 0)
    return actual < target


def against_target(actual: float | None, target: float | None, polarity: str | None, unit: str | None) -> str:
    """How far the actual is from the target, in words: "Missed by 3 pts", "Met (2 pts better)"."""
    if actual is None:
        return "No actual yet"
    if target is None:
        return "No target set"
    gap = actual - target
    if gap == 0:
        return "On target"
    points = " pts" if (unit or "").strip() == "%" else ""
    size = f"{_fmt(abs(gap))}{points}"
    pol = normalise_header(polarity or "")
    if pol.startswith("closer"):
        return f"{size} {'above' if gap > 0 else 'below'} target"
    better = gap < 0 if pol.startswith("lower") else gap > 0
    return f"Met ({size} better)" if better else f"Missed by {size}"


def indicator_line(indicator: Indicator, plan: Plan, rating: IndicatorRating | None) -> IndicatorLine:
    data = plan.data_of(indicator.code)
    series = tuple((d.period_end, d.target, d.actual) for d in data if d.period_end is not None)
    actual = rating.actual if rating is not None else None
    target = rating.target if rating is not None else None
    previous = rating.previous_actual if rating is not None else None
    arrow = ""
    if actual is not None and previous is not None:
        arrow = ARROWS["up" if actual > previous else "down" if actual < previous else "same"]
    return IndicatorLine(
        code=indicator.code,
        name=indicator.indicator or "",
        unit=indicator.unit or "",
        polarity=indicator.polarity or "",
        period_end=rating.period_end if rating is not None else None,
        target=target,
        actual=actual,
        against_target=against_target(actual, target, indicator.polarity, indicator.unit),
        rag=_rag_of(rating),
        reason=_reason(rating),
        forecast=rating.forecast if rating is not None else None,
        forecast_reason=rating.forecast_reason if rating is not None else "",
        direction=rating.direction if rating is not None else None,
        arrow=arrow,
        series=series,
    )


def missed_run(indicator: Indicator, plan: Plan) -> int:
    """How many periods running, up to the latest actual, the indicator missed its target."""
    run = 0
    for d in reversed([d for d in plan.data_of(indicator.code) if d.actual is not None]):
        if not misses(d.actual, d.target, indicator.polarity, indicator.tolerance):
            break
        run += 1
    return run


# ------------------------------------------------------------------ exceptions


def _persistent_red(history: PackHistory, kind: str, ref: str, rag: str | None, as_of: dt.date) -> str:
    if rag != RED:
        return ""
    run = 1 + history.red_run(kind, ref, as_of)
    return f"Red at {run} packs running" if run >= 2 else ""


def _exceptions(
    plan: Plan,
    statuses: _Statuses,
    a_ratings: list[Rating | None],
    i_ratings: list[IndicatorRating | None],
    history: PackHistory,
    as_of: dt.date,
    milestone_refs: list[str],
    milestone_rating: dict[str, Rating],
    indicators: list[IndicatorLine],
) -> list[ExceptionLine]:
    """Every Red action and milestone, every override, and every indicator that is Red or a
    persistent concern (missed target two periods running, or Red/Amber and worsening)."""
    out: list[ExceptionLine] = []
    milestones_of: dict[str, list[tuple[str, Milestone]]] = {}
    for key, m in zip(milestone_refs, plan.milestones):
        milestones_of.setdefault(m.action_ref, []).append((key, m))
    for action, rating in zip(plan.actions, a_ratings):
        progress: str | None = None  # worked out for the exceptions only
        if rating is not None and (rating.rag == RED or rating.override):
            progress = _updated(action.progress_update, action.last_updated)
            out.append(
                ExceptionLine(
                    ref=action.ref,
                    kind=ACTION,
                    text=action.action or "",
                    lead=action.lead_officer or "",
                    due=action.effective_due,
                    days_overdue=_days_overdue(action.effective_due, action.status, statuses, as_of),
                    rag=rating.rag,
                    reason=_reason(rating),
                    progress=progress,
                    corrective=history.corrective_for(action.ref),
                    persistent=_persistent_red(history, ACTION, action.ref, rating.rag, as_of),
                    override=rating.override,
                )
            )
        for key, m in milestones_of.pop(action.ref, []):
            m_rating = milestone_rating.get(key)
            if m_rating is None or not (m_rating.rag == RED or m_rating.override):
                continue
            if progress is None:
                progress = _updated(action.progress_update, action.last_updated)
            out.append(
                ExceptionLine(
                    ref=key,
                    kind=MILESTONE,
                    text=f"Milestone: {m.milestone or ''}",
                    lead=m.lead_officer or action.lead_officer or "",
                    due=m.due_date,
                    days_overdue=_days_overdue(m.due_date, m.status, statuses, as_of),
                    rag=m_rating.rag,
                    reason=_reason(m_rating),
                    progress=progress,
                    corrective=history.corrective_for(key),
                    persistent=_persistent_red(history, MILESTONE, key, m_rating.rag, as_of),
                    override=m_rating.override,
                )
            )
    for leftover in milestones_of.values():  # milestones of a ref that is not an action
        for key, m in leftover:
            m_rating = milestone_rating.get(key)
            if m_rating is not None and (m_rating.rag == RED or m_rating.override):
                out.append(
                    ExceptionLine(
                        ref=key,
                        kind=MILESTONE,
                        text=f"Milestone: {m.milestone or ''}",
                        lead=m.lead_officer or "",
                        due=m.due_date,
                        days_overdue=_days_overdue(m.due_date, m.status, statuses, as_of),
                        rag=m_rating.rag,
                        reason=_reason(m_rating),
                        progress="No progress update",
                        corrective=history.corrective_for(key),
                        persistent=_persistent_red(history, MILESTONE, key, m_rating.rag, as_of),
                        override=m_rating.override,
                    )
                )
    for indicator, line, rating in zip(plan.indicators, indicators, i_ratings):
        why = []
        red_run = _persistent_red(history, INDICATOR, indicator.code, line.rag, as_of)
        if red_run:
            why.append(red_run)
        missed = missed_run(indicator, plan)
        if missed >= 2:
            why.append(f"Missed target {missed} periods running")
        if line.rag in (RED, "Amber") and line.direction == "Worsening":
            why.append("Worsening")
        overridden = bool(rating is not None and rating.override)
        if not (line.rag == RED or overridden or why):
            continue
        forecast = f"Year-end forecast {line.forecast}" if line.forecast else "No year-end forecast"
        if line.forecast_reason:
            forecast = f"{forecast}: {line.forecast_reason}"
        out.append(
            ExceptionLine(
                ref=indicator.code,
                kind=INDICATOR,
                text=f"Indicator: {line.name}",
                lead=indicator.lead_agency or "",
                due=line.period_end,
                days_overdue=None,
                rag=line.rag,
                reason=line.reason,
                progress=forecast,
                corrective=history.corrective_for(indicator.code),
                persistent="; ".join(why),
                override=overridden,
            )
        )
    return out


# ------------------------------------------------------------------ due and overdue


def _due(
    plan: Plan,
    statuses: _Statuses,
    next_period_days: int,
    rag: RagResult,
    as_of: dt.date,
    milestone_refs: list[str],
    milestone_rating: dict[str, Rating],
    by_ref: dict[str, Action],
) -> list[DueLine]:
    horizon = as_of + dt.timedelta(days=next_period_days)
    out: list[DueLine] = []

    def consider(
        kind: str,
        ref: str,
        text: str,
        lead: str,
        due: dt.date | None,
        status: str | None,
        rating: Rating | None,
    ) -> None:
        if due is None or due > horizon or statuses.is_closed(status):
            return
        late = due < as_of
        out.append(
            DueLine(
                when=OVERDUE if late else DUE_NEXT,
                kind=kind,
                ref=ref,
                text=text,
                lead=lead,
                due=due,
                days=(as_of - due).days if late else (due - as_of).days,
                status=status or "",
                rag=_rag_of(rating),
                reason=_reason(rating),
            )
        )

    for key, m in zip(milestone_refs, plan.milestones):
        parent = by_ref.get(m.action_ref)
        lead = m.lead_officer or (parent.lead_officer if parent else None) or ""
        consider(MILESTONE, key, m.milestone or "", lead, m.due_date, m.status, milestone_rating.get(key))
    for a in plan.actions:
        consider(
            ACTION,
            a.ref,
            f"Action: {a.action or ''}",
            a.lead_officer or "",
            a.effective_due,
            a.status,
            rag.actions.get(a.ref),
        )
    kind_order = {MILESTONE: 0, ACTION: 1}
    return sorted(out, key=lambda d: (d.when != OVERDUE, d.due, kind_order[d.kind]))


# ------------------------------------------------------------------ snapshot and changes


def _snapshot(
    plan: Plan,
    rag: RagResult,
    as_of: dt.date,
    milestone_refs: list[str],
    milestone_rating: dict[str, Rating],
    history: PackHistory,
) -> dict[tuple[str, str], SnapshotEntry]:
    """Every item's RAG at this pack, how many packs running it has been Red, and the corrective
    action in force for it (typed on the exceptions sheet, else stored): kept for every item, so
    a recovery action comes back when the item is an exception again."""
    out: dict[tuple[str, str], SnapshotEntry] = {}
    items: list[tuple[str, str, str | None]] = [
        (ACTION, a.ref, _rag_of(rag.actions.get(a.ref))) for a in plan.actions
    ]
    items += [(MILESTONE, k, _rag_of(milestone_rating.get(k))) for k in milestone_refs]
    items += [(INDICATOR, i.code, _rag_of(rag.indicators.get(i.code))) for i in plan.indicators]
    for kind, ref, value in items:
        run = 1 + history.red_run(kind, ref, as_of) if value == RED else None
        out[(kind, ref)] = SnapshotEntry(as_of, kind, ref, value, history.corrective_for(ref), run)
    return out


def _count_entries(
    as_of: dt.date,
    values: Sequence[str],
    overall: list[CountRow],
    by_theme: list[CountRow],
    by_agency: list[CountRow],
) -> list[CountEntry]:
    """The pack's RAG counts as the history keeps them, worst RAG first (see
    ``pack_history.count_entries``)."""

    def ordered(rows: Iterable[CountRow]) -> list[tuple[str, dict[str, int]]]:
        rank = {v: n for n, v in enumerate(values)}
        return [
            (r.label, dict(sorted(r.counts.items(), key=lambda kv: rank.get(kv[0], len(rank))))) for r in rows
        ]

    out = [e for row in overall for e in count_entries(as_of, row.label, [("All", ordered([row])[0][1])])]
    out += count_entries(as_of, "Actions by theme", ordered(by_theme))
    out += count_entries(as_of, "Actions by lead agency", ordered(by_agency))
    return out


def movement(was: str | None, now: str | None, new: bool = False) -> str | None:
    """What kind of change ``was`` -> ``now`` is, or None for no change."""
    if new:
        return NEW_RED if now == RED else NEW
    if was == now:
        return None
    if now == RED:
        return NEW_RED
    if now == BLUE:
        return COMPLETED
    if was in SEVERITY and now in SEVERITY:
        return IMPROVED if SEVERITY[now] < SEVERITY[was] else DETERIORATED
    return CHANGED


def _changes(
    before: Mapping[tuple[str, str], SnapshotEntry],
    after: Mapping[tuple[str, str], SnapshotEntry],
    plan: Plan,
    rag: RagResult,
    milestone_refs: list[str],
    milestone_rating: dict[str, Rating],
) -> list[Movement]:
    texts: dict[tuple[str, str], tuple[str, str]] = {}
    for a in plan.actions:
        texts[(ACTION, a.ref)] = (a.action or "", _reason(rag.actions.get(a.ref)))
    for ref, m in zip(milestone_refs, plan.milestones):
        texts[(MILESTONE, ref)] = (f"Milestone: {m.milestone or ''}", _reason(milestone_rating.get(ref)))
    for i in plan.indicators:
        texts[(INDICATOR, i.code)] = (i.indicator or "", _reason(rag.indicators.get(i.code)))
    out = []
    order = {key: n for n, key in enumerate(after)}
    for key, entry in after.items():
        old = before.get(key)
        change = movement(old.rag if old else None, entry.rag, new=old is None)
        if change:
            text, reason = texts.get(key, ("", ""))
            out.append(Movement(change, key[0], key[1], text, old.rag if old else None, entry.rag, reason))
    for key, old in before.items():
        if key not in after:
            order[key] = len(order)
            out.append(Movement(GONE, key[0], key[1], "", old.rag, None, ""))
    return sorted(out, key=lambda m: (CHANGE_ORDER.index(m.change), order[(m.kind, m.ref)]))


# ------------------------------------------------------------------ returns


# The Returns sheet's columns (merge writes it): field -> the headers it may have.
RETURN_COLUMNS = {
    "agency": ("agency",),
    "issued_at": ("issuedat", "issued"),
    "due": ("due", "returndue"),
    "received_at": ("receivedat", "received"),
    "file": ("returnfile", "file"),
    "applied": ("changesapplied", "applied"),
    "conflicts": ("conflicts",),
    "rejected": ("rejected",),
    "state": ("state",),
}


def returns_from_grid(grid: Grid | None) -> list[ReturnLine] | None:
    """The rows of the Returns sheet (None when the workbook has none: no returns issued yet)."""
    if grid is None:
        return None
    found = find_header(grid, ("Agency", "State"))
    if found is None:
        return []
    head, cols = found
    out = []
    for row in grid.values[head + 1 :]:
        raw = {}
        for field_, names in RETURN_COLUMNS.items():
            c = next((cols[n] for n in names if n in cols), None)
            raw[field_] = row[c] if c is not None and c < len(row) else None
        agency = as_text(raw.get("agency"))
        if not agency:
            continue
        out.append(
            ReturnLine(
                agency=agency,
                state=as_text(raw.get("state")) or "",
                issued_at=raw.get("issued_at"),
                due=as_date(raw.get("due")),
                received_at=raw.get("received_at"),
                file=as_text(raw.get("file")),
                applied=as_number(raw.get("applied")),
                conflicts=as_number(raw.get("conflicts")),
                rejected=as_number(raw.get("rejected")),
            )
        )
    return out


def returns_from_statuses(statuses: Sequence[ReturnStatus]) -> list[ReturnLine]:
    """The returns as they stand now, from the issue book (``returns_status.return_states``):
    what the Returns sheet would show if merge wrote it at this moment."""
    out = []
    for status in statuses:
        received = status.received_at is not None
        out.append(
            ReturnLine(
                agency=status.agency,
                state=status.state,
                issued_at=status.issue.issued_at,
                due=status.issue.due,
                received_at=status.received_at,
                file=status.file if received else None,
                applied=status.applied if received else None,
                conflicts=status.conflicts if received else None,
                rejected=status.rejected if received else None,
            )
        )
    return out


def current_returns(grids: Mapping[str, Grid], rules: RuleSet, now: dt.datetime) -> list[ReturnLine] | None:
    """Each agency's return as it stands at ``now``, worked out from the issue book that issue
    and merge keep; from the Returns sheet when there is no book (None: no returns issued)."""
    book = read_book(grids)
    if book.issues:
        return returns_from_statuses(return_states(book, now.replace(microsecond=0), rules))
    returns_grid = next(
        (g for name, g in grids.items() if normalise_header(name) == normalise_header(RETURNS_SHEET)), None
    )
    return returns_from_grid(returns_grid)
