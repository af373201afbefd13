"""Untrusted text stays text.

Text typed by a partner (or pasted from anywhere) must never become a live
formula or DDE link in a workbook plantrack writes. ``put`` writes any value
into an openpyxl cell as a plain value: a string that starts like a formula is
stored as a string, not a formula, and characters Excel cannot hold are dropped.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the core imports no openpyxl: only the file adapter calls put()
    from openpyxl.cell.cell import Cell

# Characters XML 1.0 (and so Excel) cannot store.
_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
# What a spreadsheet would run: =..., +..., -..., @... followed by a call, DDE (=cmd|' /c calc'!A1).
_FORMULA_START = re.compile(r"^\s*[=+\-@]")
_LOOKS_LIKE_CALL = re.compile(r"^\s*[=+\-@].*?[A-Za-z_][A-Za-z0-9_.]*\(|^\s*[=+\-@].*\||^\s*=")


def looks_like_formula(text: object) -> bool:
    """True when a spreadsheet might run this text as a formula or a DDE link.

    ``=`` always counts; ``+``, ``-`` and ``@`` count when a function call or
    a DDE pipe follows (so "-5" or "- see note" are plain text).
    """
    if not isinstance(text, str) or not _FORMULA_START.match(text):
        return False
    return bool(_LOOKS_LIKE_CALL.match(text))


def clean_text(value: Any) -> Any:
    if isinstance(value, str):
        return _ILLEGAL.sub("", value)
    return value


def put(cell: Cell, value: Any) -> Cell:
    """Write ``value`` into ``cell`` as a value, never as a formula."""
    value = clean_text(value)
    cell.value = value
    if isinstance(value, str) and cell.data_type == "f":
        cell.data_type = "s"
    return cell


def cell_text(value: Any) -> Any:
    """``value`` with characters Excel cannot store removed (see ``put`` for formulas)."""
    return clean_text(value)
