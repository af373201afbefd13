"""What earlier board packs left in the workbook: RAG snapshots, counts and corrective actions.

Each pack keeps a record in a very hidden sheet (``_plantrack_pack_history``),
compact and bounded whatever the size of the plan:

- one *Pack* row per pack (its date, and whether its item RAGs are kept);
- that pack's RAG counts: actions, milestones and indicators overall, and
  actions by theme and by lead agency (at most ``GROUPS_KEPT`` of each);
- one row per action, milestone and indicator of the latest pack only: its
  RAG, how many packs running it has been Red, the corrective action in
  force, and its RAG at the pack before (the *Previous* columns, empty when
  the item was not in that pack), so that running the latest pack again
  still compares with the one before it. Items of the pack before that are
  no longer in the plan keep a row of their own.

So the sheet grows by a few dozen count rows per pack, not one row per item;
counts are kept for ``PACKS_KEPT`` packs. The next pack compares with the
latest snapshot ("Changes since the last pack"), reads how long an item has
been Red from it, and carries its corrective actions over.

The sheet never holds more than ``row_limit(max_rows)`` rows: the rule set's
``max_rows`` (200,000 by default, what plantrack reads back) and never more
than Excel's 1,048,576 (see ``PackHistory.fitted``). A plan too big for that
(about 190,000 actions, milestones and indicators with the default limit)
keeps counts only, and the next pack says it cannot list changes item by item.

Histories written before this layout (one row per item per pack: Pack date,
Kind, Ref, RAG, Corrective action) are still read; the next pack writes them
back in the compact layout.

People type recovery actions into the Corrective action column of the
exceptions sheet; the next pack carries them over by ref.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import NamedTuple

from ..rules import normalise_header
from ..tables import Grid, as_date, as_number, as_text
from .pack_look import PackTemplate, load_pack_template

HISTORY_HEADERS = (
    "Pack date",
    "Kind",
    "Ref",
    "RAG",
    "Count",
    "Red packs running",
    "Previous RAG",
    "Previous red packs running",
    "Corrective action",
)
OLD_HEADERS = ("Pack date", "Kind", "Ref", "RAG", "Corrective action")  # one row per item per pack
HEADER_SEARCH_ROWS = 10
PACKS_KEPT = 36  # three years of monthly packs: the counts of each
ITEM_PACKS_KEPT = 2  # item RAGs of the latest pack and the one before (to run the latest again)
GROUPS_KEPT = 50  # themes (and lead agencies) counted per pack; the rest are counted together
EXCEL_MAX_ROWS = 1_048_576
PACK = "Pack"  # the Kind of a pack's own row
ITEMS_KEPT, COUNTS_ONLY = "Item RAGs kept", "Counts only"
OTHERS = "(all others)"


def row_limit(max_rows: int | None = None) -> int:
    """The most rows the history sheet may have: the rule set's ``max_rows``, at most Excel's."""
    return min(max_rows or EXCEL_MAX_ROWS, EXCEL_MAX_ROWS)


class SnapshotEntry(NamedTuple):
    """One item's RAG at one pack."""

    pack_date: dt.date
    kind: str  # "Action", "Milestone" or "Indicator"
    ref: str
    rag: str | None
    corrective: str | None = None
    red_run: int | None = None  # packs running Red, this one included (None: not recorded)

    @property
    def key(self) -> tuple[str, str]:
        return (self.kind, self.ref)


class CountEntry(NamedTuple):
    """How many items of a group had one RAG at one pack."""

    pack_date: dt.date
    group: str  # "Actions", "Milestones", "Indicators", "Actions by theme", "Actions by lead agency"
    label: str  # "All", or the theme or lead agency
    rag: str
    number: int


def count_entries(
    day: dt.date, group: str, rows: Iterable[tuple[str, Mapping[str, int]]], limit: int = GROUPS_KEPT
) -> list[CountEntry]:
    """One group's counts as history rows: the ``limit`` biggest labels, the rest added up under
    ``OTHERS`` (so a plan with a theme per action still adds a bounded number of rows)."""
    listed = [(label, counts) for label, counts in rows if any(counts.values())]
    if len(listed) > limit:
        biggest = sorted(range(len(listed)), key=lambda n: -sum(listed[n][1].values()))[:limit]
        kept = [listed[n] for n in sorted(biggest)]
        rest: Counter[str] = Counter()
        for n in set(range(len(listed))) - set(biggest):
            rest.update(listed[n][1])
        listed = [*kept, (OTHERS, dict(rest))]
    return [
        CountEntry(day, group, label, rag, n) for label, counts in listed for rag, n in counts.items() if n
    ]


@dataclass
class PackHistory:
    """Earlier packs' snapshots and counts, and the corrective actions typed on the last exceptions sheet.

    ``entries`` are the item RAGs kept (of the latest packs only); ``counts``
    each pack's RAG counts; ``packs`` every pack's date and whether its item
    RAGs are kept (None: every date in ``entries``, as a history written
    before the compact layout). ``corrective_on_sheet`` maps each ref listed
    on the exceptions sheet to what is typed in its Corrective action cell
    (None when empty).
    """

    entries: list[SnapshotEntry] = field(default_factory=list)
    corrective_on_sheet: dict[str, str | None] = field(default_factory=dict)
    counts: list[CountEntry] = field(default_factory=list)
    packs: dict[dt.date, bool] | None = None

    @classmethod
    def from_grids(cls, grids: Mapping[str, Grid], template: PackTemplate | None = None) -> PackHistory:
        """Read the history sheet and the exceptions sheet, if the workbook has them."""
        template = template or load_pack_template()
        history = _find(grids, template.sheet("history").name)
        exceptions = _find(grids, template.sheet("exceptions").name)
        found = read_history(history) if history is not None else cls()
        found.corrective_on_sheet = read_corrective_actions(exceptions) if exceptions is not None else {}
        return found

    @cached_property
    def _packs(self) -> dict[dt.date, bool]:
        packs = {e.pack_date: True for e in self.entries}
        packs.update({c.pack_date: False for c in self.counts if c.pack_date not in packs})
        packs.update(self.packs or {})
        return packs

    @cached_property
    def dates(self) -> list[dt.date]:
        """Every pack's date, oldest first."""
        return sorted(self._packs)

    @cached_property
    def item_dates(self) -> list[dt.date]:
        """The dates of the packs whose item RAGs are kept, oldest first."""
        return [d for d in self.dates if self._packs[d]]

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
        """The latest pack before ``as_of`` whose item RAGs are kept (None for the first pack)."""
        earlier = [d for d in self.item_dates if d < as_of]
        return earlier[-1] if earlier else None

    def uncompared(self, as_of: dt.date) -> dt.date | None:
        """The latest pack before ``as_of`` when it cannot be compared with item by item (its item
        RAGs are no longer kept, and no later one's are): None when there is none or it can."""
        earlier = [d for d in self.dates if d < as_of]
        if not earlier or self.previous_date(as_of) is not None:
            return None
        return earlier[-1]

    def red_run(self, kind: str, ref: str, before: dt.date, red: str = "Red") -> int:
        """How many packs running before ``before`` (latest first) had this item Red."""
        latest = self.previous_date(before)
        return self._run_through(kind, ref, latest, red) if latest is not None else 0

    def _run_through(self, kind: str, ref: str, latest: dt.date, red: str = "Red") -> int:
        """How many packs running up to ``latest`` (included) had this item Red."""
        by_date = self._by_item.get((kind, ref), {})
        run = 0
        for day in reversed(self.item_dates):
            if day > latest:
                continue
            entry = by_date.get(day)
            if entry is None or entry.rag != red:
                break
            if entry.red_run is not None:  # recorded: it counts the packs before as well
                return run + max(entry.red_run, 1)
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

    def with_snapshot(
        self,
        day: dt.date,
        entries: Iterable[SnapshotEntry],
        counts: Iterable[CountEntry] = (),
        max_rows: int | None = None,
    ) -> PackHistory:
        """A new history with ``day``'s snapshot and counts replaced by these (a re-run never
        appends twice). Counts are kept for the latest ``PACKS_KEPT`` packs, item RAGs for the
        latest ``ITEM_PACKS_KEPT``; then the whole fits in ``row_limit(max_rows)`` rows."""
        packs = {d: held for d, held in self._packs.items() if d != day}
        packs[day] = True
        dates = sorted(packs)[-PACKS_KEPT:]
        held = [d for d in dates if packs[d]][-ITEM_PACKS_KEPT:]
        packs = {d: d in held for d in dates}
        kept = [self._with_run(e) for e in self.entries if e.pack_date != day and e.pack_date in held]
        new_entries = sorted([*kept, *(e for e in entries if day in held)], key=lambda e: e.pack_date)
        kept_counts = [c for c in self.counts if c.pack_date != day and c.pack_date in packs]
        new_counts = sorted([*kept_counts, *counts], key=lambda c: c.pack_date)
        out = PackHistory(new_entries, dict(self.corrective_on_sheet), new_counts, packs)
        return out.fitted(row_limit(max_rows))

    def _with_run(self, entry: SnapshotEntry, red: str = "Red") -> SnapshotEntry:
        """``entry`` with its Red run worked out, when an older history did not record it."""
        if entry.red_run is not None or entry.rag != red:
            return entry
        return entry._replace(red_run=self._run_through(entry.kind, entry.ref, entry.pack_date, red))

    def row_count(self) -> int:
        """How many rows ``rows()`` gives, without making them."""
        held = self.item_dates
        items = 0
        if held:
            latest = {e.key for e in self.entries if e.pack_date == held[-1]}
            before = {e.key for e in self.entries if len(held) > 1 and e.pack_date == held[-2]}
            items = len(latest) + len(before - latest)
        return 1 + len(self._packs) + len(self.counts) + items

    def fitted(self, limit: int) -> PackHistory:
        """This history cut down to ``limit`` sheet rows at most. First the rows of the pack before
        the latest go (its items no longer in the plan); then the oldest packs' counts, if that
        leaves room for the latest pack's item RAGs, else those item RAGs and then as many old
        packs' counts as need be; at the very last, all but the overall counts of the latest pack."""
        history = self
        if history.row_count() <= limit:
            return history
        packs = dict(history._packs)
        held = history.item_dates
        if len(held) > 1:
            without_before = history._keeping({**packs, held[0]: False})
            if without_before.row_count() < history.row_count():
                packs[held[0]] = False
                history = without_before
        if held and history.row_count() > limit:
            latest = {history.dates[-1], held[-1]}
            if history._keeping({d: h for d, h in packs.items() if d in latest}).row_count() > limit:
                packs = dict.fromkeys(packs, False)
                history = history._keeping(packs)
        for day in history.dates[:-1]:
            if history.row_count() <= limit:
                break
            del packs[day]
            history = history._keeping(packs)
        if history.row_count() > limit:  # one pack's counts alone are too many: the overall ones
            overall = [c for c in history.counts if c.label == "All"]
            room = max(limit - 1 - len(packs), 0)
            history = PackHistory(history.entries, history.corrective_on_sheet, overall[:room], packs)
        return history

    def _keeping(self, packs: dict[dt.date, bool]) -> PackHistory:
        """This history with only ``packs`` (date -> item RAGs kept)."""
        return PackHistory(
            [e for e in self.entries if packs.get(e.pack_date)],
            self.corrective_on_sheet,
            [c for c in self.counts if c.pack_date in packs],
            dict(packs),
        )

    def rows(self) -> list[list[object]]:
        """The history sheet's rows, header first: each pack's row and counts (oldest first),
        then the latest pack's items, each with its RAG at the pack before."""
        out: list[list[object]] = [list(HISTORY_HEADERS)]
        counts: dict[dt.date, list[CountEntry]] = {}
        for c in self.counts:
            counts.setdefault(c.pack_date, []).append(c)
        for day in self.dates:
            out.append([day, PACK, ITEMS_KEPT if self._packs[day] else COUNTS_ONLY])
            out.extend([day, c.group, c.label, c.rag, c.number] for c in counts.get(day, []))
        held = self.item_dates
        if not held:
            return out
        latest = held[-1]
        before = self.snapshot(held[-2]) if len(held) > 1 else {}
        for e in self.entries:
            if e.pack_date != latest:
                continue
            old = before.pop(e.key, None)
            previous = (old.rag, old.red_run or None) if old is not None else (None, None)
            out.append([e.pack_date, e.kind, e.ref, e.rag, None, e.red_run or None, *previous, e.corrective])
        # Items of the pack before that the latest no longer has: kept as rows of their own.
        out.extend(
            [e.pack_date, e.kind, e.ref, e.rag, None, e.red_run or None, None, None, e.corrective]
            for e in before.values()
        )
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


def _whole(value: object) -> int | None:
    number = as_number(value)
    return int(number) if number is not None else None


def read_history(grid: Grid) -> PackHistory:
    """The history sheet, in either layout (the compact one, or one row per item per pack)."""
    found = find_header(grid, ("Pack date", "Kind", "Ref", "RAG"))
    if found is None:
        return PackHistory()
    head, cols = found
    at = {normalise_header(h): cols.get(normalise_header(h)) for h in HISTORY_HEADERS}
    c_day, c_kind, c_ref, c_rag = at["packdate"], at["kind"], at["ref"], at["rag"]
    c_fix, c_run, c_count = at["correctiveaction"], at["redpacksrunning"], at["count"]
    c_prev_rag, c_prev_run = at["previousrag"], at["previousredpacksrunning"]
    entries: list[SnapshotEntry] = []
    previous: list[tuple[dt.date, str, str, str, int | None]] = []  # a row's RAG at the pack before
    counts: list[CountEntry] = []
    packs: dict[dt.date, bool] = {}
    for row in grid.values[head + 1 :]:
        day = _day(_at(row, c_day))
        kind, ref = as_text(_at(row, c_kind)), as_text(_at(row, c_ref))
        if day is None or not kind:
            continue
        if kind == PACK:
            packs[day] = ref != COUNTS_ONLY
            continue
        if not ref:
            continue
        count = _whole(_at(row, c_count))
        rag = as_text(_at(row, c_rag))
        if count is not None:
            if rag:
                counts.append(CountEntry(day, kind, ref, rag, count))
            continue
        entries.append(SnapshotEntry(day, kind, ref, rag, as_text(_at(row, c_fix)), _whole(_at(row, c_run))))
        was = as_text(_at(row, c_prev_rag))
        if was:
            previous.append((day, kind, ref, was, _whole(_at(row, c_prev_run))))
    held = sorted(d for d, kept in packs.items() if kept)
    if len(held) > 1:  # the Previous columns hold the RAGs at the pack before the latest
        entries += [
            SnapshotEntry(held[-2], kind, ref, rag, None, run)
            for day, kind, ref, rag, run in previous
            if day == held[-1]
        ]
    if not packs:  # the layout with one row per item per pack: count what it holds
        counts = [*counts, *_counted(entries, {c.pack_date for c in counts})]
    return PackHistory(entries, {}, counts, packs or None)


def _counted(entries: Iterable[SnapshotEntry], already: set[dt.date]) -> list[CountEntry]:
    """Counts by kind of snapshots kept item by item (what an older history holds)."""
    counted: Counter[tuple[dt.date, str, str]] = Counter(
        (e.pack_date, e.kind, e.rag) for e in entries if e.rag and e.pack_date not in already
    )
    plural = {"Action": "Actions", "Milestone": "Milestones", "Indicator": "Indicators"}
    return [
        CountEntry(day, plural.get(kind, kind), "All", rag, n)
        for (day, kind, rag), n in sorted(counted.items(), key=lambda kv: kv[0][0])
    ]


def read_snapshots(grid: Grid) -> list[SnapshotEntry]:
    """The item RAGs the history sheet holds."""
    return read_history(grid).entries


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
