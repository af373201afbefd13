"""The plan model: what an improvement plan holds, independent of any workbook.

Every row class keeps ``row`` (the Excel row it came from, if any) and ``extra``
(the values of columns the rules do not know, by their header as typed), so a
plan read from a tracker can be written back without losing anything.

Values are typed (dates are ``datetime.date``, % complete is a number). A cell
that held something of the wrong type (text in a date column, say) reads as
``None`` here; validation reports it from the raw tables.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

Date = dt.date


class _Row(BaseModel):
    model_config = ConfigDict(validate_assignment=False, extra="forbid")

    row: int | None = Field(default=None, description="Excel row number in the tracker")
    extra: dict[str, Any] = Field(default_factory=dict, description="Columns the rules do not know")


class PlanInfo(BaseModel):
    """The Plan sheet: title, organisation, dates and marking."""

    model_config = ConfigDict(extra="forbid")

    title: str = ""
    organisation: str | None = None
    inspection: str | None = None
    inspection_date: Date | None = None
    report_date: Date | None = None
    reporting_period: str | None = None
    protective_marking: str | None = None
    plan_id: str | None = None
    rule_set: str | None = None
    returns_folder: str | None = None
    extra: dict[str, Any] = Field(default_factory=dict)


class Action(_Row):
    ref: str
    theme: str | None = None
    outcome: str | None = None
    recommendation: str | None = None
    action: str | None = None
    lead_officer: str | None = None
    lead_agency: str | None = None
    priority: str | None = None
    start_date: Date | None = None
    due_date: Date | None = None
    revised_due_date: Date | None = None
    completed_date: Date | None = None
    status: str | None = None
    percent_complete: float | None = None
    progress_update: str | None = None
    evidence: str | None = None
    last_updated: Date | None = None
    rag: str | None = None
    rag_reason: str | None = None
    rag_override: str | None = None
    override_reason: str | None = None
    impact_rating: str | None = None
    impact_evidence: str | None = None

    @property
    def effective_due(self) -> Date | None:
        """The revised due date if there is one, else the due date."""
        return self.revised_due_date or self.due_date


class Milestone(_Row):
    action_ref: str
    milestone: str | None = None
    lead_officer: str | None = None
    start_date: Date | None = None
    due_date: Date | None = None
    completed_date: Date | None = None
    status: str | None = None
    rag: str | None = None
    rag_reason: str | None = None


class Indicator(_Row):
    code: str
    indicator: str | None = None
    unit: str | None = None
    polarity: str | None = None
    baseline: float | None = None
    baseline_date: Date | None = None
    tolerance: float | None = None
    lead_agency: str | None = None
    rag: str | None = None
    rag_reason: str | None = None
    direction: str | None = None


class IndicatorValue(_Row):
    """One period of an indicator: its target and, once known, its actual."""

    code: str
    period_end: Date | None = None
    target: float | None = None
    actual: float | None = None


class Lead(_Row):
    abbreviation: str | None = None
    name: str
    job_title: str | None = None
    agency: str | None = None
    email: str | None = None


class Agency(_Row):
    agency: str
    contact: str | None = None
    email: str | None = None
    return_due: Date | None = None


class Plan(BaseModel):
    """A whole improvement plan."""

    model_config = ConfigDict(extra="forbid")

    info: PlanInfo = Field(default_factory=PlanInfo)
    actions: list[Action] = Field(default_factory=list)
    milestones: list[Milestone] = Field(default_factory=list)
    indicators: list[Indicator] = Field(default_factory=list)
    indicator_data: list[IndicatorValue] = Field(default_factory=list)
    leads: list[Lead] = Field(default_factory=list)
    agencies: list[Agency] = Field(default_factory=list)

    def milestones_of(self, ref: str) -> list[Milestone]:
        return [m for m in self.milestones if m.action_ref == ref]

    def data_of(self, code: str) -> list[IndicatorValue]:
        """An indicator's periods, oldest first."""
        rows = [d for d in self.indicator_data if d.code == code and d.period_end is not None]
        return sorted(rows, key=lambda d: d.period_end or dt.date.min)

    def agency_names(self) -> list[str]:
        return [a.agency for a in self.agencies]


# The sheet each list of the plan lives on, and the row class it holds.
SHEET_OF: dict[str, tuple[str, type[_Row]]] = {
    "actions": ("Actions", Action),
    "milestones": ("Milestones", Milestone),
    "indicators": ("Indicators", Indicator),
    "indicator_data": ("Indicator data", IndicatorValue),
    "leads": ("Leads", Lead),
    "agencies": ("Agencies", Agency),
}
