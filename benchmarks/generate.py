"""Big plans for benchmarks and scale tests, generated in code and written fast.

``big_plan(actions)`` makes a plausible plan: themes, leads and agencies, four
milestones per action, 200 indicators with 8 periods each, statuses and dates
spread around the report date, progress text of realistic length.
``write_master(plan, path)`` writes it in the tracker layout (the same sheets,
headers, values and date formats as ``writer.write_tracker``) with XlsxWriter
in constant-memory mode: a 20,000-action master in a few seconds, where
openpyxl would take a minute. The same values come back from
``files.read_tracker``.

Used by ``benchmarks/run.py`` and by the scale tests; run on its own it writes
one master: ``python benchmarks/generate.py 5000 big.xlsx``.
"""

from __future__ import annotations

import datetime as dt
import random
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from addin.model import SHEET_OF, Action, Agency, Indicator, IndicatorValue, Lead, Milestone, Plan, PlanInfo
from addin.rules import RuleSet, load_rules
from addin.templates import load_template
from addin.writer import headers_for

REPORT_DATE = dt.date(2024, 10, 31)

THEMES = [
    "1. Leadership, management and governance",
    "2. Front door and early help",
    "3. Assessment and planning",
    "4. Children in care and care leavers",
    "5. Quality assurance and audit",
    "6. Workforce and practice",
    "7. Partnership working",
    "8. Voice of the child",
]
AGENCY_NAMES = [
    "Council Children's Services",
    "Safeguarding Children Partnership",
    "Police",
    "Community Safety Partnership",
    "NHS Integrated Care Board",
    "Probation Service",
    "Schools Forum",
    "Youth Justice Service",
    "Legal Services",
    "Public Health",
]
VERBS = ["Review", "Audit", "Embed", "Train staff in", "Strengthen", "Develop", "Publish", "Monitor"]
SUBJECTS = [
    "the quality of assessments when circumstances change",
    "management oversight of child in need plans",
    "return home interviews for missing children",
    "supervision recording in case files",
    "the multi-agency front door threshold document",
    "pathway plans for care leavers",
    "the audit programme and learning loop",
    "the voice of the child in child protection conferences",
]
PROGRESS = (
    "Audit of {n} case files completed in {month}; findings reported to the Practice Improvement Board. "
    "Learning circulated to team managers and an action plan agreed for the next quarter."
)
STATUS_MIX = ["Completed"] * 3 + ["In progress"] * 5 + ["Not started"] + ["On hold"] + ["Embedded"]


def big_plan(
    actions: int,
    *,
    milestones_per_action: int = 4,
    indicators: int = 200,
    periods: int = 8,
    agencies: int = 5,
    seed: int = 2024,
) -> Plan:
    """A plan of ``actions`` actions (refs ``1.0001`` ...), deterministic for a given seed."""
    rng = random.Random(seed)
    agency_names = _agency_names(agencies)
    agency_rows = [
        Agency(
            agency=name,
            contact=f"Improvement lead, {name}",
            email=f"returns{i}@agency{i}.example.gov.uk",
            return_due=REPORT_DATE - dt.timedelta(days=6),
        )
        for i, name in enumerate(agency_names, 1)
    ]
    leads = [
        Lead(
            abbreviation=f"L{i:02}",
            name=f"Lead officer {i:02}",
            job_title="Head of Service",
            agency=agency_names[i % len(agency_names)],
            email=f"lead{i:02}@example.gov.uk",
        )
        for i in range(1, 4 * len(agency_names) + 1)
    ]
    plan = Plan(
        info=PlanInfo(
            title=f"Children's services improvement plan ({actions:,} actions)",
            organisation="Example Borough Council",
            inspection="Ofsted ILACS",
            inspection_date=dt.date(2023, 11, 17),
            report_date=REPORT_DATE,
            reporting_period="October 2024",
            protective_marking="OFFICIAL-SENSITIVE",
        ),
        agencies=agency_rows,
        leads=leads,
    )
    per_theme = max(1, -(-actions // len(THEMES)))
    for i in range(actions):
        theme = i // per_theme
        lead = leads[i % len(leads)]
        start = REPORT_DATE - dt.timedelta(days=rng.randint(30, 400))
        due = start + dt.timedelta(days=rng.randint(60, 500))
        status = rng.choice(STATUS_MIX)
        done = status in ("Completed", "Embedded")
        percent = 100.0 if done else float(rng.choice([0, 10, 25, 40, 50, 60, 75, 90]))
        month = (REPORT_DATE - dt.timedelta(days=rng.randint(0, 90))).strftime("%B %Y")
        ref = f"{theme + 1}.{i + 1:04}"
        plan.actions.append(
            Action(
                ref=ref,
                theme=THEMES[theme % len(THEMES)],
                outcome="Children receive timely, good quality help and protection",
                recommendation=f"R{theme + 1}",
                action=f"{rng.choice(VERBS)} {rng.choice(SUBJECTS)}",
                lead_officer=lead.name,
                lead_agency=lead.agency,
                priority=rng.choice(["Must do", "Should do", "Embedding"]),
                start_date=start,
                due_date=due,
                revised_due_date=due + dt.timedelta(days=60) if rng.random() < 0.1 else None,
                completed_date=min(due, REPORT_DATE) if done else None,
                status=status,
                percent_complete=percent,
                progress_update=PROGRESS.format(n=rng.randint(5, 60), month=month),
                evidence="Audit report and minutes of the board" if done else None,
                last_updated=REPORT_DATE - dt.timedelta(days=rng.randint(0, 70)),
            )
        )
        for m in range(milestones_per_action):
            m_due = start + (due - start) * (m + 1) // milestones_per_action
            m_done = done or (m_due < REPORT_DATE and rng.random() < 0.7)
            plan.milestones.append(
                Milestone(
                    action_ref=ref,
                    milestone=f"Step {m + 1}: {rng.choice(VERBS).lower()} and report to the board",
                    lead_officer=lead.name,
                    start_date=start,
                    due_date=m_due,
                    completed_date=m_due if m_done else None,
                    status="Completed"
                    if m_done
                    else ("In progress" if m_due >= REPORT_DATE else "Not started"),
                )
            )
    first_period = REPORT_DATE.replace(day=1) - dt.timedelta(days=1)
    period_ends = [_month_end(first_period, -3 * k) for k in reversed(range(periods))]
    for i in range(indicators):
        code = f"PI {i + 1:03}"
        higher = i % 3 != 1
        baseline = float(rng.randint(20, 80))
        plan.indicators.append(
            Indicator(
                code=code,
                indicator=f"Percentage of children seen within timescale (measure {i + 1})",
                unit="%",
                polarity="Higher is better" if higher else "Lower is better",
                baseline=baseline,
                baseline_date=period_ends[0],
                tolerance=None,
                lead_agency=agency_names[i % len(agency_names)],
            )
        )
        for k, end in enumerate(period_ends):
            target = baseline + (k + 1) * (2 if higher else -2)
            plan.indicator_data.append(
                IndicatorValue(
                    code=code,
                    period_end=end,
                    target=target,
                    actual=None if k == periods - 1 else round(target + rng.uniform(-6, 6), 1),
                )
            )
    return plan


def _agency_names(count: int) -> list[str]:
    names = list(AGENCY_NAMES[:count])
    names += [f"Partner agency {i}" for i in range(len(names) + 1, count + 1)]
    return names


def _month_end(day: dt.date, months: int) -> dt.date:
    """The last day of the month ``months`` away from ``day``'s month."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    first_of_next = dt.date(year + (month + 1) // 12, (month + 1) % 12 + 1, 1)
    return first_of_next - dt.timedelta(days=1)


# --------------------------------------------------------------------------- writing


def write_master(plan: Plan, path: str | Path, rules: RuleSet | None = None) -> Path:
    """Write ``plan`` as a master tracker with XlsxWriter (constant memory)."""
    import xlsxwriter

    rules = rules or load_rules()
    template = load_template()
    path = Path(path)
    workbook = xlsxwriter.Workbook(
        str(path),
        {
            "constant_memory": True,
            "strings_to_formulas": False,
            "strings_to_numbers": False,
            "strings_to_urls": False,
        },
    )
    header = workbook.add_format(
        {
            "bold": True,
            "font_color": "#FFFFFF",
            "bg_color": f"#{template.style.header_fill}",
            "text_wrap": True,
        }
    )
    date = workbook.add_format({"num_format": template.style.date_format})
    text = workbook.add_format({"num_format": "@"})
    plan_rule = next(s for s in rules.sheets if s.kind == "fields")
    sheet = workbook.add_worksheet(plan_rule.name)
    _write_rows(
        sheet,
        [["Field", "Value"]]
        + [[field.name, getattr(plan.info, field.field, None)] for field in plan_rule.fields],
        header,
        date,
        text,
    )
    for attribute, (sheet_name, _row_class) in SHEET_OF.items():
        rule = rules.sheet(sheet_name)
        rows = getattr(plan, attribute)
        headers = headers_for(rule, rows)
        sheet = workbook.add_worksheet(sheet_name)
        sheet.freeze_panes(1, 0)
        _write_rows(sheet, [headers], header, date, text)
        fields = [rule.column(name).field for name in headers]  # once per column, not per cell
        values = ([getattr(row, name) for name in fields] for row in rows)
        _write_rows(sheet, values, header, date, text, first=1)
    workbook.close()
    return path


def _write_rows(
    sheet: Any, rows: Iterable[Sequence[Any]], header: Any, date: Any, text: Any, first: int = 0
) -> None:
    for r, values in enumerate(rows, start=first):
        for c, value in enumerate(values):
            if value is None:
                continue
            if r == 0:
                sheet.write_string(r, c, str(value), header)
            elif isinstance(value, dt.date):
                sheet.write_datetime(r, c, dt.datetime.combine(value, dt.time()), date)
            elif isinstance(value, str):
                sheet.write_string(r, c, value, text if c == 0 else None)
            elif isinstance(value, bool):
                sheet.write_boolean(r, c, value)
            else:
                sheet.write_number(r, c, value)


def main(argv: Sequence[str]) -> int:
    if len(argv) != 2:
        print("usage: python benchmarks/generate.py ACTIONS PATH", file=sys.stderr)
        return 2
    plan = big_plan(int(argv[0]))
    write_master(plan, argv[1])
    print(
        f"Wrote {argv[1]}: {len(plan.actions):,} actions, {len(plan.milestones):,} milestones, "
        f"{len(plan.indicators)} indicators."
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
