"""The board pack's look, loaded from ``templates/pack.toml``.

Sheet names, titles, widths, colours and chart sizes are data. The RAG colours
come from ``templates/tracker.toml`` so the pack matches the tracker (a
``[rag_fills]`` table in pack.toml would override them for the pack alone).
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from ..errors import RulesError
from ..resources import resource_dir
from ..rules import normalise_header, tomllib
from ..templates import load_template

SHEET_KEYS = ("summary", "exceptions", "indicators", "trends", "milestones", "changes", "returns", "history")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PackColours(_Strict):
    section_fill: str = "D9E1F2"
    section_font: str = "1F3864"
    improving: str = "00B050"
    worsening: str = "C00000"
    no_change: str = "595959"
    persistent_fill: str = "FCE4D6"
    muted_font: str = "595959"


class PackCharts(_Strict):
    width_cm: float = Field(default=24, gt=0)
    bar_height_cm: float = Field(default=0.7, gt=0)
    min_height_cm: float = Field(default=6, gt=0)
    title_size: float = Field(default=11, gt=0)
    trend_width_cm: float = Field(default=24, gt=0)
    trend_height_cm: float = Field(default=4.2, gt=0)
    trends_per_row: int = Field(default=1, ge=1, le=4)
    trend_rows_per_page: int = Field(default=3, ge=1)
    row_height_cm: float = Field(default=0.5, gt=0)


class PackSheetLook(_Strict):
    name: str
    title: str = ""
    widths: dict[str, float] = Field(default_factory=dict)
    wrap: tuple[str, ...] = ()
    tab_colour: str | None = None

    @model_validator(mode="after")
    def _name_fits_a_tab(self) -> PackSheetLook:
        if not 0 < len(self.name) <= 31 or any(c in self.name for c in "[]:*?/\\"):
            raise ValueError(
                f"sheet name {self.name!r} cannot be an Excel tab (1-31 characters, none of []:*?/\\)"
            )
        return self

    def width(self, header: str, default: float = 12) -> float:
        return self.widths.get(header, default)

    def wraps(self, header: str) -> bool:
        return normalise_header(header) in {normalise_header(w) for w in self.wrap}


class PackTemplate(_Strict):
    """The pack's look: colours, chart sizes, and one ``PackSheetLook`` per pack sheet."""

    colours: PackColours = PackColours()
    charts: PackCharts = PackCharts()
    sheets: dict[str, PackSheetLook]
    rag_fills: dict[str, str] = Field(default_factory=dict)
    rag_fonts: dict[str, str] = Field(default_factory=dict)
    header_fill: str = "1F3864"
    header_font_colour: str = "FFFFFF"
    editable_fill: str = "FFF2CC"
    date_format: str = "dd/mm/yyyy"

    @model_validator(mode="after")
    def _every_sheet(self) -> PackTemplate:
        missing = [k for k in SHEET_KEYS if k not in self.sheets]
        if missing:
            raise ValueError(f"pack sheets missing from [sheets]: {', '.join(missing)}")
        names = [normalise_header(s.name) for s in self.sheets.values()]
        if len(set(names)) != len(names):
            raise ValueError("two pack sheets have the same name")
        return self

    def sheet(self, key: str) -> PackSheetLook:
        return self.sheets[key]

    @property
    def sheet_names(self) -> list[str]:
        """Every sheet the pack owns (the hidden history last)."""
        return [self.sheets[k].name for k in SHEET_KEYS]

    def rag_fill(self, rag: str | None) -> str | None:
        return self.rag_fills.get(rag) if rag else None

    def rag_font(self, rag: str | None) -> str:
        return self.rag_fonts.get(rag, "000000") if rag else "000000"


def load_pack_template(folder: Path | None = None) -> PackTemplate:
    """Load ``templates/pack.toml`` (and the RAG colours of ``templates/tracker.toml``)."""
    folder = folder or resource_dir("templates")
    return _load(folder / "pack.toml", folder)


@lru_cache(maxsize=4)
def _load(path: Path, folder: Path) -> PackTemplate:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise RulesError(path, "", "the template file does not exist") from exc
    except tomllib.TOMLDecodeError as exc:
        raise RulesError(path, "", f"is not valid TOML: {exc}") from exc
    tracker = load_template("tracker", folder if (folder / "tracker.toml").is_file() else None)
    data.setdefault("rag_fills", dict(tracker.rag_fills))
    data.setdefault("rag_fonts", dict(tracker.rag_fonts))
    for key in ("header_fill", "header_font_colour", "editable_fill", "date_format"):
        data.setdefault(key, getattr(tracker.style, key))
    try:
        return PackTemplate.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        raise RulesError(
            path, " > ".join(map(str, first["loc"])), first["msg"].removeprefix("Value error, ")
        ) from exc
