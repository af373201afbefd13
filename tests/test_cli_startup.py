"""The command line starts quickly: building the parser (and so ``plantrack --help``) imports
no job, no spreadsheet library and no data library; each command imports its job when it runs."""

from __future__ import annotations

import json
import subprocess
import sys

HEAVY = ("openpyxl", "pandas", "numpy", "pydantic", "xlsxwriter", "addin.jobs", "addin.files")


def _modules_after(code: str) -> set[str]:
    probe = f"{code}\nimport json, sys\nprint(json.dumps(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    return set(json.loads(out.stdout.strip().splitlines()[-1]))


def test_building_the_parser_imports_no_job_or_spreadsheet_library() -> None:
    loaded = _modules_after("from addin.cli import build_parser; build_parser()")
    heavy = sorted(m for m in loaded if any(m == h or m.startswith(h + ".") for h in HEAVY))
    assert heavy == []


def test_a_command_imports_its_job_when_it_runs(tmp_path) -> None:
    path = tmp_path / "plan.xlsx"
    code = (
        "from addin.cli import main\n"
        f"try:\n    main(['new', {str(path)!r}, '--example'])\n"
        "except SystemExit:\n    pass"
    )
    loaded = _modules_after(code)
    assert path.exists()
    assert "addin.writer" in loaded and "openpyxl" in loaded
    assert "addin.jobs.merge" not in loaded  # other commands' jobs stay unloaded


def test_help_names_the_same_copies_folder_the_job_writes_to() -> None:
    from addin.cli.issue import DEFAULT_COPIES_FOLDER as shown
    from addin.partner_files import DEFAULT_COPIES_FOLDER

    assert shown == DEFAULT_COPIES_FOLDER
