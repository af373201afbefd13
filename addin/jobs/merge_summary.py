"""What a merge says it did, in the users' words: the lines ``plantrack merge`` prints and
the Merge returns button's status line (the same sentences, so both say the same thing).

- ``read_line``: how many files were read, and what became of them;
- ``return_lines``: each return's counts and what the reader noticed in it;
- ``closing_lines``: what was written, where the returns stand, the reminders
  drafted, and what to do next (``next_steps``), for what actually happened.

``Wording`` says how the workbook and the next steps are named: as files and
commands (``command_wording``) or as this workbook and its buttons (``BUTTON_WORDING``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from .chasing import Reminder
from .merge import MergeResult, ReturnOutcome
from .returns_status import state_counts

SHOWN_NOTES = 3  # notes per return (hidden rows, merged cells ...); the rest are on the Merge report
SHOWN_RETURNS = 12  # returns named in the one-line summary (a cell holds 32,767 characters)


@dataclass(frozen=True)
class Wording:
    """How a merge's summary names the workbook and the next steps."""

    book: str  # "tracker.xlsx" / "this workbook"
    book_first: str  # the same at the start of a sentence
    backup: str  # said after "Wrote ...": where the backup is ("" when none is made)
    said: str  # where the reasons for refusing a file were given ("above")
    reissue: str  # how to send an agency a fresh copy to fill in
    rag: str  # the next step after changes were applied
    list_reminders: bool = True  # one line per reminder drafted (the command), or only how many


def _arg(path: Path) -> str:
    return f'"{path.name}"' if " " in path.name else path.name


def command_wording(master: Path) -> Wording:
    """The command's words: the master's file name and ``plantrack`` commands."""
    return Wording(
        book=master.name,
        book_first=master.name,
        backup=" (a backup is in plantrack-backups/)",
        said="above",
        reissue=f'plantrack issue {_arg(master)} --agency "NAME"',
        rag="run 'plantrack rag' to recalculate RAG with the new progress",
    )


BUTTON_WORDING = Wording(
    book="this workbook",
    book_first="This workbook",
    backup="",
    said="earlier in this line",
    reissue="the Issue copies button",
    rag="click Recalculate RAG to work out RAG with the new progress",
    list_reminders=False,
)


def plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def read_line(result: MergeResult, words: Wording) -> str:
    """'Read 2 returned files for tracker.xlsx: 1 merged, 1 refused.'"""
    states = [o.state for o in result.outcomes]
    parts = [f"{states.count(s)} {s}" for s in ("merged", "already merged", "refused") if states.count(s)]
    return f"Read {plural(len(states), 'returned file')} for {words.book}: {', '.join(parts)}."


def outcome_counts(outcome: ReturnOutcome) -> str:
    """'2 changes applied, 1 conflict, 1 rejected edit' (or 'nothing applied, ...')."""
    counts = [plural(outcome.applied, "change") + " applied" if outcome.applied else "nothing applied"]
    for n, word in (
        (outcome.conflicts, "conflict"),
        (outcome.proposals, "proposal"),
        (outcome.rejected, "rejected edit"),
    ):
        if n:
            counts.append(plural(n, word))
    return ", ".join(counts)


def return_lines(result: MergeResult) -> list[tuple[str, list[str]]]:
    """Each return's line and the lines under it (a note on an older copy, what the reader
    noticed: at most ``SHOWN_NOTES``), merged files first, refused files after them."""
    lines: list[tuple[str, list[str]]] = []
    for outcome in result.outcomes:
        if outcome.state == "refused":
            continue
        if outcome.state == "already merged":  # its notes were shown when it was merged
            said = outcome.note or "Already merged: nothing new."
            lines.append((f"{outcome.agency} — {outcome.file}: {said[0].lower()}{said[1:]}", []))
            continue
        under = [outcome.note] if outcome.note else []
        under += [f"Note: {note}" for note in outcome.warnings[:SHOWN_NOTES]]
        if len(outcome.warnings) > SHOWN_NOTES:
            under.append(
                f"Note: ... and {len(outcome.warnings) - SHOWN_NOTES} more on the Merge report sheet"
            )
        lines.append((f"{outcome.agency} — {outcome.file}: {outcome_counts(outcome)}", under))
    for outcome in result.outcomes:  # after the others: nothing was taken from these
        if outcome.state == "refused":
            lines.append((f"REFUSED {outcome.file}: {outcome.reason}", []))
    return lines


def closing_lines(
    result: MergeResult,
    words: Wording,
    chasers: Sequence[Path] = (),
    reminders: Sequence[Reminder] = (),
    chasers_folder: str | None = None,
) -> list[str]:
    """What was written, where the returns stand, and what to do next, for what actually happened.
    ``chasers``: the reminders written (``chasers_folder``: their folder as the user knows it)."""
    states = [o.state for o in result.outcomes]
    refused = states.count("refused")
    lines = []
    if result.write_needed:
        lines.append(
            f"Wrote {words.book}: {plural(result.count('applied'), 'change')} applied (Audit log), "
            f"Merge report and Returns sheets{words.backup}."
        )
    elif states and refused == len(states):
        every = {1: "the returned file was", 2: "both returned files were"}.get(
            refused, f"all {refused} returned files were"
        )
        why = "reason" if refused == 1 else "reasons"
        lines.append(
            f"Nothing was merged: {every} refused ({why} {words.said}). {words.book_first} was not changed."
        )
    else:
        already = plural(states.count("already merged"), "return")
        lines.append(
            f"{words.book_first} was not changed: nothing new to merge ({already} already merged"
            + (f", {refused} refused)." if refused else ").")
        )
    if result.statuses:
        by_state = state_counts(result.statuses)
        lines.append("Returns: " + " · ".join(f"{k} {v}" for k, v in by_state.items()))
    if chasers:
        folder = chasers_folder or str(chasers[0].parent)
        if words.list_reminders:
            lines.append(f"Wrote {plural(len(chasers), 'reminder')} to send in {folder}:")
            for path, draft in zip(chasers, reminders):
                lines.append(
                    f"  {path.name} ({draft.agency}, {draft.state.lower()}, due {draft.due:%d/%m/%Y})"
                )
        else:
            lines.append(f"Wrote {plural(len(chasers), 'reminder')} to send in {folder}.")
    lines.append("Next: " + next_steps(result, words))
    return lines


def next_steps(result: MergeResult, words: Wording) -> str:
    refused = sum(1 for o in result.outcomes if o.state == "refused")
    if not result.write_needed:
        if refused:
            which = "the refused file" if refused == 1 else "each refused file"
            return (
                f"ask for {which} again (why it was refused is {words.said}; to send the agency a fresh "
                f"copy to fill in: {words.reissue}), then merge again."
            )
        if result.to_look_at:
            return "nothing new in these files; work through the Merge report sheet if you have not yet."
        return "nothing new to do for these files."
    todo = []
    if result.count("conflict") or result.count("proposal"):
        todo.append("decide each conflict and proposal")
    if result.count("rejected"):
        todo.append("check the rejected edits")
    steps = []
    if todo:
        steps.append("on the Merge report sheet, " + " and ".join(todo))
    if refused:
        steps.append(
            f"ask the agencies again for the {plural(refused, 'refused file')} (why: see {words.said})"
        )
    if result.count("applied"):
        steps.append(words.rag)
    if not steps:
        return "nothing else: every return merged cleanly."
    return "; then ".join(steps) + "."


def one_line(
    result: MergeResult,
    words: Wording,
    chasers: Sequence[Path] = (),
    reminders: Sequence[Reminder] = (),
    chasers_folder: str | None = None,
) -> str:
    """The whole summary as one line (the button's status): the read line, each return with
    the lines under it, then the closing lines, as sentences."""
    parts = [read_line(result, words)]
    lines = return_lines(result)
    for head, under in lines[:SHOWN_RETURNS]:
        parts.append(_sentence(head))
        parts.extend(_sentence(line) for line in under)
    if len(lines) > SHOWN_RETURNS:
        more = len(lines) - SHOWN_RETURNS
        where = " (on the Merge report sheet)" if result.write_needed else ""
        parts.append(f"... and {plural(more, 'more returned file')}{where}.")
    closing = closing_lines(result, words, chasers, reminders, chasers_folder)
    parts.extend(_sentence(line) for line in closing)
    return " ".join(parts)


def _sentence(text: str) -> str:
    text = text.strip()
    return text if text.endswith((".", "!", "?", ":")) else text + "."
