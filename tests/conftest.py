"""Shared fixtures: the built-in example written to a real .xlsx in tmp_path."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from addin.example import example_plan
from addin.rules import load_rules
from addin.writer import write_tracker

os.environ.setdefault("XLWINGS_LICENSE_KEY", "noncommercial")


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
