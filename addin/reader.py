"""Tables -> plan model. Works on grids from any adapter; never touches cells.

``tracker_from_grids`` is the one place a tracker's sheets become a ``Plan``:
the CLI (through ``files.read_tracker``) and the Excel buttons both use it.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from .errors import UnusableWorkbook
from .model import SHEET_OF, Plan, PlanInfo
from .rules import RuleSet, SheetRule, normalise_header
from .tables import CONVERTERS, Grid, Table, as_text, is_blank, table_from_grid, typed


@dataclass
class PlanSheet:
    """The Plan sheet: Field/Value rows, with where each field sits."""

    sheet: str
    values: dict[str, Any] = field(default_factory=dict)  # normalised field -> raw value
    rows: dict[str, int] = field(default_factory=dict)  # normalised field -> Excel row
    labels: dict[str, str] = field(default_factory=dict)  # normalised field -> label as typed
    value_column: int = 1  # 0-based column of the values


@dataclass
class Tracker:
    """A tracker as read: the plan model plus the raw tables it came from."""

    plan: Plan
    tables: dict[str, Table]
    plan_sheet: PlanSheet
    sheet_names: list[str]
    rules: RuleSet
    path: Path | None = None
    warnings: list[str] = field(default_factory=list)  # what the reader noticed (see tables.Grids)

    def table(self, name: str) -> Table:
        return self.tables[name]


def _find_sheet(grids: Mapping[str, Grid], name: str) -> Grid | None:
    wanted = normalise_header(name)
    for sheet_name, grid in grids.items():
        if normalise_header(sheet_name) == wanted:
            return grid
    return None


def read_plan_sheet(grid: Grid | None, rule: SheetRule) -> PlanSheet:
    if grid is None:
        return PlanSheet(rule.name)
    sheet = PlanSheet(grid.name)
    for number, row in enumerate(grid.values, start=1):
        if len(row) < 2 or is_blank(row[0]):
            continue
        label = str(row[0]).strip()
        key = normalise_header(label)
        if key in ("field",):
            continue
        sheet.values[key] = row[1]
        sheet.rows[key] = number
        sheet.labels[key] = label
    return sheet


def plan_info(sheet: PlanSheet, rule: SheetRule) -> PlanInfo:
    data: dict[str, Any] = {}
    for column in rule.fields:
        raw = sheet.values.get(column.key)
        data[column.field] = typed(raw, column)
    known = {f.key for f in rule.fields}
    extra = {sheet.labels[k]: v for k, v in sheet.values.items() if k not in known}
    # An empty or missing field keeps the model's default (Title ""), and validation reports it.
    info = PlanInfo.model_validate(
        {k: v for k, v in data.items() if k in PlanInfo.model_fields and v is not None}
    )
    info.extra = extra
    if not info.title:
        info.title = ""
    return info


def rows_from_table(table: Table, rule: SheetRule, row_class: type[BaseModel]) -> list[Any]:
    """Typed row objects from a table; rows without their key are skipped (validation reports them)."""
    # Work out each column's field name and converter once, not once per cell.
    columns = [(c.field, CONVERTERS[c.type], table.index(c.name)) for c in rule.columns]
    present = [(name, convert, at) for name, convert, at in columns if at is not None]
    extras = table.extra_columns()
    key_field = rule.column(rule.key).field if rule.key else None
    out = []
    fields_set = None
    values: dict[str, Any] | None = None
    for number, raw in table.records():
        data: dict[str, Any] = {name: convert(raw[at]) for name, convert, at in present}
        if key_field and not data.get(key_field):
            continue
        data["row"] = number
        data["extra"] = {header: raw[i] for i, header in extras if not is_blank(raw[i])}
        row = row_class.model_validate(data)
        # Every row of a table is given the same fields, so they share one record of which
        # were given: pydantic keeps a set per object, bigger than the object's own values
        # (2 kB an action; 100 MB on a 20,000-action plan).
        if fields_set is None:
            fields_set = row.__pydantic_fields_set__
            values = _key_sharing_values(row)
        elif row.__pydantic_fields_set__ == fields_set:
            object.__setattr__(row, "__pydantic_fields_set__", fields_set)
        if values is not None:
            # Their values, too, go in a dict that shares its keys with the other rows'
            # (~30 bytes a field less: 550 bytes an action, 40 MB on a 20,000-action plan).
            shared = values.copy()
            shared.update(row.__dict__)
            if len(shared) == len(row.__dict__):  # the same fields, so none left from another row
                object.__setattr__(row, "__dict__", shared)
        out.append(row)
    return out


def _key_sharing_values(row: BaseModel) -> dict[str, Any] | None:
    """A dict of ``row``'s values that shares its keys with other objects of its class, as
    Python makes for objects whose attributes are set one by one (pydantic gives each object
    a dict of its own), or None where this Python does not share keys for the class."""
    blank = object.__new__(type(row))
    for name, value in row.__dict__.items():
        object.__setattr__(blank, name, value)
    shared = blank.__dict__
    return shared if sys.getsizeof(shared) < sys.getsizeof(row.__dict__) else None


def tracker_from_grids(grids: Mapping[str, Grid], rules: RuleSet, path: Path | None = None) -> Tracker:
    """Build the tracker from every sheet's grid. A missing required sheet is unusable input."""
    plan_rule = next(s for s in rules.sheets if s.kind == "fields")
    for rule in rules.sheets:
        if rule.required and _find_sheet(grids, rule.name) is None:
            raise UnusableWorkbook(
                path,
                f"the workbook has no '{rule.name}' sheet",
                f"plantrack needs the sheets {', '.join(s.name for s in rules.sheets if s.required)}; "
                "run 'plantrack new' for a blank tracker in the right layout",
            )
    plan_sheet = read_plan_sheet(_find_sheet(grids, plan_rule.name), plan_rule)
    tables: dict[str, Table] = {}
    plan = Plan(info=plan_info(plan_sheet, plan_rule))
    for attribute, (sheet_name, row_class) in SHEET_OF.items():
        rule = rules.sheet(sheet_name)
        grid = _find_sheet(grids, sheet_name)
        table = table_from_grid(grid, rule) if grid is not None else Table(sheet_name, 1, [], {}, rule=rule)
        tables[sheet_name] = table
        setattr(plan, attribute, rows_from_table(table, rule, row_class))
    warnings = list(getattr(grids, "warnings", []))
    return Tracker(plan, tables, plan_sheet, list(grids), rules, path, warnings)


def key_text(value: Any) -> str | None:
    """A ref or code as text, the way the tables compare them."""
    return as_text(value)
