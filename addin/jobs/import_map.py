"""Import, part 1: the import rules and finding the action table in a source workbook.

``rules/import.toml`` says which tracker column each header of a council's own
spreadsheet means; ``load_import_rules`` reads it and checks it (pydantic), and
``find_table`` picks the sheet and the header row that look most like an
action table. Nothing here touches a workbook: it works on ``tables.Grid``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from ..errors import PlantrackError, RulesError, UnusableWorkbook
from ..resources import resource_dir
from ..rules import RuleSet, normalise_header, tomllib
from ..tables import Grid, as_text, column_letter, is_blank

MILESTONES = "Milestones"
"""The import-only target: a cell holding one milestone per line."""

HEADER_SEARCH_ROWS = 60
"""How far down each sheet the header row is looked for."""

IMPORT_RULES_FILE = "import.toml"


def loose_key(text: object) -> str:
    """How import compares headers: no capitals, spaces, punctuation or plural "s".

    "Original Target / Timescales" and "original targets/timescale" give the
    same key; "%" and "#" stay, so "Progress %" is not "Progress".
    """
    return _loose_key(str(text))


@lru_cache(maxsize=8192)
def _loose_key(text: str) -> str:
    words = re.findall(r"[0-9a-z]+|[%#&]", text.casefold())
    return " ".join(w[:-1] if len(w) > 3 and w.endswith("s") and not w.endswith("ss") else w for w in words)


# ----------------------------------------------------------------- the rules


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class StatusWords(_Strict):
    """Phrases that, at the start of a progress text, say the action's status."""

    status: str
    phrases: tuple[str, ...] = Field(min_length=1)
    more_words: bool = True


class ImportDefaults(_Strict):
    unknown: str = "To be confirmed"
    started: str = "In progress"
    not_started: str = "Not started"


class ImportRules(_Strict):
    """``rules/import.toml``, checked."""

    name: str = "import rules"
    columns: dict[str, tuple[str, ...]]
    fill_down: tuple[str, ...] = ()
    defaults: ImportDefaults = ImportDefaults()
    status_words: tuple[StatusWords, ...] = ()
    rag_words: dict[str, tuple[str, ...]] = Field(default_factory=dict)

    @field_validator("columns")
    @classmethod
    def _each_header_once(cls, columns: dict[str, tuple[str, ...]]) -> dict[str, tuple[str, ...]]:
        seen: dict[str, str] = {}
        for target, headers in columns.items():
            for header in (target, *headers):
                key = loose_key(header)
                if not key:
                    raise ValueError(f"{target}: the header {header!r} has no letters or figures")
                if seen.get(key, target) != target:
                    raise ValueError(
                        f"the header {header!r} is listed under both {seen[key]!r} and {target!r}"
                    )
                seen[key] = target
        return columns

    @model_validator(mode="after")
    def _fill_down_names_columns(self) -> ImportRules:
        unknown = [c for c in self.fill_down if c not in self.columns]
        if unknown:
            raise ValueError(f"fill_down names columns not listed in [columns]: {unknown}")
        return self

    def check_against(self, rules: RuleSet, path: Path | None = None) -> ImportRules:
        """Every target must be a column of the Actions sheet (or Milestones); every
        status a status of the rule set; every RAG word list a RAG value."""
        blame = path or Path(IMPORT_RULES_FILE)
        names = {c.name for c in rules.sheet("Actions").columns} | {MILESTONES}
        for target in self.columns:
            if target not in names:
                raise RulesError(
                    blame,
                    f"columns > {target}",
                    f"{target!r} is not a column of the Actions sheet (nor 'Milestones')",
                )
        statuses = {s.casefold() for s in rules.statuses.values}
        for i, entry in enumerate(self.status_words, start=1):
            if entry.status.casefold() not in statuses:
                raise RulesError(
                    blame,
                    f"status_words[{i}]",
                    f"{entry.status!r} is not a status ({', '.join(rules.statuses.values)})",
                )
        for name in (self.defaults.started, self.defaults.not_started):
            if name.casefold() not in statuses:
                raise RulesError(blame, "defaults", f"{name!r} is not a status")
        for rag in self.rag_words:
            if rag not in rules.rag.values:
                raise RulesError(blame, f"rag_words > {rag}", f"{rag!r} is not a RAG value")
        return self

    def targets(self, rules: RuleSet) -> dict[str, str]:
        """Every header this file knows (by loose key) -> its target column.

        The tracker's own column names always count, so a plan already in
        plantrack's layout imports as it is.
        """
        out = {loose_key(c.name): c.name for c in rules.sheet("Actions").columns}
        for target, headers in self.columns.items():
            for header in (target, *headers):
                out.setdefault(loose_key(header), target)
        return out

    def status_of(self, text: str | None) -> tuple[str, str] | None:
        """(status, the phrase) when ``text`` starts with a status phrase, else None."""
        if not text:
            return None
        head = text.lstrip(" \t\r\n-\u2022*\u00b7").casefold()
        for entry in self.status_words:
            for phrase in sorted(entry.phrases, key=len, reverse=True):
                if not head.startswith(phrase.casefold()):
                    continue
                after = head[len(phrase) :]
                if after and after[0].isalnum():
                    continue
                if (
                    not entry.more_words
                    and after.strip()
                    and not re.match(r"\s*[:.;,\-\u2013\u2014(\n]", after)
                ):
                    continue
                return entry.status, phrase
        return None

    def rag_of(self, text: str | None) -> str | None:
        if not text:
            return None
        key = text.strip().strip(".").casefold()
        for rag, words in self.rag_words.items():
            if key == rag.casefold() or key in {w.casefold() for w in words}:
                return rag
        return None


def import_rules_path() -> Path:
    return resource_dir("rules") / IMPORT_RULES_FILE


def load_import_rules(rules: RuleSet, path: str | Path | None = None) -> ImportRules:
    """Load and check ``rules/import.toml`` (or ``path``) against the tracker's rule set."""
    path = Path(path) if path else import_rules_path()
    try:
        data: dict[str, Any] = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise RulesError(path, "", "the file does not exist") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise RulesError(path, "", f"cannot be read ({exc})") from exc
    except tomllib.TOMLDecodeError as exc:
        raise RulesError(path, "", f"is not valid TOML: {exc}") from exc
    try:
        loaded = ImportRules.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        entry = " > ".join(str(step) for step in first["loc"])
        raise RulesError(path, entry, first["msg"].removeprefix("Value error, ")) from exc
    return loaded.check_against(rules, path)


# ------------------------------------------------------------- --map options


class MapOptionError(PlantrackError):
    """A ``--map`` option that cannot be used (exit 2)."""


def parse_map_option(text: str, rules: RuleSet) -> tuple[str, str]:
    """``"Source header=Target column"`` -> (source header, the tracker column's own name)."""
    source, sep, target = text.partition("=")
    if not sep or not source.strip() or not target.strip():
        raise MapOptionError(
            f'--map {text!r}: write it as "Source header=Tracker column", e.g. --map "Key tasks=Action"'
        )
    names = [c.name for c in rules.sheet("Actions").columns] + [MILESTONES]
    for name in names:
        if normalise_header(name) == normalise_header(target):
            return source.strip(), name
    raise MapOptionError(
        f"--map {text!r}: {target.strip()!r} is not a tracker column; use one of: {', '.join(names)}"
    )


# ------------------------------------------------------------ the table


@dataclass
class SourceColumn:
    """One column of the source table and what it became."""

    index: int
    header: str  # as typed ("" when blank)
    target: str | None  # tracker column or MILESTONES; None when kept as an extra column
    how: str  # "import rules", "--map", "kept", "second column for ..."
    kept_as: str | None = None  # the extra column's header in the new tracker

    @property
    def letter(self) -> str:
        return column_letter(self.index)


@dataclass
class SourceTable:
    """Where the action table is: its sheet, header row and columns."""

    grid: Grid
    header_index: int  # 0-based row of the header in grid.values
    columns: list[SourceColumn] = field(default_factory=list)
    sheets_looked_at: int = 1

    @property
    def sheet(self) -> str:
        return self.grid.name

    @property
    def header_row(self) -> int:
        """The header's Excel row number."""
        return self.header_index + 1

    def by_target(self) -> dict[str, int]:
        return {c.target: c.index for c in self.columns if c.target is not None}

    def kept(self) -> list[SourceColumn]:
        return [c for c in self.columns if c.target is None]


def _row_targets(row: Sequence[Any], known: Mapping[str, str]) -> dict[int, str]:
    """Column index -> target for the cells of one row that are known headers."""
    out: dict[int, str] = {}
    for i, value in enumerate(row):
        if isinstance(value, str) and not is_blank(value) and len(value) < 120:
            target = known.get(loose_key(value))
            if target is not None:
                out[i] = target
    return out


def is_header_like(row: Sequence[Any], known: Mapping[str, str]) -> bool:
    """True for a row that names an action column and at least one other known column."""
    targets = set(_row_targets(row, known).values())
    return len(targets) >= 2 and bool(targets & {"Action", MILESTONES})


def _best_header(grid: Grid, known: Mapping[str, str]) -> tuple[int, int] | None:
    """(row index, number of known columns) of the best header row, or None."""
    best: tuple[int, int] | None = None
    for i, row in enumerate(grid.values[:HEADER_SEARCH_ROWS]):
        if not is_header_like(row, known):
            continue
        hits = len(set(_row_targets(row, known).values()))
        if best is None or hits > best[1]:
            best = (i, hits)
    return best


def known_headers(
    import_rules: ImportRules, rules: RuleSet, overrides: Sequence[tuple[str, str]]
) -> dict[str, str]:
    known = import_rules.targets(rules)
    for source, target in overrides:
        known[loose_key(source)] = target
    return known


def _sheet_named(grids: Mapping[str, Grid], name: str, path: Path | None) -> Grid:
    for sheet_name, grid in grids.items():
        if normalise_header(sheet_name) == normalise_header(name):
            return grid
    raise UnusableWorkbook(
        path, f"there is no sheet called '{name}'", f"the sheets are: {', '.join(repr(s) for s in grids)}"
    )


def find_table(
    grids: Mapping[str, Grid],
    import_rules: ImportRules,
    rules: RuleSet,
    *,
    sheet: str | None = None,
    overrides: Sequence[tuple[str, str]] = (),
    path: Path | None = None,
) -> SourceTable:
    """The action table: on ``sheet``, or on the sheet whose header row names the most
    known columns (then the one with the most rows). Raises ``UnusableWorkbook``
    saying what was looked for when there is none."""
    known = known_headers(import_rules, rules, overrides)
    grids_to_search = [_sheet_named(grids, sheet, path)] if sheet else list(grids.values())
    found: list[tuple[tuple[int, int], Grid, int]] = []
    for grid in grids_to_search:
        best = _best_header(grid, known)
        if best is not None:
            index, hits = best
            found.append(((hits, len(grid.values) - index), grid, index))
    if not found:
        action_words = ", ".join(repr(h) for h in import_rules.columns.get("Action", ())[:4])
        where = f"sheet '{grids_to_search[0].name}'" if sheet else f"any of the {len(grids)} sheet(s)"
        raise UnusableWorkbook(
            path,
            f"no action table found on {where}",
            f"plantrack looked in the first {HEADER_SEARCH_ROWS} rows for a header row naming an action "
            f"column ({action_words} ...) and at least one other known column (Ref, Due date, Lead officer, "
            'Progress ...); name your headers with --map "Your header=Action"',
        )
    _, grid, index = max(found, key=lambda f: f[0])
    table = SourceTable(grid, index, sheets_looked_at=len(grids_to_search))
    table.columns = map_columns(grid, index, known, overrides)
    missing = [s for s, _ in overrides if loose_key(s) not in {loose_key(c.header) for c in table.columns}]
    if missing:
        headers = ", ".join(repr(c.header) for c in table.columns if c.header)
        raise MapOptionError(
            f"--map: the table on sheet '{grid.name}' has no column headed "
            f"{missing[0]!r} (its headers are: {headers})"
        )
    return table


def map_columns(
    grid: Grid, index: int, known: Mapping[str, str], overrides: Sequence[tuple[str, str]] = ()
) -> list[SourceColumn]:
    """Each column of the table (header, or data below a blank header) and what it maps to."""
    header = grid.values[index]
    width = max((len(r) for r in grid.values[index:]), default=0)
    while width and all(len(r) < width or is_blank(r[width - 1]) for r in grid.values[index:]):
        width -= 1
    by_override = {loose_key(s): t for s, t in overrides}
    used: dict[str, int] = {}
    kept_names: set[str] = set()
    columns = []
    for i in range(width):
        text = as_text(header[i]) if i < len(header) else None
        text = " ".join(text.split()) if text else ""
        if not text and all(i >= len(r) or is_blank(r[i]) for r in grid.values[index + 1 :]):
            continue  # a blank column between others: nothing to keep
        key = loose_key(text) if text else ""
        target = known.get(key) if key else None
        how = "--map" if key in by_override else "import rules"
        if target is not None and target in used:
            how = f"second column for {target} (the first is column {column_letter(used[target])})"
            target = None
        if target is not None:
            used[target] = i
            columns.append(SourceColumn(i, text, target, how))
            continue
        name = text or f"Column {column_letter(i)}"
        if loose_key(name) in known or name.casefold() in kept_names:
            name = f"{name} (column {column_letter(i)})"
        kept_names.add(name.casefold())
        columns.append(SourceColumn(i, text, None, how if how.startswith("second") else "kept", kept_as=name))
    return columns
