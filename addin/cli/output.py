"""What the commands print: plain words, counts by RAG, progress bars.

Everything goes through ``console`` (rich) so tests can capture it, and so
colours switch off when output is not a terminal.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from typing import TYPE_CHECKING, TypeVar

from rich.console import Console
from rich.markup import escape

if TYPE_CHECKING:  # rich.progress is imported when a bar is shown, not at start-up
    from rich.progress import Progress

T = TypeVar("T")

console = Console(highlight=False, soft_wrap=True)
err_console = Console(stderr=True, highlight=False, soft_wrap=True)

RAG_STYLE = {
    "Blue": "bold blue",
    "Green": "bold green",
    "Amber": "bold yellow",
    "Red": "bold red",
    "No data": "dim",
}


def say(text: str = "") -> None:
    console.print(text)


def error(text: str) -> None:
    err_console.print(
        f"[bold red]Error:[/] {text}" if err_console.is_terminal else f"Error: {text}",
        markup=err_console.is_terminal,
    )


def rag_counts_line(
    counts: Mapping[str, int], order: Iterable[str] = ("Red", "Amber", "Green", "Blue", "No data")
) -> str:
    """'Red 3 · Amber 5 · Green 12 · Blue 20' with colours on a terminal."""
    parts = []
    for name in order:
        if counts.get(name):
            style = RAG_STYLE.get(name, "")
            parts.append(f"[{style}]{name} {counts[name]}[/]" if style else f"{name} {counts[name]}")
    for name, n in counts.items():
        if name not in order and n:
            parts.append(f"{name} {n}")
    return " · ".join(parts) if parts else "none"


@contextmanager
def progress(description: str, total: int | None) -> Iterator[Progress]:
    """A progress bar on the terminal (nothing when output is redirected)."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    bar = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err_console,
        transient=True,
        disable=not err_console.is_terminal,
    )
    with bar:
        bar.add_task(description, total=total)
        yield bar


def track(items: Iterable[T], description: str, total: int | None = None) -> Iterator[T]:
    items = list(items) if total is None else items
    count = total if total is not None else len(items)  # type: ignore[arg-type]
    with progress(description, count) as bar:
        task = bar.task_ids[0]
        for item in items:
            yield item
            bar.advance(task)


def is_terminal() -> bool:
    return sys.stdout.isatty()


def print_warnings(source: object, path: object = None) -> None:
    """What the reader noticed about a workbook (macros, links, hidden sheets, rows or columns,
    merged cells, formulas where values belong), one 'Note:' line each on stderr, so the
    command's own output (and ``--json``) stays as it is. ``source`` is a ``reader.Tracker``
    or the ``tables.Grids`` that ``files.read_grids`` returns; the file's name is shown when
    ``path`` is given (or the tracker has one)."""
    where = path if path is not None else getattr(source, "path", None)
    name = f" ({getattr(where, 'name', where)})" if where else ""
    for line in getattr(source, "warnings", None) or []:
        if err_console.is_terminal:
            err_console.print(f"[yellow]Note{escape(name)}:[/] {escape(line)}")
        else:
            err_console.print(f"Note{name}: {line}", markup=False)
