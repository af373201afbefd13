"""The rule set: what a tracker holds and the numbers the jobs use.

Rules are data, in TOML files under ``rules/`` (the package default) and,
optionally, a plan's own ``plantrack.toml`` that overrides parts of it. Files
are checked by pydantic when they load; a broken file raises ``RulesError``
naming the file, the entry and what is wrong.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from .errors import RulesError
from .resources import resource_dir

try:  # Python 3.11+
    import tomllib
except ModuleNotFoundError:  # pragma: no cover - Python 3.10
    import tomli as tomllib  # type: ignore[no-redef]

ColumnType = Literal["text", "date", "number", "percent", "email"]
OVERRIDE_FILE = "plantrack.toml"


def normalise_header(text: object) -> str:
    """The form headers are matched in: no spaces, no case ("Due  Date" -> "duedate")."""
    return _normalised(text if text.__class__ is str else str(text))


@lru_cache(maxsize=4096)
def _normalised(text: str) -> str:  # the same few headers and names, asked for thousands of times
    return _SPACES.sub("", text).casefold()


_SPACES = re.compile(r"\s+")


def field_name(header: str) -> str:
    """The model attribute for a column header ("% complete" -> "percent_complete")."""
    text = header.replace("%", "percent ")
    return re.sub(r"[^0-9a-z]+", "_", text.casefold()).strip("_")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ColumnRule(_Strict):
    """One column of a sheet (or one field of the Plan sheet)."""

    name: str
    type: ColumnType = "text"
    required: bool = False
    choices: str | None = None
    lookup: str | None = None
    pattern: str | None = None
    partner_editable: bool = False
    partner_proposal: bool = False  # a partner's change is a proposal the programme manager accepts
    computed: bool = False
    help: str = ""

    @field_validator("pattern")
    @classmethod
    def _pattern_compiles(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                re.compile(value)
            except re.error as exc:
                raise ValueError(f"pattern {value!r} is not a valid regular expression ({exc})") from exc
        return value

    @property
    def key(self) -> str:
        return normalise_header(self.name)

    @property
    def field(self) -> str:
        return field_name(self.name)


class SheetRule(_Strict):
    """One sheet of the tracker and its columns."""

    name: str
    required: bool = False
    kind: Literal["table", "fields"] = "table"
    key: str | None = None
    columns: tuple[ColumnRule, ...] = ()
    fields: tuple[ColumnRule, ...] = ()

    @model_validator(mode="after")
    def _has_columns(self) -> SheetRule:
        if self.kind == "table" and not self.columns:
            raise ValueError(f"sheet {self.name!r} lists no columns")
        if self.kind == "fields" and not self.fields:
            raise ValueError(f"sheet {self.name!r} lists no fields")
        names = [c.key for c in (self.columns or self.fields)]
        doubles = {n for n in names if names.count(n) > 1}
        if doubles:
            raise ValueError(f"sheet {self.name!r} lists a column twice: {sorted(doubles)}")
        return self

    def column(self, name: str) -> ColumnRule:
        wanted = normalise_header(name)
        for col in self.columns or self.fields:
            if col.key == wanted:
                return col
        raise KeyError(f"{self.name} has no column {name!r}")

    @property
    def required_columns(self) -> list[ColumnRule]:
        return [c for c in self.columns if c.required]


class Statuses(_Strict):
    values: tuple[str, ...]
    done: tuple[str, ...]
    cancelled: tuple[str, ...]
    on_hold: tuple[str, ...]

    @model_validator(mode="after")
    def _subsets(self) -> Statuses:
        known = {v.casefold() for v in self.values}
        for group in ("done", "cancelled", "on_hold"):
            unknown = [v for v in getattr(self, group) if v.casefold() not in known]
            if unknown:
                raise ValueError(f"{group} names statuses not in values: {unknown}")
        return self


class Rag(_Strict):
    values: tuple[str, ...]
    no_data: str = "No data"
    definitions: dict[str, str] = Field(default_factory=dict)


class Thresholds(_Strict):
    amber_window_days: int = Field(28, ge=0)
    stale_update_days: int = Field(45, ge=1)
    indicator_tolerance: float = Field(0.05, ge=0)
    indicator_tolerance_kind: Literal["relative", "absolute"] = "relative"
    next_period_days: int = Field(30, ge=1)
    return_missing_after_days: int = Field(14, ge=0)


class Limits(_Strict):
    max_file_mb: float = Field(50, gt=0)
    max_uncompressed_mb: float = Field(500, gt=0)
    max_zip_entries: int = Field(10_000, gt=0)
    max_inflation_ratio: float = Field(200, gt=1)
    max_rows: int = Field(200_000, gt=0)
    max_cells: int = Field(10_000_000, gt=0)


def _check_from_settings(settings: Any) -> Any:
    """One [checks.NAME] entry -> its check object (the registry lives with the validate job)."""
    from .jobs.checks import build_check

    return build_check(settings)


class RuleSet(BaseModel):
    """A loaded, checked rule set. Built by ``load_rules``."""

    model_config = ConfigDict(extra="allow", frozen=True)

    name: str = "rules"
    statuses: Statuses
    rag: Rag
    thresholds: Thresholds = Thresholds()
    lists: dict[str, tuple[str, ...]] = Field(default_factory=dict)
    limits: Limits = Limits()
    sheets: tuple[SheetRule, ...]
    # The validation checks to run, by name ([checks.NAME] in the rules file); each
    # entry is built into its check class (addin/jobs/checks.py) when the rules load.
    checks: dict[str, Annotated[Any, BeforeValidator(_check_from_settings)]] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _checks_fit_sheets(self) -> RuleSet:
        for name, check in self.checks.items():
            problem = check.problem_with(self)
            if problem:
                raise ValueError(f"checks > {name}: {problem}")
        return self

    @model_validator(mode="after")
    def _references_resolve(self) -> RuleSet:
        sheet_names = {s.name for s in self.sheets}
        for sheet in self.sheets:
            for col in sheet.columns or sheet.fields:
                if col.choices and col.choices not in self.lists and col.choices != "statuses":
                    raise ValueError(
                        f"sheet {sheet.name!r} column {col.name!r}: choices = {col.choices!r} "
                        f"is not a list in [lists]"
                    )
                if col.lookup and col.lookup not in sheet_names:
                    raise ValueError(
                        f"sheet {sheet.name!r} column {col.name!r}: lookup = {col.lookup!r} is not a sheet"
                    )
        return self

    def sheet(self, name: str) -> SheetRule:
        for sheet in self.sheets:
            if sheet.name == name:
                return sheet
        raise KeyError(name)

    def choices(self, list_name: str) -> tuple[str, ...]:
        """The allowed values of a named list (``statuses`` is the status list)."""
        if list_name == "statuses":
            return self.statuses.values
        return tuple(self.lists.get(list_name, ()))

    def is_done(self, status: object) -> bool:
        return _in(status, self.statuses.done)

    def is_cancelled(self, status: object) -> bool:
        return _in(status, self.statuses.cancelled)

    def is_on_hold(self, status: object) -> bool:
        return _in(status, self.statuses.on_hold)


def _in(value: object, group: tuple[str, ...]) -> bool:
    return isinstance(value, str) and value.strip().casefold() in {g.casefold() for g in group}


def default_rules_path() -> Path:
    return resource_dir("rules") / "default.toml"


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise RulesError(path, "", "the file does not exist") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise RulesError(path, "", f"cannot be read ({exc})") from exc
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise RulesError(path, "", f"is not valid TOML: {exc}") from exc


def _merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    """Deep-merge ``override`` onto ``base``. Sheets merge by name, columns by header."""
    merged = dict(base)
    for key, value in override.items():
        if key == "sheets" and isinstance(value, list):
            merged[key] = _merge_named(base.get(key, []), value, "name", _merge_sheet)
        elif isinstance(value, dict) and isinstance(base.get(key), dict):
            merged[key] = _merge(base[key], value)
        else:
            merged[key] = value
    return merged


def _merge_named(base: list[Any], override: list[Any], key: str, merge_one: Any) -> list[Any]:
    result = [dict(item) for item in base]
    index = {normalise_header(item.get(key, "")): i for i, item in enumerate(result)}
    for item in override:
        if not isinstance(item, dict):
            result.append(item)
            continue
        at = index.get(normalise_header(item.get(key, "")))
        if at is None:
            result.append(item)
        else:
            result[at] = merge_one(result[at], item)
    return result


def _merge_sheet(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    merged = {**base, **{k: v for k, v in override.items() if k not in ("columns", "fields")}}
    for part in ("columns", "fields"):
        if part in override:
            merged[part] = _merge_named(base.get(part, []), override[part], "name", lambda a, b: {**a, **b})
    return merged


def _entry_of(loc: tuple[Any, ...], data: dict[str, Any]) -> str:
    """Turn a pydantic error location into words: ``sheets[1] (Actions) > columns[3] (Lead officer)``."""
    parts: list[str] = []
    node: Any = data
    for step in loc:
        if isinstance(step, int) and isinstance(node, list) and step < len(node):
            node = node[step]
            label = node.get("name") if isinstance(node, dict) else None
            parts[-1] = f"{parts[-1]}[{step + 1}]" + (f" ({label})" if label else "") if parts else str(step)
        else:
            parts.append(str(step))
            node = node.get(step) if isinstance(node, dict) else None
    return " > ".join(parts)


def load_rules(*overrides: str | Path, base: str | Path | None = None) -> RuleSet:
    """Load the default rule set (or ``base``) with each override file merged on top."""
    paths = [Path(base) if base else default_rules_path(), *[Path(p) for p in overrides]]
    data: dict[str, Any] = {}
    for path in paths:
        data = _merge(data, _read_toml(path))
    try:
        return RuleSet.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        entry = _entry_of(tuple(first["loc"]), data)
        message = first["msg"].removeprefix("Value error, ")
        blame = paths[-1] if len(paths) > 1 else paths[0]
        raise RulesError(blame, entry, message) from exc


def rules_for_workbook(
    path: str | Path, named: str | None = None, extra: str | Path | None = None
) -> RuleSet:
    """The rule set for a tracker: default, then ``plantrack.toml`` beside it, then the
    file named on its Plan sheet ("Rule set"), then ``extra`` (``--rules``)."""
    folder = Path(path).resolve().parent
    files: list[Path] = []
    beside = folder / OVERRIDE_FILE
    if beside.is_file():
        files.append(beside)
    if named:
        named_path = Path(named)
        files.append(named_path if named_path.is_absolute() else folder / named_path)
    if extra:
        files.append(Path(extra))
    return load_rules(*files)
