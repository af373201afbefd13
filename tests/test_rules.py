"""Rule files load, overrides merge, and a broken file says where and what."""

from __future__ import annotations

from pathlib import Path

import pytest

from addin.errors import RulesError
from addin.rules import default_rules_path, load_rules, rules_for_workbook
from addin.templates import load_template


def test_default_rules_load_with_every_sheet():
    rules = load_rules()
    assert [s.name for s in rules.sheets] == [
        "Plan",
        "Actions",
        "Milestones",
        "Indicators",
        "Indicator data",
        "Leads",
        "Agencies",
    ]
    assert rules.thresholds.amber_window_days == 28
    assert rules.is_done("completed") and rules.is_cancelled("Cancelled") and not rules.is_done("In progress")
    required = [c.name for c in rules.sheet("Actions").required_columns]
    assert required == ["Ref", "Theme", "Action", "Lead officer", "Lead agency", "Due date", "Status"]


def test_template_loads():
    template = load_template()
    assert template.rag_fills["Red"]
    assert template.width("Actions", "Action") > template.style.default_width


def test_plan_override_beside_the_workbook(tmp_path: Path):
    (tmp_path / "plantrack.toml").write_text(
        '[lists]\nthemes = ["Good Practice", "Early Intervention"]\n[thresholds]\namber_window_days = 21\n',
        encoding="utf-8",
    )
    rules = rules_for_workbook(tmp_path / "tracker.xlsx")
    assert rules.thresholds.amber_window_days == 21
    assert rules.thresholds.stale_update_days == 45  # untouched values stay
    assert rules.choices("themes") == ("Good Practice", "Early Intervention")


def test_override_can_change_one_column_of_one_sheet(tmp_path: Path):
    extra = tmp_path / "mine.toml"
    extra.write_text(
        '[[sheets]]\nname = "Actions"\ncolumns = [{ name = "Priority", required = true }]\n', encoding="utf-8"
    )
    rules = load_rules(extra)
    assert rules.sheet("Actions").column("Priority").required
    assert rules.sheet("Actions").column("Priority").choices == "priorities"
    assert len(rules.sheet("Actions").columns) == len(load_rules().sheet("Actions").columns)


@pytest.mark.parametrize(
    "text, entry, problem",
    [
        (
            "[thresholds]\namber_window_days = -3\n",
            "thresholds > amber_window_days",
            "greater than or equal to 0",
        ),
        ("[thresholds]\namber_window = 3\n", "thresholds > amber_window", "Extra inputs are not permitted"),
        (
            '[[sheets]]\nname = "Actions"\ncolumns = [{ name = "Status", choices = "nope" }]\n',
            "sheet 'Actions' column 'Status'",
            "not a list in [lists]",
        ),
        (
            '[[sheets]]\nname = "Actions"\ncolumns = [{ name = "Ref", pattern = "([" }]\n',
            "sheets[2] (Actions) > columns[1] (Ref) > pattern",
            "not a valid regular expression",
        ),
        (
            '[[sheets]]\nname = "Actions"\ncolumns = [{ name = "Ref", type = "dat" }]\n',
            "sheets[2] (Actions) > columns[1] (Ref) > type",
            "Input should be",
        ),
        ("[thresholds\n", "", "not valid TOML"),
    ],
)
def test_broken_rules_name_file_entry_and_problem(tmp_path: Path, text: str, entry: str, problem: str):
    path = tmp_path / "broken.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(RulesError) as caught:
        load_rules(path)
    message = str(caught.value)
    assert "broken.toml" in message
    assert entry in message
    assert problem in message


def test_missing_rules_file_is_a_clear_error(tmp_path: Path):
    with pytest.raises(RulesError, match="does not exist"):
        load_rules(tmp_path / "nope.toml")


def test_default_rules_file_explains_itself():
    text = default_rules_path().read_text(encoding="utf-8")
    assert "You do not need to edit this file" in text
