"""Properties of the RAG rules, for any action (hypothesis):

- completing an action always gives Blue;
- moving the as-at date later never improves an unfinished action's RAG;
- an unfinished action is never better than its worst open milestone;
- an override with a reason always wins.
"""

from __future__ import annotations

import datetime as dt

from hypothesis import given, settings
from hypothesis import strategies as st

from addin.jobs.rag import AMBER, BLUE, GREEN, RED, recalculate
from addin.model import Action, Milestone, Plan, PlanInfo
from addin.rules import load_rules

RULES = load_rules()
BADNESS = {BLUE: 0, GREEN: 1, AMBER: 2, RED: 3}
START = dt.date(2018, 1, 1)

dates = st.integers(0, 3 * 365).map(lambda n: START + dt.timedelta(days=n))
maybe_dates = st.none() | dates
unfinished = st.sampled_from(["Not started", "In progress", "On hold", None, "Waiting", " in progress "])
any_status = st.sampled_from(
    ["Not started", "In progress", "On hold", "Completed", "Embedded", "Cancelled", None, "Done?"]
)
percents = st.none() | st.floats(0, 100, allow_nan=False)
rags = st.sampled_from([BLUE, GREEN, AMBER, RED, "amber", " Red "])
reasons = st.text(min_size=1, max_size=40).filter(lambda t: t.strip())


@st.composite
def milestones(draw, ref: str = "1") -> list[Milestone]:
    out = []
    for _ in range(draw(st.integers(0, 4))):
        out.append(
            Milestone(
                action_ref=ref,
                milestone=draw(st.text(max_size=20)),
                due_date=draw(maybe_dates),
                start_date=draw(maybe_dates),
                status=draw(any_status),
                completed_date=draw(maybe_dates),
            )
        )
    return out


@st.composite
def actions(draw, status=unfinished, override: bool = False) -> Action:
    return Action(
        ref="1",
        theme="T",
        action="A",
        lead_officer="L",
        lead_agency="Ag",
        status=draw(status),
        start_date=draw(maybe_dates),
        due_date=draw(maybe_dates),
        revised_due_date=draw(maybe_dates),
        completed_date=draw(maybe_dates),
        percent_complete=draw(percents),
        rag_override=draw(rags) if override else None,
        override_reason=draw(reasons) if override else None,
    )


def rate(action: Action, ms: list[Milestone], as_of: dt.date):
    plan = Plan(info=PlanInfo(title="p"), actions=[action], milestones=ms)
    return recalculate(plan, RULES, as_of)


@settings(max_examples=200, deadline=None)
@given(actions(status=st.sampled_from(["Completed", "Embedded", "completed"])), milestones(), dates)
def test_completing_an_action_always_gives_blue(action, ms, as_of):
    rating = rate(action, ms, as_of).actions["1"]
    assert rating.rag == BLUE and not rating.override


@settings(max_examples=250, deadline=None)
@given(actions(), milestones(), dates, st.integers(0, 400))
def test_a_later_as_at_date_never_improves_an_unfinished_action(action, ms, as_of, later_by):
    earlier = rate(action, ms, as_of).actions["1"]
    later = rate(action, ms, as_of + dt.timedelta(days=later_by)).actions["1"]
    assert BADNESS[later.rag] >= BADNESS[earlier.rag], (earlier.reason, later.reason)


@settings(max_examples=250, deadline=None)
@given(actions(), milestones(), dates)
def test_an_action_is_never_better_than_its_worst_open_milestone(action, ms, as_of):
    result = rate(action, ms, as_of)
    rating = result.actions["1"]
    open_ = [m.rag for m in result.milestones if m.rag in (GREEN, AMBER, RED)]
    if open_:
        worst = max(open_, key=BADNESS.__getitem__)
        assert BADNESS[rating.rag] >= BADNESS[worst]
        alone = rate(action, [], as_of).actions["1"]
        if BADNESS[worst] > BADNESS[alone.rag]:
            assert rating.reason.startswith("Milestone '")  # the reason says which milestone


@settings(max_examples=200, deadline=None)
@given(actions(status=any_status, override=True), milestones(), dates)
def test_an_override_with_a_reason_always_wins(action, ms, as_of):
    rating = rate(action, ms, as_of).actions["1"]
    assert rating.override
    assert rating.rag == action.rag_override.strip().capitalize()
    assert rating.reason.startswith(f"Override: {rating.rag} — ")
