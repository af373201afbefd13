"""The code as pyproject.toml's tools want it: ruff's lint and format, mypy on the package.
The tools are pinned in the dev extra, so a new release cannot fail this on its own."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CODE = ["addin", "tests", "benchmarks", "workbook"]


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", *args], cwd=ROOT, capture_output=True, text=True, timeout=300
    )


def _needs(tool: str) -> None:
    if shutil.which(tool, path=str(Path(sys.executable).parent)) is None:
        pytest.skip(f"{tool} is not installed (pip install -e '.[dev]')")


def test_ruff_finds_nothing_to_lint() -> None:
    _needs("ruff")
    done = _run("ruff", "check", "--no-cache", *CODE)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]


def test_the_code_is_formatted_as_ruff_formats_it() -> None:
    _needs("ruff")
    done = _run("ruff", "format", "--check", "--no-cache", *CODE)
    assert done.returncode == 0, "run `ruff format addin tests benchmarks workbook`:\n" + done.stdout[-3000:]


def test_mypy_finds_no_type_errors_in_the_package(tmp_path: Path) -> None:
    _needs("mypy")
    done = _run("mypy", "--cache-dir", str(tmp_path / "mypy"), "addin")
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
