# ruff: noqa: E501  (the seed plans' text, quoted as published)
"""Source workbooks for the import tests, built from the seed plans' own text.

Each function writes an .xlsx laid out the way a council keeps (or pastes) the
plan: title rows, numbered area headings and "Outcome" rows above a header,
the header repeated where the published table ran onto a new page, several
milestones and one date per line in one cell. The cell text is the seed
plans' text as published (Haringey's 2019 Ofsted action plan and 2009
Safeguarding Plan); where the published text flattened a list into one line,
the list items are put back one per line, as they are in the original.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from openpyxl import Workbook

Row = Sequence[Any]

# --------------------------------------------------------------------------- 2019
# "Impact of actions | Original Target / Timescales | Progress" tables under
# numbered areas for improvement, each with its outcomes (areas 1, 4 and 9).

HEADER_2019 = ["Impact of actions", "Original Target / Timescales", "Progress"]
HEADER_2019_AREA_4 = ["Impact of actions", "Original Targets/ Timescales", "Progress"]
HEADER_2019_AREA_9 = ["Impact of actions", "Original Target/Timescales", "Progress"]

AREA_1 = "1. Assessments of children's needs when their circumstances change, in order to inform plans"
AREA_4 = (
    "4. Timely and effective permanence planning for all children in care, including effective "
    "challenge brought by independent reviewing officers (IRO)"
)
AREA_9 = "9. Pathways to private fostering"

ROWS_2019: list[Row] = [
    ["Haringey Children's Service Ofsted Action Plan March 2019"],
    [],
    ["RED \u2013 R", "Not on track - exceptional reporting required"],
    ["BLUE - B", "Achieved/completed. *Includes actions that are completed and will be ongoing for future"],
    [],
    [AREA_1],
    ["Outcome"],
    [
        "- The assessments of children's needs are of the highest quality and are updated when there is a "
        "change in the child and family circumstance as appropriate"
    ],
    [
        "- That plans reflect the findings of assessments and that they are updated in accordance with changes "
        "to assessments"
    ],
    [
        "- Practitioners are supported to deliver the highest quality practice and that this is reflected in "
        "assessments and audits findings"
    ],
    HEADER_2019,
    [
        "1.1 All managers as part of management oversight and IRO/CPA chairs at reviews to ensure that the "
        "child's plan is current and evaluated as relevant, dynamic (SMART) and is reviewed as appropriate, at "
        "least annually.",
        "On-going and in line with the child's requirements.",
        "This remains on track and is evidenced through the monthly audits",
    ],
    [
        "1.2 Practice standards are reviewed and updated on Tri.x (the online policy and procedures tool).",
        "Completed.",
        "Reviewed and monitored every 6 months by the Director of Children's Services and AD's",
    ],
    [
        "1.3 Case file audit tool rolled out and implemented. Audit tool used routinely by all staff.",
        "Completed.",
        "Quality of the audit reviewed and monitored every 6 months by the Director of Children's Services and AD's",
    ],
    [
        "1.4 85% of assessments meet required case standards and are up-dated to reflect the child's current "
        "circumstances. The baseline for audits reaching the standard of at least 'good' has been reduced to 35% "
        "(Jan 2019) from 47% at Oct. 2018. This is an outcome of the more rigorous audit process.",
        "At least 60% by Sept 2019. 85% by Dec 2019 and then working towards 100%.",
        "Audit findings indicate that a) Timeliness of assessment improved 95% b) Quality of assessment improved "
        "with 87% classified as good",
    ],
    [
        "1.5 Assessment tools in place and used consistently by staff for the improvement of assessments.",
        "April 2019.",
        "Suite of assessment tools designed and available to practitioners.",
    ],
    ["1.6 Staff are aware of and are trained on the use of", "April 2019.", "This will be further embedded"],
    [],
    HEADER_2019,
    [
        "assessment tools as appropriate.",
        None,
        "through the launch of Children Social Care's Academy in November 2019",
    ],
    [
        "1.7 An enhanced programme of training is available to staff to support the development of skills and "
        "knowledge required to achieve a consistently high quality of practice.",
        "Sept 2019.",
        "This will be further embedded through the launch of Children Social Care's Academy in November 2019 and "
        "the appointment of the PSW in October 2019.",
    ],
    [
        "1.8 Thematic audits demonstrate consistently improving practice and targets achieved.",
        "April 2019, 60% of audits demonstrate good assessment and 85% by December 2019. 85% of cases audited "
        "will include evaluation and feedback from children, their families and trusted professionals.",
        "Target achieved as evidenced through audits Evaluation, Service user and professional feedback forms now "
        "developed and will be encapsulated as part of BAU operations.",
    ],
    [
        "1.9 There is a shared understanding amongst staff and managers of what 'good' social work practice looks "
        "like. Feedback from staff. Communications and engagement events.",
        "By March 2019.",
        "Completed Staff feedback forms and Senior management engagement meetings scheduled as part of BAU "
        "measures in 2019/20.",
    ],
    [
        "1.10 Refocused business support/administrative capacity. Reducing administration frees up social workers "
        "to spend more time on purposeful direct work with children and families.",
        "By June 2019.",
        "On target to be delivered by December 2019.",
    ],
    [],
    [AREA_4],
    ["Outcome"],
    [
        "- That there are timely permanence decisions made for all children in care and that these decisions are "
        "recorded on Mosaic"
    ],
    ["- That permanence decisions are reviewed regularly through child in care reviews to prevent drift"],
    HEADER_2019_AREA_4,
    [
        "4.1 Performance reports demonstrate that all children in care have a permanence decision recorded.",
        "Ongoing.",
        "Completed and monitored through CIC reviews.",
    ],
    [
        "4.2 Where a child is in care their care plan is tracked on a monthly basis to ensure there is no drift "
        "or delay.",
        "Ongoing.",
        "Reinforced through Case Management and Resource Panel and IRO's reviews.",
    ],
    [
        "4.3 All children in care have a permanence decision that, where appropriate, is regularly reviewed "
        "through the CiC review process and the plans are presented twice a year to the Case Management and "
        "Resources Panel for senior leadership oversight.",
        "All cases that require a decision through panel \u2013 target is 100% by June 2019.",
        "On track and embedded as part of BAU processes.",
    ],
    [
        "4.4 Care plans are amended in a timely manner and that there is no delay.",
        "By June 2019.",
        "Review identified need for more detailed partnership building work with agencies outside of Haringey.",
    ],
    [
        "4.5 A peer review by Islington, as part of our partners in practice, leads to further practice "
        "improvements and highlights good practice by the IRO's.",
        "Terms of reference to be agreed by April 2019.",
        "Peer Review completed July 2019 summary",
    ],
    HEADER_2019_AREA_4,
    [None, None, "report on schedule for October 2019"],
    [
        "4.6 Challenge by IROs is routine and escalation process is used appropriately.",
        "Quarterly report to QPN in Dec 2018; will be quarterly thereafter.",
        "Completed and embedded as part of BAU.",
    ],
    [],
    [AREA_9],
    ["Outcome"],
    [
        "- That all children and young people who are privately fostered have an assessment that includes all "
        "members of their household"
    ],
    HEADER_2019_AREA_9,
    [
        "9.1 All children and young people privately fostered have a robust assessment and that they are "
        "supported in their placement.",
        "Ongoing.",
        "Completed for identified cases",
    ],
    [
        "9.2 Social workers are fully aware of the pathways to private fostering and the regulations",
        "June 2019",
        "Training delivered and will be annually repeated through the Haringey's Academy",
    ],
    [
        "9.3 Increasing number of private fostering arrangements identified. Increase in contacts from Admissions "
        "service to MASH",
        "By March 2019.",
        "Multi agency awareness campaign to be launched on the 4 th November 2019",
    ],
    [
        "9.3 An increased awareness of private fostering across all agencies and increased reporting as a result.",
        "By March 2019.",
        "Multi agency awareness campaign to be launched on the 4th November 2019",
    ],
]

REFS_2019 = [
    "1.1",
    "1.2",
    "1.3",
    "1.4",
    "1.5",
    "1.6",
    "1.7",
    "1.8",
    "1.9",
    "1.10",
    "4.1",
    "4.2",
    "4.3",
    "4.4",
    "4.5",
    "4.6",
    "9.1",
    "9.2",
    "9.3",
    "9.3a",
]


# --------------------------------------------------------------------------- 2009
# "Outcome | Ref | Action | Milestones | Start | End | Action Lead | Theme", several
# milestones and dates per cell, a merged Outcome cell written once for several
# actions, cells cut by page breaks (the header repeats, the text runs on).

HEADER_2009 = ["Outcome", "Ref", "Action", "Milestones", "Start", "End", "Action Lead", "Theme"]
LG, EI, GP, CS = "Leadership & Governance", "Early Intervention", "Good Practice", "Capacity & Staffing"


def lines(*items: str) -> str:
    return "\n".join(items)


ROWS_2009: list[Row] = [
    ["Safeguarding Plan for Haringey"],
    ["Section 1: Priority Actions \u2013 By December 2009"],
    [
        "Outcome \u2013 to achieve an adequate rating and recognition of good improvement being made in the "
        "delivery of services and outcomes for children and young people"
    ],
    HEADER_2009,
    [
        "Clear partnership structures developed with ownership from key partners and effective communication plan "
        "in place",
        "1.01",
        "Create a culture of shared responsibility for all Haringey's children & young people",
        lines(
            "Key partners play a full role in Children's Trust, LSCB and HSP through appropriate attendance, "
            "participation and feedback into governance mechanisms",
            "Develop and launch a consistent cross-partnership communication campaign to promote safe and "
            "effective safeguarding practice focused on key messages",
            "Joint communications strategy and approach produced for the Children's Trust",
            "Partners engaged in development of draft partnership agreement",
        ),
        "Jul 09",
        "Sep 09",
        "Peter Lewis",
        LG,
    ],
    [
        None,
        "1.02",
        "Local Safeguarding Children Board communicate the findings of Serious Case Reviews",
        lines(
            "Composite action plan pulling together findings of all available SCRs developed",
            "Safeguarding children communications programme implemented",
            "Events held to communicate findings of SCRs",
            "SCR Materials and framework developed for dissemination through staff meetings",
            "Communication materials and messages developed for dissemination through team meetings",
        ),
        "Jul 09",
        lines("Aug 09", "Dec 09", "Oct 09", "Oct 09", "Oct 09"),
        "Graham Badman",
        LG,
    ],
    [
        "Reduced number of referrals due to improved",
        "1.03",
        "Improve working of the LSCB (also see action 2.02)",
        lines(
            "LSCB priorities agreed",
            "Governance arrangements and sub-group structure agreed",
            "Review of membership and Terms of Reference of subgroups completed",
            "Work programme and business planning processes developed",
        ),
        lines("Aug 09", "Sep 09"),
        lines("Sep 09", "Oct 09"),
        "Graham Badman",
        LG,
    ],
    [
        None,
        "1.04",
        "Partnership Family Support Strategy developed and",
        "Family Support Strategy development and consultation completed",
        lines("Sep 09", "Oct 09"),
        lines("Oct 09", "Nov 09"),
        "Jan Doust",
        EI,
    ],
    [],
    HEADER_2009,
    [
        "preventative work",
        None,
        "published",
        lines("Strategy published", "Reporting cycle and mechanism determined"),
        lines("Dec 09", "Dec 09"),
        lines("Dec 09", "Dec 09"),
        None,
        None,
    ],
    [
        None,
        "1.05",
        "Agree and implement CAF quality assurance framework based on the Pan London CAF protocol",
        lines(
            "CAF quality assurance framework agreed",
            "Implementation timescales and programme agreed",
            "Framework communicated to relevant people and training organised",
        ),
        lines("Aug 09", "Sep 09", "Nov 09"),
        lines("Sep 09", "Oct 09", "Dec 09"),
        "Alison Botham",
        EI,
    ],
    [
        "Improved processes and procedures in place and working effectively across the partnership",
        "1.06",
        "Ensure quality of service by improving child protection referral and assessment processes",
        lines(
            "Referral pathways integrated with CAF",
            "Capacity identified to ensure that timescales taken for assessment improve",
            "Quality of information and analysis in initial and core assessments is improved to ensure minimum "
            "standards are consistently met",
            "Dedicated specialist mental health input for R&A established whilst proposal is developed for "
            "multi-agency assessment team",
        ),
        lines("Jul 09", "Jul 09", "Jul 09", "Jul 09"),
        lines("Sep 09", "Sep 09", "Oct 09", "Nov 09"),
        "Eleanor Brazil",
        GP,
    ],
    [
        None,
        None,
        None,
        lines(
            "Clear thresholds developed to operate across specialist, targeted and universal services and "
            "communicated to staff",
            "Safeguarding resources panel established with clear terms of reference established for all panels",
            "Independent social workers engaged to support social workers / team managers in decision making",
        ),
        lines("Jul 09", "Jul 09", "Jul 09"),
        lines("Oct 09", "Sep 09", "Oct 09"),
        "Eleanor Brazil",
        GP,
    ],
    [
        None,
        None,
        None,
        lines(
            "Data on attendance at conferences collected by LSCB",
            "Mechanisms established to challenge appropriateness of invites to, and judge quality of input at, "
            "conferences",
            "Improvements demonstrated through quality of care plans / conference minutes",
        ),
        lines("Aug 09", "Sep 09", "Oct 09"),
        lines("Oct 09", "Oct 09", "Oct 09"),
        "Eleanor Brazil",
        GP,
    ],
    [
        "Capacity is available to improve service and day",
        "1.14",
        "Introduce additional short term social work professional and",
        "Short term capacity needs and resource requirements identified",
        "Jul 09",
        "Aug 09",
        "Eleanor Brazil",
        CS,
    ],
    [],
    HEADER_2009,
    [
        "to day management whilst permanent posts are filled",
        None,
        "management capacity",
        lines(
            "Longer term capacity needs and staffing levels identified and resources identified",
            "Capacity increased to take on complex cases and provide supervision to social workers",
        ),
        lines("Aug 09", "Sep 09"),
        lines("Oct 09", "Mar 10"),
        None,
        None,
    ],
    [
        "An established workforce in post reducing reliance on temporary and agency staff",
        "1.15",
        "Recruit and retain good staff across the partnership to reduce the number of vacancies and reliance on "
        "agency staff",
        lines(
            "Haringey offer Identified and recruitment campaign launched",
            "Social work graduate trainee scheme expanded",
            "Resource plan developed to meet health related staffing needs within GOSH",
            "Benchmarking of Health Visitors, School Nurses and Paediatricians completed",
            "Resource plan developed and approved by NHS Haringey",
            "Health workers and health safeguarding vacancies filled and staff in post",
            "Monitoring mechanism established to enable review of workloads of Health Visitors, School Nurses "
            "and Paediatricians",
            "New social workers and social work managers in post",
        ),
        lines("Jul 09", "Jul 09", "Jul 09", "Aug 09", "Aug 09", "Aug 09", "Aug 09", "Sep 09"),
        lines("Sep 09", "Sep 09", "Aug 09", "Oct 09", "Sep 09", "Aug 09", "Aug 09", "Dec 09"),
        "Stuart Young",
        CS,
    ],
    [
        "An improved universal service leading to a reduction in demand for targeted and specialist services",
        "2.10",
        "Work with schools and settings, through the LSCB Safeguarding in Schools Forum to develop a clear "
        "set of expectations of universal services and a joint understanding of thresholds for referral to "
        "targeted and specialist services.",
        lines(
            "Standards developed and agreed",
            "Standards launched",
            "Agreement signed off with each Headteacher and governing body",
        ),
        lines("Feb 09", "Sep 09", "Sep 09"),
        lines("Sep 09", "Sep 09", "Apr 10"),
        lines("Jan", "Doust"),
        GP,
    ],
    [],
    ["Section 3: Other Headline Actions \u2013 By March 2012"],
    [
        "Outcome \u2013 to achieve safeguarding services for children that are among the best and gain recognition "
        "of the significant sustained improvements made over the past 3 years in both the delivery of services and "
        "outcomes for children and young people"
    ],
    HEADER_2009,
    [
        "High quality safeguarding services provided across the Borough",
        "3.01",
        "Commission a peer review from an LSCB that has evidenced good practice and effective safeguarding",
        lines(
            "LSCB identified for peer review",
            "Review takes place",
            "Lessons learnt and areas for improvement identified",
        ),
        lines("Jan 11", "Sep 11", "Dec 11"),
        lines("Mar 11", "Nov 11", "Jan 12"),
        "Graham Badman",
        LG,
    ],
    [
        None,
        "3.02",
        "Ensure compliance with the Laming and other review recommendations is reviewed annually",
        lines(
            "Process developed for review of compliance with Laming recommendations",
            "Review of compliance undertaken",
            "Mechanism established for feeding in implementation proposals from other reviews / inspections and "
            "the identification of good practice",
        ),
        lines("Sep 09", "Annual", "Jul 10"),
        lines("Dec 09", "Annual", "Sep 10"),
        "Peter Lewis",
        LG,
    ],
]

REFS_2009 = ["1.01", "1.02", "1.03", "1.04", "1.05", "1.06", "1.14", "1.15", "2.10", "3.01", "3.02"]


# ----------------------------------------------------------------- writing


def write_rows(
    path: Path,
    rows: Sequence[Row],
    sheet: str = "Action plan",
    more_sheets: dict[str, Sequence[Row]] | None = None,
) -> Path:
    """Write ``rows`` from A1 of a sheet (and any other sheets) as a real .xlsx."""
    wb = Workbook()
    ws = wb.active
    ws.title = sheet
    for row in rows:
        ws.append(list(row) if row else [None])
    for name, other in (more_sheets or {}).items():
        extra = wb.create_sheet(name)
        for row in other:
            extra.append(list(row) if row else [None])
    wb.save(path)
    return path


def plan_2019(path: Path) -> Path:
    return write_rows(path, ROWS_2019)


def plan_2009(path: Path) -> Path:
    return write_rows(path, ROWS_2009, sheet="Safeguarding Plan")


def simple_plan(
    path: Path,
    *,
    title_rows: int = 3,
    extra_headers: Sequence[str] = (),
    header: Sequence[str] | None = None,
    rows: Sequence[Row] | None = None,
    sheet: str = "Tracker",
) -> Path:
    """A plain tracker a council might keep: a title, then the table. The header is
    on row ``title_rows + 1``."""
    header = list(
        header
        or [
            "Ref",
            "Recommendations",
            "Actions",
            "Lead Officer/ Executive Head",
            "Agency",
            "By When",
            "Status",
            "Progress Update",
        ]
    ) + list(extra_headers)
    rows = rows or [
        [
            "1",
            "S1 Strengthen management oversight of front-line practice",
            "Weekly case supervision audited",
            "Head of Service",
            "Council",
            "31/10/12",
            "On track",
            "Audits running monthly",
            "Notes A",
        ],
        [
            "2",
            None,
            "Supervision policy relaunched",
            "Head of Service",
            None,
            "27.9.12",
            "Completed",
            "Relaunched at all-staff event",
            "Notes B",
        ],
        [
            "3",
            "S2 Improve the timeliness of assessments",
            "Duty team capacity reviewed",
            "AD Safeguarding",
            "Council",
            dt.datetime(2012, 12, 31),
            "Not started",
            None,
            None,
        ],
        [
            "4",
            None,
            "Multi-agency audit of thresholds",
            "DI Public Protection",
            "Metropolitan Police",
            "03.01.12 \u2013 31.03.12",
            "Held: awaiting terms of reference",
            None,
            None,
        ],
    ]
    title = [["Anytown Children's Services Improvement Plan"], ["OFFICIAL-SENSITIVE"], []][:title_rows]
    width = len(header)
    body = [list(r[:width]) + [None] * (width - len(r)) for r in rows]
    return write_rows(path, [*title, header, *body], sheet=sheet)
