"""Chasing: a ready-to-send reminder for each agency whose return is late or missing.

``reminders(tracker, statuses, now)`` writes the words: to the agency's contact
(Agencies sheet), naming the deadline, how late it is, and the rows still
waiting for an update (open actions and milestones, indicator periods with no
actual). ``Reminder.email`` makes it an e-mail draft (stdlib ``email``), which
the file adapter saves as an ``.eml`` file the programme manager opens, checks
and sends from their own mail program.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import formatdate

from ..dates import describe, format_uk
from ..reader import Tracker
from ..rules import normalise_header
from .issue import reply_to, safe_file_part
from .returns_status import ReturnStatus

CHASERS_FOLDER = "chasers"
MAX_LISTED = 40
XLSX_TYPE = ("application", "vnd.openxmlformats-officedocument.spreadsheetml.sheet")


@dataclass
class Reminder:
    agency: str
    state: str
    due: dt.date
    days_late: int
    to: str
    contact: str
    subject: str
    body: str
    file_name: str  # of the .eml draft
    copy_file: str  # the copy issued, to attach if it is still there
    copy_folder: str
    outstanding: list[str] = field(default_factory=list)

    def email(self, attachment: bytes | None = None, sender: str | None = None) -> EmailMessage:
        """The reminder as an unsent e-mail draft (X-Unsent: 1 opens it ready to send in Outlook)."""
        message = EmailMessage()
        message["Subject"] = self.subject
        if self.to:
            message["To"] = f"{self.contact} <{self.to}>" if self.contact else self.to
        if sender:
            message["From"] = sender
        message["Date"] = formatdate(localtime=True)
        message["X-Unsent"] = "1"
        message.set_content(self.body)
        if attachment is not None:
            message.add_attachment(
                attachment, maintype=XLSX_TYPE[0], subtype=XLSX_TYPE[1], filename=self.copy_file
            )
        return message

    def as_dict(self) -> dict[str, object]:
        return {
            "agency": self.agency,
            "state": self.state,
            "due": self.due.isoformat(),
            "days_late": self.days_late,
            "to": self.to,
            "subject": self.subject,
            "file": self.file_name,
            "outstanding": list(self.outstanding),
        }


def _short(text: str | None, limit: int = 90) -> str:
    text = " ".join(str(text or "").split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def outstanding_rows(tracker: Tracker, agency: str, as_at: dt.date) -> list[str]:
    """The agency's rows still waiting for an update, in words."""
    plan, rules = tracker.plan, tracker.rules
    key = normalise_header(agency)
    lines: list[str] = []
    refs = set()
    for action in plan.actions:
        if normalise_header(action.lead_agency or "") != key:
            continue
        refs.add(action.ref)
        if rules.is_done(action.status) or rules.is_cancelled(action.status):
            continue
        due = action.effective_due
        lines.append(
            f"Action {action.ref}: {_short(action.action)}" + (f" (due {format_uk(due)})" if due else "")
        )
    for milestone in plan.milestones:
        if (
            milestone.action_ref not in refs
            or rules.is_done(milestone.status)
            or rules.is_cancelled(milestone.status)
        ):
            continue
        due = milestone.due_date
        lines.append(
            f"Milestone of {milestone.action_ref}: {_short(milestone.milestone)}"
            + (f" (due {format_uk(due)})" if due else "")
        )
    for indicator in plan.indicators:
        if normalise_header(indicator.lead_agency or "") != key:
            continue
        missing = [
            d.period_end
            for d in plan.data_of(indicator.code)
            if d.actual is None and d.period_end is not None and d.period_end <= as_at
        ]
        if missing:
            periods = ", ".join(format_uk(p) for p in missing)
            lines.append(
                f"Indicator {indicator.code} {_short(indicator.indicator, 60)}: actual for {periods}"
            )
    return lines


def reminders(tracker: Tracker, statuses: Sequence[ReturnStatus], now: dt.datetime) -> list[Reminder]:
    """One reminder per agency whose return is Late or Missing."""
    info = tracker.plan.info
    title = info.title or "Improvement plan"
    agencies = {normalise_header(a.agency): a for a in tracker.plan.agencies}
    as_at = info.report_date or now.date()  # indicator periods due by the report date
    out = []
    for status in statuses:
        if not status.outstanding:
            continue
        row = agencies.get(normalise_header(status.agency))
        contact = (row.contact if row else None) or ""
        to = (row.email if row else None) or ""
        due = status.issue.due
        rows = outstanding_rows(tracker, status.agency, as_at)
        listed = [f"  - {line}" for line in rows[:MAX_LISTED]]
        if len(rows) > MAX_LISTED:
            listed.append(f"  - ... and {len(rows) - MAX_LISTED} more (see the copy)")
        greeting = f"Dear {contact}," if contact else "Hello,"
        lateness = (
            "is now overdue"
            if status.state == "Late"
            else f"has not been received, {status.days_late} days after the deadline"
        )
        body = "\n".join(
            [
                greeting,
                "",
                f"{title}: progress return for {status.agency}",
                "",
                f"Your progress return was due on {describe(due)} ({format_uk(due)}) and {lateness}. "
                f"Please fill in the copy sent to you on {status.issue.issued_at:%d/%m/%Y} "
                f"({status.issue.file}; attached again if it was available) and send it back "
                "as soon as you can.",
                "",
                "These rows are waiting for an update:"
                if listed
                else "Please confirm there is nothing to report.",
                *listed,
                "",
                "Type only in the yellow cells (status, % complete, progress update, evidence, "
                "dates, actuals) and "
                "send back the same file; please do not copy the rows into another workbook.",
                "",
                "Thank you,",
                reply_to(tracker),
            ]
        )
        subject = f"Reminder: {title} — progress return from {status.agency} overdue since {format_uk(due)}"
        name = f"{safe_file_part(status.agency, 60)} - reminder {now.date().isoformat()}.eml"
        out.append(
            Reminder(
                status.agency,
                status.state,
                due,
                status.days_late,
                to,
                contact,
                subject,
                body,
                name,
                status.issue.file,
                status.issue.folder,
                rows,
            )
        )
    return out
