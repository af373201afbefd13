"""Where the data files that ship with plantrack live.

In a source checkout (and an editable install) ``rules/`` and ``templates/``
sit at the top of the repository; in an installed wheel they are copied into
the package (see ``pyproject.toml``).
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def resource_dir(name: str) -> Path:
    """The folder ``rules`` or ``templates``, wherever this install keeps it."""
    for candidate in (_PACKAGE / name, _PACKAGE.parent / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"plantrack is installed without its {name}/ folder")
