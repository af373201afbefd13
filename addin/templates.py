"""The look of every sheet plantrack writes, loaded from ``templates/*.toml``.

The templates are data (colours, widths, formats); the adapters turn them into
openpyxl styles or xlwings calls.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from .errors import RulesError
from .resources import resource_dir
from .rules import tomllib


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Style(_Strict):
    font: str = "Arial"
    font_size: float = 10
    header_fill: str = "1F3864"
    header_font_colour: str = "FFFFFF"
    title_font_size: float = 14
    band_fill: str = "F2F2F2"
    locked_fill: str = "EDEDED"
    editable_fill: str = "FFF2CC"
    computed_font_colour: str = "595959"
    date_format: str = "dd/mm/yyyy"
    datetime_format: str = "dd/mm/yyyy hh:mm"
    number_format: str = "#,##0.##"
    percent_format: str = "0"
    text_format: str = "@"
    default_width: float = 14
    row_height: float = 30


class SheetLook(_Strict):
    widths: dict[str, float] = Field(default_factory=dict)
    wrap: tuple[str, ...] = ()
    freeze: str | None = None
    tab_colour: str | None = None


class PrintSetup(_Strict):
    orientation: str = "landscape"
    paper: str = "A4"
    fit_to_width: bool = True
    margins_cm: float = 1.5


class Template(_Strict):
    """The tracker's look: one style, RAG colours, and per-sheet widths and wrapping."""

    style: Style = Style()
    rag_fills: dict[str, str] = Field(default_factory=dict)
    rag_fonts: dict[str, str] = Field(default_factory=dict)
    sheets: dict[str, SheetLook] = Field(default_factory=dict)
    print: PrintSetup = PrintSetup()

    def look(self, sheet: str) -> SheetLook:
        return self.sheets.get(sheet, SheetLook())

    def width(self, sheet: str, header: str) -> float:
        return self.look(sheet).widths.get(header, self.style.default_width)


def load_template(name: str = "tracker", folder: Path | None = None) -> Template:
    """Load ``templates/<name>.toml`` (checked by pydantic; errors name the file and entry)."""
    path = (folder or resource_dir("templates")) / f"{name}.toml"
    return _load(path)


@lru_cache(maxsize=8)
def _load(path: Path) -> Template:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise RulesError(path, "", "the template file does not exist") from exc
    except tomllib.TOMLDecodeError as exc:
        raise RulesError(path, "", f"is not valid TOML: {exc}") from exc
    try:
        return Template.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        raise RulesError(path, " > ".join(map(str, first["loc"])), first["msg"]) from exc
