"""Error types. Findings in a plan are data (see ``jobs.validate``); these are
raised only when the input or the rules cannot be used at all.

Every error carries a one-line message a programme manager understands; the
command line prints it and exits with ``exit_code``.
"""

from __future__ import annotations

from pathlib import Path


class PlantrackError(Exception):
    """Base class: something stops the job. ``exit_code`` is what the CLI returns."""

    exit_code = 2

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class UnusableWorkbook(PlantrackError):
    """A workbook file cannot be read: not a workbook, damaged, encrypted, too big,
    open in Excel, or missing a sheet or column the job needs."""

    def __init__(self, path: str | Path | None, problem: str, advice: str = ""):
        self.path = Path(path) if path is not None else None
        self.problem = problem
        self.advice = advice
        name = f"{self.path.name}: " if self.path is not None else ""
        text = f"{name}{problem}"
        if advice:
            text = f"{text} — {advice}"
        super().__init__(text)


class RulesError(PlantrackError):
    """A rule set or template file is broken: names the file, the entry and what is wrong."""

    def __init__(self, path: str | Path, entry: str, problem: str):
        self.path = Path(path)
        self.entry = entry
        self.problem = problem
        where = f"{self.path.name}" + (f", {entry}" if entry else "")
        super().__init__(f"Rule file {where}: {problem}")


class WriteRefused(PlantrackError):
    """plantrack will not write this file (open in Excel, would lose content, ...)."""

    def __init__(self, path: str | Path, problem: str, advice: str = ""):
        self.path = Path(path)
        text = f"{self.path.name}: {problem}"
        if advice:
            text = f"{text} — {advice}"
        super().__init__(text)
