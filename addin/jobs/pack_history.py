"""What earlier board packs left in the workbook: RAG snapshots and corrective actions.

Each pack stores the RAG of every action, milestone and indicator in a
very hidden sheet (``_plantrack_pack_history``: Pack date, Kind, Ref, RAG,
Corrective action), one snapshot per pack date. The next pack compares with
the latest earlier snapshot ("Changes since the last pack") and counts how
many packs running an item has been Red.

People type recovery actions into the Corrective action column of the
exceptions sheet; the next pack carries them over by ref.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import NamedTuple

from ..rules import normalise_header
from ..tables import Grid, as_date, as_text
from .pack_look import PackTemplate, load_pack_template

HISTORY_HEADERS = ("Pack date", "Kind", "Ref", "RAG", "Corrective action")
HEADER_SEARCH_ROWS = 10
PACKS_KEPT = 36  # three years of monthly packs: enough to count how long an item has been Red


class SnapshotEntry(NamedTuple):
    """One item's RAG at one pack."""

    pack_date: dt.date
    kind: str  # "Action", "Milestone" or "Indicator"
    ref: str
    rag: str | None
    corrective: str | None = None

    @property
    def key(self) -> tuple[str, str]:
        return (self.kind, self.ref)


@dataclass
class PackHistory:
    """Every earlier pack's snapshot, and the corrective actions typed on the last exceptions sheet.

    ``corrective_on_sheet`` maps each ref listed on the exceptions sheet to
    what is typed in its Corrective action cell (None when empty).
    """

    entries: list[SnapshotEntry] = field(default_factory=list)
    corrective_on_sheet: dict[str, str | None] = field(default_factory=dict)

    @classmethod
    def from_grids(cls, grids: Mapping[str, Grid], template: PackTemplate | None = None) -> PackHistory:
        """Read the history sheet and the exceptions sheet, if the workbook has them."""
        template = template or load_pack_template()
        history = _find(grids, template.sheet("history").name)
        exceptions = _find(grids, template.sheet("exceptions").name)
        return cls(
            entries=read_snapshots(history) if history is not None else [],
            corrective_on_sheet=read_corrective_actions(exceptions) if exceptions is not None else {},
        )

    @cached_property
    def dates(self) -> list[dt.date]:
        return sorted({e.pack_date for e in self.entries})

    @cached_property
    def _by_item(self) -> dict[tuple[str, str], dict[dt.date, SnapshotEntry]]:
        out: dict[tuple[str, str], dict[dt.date, SnapshotEntry]] = {}
        for e in self.entries:
            out.setdefault(e.key, {})[e.pack_date] = e
        return out

    @cached_property
    def _latest_corrective(self) -> dict[str, SnapshotEntry]:
        out: dict[str, SnapshotEntry] = {}
        for e in self.entries:
            if e.corrective and (e.ref not in out or e.pack_date >= out[e.ref].pack_date):
                out[e.ref] = e
        return out

    def snapshot(self, day: dt.date) -> dict[tuple[str, str], SnapshotEntry]:
        return {e.key: e for e in self.entries if e.pack_date == day}

    def previous_date(self, as_of: dt.date) -> dt.date | None:
        """The latest pack before ``as_of`` (None for the first pack)."""
        earlier = [d for d in self.dates if d < as_of]
        return earlier[-1] if earlier else None

    def red_run(self, kind: str, ref: str, before: dt.date, red: str = "Red") -> int:
        """How many packs running before ``before`` (latest first) had this item Red."""
        by_date = self._by_item.get((kind, ref), {})
        run = 0
        for day in reversed(self.dates):
            if day >= before:
                continue
            entry = by_date.get(day)
            if entry is None or entry.rag != red:
                break
            run += 1
        return run

    def corrective_for(self, ref: str) -> str | None:
        """The corrective action to carry into the new pack for ``ref``.

        What is typed on the exceptions sheet wins (an emptied cell stays
        empty); an item not on that sheet gets the latest one stored.
        """
        if ref in self.corrective_on_sheet:
            return self.corrective_on_sheet[ref]
        stored = self._latest_corrective.get(ref)
        return stored.corrective if stored else None

    def with_snapshot(self, day: dt.date, entries: Iterable[SnapshotEntry]) -> PackHistory:
        """A new history with ``day``'s snapshot replaced by ``entries`` (a re-run never appends
        twice). Only the latest ``PACKS_KEPT`` packs are kept."""
        kept_dates = set(sorted({*self.dates, day})[-PACKS_KEPT:])
        kept = [e for e in self.entries if e.pack_date != day and e.pack_date in kept_dates]
        return PackHistory(
            sorted([*kept, *entries], key=lambda e: e.pack_date), dict(self.corrective_on_sheet)
        )

    def rows(self) -> list[list[object]]:
        """The history sheet's rows, header first."""
        out: list[list[object]] = [list(HISTORY_HEADERS)]
        out.extend(list(e) for e in self.entries)
        return out


def _find(grids: Mapping[str, Grid], name: str) -> Grid | None:
    wanted = normalise_header(name)
    return next((g for n, g in grids.items() if normalise_header(n) == wanted), None)


def find_header(grid: Grid, needed: Iterable[str]) -> tuple[int, dict[str, int]] | None:
    """The 0-based header row holding every ``needed`` header, and where each header is."""
    wanted = {normalise_header(n) for n in needed}
    for i, row in enumerate(grid.values[:HEADER_SEARCH_ROWS]):
        columns = {normalise_header(v): c for c, v in enumerate(row) if isinstance(v, str)}
        if wanted <= columns.keys():
            return i, columns
    return None


def _at(row: list[object], c: int | None) -> object:
    return row[c] if c is not None and c < len(row) else None


def _day(value: object) -> dt.date | None:
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip()[:10])
        except ValueError:
            return None
    return as_date(value)


def read_snapshots(grid: Grid) -> list[SnapshotEntry]:
    found = find_header(grid, ("Pack date", "Kind", "Ref", "RAG"))
    if found is None:
        return []
    head, cols = found
    out = []
    for row in grid.values[head + 1 :]:
        day = _day(_at(row, cols["packdate"]))
        kind, ref = as_text(_at(row, cols["kind"])), as_text(_at(row, cols["ref"]))
        if day is None or not kind or not ref:
            continue
        out.append(
            SnapshotEntry(
                day,
                kind,
                ref,
                as_text(_at(row, cols["rag"])),
                as_text(_at(row, cols.get("correctiveaction"))),
            )
        )
    return out


def read_corrective_actions(grid: Grid) -> dict[str, str | None]:
    found = find_header(grid, ("Ref", "Corrective action"))
    if found is None:
        return {}
    head, cols = found
    out: dict[str, str | None] = {}
    for row in grid.values[head + 1 :]:
        ref = as_text(_at(row, cols["ref"]))
        if ref:
            out[ref] = as_text(_at(row, cols["correctiveaction"]))
    return out
