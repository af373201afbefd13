"""Fuzzing the readers: whatever the bytes, ``read_tracker`` returns a tracker or raises a
``PlantrackError`` (one line, exit 2 in the CLI) — never anything else, never a crash.

Three kinds of damage to the example tracker: raw bytes (a download cut short, a flipped
block), single XML parts (a sheet, the shared strings, the styles, the workbook) edited into
anything while the zip stays valid, and cell values (types, numbers, dates and text no
spreadsheet program would write). The examples are derandomised so CI is repeatable; to
search further, run with more examples and another seed:

    PLANTRACK_FUZZ_EXAMPLES=2000 PLANTRACK_FUZZ_SEED=7 python -m pytest tests/test_fuzz.py

and keep anything found as a small file in tests/regressions/ (see ``test_regressions``).
"""

from __future__ import annotations

import io
import json
import os
import warnings
import zipfile
from pathlib import Path
from xml.sax.saxutils import escape

import hostile
import pytest
from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st

from addin.errors import PlantrackError
from addin.files import read_tracker

EXAMPLES = int(os.environ.get("PLANTRACK_FUZZ_EXAMPLES", "60"))
SEED = int(os.environ.get("PLANTRACK_FUZZ_SEED", "0"))
REGRESSIONS = Path(__file__).parent / "regressions"
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=SEED == 0,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


class Example:
    """The example tracker, written once: its bytes, its zip parts and where its sheets are.
    (A plain object, not a tuple of bytes: hypothesis shows its arguments, and this stays short.)"""

    def __init__(self, folder: Path) -> None:
        self.path = hostile.tracker(folder / "tracker.xlsx")
        self.data = self.path.read_bytes()
        with zipfile.ZipFile(self.path) as zf:
            self.parts = {name: zf.read(name) for name in zf.namelist()}
        self.sheets = {
            name: hostile.sheet_part(self.path, name)
            for name in ("Plan", "Actions", "Milestones", "Indicator data", "Agencies")
        }

    def __repr__(self) -> str:
        return "Example()"


@pytest.fixture(scope="module")
def example(tmp_path_factory: pytest.TempPathFactory) -> Example:
    return Example(tmp_path_factory.mktemp("fuzz"))


def zipped(parts: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in parts.items():
            zf.writestr(name, data)
    return out.getvalue()


def reads_or_refuses(path: Path) -> None:
    """The property: a tracker, or a one-line PlantrackError. Anything else fails the test."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a Python warning would reach the user's screen too
        try:
            tracker = read_tracker(path)
        except PlantrackError as error:
            assert str(error) and "\n" not in str(error)
            return
    assert tracker.plan is not None


def run_case(folder: Path, data: bytes) -> None:
    path = folder / "case.xlsx"
    path.write_bytes(data)
    reads_or_refuses(path)


# --------------------------------------------------------------------------- raw bytes


@seed(SEED)
@FUZZ
@given(data=st.data())
def test_damaged_bytes(tmp_path: Path, example: Example, data: st.DataObject) -> None:
    raw = bytearray(example.data)
    for _ in range(data.draw(st.integers(1, 3), label="edits")):
        at = data.draw(st.integers(0, len(raw) - 1), label="at")
        kind = data.draw(st.sampled_from(["flip", "cut", "junk", "drop"]), label="kind")
        if kind == "flip":
            for i in range(at, min(at + data.draw(st.integers(1, 64)), len(raw))):
                raw[i] ^= 0xFF
        elif kind == "cut":
            del raw[at:]
        elif kind == "junk":
            raw[at:at] = data.draw(st.binary(min_size=1, max_size=32), label="junk")
        else:
            del raw[at : at + data.draw(st.integers(1, 256))]
        raw = raw or bytearray(b"P")
    run_case(tmp_path, bytes(raw))


# --------------------------------------------------------------------------- one XML part edited

TOKENS = [
    b"<",
    b">",
    b"&",
    b'"',
    b"</c>",
    b"<v>",
    b"</v>",
    b"<f>SUM(A1)</f>",
    b'<c r="A1">',
    b'<c r="XFD1048576"><v>1</v></c>',
    b'<c r="A0"><v>1</v></c>',
    b'<c r="ZZZZ1"><v>1</v></c>',
    b'<c r="$A$1"><v>1</v></c>',
    b'<row r="0">',
    b'<row r="4294967296">',
    b't="s"',
    b't="b"',
    b't="e"',
    b't="d"',
    b't="str"',
    b't="inlineStr"',
    b's="9999"',
    b'numFmtId="14"',
    b"<v>1e308</v>",
    b"<v>-1e308</v>",
    b"<v>NaN</v>",
    b"<v>2958466</v>",
    b"<v>-693594</v>",
    b"<v>99999999999999999999</v>",
    b"<v>abc</v>",
    b"<v></v>",
    b"<si><t>x</t></si>",
    b'<mergeCell ref="A1:XFD1048576"/>',
    b'<dimension ref="A1:XFD1048576"/>',
    b"\x00",
    b"\xff\xfe",
    b"\xc3\x28",
    b"<!-- -->",
    b"<![CDATA[<v>]]>",
    b'<sheet name="" sheetId="0" r:id="rId999"/>',
    b'Target="../../../../etc/passwd"',
    b'Target="http://example.com/x.xml" TargetMode="External"',
    b'state="veryHidden"',
]
VALUES = [t[3:-4] for t in TOKENS if t.startswith(b"<v>")]


@seed(SEED)
@FUZZ
@given(data=st.data())
def test_edited_parts(tmp_path: Path, example: Example, data: st.DataObject) -> None:
    parts = dict(example.parts)
    name = data.draw(st.sampled_from(sorted(n for n in parts if n.endswith((".xml", ".rels")))), label="part")
    xml = bytearray(parts[name])
    for _ in range(data.draw(st.integers(1, 4), label="edits")):
        at = data.draw(st.integers(0, len(xml)), label="at")
        kind = data.draw(st.sampled_from(["insert", "delete", "duplicate", "value"]), label="kind")
        if kind == "insert":
            xml[at:at] = data.draw(st.sampled_from(TOKENS), label="token")
        elif kind == "delete":
            del xml[at : at + data.draw(st.integers(1, 40))]
        elif kind == "duplicate":
            xml[at:at] = xml[at : at + data.draw(st.integers(1, 200))]
        else:
            start = xml.find(b"<v>", at)
            end = xml.find(b"</v>", start)
            if 0 <= start < end:
                xml[start + 3 : end] = data.draw(st.sampled_from(VALUES), label="value")
    parts[name] = bytes(xml)
    run_case(tmp_path, zipped(parts))


# --------------------------------------------------------------------------- cell values

TYPES = ["n", "s", "b", "e", "str", "inlineStr", "d", ""]
NUMBERS = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.integers(-(2**70), 2**70).map(str),
    st.sampled_from(["1e308", "-0", "0x1F", " 7 ", "1,5", "", "2958466", "60", "-1"]),
)
TEXTS = st.text(st.characters(blacklist_categories=["Cs"]), max_size=40)


@seed(SEED)
@settings(FUZZ, max_examples=max(EXAMPLES // 2, 1))  # each example is slower: openpyxl reads odd cells
@given(data=st.data())
def test_odd_cell_values(tmp_path: Path, example: Example, data: st.DataObject) -> None:
    """Cells of the Actions and Milestones sheets rewritten with any type and value."""
    parts = dict(example.parts)
    sheet = data.draw(st.sampled_from(["Actions", "Milestones", "Plan", "Indicator data"]), label="sheet")
    name = example.sheets[sheet]
    xml = parts[name].decode("utf-8")
    cells = []
    for _ in range(data.draw(st.integers(1, 6), label="cells")):
        row = data.draw(st.integers(1, 45), label="row")
        column = data.draw(st.sampled_from("ABCDEFGHIJKLMNOPQRSTUVW"), label="column")
        kind = data.draw(st.sampled_from(TYPES), label="type")
        style = data.draw(st.sampled_from(["", ' s="0"', ' s="3"']), label="style")
        if kind == "inlineStr":
            body = f"<is><t>{escape(data.draw(TEXTS, label='text'))}</t></is>"
        elif kind in ("str", "e", "d"):
            body = f"<v>{escape(data.draw(TEXTS, label='text'))}</v>"
        else:
            body = f"<v>{data.draw(NUMBERS, label='number')}</v>"
        kind_attribute = f' t="{kind}"' if kind else ""
        cells.append(f'<c r="{column}{row}"{kind_attribute}{style}>{body}</c>')
    # appended after the last row: out of order, perhaps a cell given twice, as a hand-edited file has it
    rows = "".join(f'<row r="{9000 + i}">{cell}</row>' for i, cell in enumerate(cells))
    parts[name] = xml.replace("</sheetData>", rows + "</sheetData>").encode("utf-8")
    run_case(tmp_path, zipped(parts))


# --------------------------------------------------------------------------- regressions


def regression_cases() -> list[Path]:
    return sorted(REGRESSIONS.glob("*.json"))


@pytest.mark.parametrize("case", regression_cases(), ids=lambda p: p.stem)
def test_regressions(tmp_path: Path, example: Example, case: Path) -> None:
    """Inputs that once crashed a reader (or nearly), replayed. Each file says which parts of the
    example tracker to replace, and what the reader must do: "refuse" (with words from the
    message) or "read"."""
    spec = json.loads(case.read_text(encoding="utf-8"))
    parts = dict(example.parts)
    for sheet, xml in spec.get("sheets", {}).items():
        parts[example.sheets[sheet]] = xml.encode("utf-8")
    for part, xml in spec.get("parts", {}).items():
        parts[part] = xml.encode("utf-8")
    path = tmp_path / "case.xlsx"
    path.write_bytes(zipped(parts))
    if spec["expect"] == "read":
        reads_or_refuses(path)
        read_tracker(path)
    else:
        with pytest.raises(PlantrackError) as caught:
            read_tracker(path)
        assert spec["message"] in str(caught.value)
