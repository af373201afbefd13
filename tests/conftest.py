"""Shared fixtures: the built-in example written to a real .xlsx in tmp_path."""

from __future__ import annotations

import os

# xlwings reads these once, when first imported: set them before anything imports it.
os.environ.setdefault("XLWINGS_LICENSE_KEY", "noncommercial")
os.environ.setdefault("XLWINGS_ON_SERVER", "true")

from pathlib import Path  # noqa: E402

import pytest  # noqa: E402

from addin.example import example_plan  # noqa: E402
from addin.rules import load_rules  # noqa: E402
from addin.writer import write_tracker  # noqa: E402


@pytest.fixture(scope="session")
def rules():
    return load_rules()


@pytest.fixture
def example_path(tmp_path: Path, rules) -> Path:
    """The example tracker, freshly written (each test gets its own copy)."""
    path = tmp_path / "tracker.xlsx"
    write_tracker(example_plan(), rules, path)
    return path


@pytest.fixture
def example(rules):
    return example_plan()
