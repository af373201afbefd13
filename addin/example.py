"""The built-in example plan.

Actions, timescales and progress text come from Haringey's published
Children's Service Ofsted Action Plan (March 2019): its nine areas for
improvement are the themes, its actions keep their refs (1.1 ... 9.3; the
published plan uses 9.3 twice, here the second is 9.4). "Original target /
timescales" became due dates (a month means its last day; "Ongoing" means the
plan's year end). The indicators and their targets are those of Haringey's
2009 Safeguarding Plan (NI 51 ... NI 70), profiled over the year, plus the
local measures the 2019 plan sets (audits rated good, supervision quality,
return home interviews). Indicator actuals are illustrative.
"""

from __future__ import annotations

import datetime as dt

from .model import Action, Agency, Indicator, IndicatorValue, Lead, Milestone, Plan, PlanInfo


def d(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


REPORT_DATE = d("2019-10-31")
YEAR_END = d("2020-03-31")

COUNCIL = "Haringey Council Children's Services"
LSCB = "Haringey Local Safeguarding Children Board"
POLICE = "Metropolitan Police Service"
CSP = "Haringey Community Safety Partnership"
NHS = "NHS Haringey CCG"

AGENCIES = [
    Agency(agency=COUNCIL, contact="Programme Manager, Children's Improvement", email="improvement@haringey.example.gov.uk", return_due=d("2019-10-25")),
    Agency(agency=LSCB, contact="LSCB Business Manager", email="lscb@haringey.example.gov.uk", return_due=d("2019-10-25")),
    Agency(agency=POLICE, contact="Safeguarding Partnership Lead", email="safeguarding.ne@met.example.police.uk", return_due=d("2019-10-25")),
    Agency(agency=CSP, contact="Community Safety Manager", email="community.safety@haringey.example.gov.uk", return_due=d("2019-10-25")),
    Agency(agency=NHS, contact="Designated Nurse, Safeguarding Children", email="safeguarding@haringeyccg.example.nhs.uk", return_due=d("2019-10-25")),
]

LEADS = [
    Lead(abbreviation="DCS", name="Director of Children's Services", job_title="Director of Children's Services", agency=COUNCIL),
    Lead(abbreviation="AD SQA", name="AD Safeguarding and Quality Assurance", job_title="Assistant Director, Safeguarding and Social Care", agency=COUNCIL),
    Lead(abbreviation="HoS QA", name="Head of Quality Assurance", job_title="Head of Service, Quality Assurance", agency=COUNCIL),
    Lead(abbreviation="HoS DCT", name="Head of Disabled Children's Service", job_title="Head of Service, Disabled Children's Team", agency=COUNCIL),
    Lead(abbreviation="HoS CiC", name="Head of Children in Care", job_title="Head of Service, Children in Care and Permanence", agency=COUNCIL),
    Lead(abbreviation="HoS MASH", name="Head of MASH and Assessment", job_title="Head of Service, MASH and Assessment", agency=COUNCIL),
    Lead(abbreviation="PSW", name="Principal Social Worker", job_title="Principal Social Worker", agency=COUNCIL),
    Lead(abbreviation="LSCB BM", name="LSCB Business Manager", job_title="Business Manager", agency=LSCB),
    Lead(abbreviation="DSupt SG", name="Detective Superintendent, Safeguarding", job_title="Head of Safeguarding, North Area BCU", agency=POLICE),
    Lead(abbreviation="HoCS", name="Head of Community Safety", job_title="Head of Community Safety and Enforcement", agency=CSP),
    Lead(abbreviation="DN SC", name="Designated Nurse, Safeguarding Children", job_title="Designated Nurse", agency=NHS),
]

AREAS = {
    1: ("1. Assessments when circumstances change",
        "Assessments of children's needs when their circumstances change, in order to inform plans",
        "Assessments of children's needs are of the highest quality and are updated when the child and family's circumstances change"),
    2: ("2. Child-focused plans (Disabled Children's Team)",
        "Child focussed plans, particularly in the disabled children's team, where the understanding of thresholds when risk escalates also needs to improve",
        "The Disabled Children's Team practises a child-focused approach and understands thresholds when risk escalates"),
    3: ("3. Case recording and management decisions",
        "The quality and timeliness of case recording including the recording of management decision making",
        "Case recording is consistently of the highest standard, timely, and records management decisions"),
    4: ("4. Permanence planning and IRO challenge",
        "Timely and effective permanence planning for all children in care, including effective challenge brought by independent reviewing officers (IRO)",
        "Timely permanence decisions are made, recorded and reviewed for all children in care, without drift"),
    5: ("5. Placement sufficiency for adolescents",
        "Placement sufficiency for vulnerable adolescents",
        "All children and young people are in placements that meet their needs"),
    6: ("6. Quality of audits",
        "The quality of audits to inform practice and drive practice improvements",
        "Audits are of the highest standard and take place often enough to drive practice improvements"),
    7: ("7. Response to criminally exploited children",
        "The strategic partnership response to criminally exploited children",
        "Local multi-agency arrangements manage the complex risks of gangs, violence and criminal exploitation of children"),
    8: ("8. Return home interviews",
        "The offer and take up of return home interviews (RHIs) and subsequent use of intelligence to inform individual children's plans and wider partnership activity",
        "All children who go missing are offered a return home interview and are safer as a result"),
    9: ("9. Pathways to private fostering",
        "Pathways to private fostering",
        "All privately fostered children are assessed and all agencies raise awareness of private fostering"),
}

# ref, action, lead, agency, priority, start, due, revised, completed, status, %, progress, last updated
ACTIONS: list[tuple] = [
    ("1.1", "All managers as part of management oversight and IRO/CPA chairs at reviews ensure that the child's plan is current and evaluated as relevant, dynamic (SMART) and is reviewed as appropriate, at least annually.", "AD SQA", COUNCIL, "Embedding", "2019-03-01", "2020-03-31", None, None, "In progress", 60, "This remains on track and is evidenced through the monthly audits.", "2019-10-15"),
    ("1.2", "Practice standards are reviewed and updated on Tri.x (the online policy and procedures tool).", "PSW", COUNCIL, "Must do", "2019-01-01", "2019-03-31", None, "2019-03-29", "Completed", 100, "Reviewed and monitored every 6 months by the Director of Children's Services and ADs.", "2019-10-15"),
    ("1.3", "Case file audit tool rolled out and implemented. Audit tool used routinely by all staff.", "HoS QA", COUNCIL, "Must do", "2019-01-01", "2019-03-31", None, "2019-03-29", "Completed", 100, "Quality of the audit reviewed and monitored every 6 months by the Director of Children's Services and ADs.", "2019-10-15"),
    ("1.4", "85% of assessments meet required case standards and are updated to reflect the child's current circumstances (baseline 35% good in January 2019).", "HoS MASH", COUNCIL, "Must do", "2019-03-01", "2019-12-31", None, None, "In progress", 80, "Audit findings indicate that timeliness of assessment improved to 95% and quality of assessment improved with 87% classified as good.", "2019-10-15"),
    ("1.5", "Assessment tools in place and used consistently by staff for the improvement of assessments.", "PSW", COUNCIL, "Must do", "2019-03-01", "2019-04-30", None, "2019-04-30", "Completed", 100, "Suite of assessment tools designed and available to practitioners.", "2019-10-15"),
    ("1.6", "Staff are aware of and are trained on the use of assessment tools as appropriate.", "PSW", COUNCIL, "Must do", "2019-03-01", "2019-04-30", "2019-11-30", None, "In progress", 75, "Due date moved to November 2019: this will be further embedded through the launch of Children's Social Care's Academy in November 2019.", "2019-10-15"),
    ("1.7", "An enhanced programme of training is available to staff to support the development of skills and knowledge required to achieve a consistently high quality of practice.", "PSW", COUNCIL, "Must do", "2019-03-01", "2019-09-30", None, None, "In progress", 70, "This will be further embedded through the launch of Children's Social Care's Academy in November 2019 and the appointment of the PSW in October 2019.", "2019-10-15"),
    ("1.8", "Thematic audits demonstrate consistently improving practice and targets achieved: 60% of audits demonstrate good assessment by April 2019 and 85% by December 2019.", "HoS QA", COUNCIL, "Must do", "2019-03-01", "2019-12-31", None, "2019-09-30", "Completed", 100, "Target achieved as evidenced through audits. Evaluation, service user and professional feedback forms developed and part of business as usual.", "2019-10-15"),
    ("1.9", "There is a shared understanding amongst staff and managers of what 'good' social work practice looks like (staff feedback, communications and engagement events).", "AD SQA", COUNCIL, "Must do", "2019-01-01", "2019-03-31", None, "2019-03-31", "Completed", 100, "Completed. Staff feedback forms and senior management engagement meetings scheduled as business as usual in 2019/20.", "2019-10-15"),
    ("1.10", "Refocused business support/administrative capacity, freeing social workers to spend more time on purposeful direct work with children and families.", "DCS", COUNCIL, "Should do", "2019-03-01", "2019-06-30", "2019-12-31", None, "In progress", 60, "Due date moved: on target to be delivered by December 2019.", "2019-10-15"),
    ("2.1", "All practitioners in the DCT have undertaken mandatory training on child centred practice and Child Protection Level 3; mentoring and shadowing between DCT, Assessment and MASH teams is in place.", "HoS DCT", COUNCIL, "Must do", "2019-03-01", "2019-07-31", None, "2019-09-30", "Completed", 100, "Completed. Final training delivered in September 2019. Audits indicate quality and timeliness of assessment improved to 87%.", "2019-10-15"),
    ("2.2", "All children's service staff have access to training on working with disabled children.", "HoS DCT", COUNCIL, "Must do", "2019-03-01", "2019-06-30", None, "2019-06-28", "Completed", 100, "Completed internally and will be part of the Haringey Children's Social Care Academy.", "2019-10-15"),
    ("2.3", "All staff aware of practice standards and tools.", "HoS DCT", COUNCIL, "Embedding", "2019-01-01", "2019-03-31", None, "2019-03-31", "Embedded", 100, "This remains on track and evidence of use is gathered at the monthly Quality Assurance Management meetings.", "2019-10-15"),
    ("2.4", "Findings of audits show continuing evidence of improvement (quarterly from April 2019).", "HoS QA", COUNCIL, "Embedding", "2019-04-01", "2020-03-31", None, None, "In progress", 60, "This remains on track and evidence of use is gathered at the monthly Quality Assurance Management meetings.", "2019-10-15"),
    ("2.5", "The application of threshold for DCT cases is consistent with practice guidance, evidenced through case file reviews.", "HoS DCT", COUNCIL, "Must do", "2019-01-01", "2019-03-31", "2019-11-04", None, "In progress", 85, "Due date moved: the review evidenced the need for a DCT Eligibility Criteria protocol, to be launched on 4 November 2019.", "2019-10-15"),
    ("2.6", "Experienced Child Protection Advisers linked to the DCT team, working alongside the Service Manager and Team Managers to support the consistent application of thresholds.", "AD SQA", COUNCIL, "Embedding", "2019-01-01", "2019-03-31", None, "2019-03-31", "Embedded", 100, "Absorbed as business as usual, with governance from the AD Safeguarding.", "2019-10-15"),
    ("3.1", "Supervision takes place in line with policy and procedure: 95% of cases receive management oversight/supervision by April 2019.", "AD SQA", COUNCIL, "Must do", "2018-10-01", "2019-04-30", None, "2019-04-30", "Completed", 100, "Target achieved and monitored as part of business as usual.", "2019-10-15"),
    ("3.2", "Audits show a consistently high rate of management oversight and decision making on all cases in accordance with policy and procedure.", "HoS QA", COUNCIL, "Must do", "2018-10-01", "2019-04-30", None, "2019-04-30", "Completed", 100, "Target achieved and monitored as part of business as usual.", "2019-10-15"),
    ("3.3", "Weekly performance reports evidence the consistent recording of management oversight (good quality supervision: 38% in February 2019, 50% by April and 80% by September 2019).", "HoS QA", COUNCIL, "Must do", "2019-02-01", "2019-09-30", None, "2019-09-30", "Completed", 100, "Target achieved and monitored as part of business as usual.", "2019-10-15"),
    ("4.1", "Performance reports demonstrate that all children in care have a permanence decision recorded.", "HoS CiC", COUNCIL, "Embedding", "2019-01-01", "2019-06-30", None, "2019-06-30", "Embedded", 100, "Completed and monitored through Children in Care reviews.", "2019-10-15"),
    ("4.2", "Where a child is in care their care plan is tracked monthly to ensure there is no drift or delay.", "HoS CiC", COUNCIL, "Embedding", "2019-01-01", "2020-03-31", None, None, "In progress", 65, "Reinforced through the Case Management and Resource Panel and IROs' reviews.", "2019-10-15"),
    ("4.3", "All children in care have a permanence decision, regularly reviewed through the CiC review process, with plans presented twice a year to the Case Management and Resources Panel.", "HoS CiC", COUNCIL, "Must do", "2019-01-01", "2019-06-30", None, "2019-06-30", "Embedded", 100, "On track and embedded as part of business as usual.", "2019-10-15"),
    ("4.4", "Care plans are amended in a timely manner and there is no delay.", "HoS CiC", COUNCIL, "Must do", "2019-01-01", "2019-06-30", None, None, "In progress", 50, "Review identified the need for more detailed partnership building work with agencies outside Haringey.", "2019-10-15"),
    ("4.5", "A peer review by Islington, as part of our partners in practice, leads to further practice improvements and highlights good practice by the IROs.", "AD SQA", COUNCIL, "Should do", "2019-04-01", "2019-10-31", None, None, "In progress", 80, "Peer review completed July 2019; summary report on schedule for October 2019.", "2019-10-15"),
    ("4.6", "Challenge by IROs is routine and the escalation process is used appropriately (quarterly report to QPN).", "AD SQA", COUNCIL, "Embedding", "2018-12-01", "2019-03-31", None, "2019-03-31", "Embedded", 100, "Completed and embedded as part of business as usual.", "2019-10-15"),
    ("5.1", "The CiC and Care Leavers strategy delivers sufficient placements for all children and young people.", "HoS CiC", COUNCIL, "Must do", "2019-01-01", "2020-03-31", None, None, "In progress", 40, "Service review identifies challenges and the urgency to adopt a Pan London approach.", "2019-10-15"),
    ("5.2", "Haringey supports plans across London for placements that meet the needs of all adolescents, including those who are difficult to place.", "DCS", COUNCIL, "Should do", "2019-01-01", "2021-03-31", None, None, "In progress", 20, "Service review identifies challenges and the urgency to adopt a Pan London approach; the aim is agreements in place by 2021.", "2019-10-15"),
    ("5.3", "Care planning is undertaken early and provides best outcomes for young people.", "HoS CiC", COUNCIL, "Embedding", "2019-01-01", "2020-03-31", None, "2019-09-30", "Completed", 100, "Completed.", "2019-10-15"),
    ("6.1", "The relaunched QA framework is implemented and driving practice outcomes.", "HoS QA", COUNCIL, "Must do", "2018-10-01", "2018-12-31", None, "2018-12-14", "Completed", 100, "Completed and tested as part of the Islington Partners in Practice review.", "2019-10-15"),
    ("6.2", "All audit reports are of a consistently high standard and lead practice improvement.", "HoS QA", COUNCIL, "Embedding", "2019-01-01", "2020-03-31", None, None, "In progress", 70, "Recruitment of experienced auditors completed, and benchmarking exercise completed to determine Haringey's standards.", "2019-10-15"),
    ("6.3", "Increased audit capacity and thematic audits lead to improved practice.", "HoS QA", COUNCIL, "Must do", "2019-01-01", "2020-03-31", None, "2019-09-30", "Completed", 100, "Recruitment completed and officers established within the Quality Assurance team.", "2019-10-15"),
    ("6.4", "The quality of practice is improved through regular in-depth audits undertaken through practice weeks.", "HoS QA", COUNCIL, "Embedding", "2018-09-01", "2019-02-28", None, "2019-02-28", "Embedded", 100, "Annual multi-agency practice weeks scheduled for 2019/20 and 2020/21.", "2019-10-15"),
    ("7.1", "A shared approach to minimising the risks to criminally exploited children, with clear governance and protocols so that Community Safety, the Youth Offending Service and the MACE panel understand where responsibility and accountability sit.", "HoCS", CSP, "Must do", "2019-01-01", "2019-04-30", None, "2019-04-30", "Completed", 100, "Multi-agency task and finish group review completed; changes embedded as business as usual and reviewed annually through the MASA and Exploitation Prevention Panel.", "2019-10-15"),
    ("7.2", "A joint quarterly report sets out a shared view of the local profile of children at risk of gangs, violence and criminal exploitation, informing strategic planning and operational decisions.", "DSupt SG", POLICE, "Must do", "2019-02-01", "2019-05-31", "2019-12-31", None, "In progress", 50, "Due date moved: the first monitoring report will be shared with the new MASA in December 2019.", "2019-10-15"),
    ("8.1", "Social workers refer all children for a return home interview when they have gone missing; take-up increases from the baseline of 47% (quarter 3, 2018).", "HoS MASH", COUNCIL, "Must do", "2019-01-01", "2020-03-31", None, None, "In progress", 60, "Service review resulted in return home interviews being delivered internally.", "2019-10-15"),
    ("8.2", "A quarterly report analyses the key themes for children who go missing, informing the wider understanding of child sexual and criminal exploitation.", "HoS MASH", COUNCIL, "Embedding", "2019-01-01", "2019-03-31", None, "2019-03-31", "Embedded", 100, "Quarterly reports monitored through the Director of Children's Services' management group.", "2019-10-15"),
    ("9.1", "All children and young people privately fostered have a robust assessment and are supported in their placement.", "HoS MASH", COUNCIL, "Must do", "2019-01-01", "2020-03-31", None, "2019-09-30", "Completed", 100, "Completed for identified cases.", "2019-10-15"),
    ("9.2", "Social workers are fully aware of the pathways to private fostering and the regulations.", "PSW", COUNCIL, "Must do", "2019-01-01", "2019-06-30", None, "2019-06-30", "Completed", 100, "Training delivered and will be repeated annually through the Haringey Academy.", "2019-10-15"),
    ("9.3", "Increasing number of private fostering arrangements identified, with an increase in contacts from the Admissions service to MASH.", "LSCB BM", LSCB, "Must do", "2019-01-01", "2019-03-31", None, None, "In progress", 60, "Multi-agency awareness campaign to be launched on 4 November 2019.", "2019-10-15"),
    ("9.4", "An increased awareness of private fostering across all agencies and increased reporting as a result.", "LSCB BM", LSCB, "Must do", "2019-01-01", "2019-03-31", "2019-11-30", None, "In progress", 60, "Due date moved to November 2019: multi-agency awareness campaign to be launched on 4 November 2019.", "2019-10-15"),
]

# action ref, milestone, lead, start, due, completed, status
MILESTONES: list[tuple] = [
    ("1.4", "At least 60% of audited assessments rated good or better", "HoS QA", "2019-03-01", "2019-09-30", "2019-09-30", "Completed"),
    ("1.4", "85% of audited assessments rated good or better", "HoS QA", "2019-10-01", "2019-12-31", None, "In progress"),
    ("1.7", "Principal Social Worker appointed", "AD SQA", "2019-06-01", "2019-10-31", "2019-10-07", "Completed"),
    ("1.7", "Children's Social Care Academy launched", "PSW", "2019-06-01", "2019-11-30", None, "In progress"),
    ("2.1", "In-house briefing sessions delivered", "HoS DCT", "2019-03-01", "2019-06-30", "2019-06-28", "Completed"),
    ("2.1", "Externally commissioned sessions delivered", "HoS DCT", "2019-05-01", "2019-07-31", "2019-09-20", "Completed"),
    ("2.5", "DCT Eligibility Criteria protocol launched", "HoS DCT", "2019-04-01", "2019-11-04", None, "In progress"),
    ("4.5", "Peer review terms of reference agreed", "AD SQA", "2019-03-01", "2019-04-30", "2019-04-26", "Completed"),
    ("4.5", "Peer review fieldwork completed", "AD SQA", "2019-05-01", "2019-07-31", "2019-07-19", "Completed"),
    ("4.5", "Peer review summary report published", "AD SQA", "2019-08-01", "2019-10-31", None, "In progress"),
    ("7.2", "Local profile of children at risk agreed by partners", "DSupt SG", "2019-06-01", "2019-10-15", None, "In progress"),
    ("7.2", "First joint monitoring report shared with the MASA", "DSupt SG", "2019-10-01", "2019-12-31", None, "Not started"),
    ("9.3", "Multi-agency private fostering awareness campaign launched", "LSCB BM", "2019-09-01", "2019-11-04", None, "In progress"),
    ("9.4", "Private fostering awareness briefing to all LSCB partners", "LSCB BM", "2019-09-01", "2019-11-30", None, "Not started"),
]

# code, name, unit, polarity, baseline, baseline date, tolerance, agency, [(period end, target, actual)]
INDICATORS: list[tuple] = [
    ("NI 59", "Initial assessments completed within 7 days", "%", "Higher is better", 41, "2009-03-31", None, COUNCIL,
     [("2019-06-30", 45, 44), ("2019-09-30", 48, 49), ("2019-12-31", 50, None), ("2020-03-31", 53, None), ("2021-03-31", 72, None)]),
    ("NI 60", "Core assessments completed within 35 days", "%", "Higher is better", 52, "2009-03-31", None, COUNCIL,
     [("2019-06-30", 55, 52), ("2019-09-30", 58, 56), ("2019-12-31", 60, None), ("2020-03-31", 63, None), ("2021-03-31", 81, None)]),
    ("NI 62", "Looked after children with three or more placements during the year", "%", "Lower is better", 13, "2009-03-31", None, COUNCIL,
     [("2019-06-30", 11, 11.8), ("2019-09-30", 11, 12.4), ("2020-03-31", 11, None), ("2021-03-31", 10, None)]),
    ("NI 64", "Child protection plans lasting two years or more", "%", "Lower is better", 6, "2009-03-31", None, COUNCIL,
     [("2019-06-30", 5, 4.1), ("2019-09-30", 5, 5.2), ("2020-03-31", 5, None)]),
    ("NI 65", "Children becoming the subject of a child protection plan for a second or subsequent time", "%", "Lower is better", 12, "2009-03-31", None, COUNCIL,
     [("2019-06-30", 10, 12), ("2019-09-30", 10, 9), ("2020-03-31", 10, None)]),
    ("NI 66", "Looked after children cases reviewed within required timescales", "%", "Higher is better", 95, "2009-03-31", None, COUNCIL,
     [("2019-06-30", 97, 96.5), ("2019-09-30", 97, 98), ("2020-03-31", 97, None), ("2021-03-31", 98, None)]),
    ("NI 67", "Child protection cases reviewed within required timescales", "%", "Higher is better", 98, "2009-03-31", None, COUNCIL,
     [("2019-06-30", 100, 100), ("2019-09-30", 100, 100), ("2020-03-31", 100, None)]),
    ("NI 51", "Effectiveness of child and adolescent mental health services (score out of 16)", "score", "Higher is better", 14, "2009-03-31", 1, NHS,
     [("2019-09-30", 15, None), ("2020-03-31", 15, None)]),
    ("NI 70", "Hospital admissions caused by unintentional and deliberate injuries to children (rate per 10,000)", "rate", "Lower is better", 25.1, "2009-03-31", None, NHS,
     [("2019-06-30", 22.68, 23.4), ("2019-09-30", 22.68, 24.1), ("2020-03-31", 22.68, None)]),
    ("L1", "Audited assessments rated good or better", "%", "Higher is better", 35, "2019-01-31", None, COUNCIL,
     [("2019-06-30", 50, 52), ("2019-09-30", 60, 87), ("2019-12-31", 85, None)]),
    ("L2", "Audits showing good quality supervision", "%", "Higher is better", 38, "2019-02-28", None, COUNCIL,
     [("2019-04-30", 50, 52), ("2019-09-30", 80, 78)]),
    ("L3", "Missing children taking up a return home interview", "%", "Higher is better", 47, "2018-12-31", None, COUNCIL,
     [("2019-06-30", 60, 55), ("2019-09-30", 70, 58), ("2020-03-31", 80, None)]),
    ("L4", "Average social worker caseload (should sit near 20)", "count", "Closer is better", 24, "2019-01-31", 2, COUNCIL,
     [("2019-06-30", 20, 23), ("2019-09-30", 20, 21)]),
]


def example_plan() -> Plan:
    """The built-in example: Haringey's 2019 Ofsted action plan as a plantrack tracker."""
    actions = []
    for (ref, text, lead, agency, priority, start, due, revised, completed, status, pct, progress, updated) in ACTIONS:
        area = int(ref.split(".")[0])
        theme, recommendation, outcome = AREAS[area]
        actions.append(Action(
            ref=ref, theme=theme, outcome=outcome, recommendation=recommendation, action=text,
            lead_officer=lead, lead_agency=agency, priority=priority,
            start_date=d(start), due_date=d(due), revised_due_date=d(revised) if revised else None,
            completed_date=d(completed) if completed else None, status=status, percent_complete=pct,
            progress_update=progress, evidence=progress if status in ("Completed", "Embedded") else None,
            last_updated=d(updated),
        ))
    by_ref = {a.ref: a for a in actions}
    override = by_ref["5.1"]
    override.rag_override = "Amber"
    override.override_reason = "Service review found too few placements for adolescents; Pan London approach being agreed."
    milestones = [
        Milestone(action_ref=ref, milestone=text, lead_officer=lead, start_date=d(start), due_date=d(due),
                  completed_date=d(done) if done else None, status=status)
        for ref, text, lead, start, due, done, status in MILESTONES
    ]
    indicators, data = [], []
    for code, name, unit, polarity, baseline, base_date, tolerance, agency, periods in INDICATORS:
        indicators.append(Indicator(code=code, indicator=name, unit=unit, polarity=polarity, baseline=baseline,
                                    baseline_date=d(base_date), tolerance=tolerance, lead_agency=agency))
        for period, target, actual in periods:
            data.append(IndicatorValue(code=code, period_end=d(period), target=target, actual=actual))
    info = PlanInfo(
        title="Children's Service Ofsted Action Plan",
        organisation="London Borough of Haringey",
        inspection="Ofsted inspection of children's social care services (ILACS)",
        inspection_date=d("2018-11-09"),
        report_date=REPORT_DATE,
        reporting_period="October 2019",
        protective_marking="OFFICIAL",
        plan_id="HGY-OFSTED-2019",
        extra={"Source": "Built-in example: actions from Haringey's published Ofsted Action Plan (March 2019); "
                         "indicators from its 2009 Safeguarding Plan; indicator actuals are illustrative."},
    )
    return Plan(info=info, actions=actions, milestones=milestones, indicators=indicators, indicator_data=data,
                leads=list(LEADS), agencies=list(AGENCIES))
