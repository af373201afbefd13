"""Import an existing plan: the action table a council already keeps -> a plantrack ``Plan``.

``import_plan(grids, rules, import_rules, as_of=...)`` is the job. It takes the
source workbook's sheets as grids (read through the guard by the adapter),
finds the action table (``import_map.find_table``), walks its rows and returns
an ``ImportResult``: the new plan and a report of what was mapped to what and
of every cell that needed a decision. ``import_report.report_sheet`` turns the
report into the "Import report" sheet. Nothing here touches a workbook.

The parts: ``import_map`` (rules/import.toml, finding the table and mapping its
headers), ``import_rows`` (which rows start an action, which carry on one),
``import_actions`` (an action's cells -> its values, milestones and refs),
``import_cells`` (reading one messy cell) and ``import_report``.

How the rows are read (what a programme manager would do by hand):

- A row that starts an action has a ref (in the Ref column, or at the start of
  the action text: "1.1 All managers ..."). In a plan with no refs at all, a
  row with action text starts one. Other rows continue the action above:
  their text runs on (a cell split over two rows by a page break or a Word
  paste), their milestones are added.
- A row with only a numbered heading ("1. Assessments of children's needs ...")
  gives the following actions their theme when the plan has no Theme column
  (otherwise it is kept in a "Section" column). An "Outcome" row (and the
  rows under it) gives them their outcome when the plan has no Outcome column.
  A repeat of the header row (a table over several pages) is skipped.
- Blank cells in the fill-down columns (``fill_down`` in rules/import.toml) take
  the value above. Dates are read the UK way (``addin.dates``); a date cell
  that says "Ongoing" or "Completed." leaves the date empty and its words go
  into the progress update. The status is read from a Status column, else
  from the start of the progress text ("Completed:", "On track"), else it is
  "In progress" or "Not started" (reported).
- A Milestones cell with one milestone per line, beside Start / End cells with
  one date per line, gives one milestone per line with its own dates; the
  action runs from the first start to the last end.
- "(1) ... (2) ..." in one action cell gives one action per number, with refs
  from the row's ref or its recommendation ("S1.1", "S1.2").
- A ref used twice keeps the first; the second gets a letter ("9.3" -> "9.3a"),
  and the report says so.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from ..errors import UnusableWorkbook
from ..model import Action, Agency, Lead, Milestone, Plan, PlanInfo
from ..rules import RuleSet
from ..tables import Grid
from .import_actions import Converter, Draft, settle_refs
from .import_map import ImportRules, SourceColumn, SourceTable, find_table, known_headers
from .import_rows import ImportNote, Walk, walk_table

__all__ = ["ImportNote", "ImportResult", "import_plan"]


@dataclass
class ImportResult:
    """The imported plan and the import report."""

    plan: Plan
    source: str
    sheet: str
    header_row: int
    columns: list[SourceColumn]
    rows_read: int
    notes: list[ImportNote] = field(default_factory=list)
    sheets_looked_at: int = 1

    @property
    def attention(self) -> list[ImportNote]:
        return [n for n in self.notes if n.attention]

    @property
    def needs_attention(self) -> bool:
        return bool(self.attention)

    def to_dict(self) -> dict[str, Any]:
        """The report as plain data (for ``--json``)."""
        return {
            "source": self.source,
            "sheet": self.sheet,
            "header_row": self.header_row,
            "rows_read": self.rows_read,
            "actions": len(self.plan.actions),
            "milestones": len(self.plan.milestones),
            "leads": len(self.plan.leads),
            "agencies": len(self.plan.agencies),
            "columns": [
                {
                    "column": c.letter,
                    "header": c.header,
                    "target": c.target,
                    "kept_as": c.kept_as,
                    "how": c.how,
                }
                for c in self.columns
            ],
            "notes": [asdict(n) for n in self.notes],
            "needs_attention": self.needs_attention,
        }


# ------------------------------------------------------------------- job


def import_plan(
    grids: Mapping[str, Grid],
    rules: RuleSet,
    import_rules: ImportRules,
    *,
    as_of: dt.date,
    sheet: str | None = None,
    overrides: Sequence[tuple[str, str]] = (),
    source: str | Path = "",
) -> ImportResult:
    """Read the action table among ``grids`` into a new ``Plan`` and an import report.

    ``overrides`` are ``--map`` pairs (source header, tracker column). Raises
    ``UnusableWorkbook`` when no action table can be found.
    """
    path = Path(source) if source else None
    known = known_headers(import_rules, rules, overrides)
    table = find_table(grids, import_rules, rules, sheet=sheet, overrides=overrides, path=path)
    walk = walk_table(table, known)
    if not walk.records:
        raise UnusableWorkbook(
            path,
            f"the table on sheet '{table.sheet}' (header on row {table.header_row}) has no actions under "
            "its header",
            "check that this is the sheet holding your plan, or name it with --sheet",
        )
    converter = Converter(table, rules, import_rules, as_of)
    drafts = [d for record in walk.records for d in converter.convert(record)]
    settle_refs(drafts, converter)
    actions, milestones = _build_actions(drafts, converter)
    leads, agencies = _leads_and_agencies(actions, milestones, converter)
    title = walk.title or _title_from(table.sheet, path)
    info = PlanInfo(title=title, report_date=as_of, protective_marking=walk.marking)
    info.extra = {
        "Imported from": f"{path.name if path else 'source'}, sheet '{table.sheet}', header on row "
        f"{table.header_row}"
    }
    plan = Plan(info=info, actions=actions, milestones=milestones, leads=leads, agencies=agencies)
    ref_of_row: dict[int, str | None] = {}
    for draft in drafts:
        for line in draft.record.lines:
            ref_of_row.setdefault(line.row, draft.ref)
    row_notes = [
        replace(n, ref=ref_of_row.get(n.row)) if n.ref is None and n.row else n for n in converter.notes
    ]
    notes = _summary_notes(table, walk, converter, drafts) + walk.notes + row_notes
    notes.sort(key=lambda n: (n.row is not None, n.row or 0))
    return ImportResult(
        plan,
        path.name if path else "",
        table.sheet,
        table.header_row,
        table.columns,
        walk.rows_read,
        notes,
        table.sheets_looked_at,
    )


def _title_from(sheet: str, path: Path | None) -> str:
    generic = sheet.casefold().replace(" ", "") in {"sheet1", "sheet", "table1", "data", "actions"}
    if not generic:
        return sheet
    if path is not None:
        return path.stem.replace("_", " ").replace("-", " ").strip() or "Improvement plan"
    return "Improvement plan"


def _build_actions(drafts: list[Draft], converter: Converter) -> tuple[list[Action], list[Milestone]]:
    actions: list[Action] = []
    milestones: list[Milestone] = []
    guessed: list[str] = []
    for draft in drafts:
        values = draft.values
        if draft.status_guessed:
            guessed.append(draft.ref or "")
        data: dict[str, Any] = {"ref": draft.ref, "row": None, "extra": draft.extras}
        for target, value in values.items():
            data[converter.field_of[target]] = value
        for target in ("Theme", "Lead officer", "Lead agency"):
            if not data.get(converter.field_of[target]):
                data[converter.field_of[target]] = converter.unknown
                if target in converter.by_target:
                    converter.note(
                        f"{converter.field_of[target]}_missing",
                        f"No {target.lower()}: set to '{converter.unknown}'.",
                        row=draft.first_row,
                        target=target,
                        ref=draft.ref,
                    )
        if not data.get("action"):
            converter.note(
                "action_missing",
                "This action has no text.",
                row=draft.first_row,
                target="Action",
                ref=draft.ref,
            )
        if (
            data.get("due_date") is None
            and not draft.due_text
            and not converter.rules.is_done(data.get("status"))
        ):
            converter.note(
                "due_missing",
                "No due date could be read: fill one in.",
                row=draft.first_row,
                target="Due date",
                ref=draft.ref,
            )
        actions.append(Action.model_validate(data))
        for m in draft.milestones:
            m.action_ref = draft.ref or ""
            milestones.append(m)
    done = [a.ref for a in actions if converter.rules.is_done(a.status) and a.completed_date is None]
    if done:
        listed = ", ".join(done[:15]) + (" ..." if len(done) > 15 else "")
        converter.note(
            "done_without_date",
            f"{len(done)} actions are completed in the source but no completed "
            f"date was given ({listed}): put in the dates (and the evidence), or plantrack validate "
            "will ask for them.",
        )
    if guessed:
        started = converter.import_rules.defaults.started
        listed = ", ".join(guessed[:15]) + (" ..." if len(guessed) > 15 else "")
        converter.note(
            "status_guessed",
            f"{len(guessed)} actions had no status in the source ({listed}): set to "
            f"'{started}' where work had started or there is a progress update, else "
            f"'{converter.import_rules.defaults.not_started}'. Check them.",
        )
    return actions, milestones


def _leads_and_agencies(
    actions: list[Action], milestones: list[Milestone], converter: Converter
) -> tuple[list[Lead], list[Agency]]:
    unknown = converter.unknown
    agency_names: list[str] = []
    for action in actions:
        if action.lead_agency and action.lead_agency not in agency_names:
            agency_names.append(action.lead_agency)
    lead_agency: dict[str, str] = {}
    for action in actions:
        if action.lead_officer:
            lead_agency.setdefault(action.lead_officer, action.lead_agency or unknown)
    for m in milestones:
        if m.lead_officer and m.lead_officer not in lead_agency:
            owner = next((a for a in actions if a.ref == m.action_ref), None)
            lead_agency[m.lead_officer] = (owner.lead_agency if owner else None) or unknown
    if unknown in lead_agency.values() and unknown not in agency_names:
        agency_names.append(unknown)
    if unknown in agency_names and "Lead agency" in converter.by_target:
        converter.note(
            "agency_unknown",
            f"The lead agency of some actions or leads is not known: they are "
            f"under '{unknown}' on the Agencies sheet. Put in the real agency before issuing "
            "partner copies.",
        )
    leads = [Lead(name=name, agency=agency) for name, agency in lead_agency.items()]
    agencies = [Agency(agency=name) for name in agency_names]
    return leads, agencies


def _summary_notes(
    table: SourceTable, walk: Walk, converter: Converter, drafts: list[Draft]
) -> list[ImportNote]:
    notes = []
    if table.sheets_looked_at > 1:
        notes.append(
            ImportNote(
                "sheet_chosen",
                f"Read sheet '{table.sheet}': of the {table.sheets_looked_at} "
                "sheets, its table looks most like an action plan (use --sheet to choose "
                "another).",
                attention=False,
            )
        )
    for column in table.columns:
        if column.target is None:
            notes.append(
                ImportNote(
                    "column_kept",
                    f"Not a tracker column: kept as the extra column "
                    f"'{column.kept_as}' of the Actions sheet.",
                    attention=False,
                    cell=f"{column.letter}{table.header_row}",
                    column=column.header or None,
                )
            )
    unknown = converter.unknown
    if "Lead officer" not in converter.by_target:
        notes.append(
            ImportNote(
                "no_lead_officer_column",
                f"The source has no lead officer column: every action's "
                f"lead officer is '{unknown}'. Put in the real leads (and add them to the Leads "
                "sheet).",
            )
        )
    if "Lead agency" not in converter.by_target:
        notes.append(
            ImportNote(
                "no_lead_agency_column",
                f"The source has no lead agency column: every action's "
                f"lead agency, and every lead's agency, is '{unknown}' (on the Agencies sheet). "
                "Put in the real agencies before issuing partner copies.",
            )
        )
    if "Theme" not in converter.by_target and not all(d.record.heading for d in drafts):
        notes.append(
            ImportNote(
                "no_theme_column",
                f"The source has no theme column (nor numbered headings): "
                f"actions without a theme have '{unknown}'.",
            )
        )
    if "Due date" not in converter.by_target:
        notes.append(
            ImportNote(
                "no_due_date_column",
                "The source has no due date column: every action needs a due date filled in.",
            )
        )
    for target, rows in converter.filled.items():
        listed = ", ".join(str(r) for r in rows[:20]) + (" ..." if len(rows) > 20 else "")
        notes.append(
            ImportNote(
                "filled_down",
                f"{target}: {len(rows)} blank cells took the value above (rows {listed}).",
                attention=False,
                column=converter.header(target),
            )
        )
    if walk.repeated_headers:
        notes.append(
            ImportNote(
                "header_repeated",
                f"The header row is repeated on rows {', '.join(map(str, walk.repeated_headers))}: skipped.",
                attention=False,
            )
        )
    if walk.continued:
        listed = ", ".join(map(str, walk.continued[:20])) + (" ..." if len(walk.continued) > 20 else "")
        notes.append(
            ImportNote(
                "rows_continued",
                f"{len(walk.continued)} rows carry on the action above "
                f"(more text or milestones, no ref of their own): rows {listed}.",
                attention=False,
            )
        )
    return notes
