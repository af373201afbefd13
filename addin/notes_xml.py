"""Notes (Excel's legacy cell comments) written straight into a sheet's XML.

A note lives in three places of the package, and all three must agree:

- the sheet's comments part (``xl/commentsN.xml``): the authors, and one
  ``<comment ref="F12" authorId="0">`` with the text for each note;
- the sheet's legacy VML drawing (``xl/drawings/vmlDrawingN.vml``): one
  ``<v:shape>`` per note, with ``<x:ClientData ObjectType="Note">`` naming the
  cell (``x:Row`` and ``x:Column`` from 0): the yellow box Excel shows;
- the sheet: ``<legacyDrawing r:id=...>`` pointing at the drawing, its
  relationships to both parts, and their content types.

:func:`set_notes` sets or removes the notes of some cells of one sheet and keeps
every other note exactly as it was: its ``<comment>`` element and its shape are
copied byte for byte (rich text, size, "always shown" and all). New notes are
written as plantrack always wrote them through openpyxl: author "plantrack",
a hidden box of 320 x 110 pixels. Each part is checked whole by expat (DOCTYPEs
refused), scanned and edited as bytes: namespace prefixes and everything plantrack
does not own stay as they were, and ten thousand notes cost a fraction of a second.

When a change cannot be made safely -- the sheet's drawing holds form controls
or buttons, an Excel 365 threaded comment sits on a cell whose note would change,
a part is missing, shared or not understood -- nothing is changed and
:func:`set_notes` returns False (:func:`notes_refusal` says why, in the users'
words), so the caller can fall back to a full openpyxl save.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, NamedTuple
from xml.parsers import expat

from .preserve import (
    MAIN_NS,
    MS,
    OD,
    R_NS,
    SHEET_ORDER,
    Package,
    Rel,
    _element,
    _parser,
    _top_elements,
    rels_name,
)
from .safety import clean_text

NOTE_AUTHOR = "plantrack"
WIDTH_PX, HEIGHT_PX = 320, 110  # the size of a new note's box (as xlsx_changes.apply_cell)

COMMENTS = OD + "comments"
VML_DRAWING = OD + "vmlDrawing"
THREADED_COMMENTS = MS + "2017/10/relationships/threadedComment"
COMMENTS_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.comments+xml"
VML_TYPE = "application/vnd.openxmlformats-officedocument.vmlDrawing"

V_NS = "urn:schemas-microsoft-com:vml"
O_NS = "urn:schemas-microsoft-com:office:office"
X_NS = "urn:schemas-microsoft-com:office:excel"
STANDARD_PREFIXES = {V_NS: "v", O_NS: "o", X_NS: "x"}

MAX_ROW, MAX_COLUMN = 1_048_576, 16_384
IDS_PER_BLOCK = 1024  # VML shape ids come in blocks, listed in <o:idmap data="1,2">
NOTE_SHAPE_TYPE = "_x0000_t202"

Cell = tuple[int, int]  # (row, column), from 1

# A start tag, its attribute values quoted either way.
_TAG = re.compile(rb"""<([^\s>/]+)(?:\s+[^\s=>/]+\s*=\s*(?:"[^"]*"|'[^']*'))*\s*/?>""")
_ATTRIBUTE = re.compile(rb"""([^\s=<>/]+)\s*=\s*(?:(")([^"]*)"|'([^']*)')""")
_REF_ATTRIBUTE = re.compile(rb"""\sref\s*=\s*["']([^"']*)["']""")
_AUTHOR_ATTRIBUTE = re.compile(rb"""\sauthorId\s*=\s*["'](\d+)["']""")
_DATA_ATTRIBUTE = re.compile(rb"""\sdata\s*=\s*(["'])([^"']*)\1""")
_ENTITY = re.compile(r"&(?:#x([0-9a-fA-F]+)|#([0-9]+)|(amp|lt|gt|quot|apos));")
_NAMED = {"amp": "&", "lt": "<", "gt": ">", "quot": '"', "apos": "'"}
_REF = re.compile(r"^\$?([A-Za-z]{1,3})\$?([0-9]{1,7})$")
# What XML 1.0 cannot hold beyond what safety.clean_text drops.
_NOT_XML = re.compile("[\ud800-\udfff\ufffe\uffff]")


class _Refused(Exception):
    """The change cannot be made safely; ``reason`` says why, in the users' words."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


# --------------------------------------------------------------------------- the API


def set_notes(
    package: Package, sheet_part: str, notes: Mapping[Cell, str | None], author: str = NOTE_AUTHOR
) -> bool:
    """Set (text) or remove (None or "") the notes of ``notes``' cells -- (row, column)
    from 1 -- on the sheet at ``sheet_part``, changing ``package`` in place.

    Every other note of the sheet is kept byte for byte. Returns False, with the
    package unchanged, when it cannot be done safely (see :func:`notes_refusal`).
    """
    return notes_refusal(package, sheet_part, notes, author) is None


def notes_refusal(
    package: Package, sheet_part: str, notes: Mapping[Cell, str | None], author: str = NOTE_AUTHOR
) -> str | None:
    """Like :func:`set_notes`, but returns None when done, or why nothing was changed."""
    wanted = {_checked_cell(cell): note_text(text) or None for cell, text in notes.items()}
    if not wanted:
        return None
    try:
        job = _NotesJob(package, sheet_part, author)
        job.read()
        job.plan(wanted)
    except _Refused as refused:
        return refused.reason
    except (expat.ExpatError, ValueError, KeyError, UnicodeDecodeError) as exc:
        return f"its notes could not be read ({' '.join(str(exc).split())[:120]})"
    before = dict(package.parts)
    try:
        job.write()
    except BaseException:
        package.parts.clear()
        package.parts.update(before)
        raise
    return None


def read_notes(package: Package, sheet_part: str) -> dict[Cell, tuple[str, str]]:
    """The notes of a sheet: (row, column) -> (author, text)."""
    rel = next((r for r in package.rels(sheet_part) if r.type == COMMENTS and not r.external), None)
    if rel is None or rel.target not in package.parts:
        return {}
    data = package.data(rel.target)
    part = _read_comments(data)
    return {
        (c.row, c.column): (
            part.authors[c.author] if 0 <= c.author < len(part.authors) else "",
            part.text(data, c)[0],
        )
        for c in part.comments
    }


def note_text(text: Any) -> str:
    """A note's text as it is stored: what XML cannot hold dropped, line ends as "\\n"."""
    if not text:
        return ""
    cleaned = _NOT_XML.sub("", clean_text(str(text)))
    return cleaned.replace("\r\n", "\n").replace("\r", "\n")


def _checked_cell(cell: Cell) -> Cell:
    row, column = cell
    if not (1 <= row <= MAX_ROW and 1 <= column <= MAX_COLUMN):
        raise ValueError(f"no such cell: row {row}, column {column}")
    return int(row), int(column)


# --------------------------------------------------------------------------- the job


@dataclass
class _NotesJob:
    """Reads the sheet's notes (``read``), works out every part's new bytes without
    touching the package (``plan``), then puts them in (``write``, which cannot fail)."""

    package: Package
    sheet_part: str
    author: str
    # what read() finds
    sheet_rels: list[Rel] = field(default_factory=list)
    comments: _CommentsPart | None = None
    comments_name: str | None = None
    vml: _Drawing | None = None
    vml_name: str | None = None
    # what plan() decides
    updates: dict[str, bytes] = field(default_factory=dict)  # part -> its new bytes
    removed: list[str] = field(default_factory=list)
    rels: list[Rel] | None = None  # the sheet's new relationships, when they change
    types: tuple[dict[str, str], dict[str, str]] | None = None  # new content types, when they change

    def read(self) -> None:
        package, sheet = self.package, self.sheet_part
        self.sheet_rels = package.rels(sheet)
        by_id = {r.id: r for r in self.sheet_rels}
        legacy = _element(package.data(sheet), "legacyDrawing")
        if legacy is not None:
            rel = by_id.get(legacy.rid or "")
            if rel is None or rel.external or rel.type != VML_DRAWING or rel.target not in package.parts:
                raise _Refused("the drawing that holds the sheet's notes is missing")
            self.vml_name = rel.target
        found = [r for r in self.sheet_rels if r.type == COMMENTS]
        if len(found) > 1:
            raise _Refused("the sheet links more than one comments part")
        if found:
            if found[0].external or found[0].target not in package.parts:
                raise _Refused("the sheet's comments part is missing")
            self.comments_name = found[0].target
        for name in (self.comments_name, self.vml_name):
            if name is not None and self.shared(name):
                raise _Refused("the sheet shares its notes with another sheet")
        if self.comments_name is not None:
            self.comments = _read_comments(package.data(self.comments_name))
        if self.vml_name is not None:
            self.vml = _read_drawing(package.data(self.vml_name))

    def shared(self, part: str) -> bool:
        for other in self.package.sheets().values():
            if other != self.sheet_part and any(r.target == part for r in self.package.rels(other)):
                return True
        return False

    def threaded_cells(self) -> set[Cell]:
        cells: set[Cell] = set()
        for rel in self.sheet_rels:
            if rel.type != THREADED_COMMENTS or rel.external:
                continue
            if rel.target not in self.package.parts:
                raise _Refused("the sheet's threaded comments are missing")
            data = self.package.data(rel.target)
            for ref in _attribute_values(data, "threadedComment", "ref"):
                cells.add(_cell(ref))
        return cells

    # planning ------------------------------------------------------------------

    def plan(self, wanted: dict[Cell, str | None]) -> None:
        threaded = self.threaded_cells() & set(wanted)
        if threaded:
            where = ", ".join(_ref(c) for c in sorted(threaded)[:3])
            raise _Refused(
                f"Excel 365 comments (threads) are on {where}, where plantrack would change a note"
            )
        notes = self.plan_comments(wanted)
        if not notes:
            self.plan_removal()
            return
        comments_name, vml_name = self.comments_name, self.vml_name
        rels = list(self.sheet_rels)
        defaults, overrides = self.package.content_types()
        types_before = (dict(defaults), dict(overrides))
        folder = posixpath.dirname(self.package.workbook())
        if comments_name is None:
            comments_name = _free_name(self.package, f"{folder}/comments", ".xml")
            rels.append(Rel(_free_rid(rels), COMMENTS, comments_name))
            overrides[comments_name] = COMMENTS_TYPE
        self.updates[comments_name] = (
            self.comments.rebuilt(self.package.data(comments_name), notes, self.new_author(wanted))
            if self.comments is not None
            else _new_comments(self.author, notes)
        )
        noted = {cell for cell, _ in notes}
        taken = self.blocks_elsewhere()
        if self.vml is None or vml_name is None:
            vml_name = _free_name(self.package, f"{folder}/drawings/vmlDrawing", ".vml")
            rid = _free_rid(rels)
            rels.append(Rel(rid, VML_DRAWING, vml_name))
            if defaults.get("vml") != VML_TYPE:
                if "vml" in defaults:
                    overrides[vml_name] = VML_TYPE
                else:
                    defaults["vml"] = VML_TYPE
            self.updates[self.sheet_part] = _insert_legacy_drawing(self.package.data(self.sheet_part), rid)
            self.updates[vml_name] = _new_drawing(sorted(noted), taken)
        else:
            shapes = self.vml.shapes
            drop = [s for s in shapes if (s.row, s.column) in wanted and (s.row, s.column) not in noted]
            missing = sorted(noted - {(s.row, s.column) for s in shapes})
            self.updates[vml_name] = self.vml.rebuilt(self.package.data(vml_name), drop, missing, taken)
        if rels != self.sheet_rels:
            self.rels = rels
        if (defaults, overrides) != types_before:
            self.types = defaults, overrides

    def plan_comments(self, wanted: dict[Cell, str | None]) -> list[tuple[Cell, bytes]]:
        """Every note the sheet will have, as its ``<comment>`` element, by row and column."""
        part = self.comments
        data = self.package.data(self.comments_name) if self.comments_name else b""
        author_id = self.author_id()
        notes: list[tuple[Cell, bytes]] = []
        at: dict[Cell, list[_Comment]] = {}
        for comment in part.comments if part else []:
            cell = (comment.row, comment.column)
            if cell in wanted:
                at.setdefault(cell, []).append(comment)
            else:
                notes.append((cell, data[comment.start : comment.end]))
        for cell, text in wanted.items():
            if text is None:
                continue
            same = at.get(cell, [])
            if (
                part
                and len(same) == 1
                and same[0].author == author_id
                and part.text(data, same[0]) == (text, True)
            ):
                notes.append((cell, data[same[0].start : same[0].end]))  # already so: leave it be
            else:
                notes.append((cell, _comment_xml(part.prefix if part else "", cell, author_id, text)))
        notes.sort(key=lambda note: note[0])
        return notes

    def author_id(self) -> int:
        authors = self.comments.authors if self.comments else []
        return authors.index(self.author) if self.author in authors else len(authors)

    def new_author(self, wanted: dict[Cell, str | None]) -> str | None:
        """The author to add to the list: plantrack, the first time it writes a note."""
        authors = self.comments.authors if self.comments else []
        if self.author in authors or all(text is None for text in wanted.values()):
            return None
        return self.author

    def plan_removal(self) -> None:
        """No notes left: the comments part and the drawing go, with their links."""
        gone = [name for name in (self.comments_name, self.vml_name) if name is not None]
        if not gone:
            return
        package = self.package
        self.removed = [*gone, *(rels_name(name) for name in gone)]
        linked = {r.target for name in gone for r in package.rels(name) if not r.external}
        for target in linked - set(gone):  # a picture in a note, say: it goes when nothing else links it
            if not _linked_from_elsewhere(package, target, set(gone)):
                self.removed.append(target)
        self.rels = [r for r in self.sheet_rels if r.external or r.target not in gone]
        sheet_xml = package.data(self.sheet_part)
        legacy = _element(sheet_xml, "legacyDrawing")
        if legacy is not None:
            # (an empty element ends with its start tag: preserve's end offset of one runs on)
            end = legacy.start_tag_end if sheet_xml[: legacy.start_tag_end].endswith(b"/>") else legacy.end
            self.updates[self.sheet_part] = sheet_xml[: legacy.start] + sheet_xml[end:]
        defaults, overrides = package.content_types()
        if any(name in overrides for name in self.removed):
            self.types = defaults, {p: t for p, t in overrides.items() if p not in self.removed}

    def blocks_elsewhere(self) -> set[int]:
        """The VML shape-id blocks the workbook's other drawings claim."""
        taken: set[int] = set()
        for name in self.package.parts:
            if name != self.vml_name and name.lower().endswith(".vml"):
                data = self.package.data(name)
                for match in re.finditer(rb"""idmap\b[^>]*?\sdata\s*=\s*["']([^"']*)["']""", data):
                    taken |= _blocks(match.group(1).decode("ascii", "replace"))
        return taken

    # writing -------------------------------------------------------------------

    def write(self) -> None:
        package = self.package
        for name in self.removed:
            package.parts.pop(name, None)
        package.parts.update(self.updates)
        if self.rels is not None:
            package.set_rels(self.sheet_part, self.rels)
        if self.types is not None:
            package.set_content_types(*self.types)


def _linked_from_elsewhere(package: Package, part: str, leaving: set[str]) -> bool:
    """Whether a relationship of a part other than ``leaving`` points at ``part``."""
    for name in package.parts:
        if name.endswith(".rels"):
            folder, base = posixpath.split(name)
            owner = posixpath.join(posixpath.dirname(folder), base[: -len(".rels")])
            if owner not in leaving and any(r.target == part for r in package.rels(owner)):
                return True
    return False


# --------------------------------------------------------------------------- the comments part


class _Comment(NamedTuple):
    row: int
    column: int
    author: int
    start: int  # byte range of the whole <comment> element
    end: int


@dataclass
class _CommentsPart:
    prefix: str  # "" or "x:": how the part names the main namespace
    authors: list[str]
    authors_node: _Node
    list_node: _Node
    comments: list[_Comment]

    def text(self, data: bytes, comment: _Comment) -> tuple[str, bool]:
        """A note's text, and whether it is plain (no runs of formatting)."""
        whole = data[comment.start : comment.end]
        inner = _phonetic(self.prefix).sub(b"", whole)
        plain = len(inner) == len(whole) and not _run(self.prefix).search(inner)
        raw = b"".join(_text_run(self.prefix).findall(inner))
        return _unescape(raw.replace(b"\r\n", b"\n").replace(b"\r", b"\n")), plain

    def rebuilt(self, data: bytes, comments: list[tuple[Cell, bytes]], new_author: str | None) -> bytes:
        """The part with ``comments`` (in order) in its list and ``new_author`` added."""
        node = self.list_node
        body = b"".join(xml for _, xml in comments)
        edits = [(node.start, node.end, _with_content(data, node, self.prefix, "commentList", body))]
        if new_author is not None:
            node = self.authors_node
            added = f"<{self.prefix}author>{_escape(new_author)}</{self.prefix}author>".encode()
            content = data[node.inner : node.content_end] + added
            edits.append((node.start, node.end, _with_content(data, node, self.prefix, "authors", content)))
        return _apply(data, edits)


def _with_content(data: bytes, node: _Node, prefix: str, local: str, content: bytes) -> bytes:
    """The element at ``node`` with new content."""
    head = data[node.start : node.inner]
    if head.endswith(b"/>"):
        head = head[:-2].rstrip() + b">"
    return head + content + f"</{prefix}{local}>".encode()


def _read_comments(data: bytes) -> _CommentsPart:
    what = "its comments part"
    root = _root(data, what)
    qname = root.qname.decode()
    prefix = qname[: -len("comments")]
    if not qname.endswith("comments") or prefix not in ("", prefix.rstrip(":") + ":"):
        raise _Refused(f"{what} is not one plantrack knows")
    name = prefix.rstrip(":")
    if _declarations(data[root.start : root.inner]).get(name) != MAIN_NS or _redeclared(data, root, name):
        raise _Refused(f"{what} is not one plantrack knows")
    children = {child.qname.decode(): child for child in _children(data, root, what)}
    authors_node, list_node = children.get(prefix + "authors"), children.get(prefix + "commentList")
    if authors_node is None or list_node is None or authors_node.end > list_node.start:
        raise _Refused(f"{what} is not one plantrack knows")
    authors = []
    for node in _children(data, authors_node, what):
        if node.qname.decode() != prefix + "author" or b"<" in data[node.inner : node.content_end]:
            raise _Refused(f"{what} is not one plantrack knows")
        authors.append(_unescape(data[node.inner : node.content_end]))
    nodes, gaps = _siblings(data, prefix + "comment", list_node, what)
    if gaps:
        raise _Refused(f"{what} is not one plantrack knows")
    comments = []
    for node in nodes:
        tag = data[node.start : node.inner]
        ref, author = _REF_ATTRIBUTE.search(tag), _AUTHOR_ATTRIBUTE.search(tag)
        if author is None:
            raise _Refused("a note in its comments part has no author")
        row, column = _cell(ref.group(1).decode() if ref else "")
        comments.append(_Comment(row, column, int(author.group(1)), node.start, node.end))
    return _CommentsPart(prefix, authors, authors_node, list_node, comments)


@lru_cache(maxsize=8)
def _phonetic(prefix: str) -> re.Pattern[bytes]:
    p = re.escape(prefix.encode())
    return re.compile(rb"<" + p + rb"rPh\b.*?</" + p + rb"rPh\s*>|<" + p + rb"rPh\b[^>]*/>", re.S)


@lru_cache(maxsize=8)
def _run(prefix: str) -> re.Pattern[bytes]:
    return re.compile(rb"<" + re.escape(prefix.encode()) + rb"r[\s/>]")


@lru_cache(maxsize=8)
def _text_run(prefix: str) -> re.Pattern[bytes]:
    p = re.escape(prefix.encode())
    return re.compile(rb"<" + p + rb"t(?:\s[^>]*)?>(.*?)</" + p + rb"t\s*>", re.S)


def _comment_xml(prefix: str, cell: Cell, author_id: int, text: str) -> bytes:
    space = ' xml:space="preserve"' if text != text.strip() else ""
    p = prefix
    return (
        f'<{p}comment ref="{_ref(cell)}" authorId="{author_id}" shapeId="0"><{p}text>'
        f"<{p}t{space}>{_escape(text)}</{p}t></{p}text></{p}comment>"
    ).encode()


def _new_comments(author: str, comments: list[tuple[Cell, bytes]]) -> bytes:
    return (
        (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            f'<comments xmlns="{MAIN_NS}"><authors><author>{_escape(author)}</author></authors><commentList>'
        ).encode()
        + b"".join(xml for _, xml in comments)
        + b"</commentList></comments>"
    )


# --------------------------------------------------------------------------- the VML drawing


class _Shape(NamedTuple):
    row: int  # from 1, like the cells
    column: int
    start: int
    end: int


@dataclass
class _Drawing:
    prefixes: dict[str, str]  # namespace -> prefix declared on the root
    root_tag_end: int
    shapes: list[_Shape]
    numbers: list[int]  # the shapes' ids (_x0000_s1025 -> 1025)
    has_note_type: bool  # the shapetype new notes refer to is there
    idmap: tuple[int, int] | None  # byte range of the idmap's data value
    after_layout: int  # where a shapetype would go

    def rebuilt(self, data: bytes, drop: list[_Shape], cells: list[Cell], taken: set[int]) -> bytes:
        """The drawing without the ``drop`` shapes and with a new note shape for each of ``cells``."""
        root_declarations = ""
        prefixes = dict(self.prefixes)
        for uri, standard in STANDARD_PREFIXES.items():
            if uri not in prefixes:
                if standard in prefixes.values():
                    raise _Refused("its notes drawing names its parts in a way plantrack does not know")
                prefixes[uri] = standard
                root_declarations += f' xmlns:{standard}="{uri}"'
        v, o, x = (prefixes[u] for u in (V_NS, O_NS, X_NS))
        edits: list[tuple[int, int, bytes]] = [(s.start, s.end, b"") for s in drop]
        if cells:
            listed = data[self.idmap[0] : self.idmap[1]].decode("ascii", "replace") if self.idmap else ""
            own = self.blocks() | _blocks(listed)
            numbers = _shape_numbers(max([0, *self.numbers]) + 1, len(cells), taken, own)
            shapes = b"".join(
                _shape_xml(v, o, x, number, cell, len(self.shapes) + i + 1)
                for i, (number, cell) in enumerate(zip(numbers, cells))
            )
            close = data.rindex(b"</")
            edits.append((close, close, shapes))
            if not self.has_note_type:
                edits.append((self.after_layout, self.after_layout, _shapetype_xml(v, o)))
            if self.idmap is not None:
                begin, stop = self.idmap
                extra = sorted({n // IDS_PER_BLOCK for n in numbers} - _blocks(listed))
                if extra:
                    value = ",".join([listed.strip(), *map(str, extra)]).lstrip(",")
                    edits.append((begin, stop, value.encode()))
        if root_declarations:
            at = self.root_tag_end - (2 if data[self.root_tag_end - 2 : self.root_tag_end] == b"/>" else 1)
            edits.append((at, at, root_declarations.encode()))
        return _apply(data, edits)

    def blocks(self) -> set[int]:
        return {n // IDS_PER_BLOCK for n in self.numbers}


def _apply(data: bytes, edits: list[tuple[int, int, bytes]]) -> bytes:
    """``data`` with each (start, end) range replaced; the ranges do not overlap."""
    pieces = []
    at = 0
    for start, end, new in sorted(edits, key=lambda e: (e[0], e[1])):
        pieces += [data[at:start], new]
        at = end
    pieces.append(data[at:])
    return b"".join(pieces)


def _read_drawing(data: bytes) -> _Drawing:
    what = "the drawing that holds its notes"
    root = _root(data, what)
    declared = _declarations(data[root.start : root.inner])
    if root.qname != b"xml" or "" in declared:
        raise _Refused(f"{what} is not one plantrack knows")
    prefixes = {uri: p for p, uri in declared.items() if uri in STANDARD_PREFIXES}
    if any(_redeclared(data, root, p) for p in prefixes.values()):
        raise _Refused(f"{what} is not one plantrack knows")
    v, o, x = (prefixes.get(uri, "?") for uri in (V_NS, O_NS, X_NS))
    nodes, gaps = _siblings(data, f"{v}:shape", root, what)
    note_type, idmap, after_layout = False, None, root.inner
    for start, stop in gaps:  # what is not a shape: the layout and shape types, nothing else
        for node in _children(data, _Node(b"", start, start, stop, stop), what):
            name, _, local = node.qname.decode().rpartition(":")
            kind = (declared.get(name), local)
            if kind == (O_NS, "shapelayout"):
                after_layout = node.end
                found = _opening(f"{o}:idmap").search(data, node.inner, node.content_end)
                tag = _TAG.match(data, found.start()) if found else None
                value = _DATA_ATTRIBUTE.search(tag.group()) if tag else None
                if found is not None and value is not None:
                    idmap = (found.start() + value.start(2), found.start() + value.end(2))
            elif kind == (V_NS, "shapetype"):
                note_type |= _attributes(data[node.start : node.inner]).get("id") == NOTE_SHAPE_TYPE
            else:
                raise _Refused(f"{what} also holds other shapes ({local})")
    return _Drawing(
        prefixes,
        root.inner,
        _note_shapes(data, root, nodes, x),
        _shape_ids(data),
        note_type,
        idmap,
        after_layout,
    )


def _note_shapes(data: bytes, root: _Node, nodes: list[_Node], x: str) -> list[_Shape]:
    """The cells of the notes' shapes: each shape has one ``x:ClientData`` of a note, with
    its row and column (refused otherwise: form controls, buttons ...)."""
    within = (root.inner, root.content_end)
    clients = [(m.start(), m.group(1)) for m in _object_type(x).finditer(data, *within)]
    rows = [(m.start(), int(m.group(1))) for m in _number_in(f"{x}:Row").finditer(data, *within)]
    columns = [(m.start(), int(m.group(1))) for m in _number_in(f"{x}:Column").finditer(data, *within)]
    count = len(nodes)
    if len(_opening(f"{x}:ClientData").findall(data, *within)) != len(clients) or len(clients) != count:
        raise _Refused("the drawing that holds its notes also holds other shapes")
    others = sorted({kind.decode("utf-8", "replace") for _, kind in clients} - {"Note"})
    if others:
        raise _Refused(f"the drawing that holds its notes also holds form controls or buttons ({others[0]})")
    if len(rows) != count or len(columns) != count:
        raise _Refused("a note in its drawing names no cell")
    shapes = []
    for node, (client, _), (row_at, row), (column_at, column) in zip(nodes, clients, rows, columns):
        if not node.inner <= client < row_at < node.content_end or not client < column_at < node.content_end:
            raise _Refused("a note in its drawing names no cell")
        shapes.append(_Shape(row + 1, column + 1, node.start, node.end))
    return shapes


def _shape_ids(data: bytes) -> list[int]:
    return [int(n) for n in re.findall(rb"_x0000_s(\d+)", data)]


@lru_cache(maxsize=8)
def _object_type(x: str) -> re.Pattern[bytes]:
    return re.compile(
        rb"<" + re.escape(x.encode()) + rb""":ClientData\s[^>]*?ObjectType\s*=\s*["']([^"']*)["']"""
    )


def _shape_numbers(first: int, count: int, taken: set[int], own: set[int]) -> list[int]:
    """``count`` free shape ids from ``first``, outside the blocks other drawings claim."""
    first = max(first, IDS_PER_BLOCK + 1)
    numbers: list[int] = []
    n = first
    while len(numbers) < count:
        block = n // IDS_PER_BLOCK
        if block in taken and block not in own:
            n = (block + 1) * IDS_PER_BLOCK + 1
            continue
        if n % IDS_PER_BLOCK:  # id 0 of a block is not used (Excel starts at 1025)
            numbers.append(n)
        n += 1
    return numbers


def _blocks(listed: str) -> set[int]:
    return {int(p) for p in re.split(r"[,\s]+", listed) if p.isdigit()}


def _new_drawing(cells: list[Cell], taken: set[int]) -> bytes:
    numbers = _shape_numbers(IDS_PER_BLOCK + 1, len(cells), taken, set())
    blocks = ",".join(str(b) for b in sorted({n // IDS_PER_BLOCK for n in numbers}))
    shapes = b"".join(
        _shape_xml("v", "o", "x", number, cell, i + 1) for i, (number, cell) in enumerate(zip(numbers, cells))
    )
    head = (
        f'<xml xmlns:v="{V_NS}" xmlns:o="{O_NS}" xmlns:x="{X_NS}">'
        f'<o:shapelayout v:ext="edit"><o:idmap v:ext="edit" data="{blocks}"/></o:shapelayout>'
    ).encode()
    return head + _shapetype_xml("v", "o") + shapes + b"</xml>"


def _shapetype_xml(v: str, o: str) -> bytes:
    return (
        f'<{v}:shapetype id="{NOTE_SHAPE_TYPE}" coordsize="21600,21600" {o}:spt="202" '
        f'path="m,l,21600r21600,l21600,xe"><{v}:stroke joinstyle="miter"/>'
        f'<{v}:path gradientshapeok="t" {o}:connecttype="rect"/></{v}:shapetype>'
    ).encode()


def _shape_xml(v: str, o: str, x: str, number: int, cell: Cell, z: int) -> bytes:
    """A hidden note box of WIDTH_PX x HEIGHT_PX beside the cell, as Excel writes one.

    The anchor assumes Excel's default column width and row height (64 x 20 pixels):
    Excel and LibreOffice place a hidden note next to its cell when it is shown anyway.
    """
    row, column = cell[0] - 1, cell[1] - 1  # VML counts from 0
    left_column, left_offset = min(column + 1, MAX_COLUMN - 6), 15
    top_row, top_offset = (max(row - 1, 0), 10 if row else 2)
    top_row = min(top_row, MAX_ROW - 7)
    right = left_offset + WIDTH_PX
    bottom = top_offset + HEIGHT_PX
    anchor = (
        f"{left_column}, {left_offset}, {top_row}, {top_offset}, "
        f"{left_column + right // 64}, {right % 64}, {top_row + bottom // 20}, {bottom % 20}"
    )
    margin_left = (left_column * 64 + left_offset) * 0.75
    margin_top = (top_row * 20 + top_offset) * 0.75
    return (
        f'<{v}:shape id="_x0000_s{number}" type="#{NOTE_SHAPE_TYPE}" style="position:absolute;'
        f"margin-left:{margin_left:g}pt;margin-top:{margin_top:g}pt;width:{WIDTH_PX * 0.75:g}pt;"
        f'height:{HEIGHT_PX * 0.75:g}pt;z-index:{z};visibility:hidden" fillcolor="#ffffe1" '
        f'{o}:insetmode="auto">'
        f'<{v}:fill color2="#ffffe1"/><{v}:shadow on="t" color="black" obscured="t"/>'
        f'<{v}:path {o}:connecttype="none"/><{v}:textbox style="mso-direction-alt:auto">'
        f'<div style="text-align:left"></div></{v}:textbox><{x}:ClientData ObjectType="Note">'
        f"<{x}:MoveWithCells/><{x}:SizeWithCells/><{x}:Anchor>{anchor}</{x}:Anchor>"
        f"<{x}:AutoFill>False</{x}:AutoFill><{x}:Row>{row}</{x}:Row><{x}:Column>{column}</{x}:Column>"
        f"</{x}:ClientData></{v}:shape>"
    ).encode()


# --------------------------------------------------------------------------- reading parts
#
# A part is first read whole by expat (which refuses DOCTYPEs and entities), so it is
# well-formed; then it is scanned as bytes: the elements plantrack needs are found by
# their tags, at a few regular-expression searches each (a full expat read of ten
# thousand notes' drawing calls back into Python 250,000 times). Comments, CDATA and
# processing instructions, which could hide a tag from the scan, are refused.


class _Node(NamedTuple):
    qname: bytes
    start: int  # where its start tag begins
    inner: int  # just past its start tag
    content_end: int  # where its end tag begins (inner for <empty/>)
    end: int  # just past it


def _root(data: bytes, what: str) -> _Node:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise _Refused(f"{what} is not one plantrack knows")
    declaration = re.match(rb"""(?:\xef\xbb\xbf)?<\?xml[^>]*?encoding\s*=\s*["']([^"']+)""", data)
    if declaration is not None and declaration.group(1).lower() not in (b"utf-8", b"utf8"):
        raise _Refused(f"{what} is not one plantrack knows")
    _parser().Parse(data, True)
    head = re.search(rb"<(?![?!])", data)
    tag = _TAG.match(data, head.start()) if head else None
    if head is None or tag is None or tag.group().endswith(b"/>") or _hides_tags(data, head.start()):
        raise _Refused(f"{what} is not one plantrack knows")
    close = data.rindex(b"</")
    return _Node(tag.group(1), head.start(), tag.end(), close, data.index(b">", close) + 1)


def _children(data: bytes, parent: _Node, what: str) -> list[_Node]:
    """The elements directly inside ``parent`` (text between them refused)."""
    found: list[_Node] = []
    at, stop = parent.inner, parent.content_end
    while True:
        lt = data.find(b"<", at, stop)
        if data[at : stop if lt < 0 else lt].strip():
            raise _Refused(f"{what} is not one plantrack knows")
        if lt < 0:
            return found
        tag = _TAG.match(data, lt)
        if tag is None:
            raise _Refused(f"{what} is not one plantrack knows")
        qname = tag.group(1)
        if tag.group().endswith(b"/>"):
            found.append(_Node(qname, lt, tag.end(), tag.end(), tag.end()))
            at = tag.end()
            continue
        closing = _closing(qname).search(data, tag.end(), stop)
        if closing is None or _opening(qname.decode()).search(data, tag.end(), closing.start()):
            raise _Refused(f"{what} is not one plantrack knows")  # nested alike: not for a scan
        found.append(_Node(qname, lt, tag.end(), closing.start(), closing.end()))
        at = closing.end()


def _siblings(data: bytes, qname: str, parent: _Node, what: str) -> tuple[list[_Node], list[tuple[int, int]]]:
    """The ``qname`` elements directly inside ``parent``, found at C speed, and the
    stretches between them that hold more than whitespace (for the caller to read)."""
    within = (parent.inner, parent.content_end)
    tags = list(_start_tag(qname).finditer(data, *within))
    closes = _closing(qname.encode()).finditer(data, *within)
    if len(_opening(qname).findall(data, *within)) != len(tags):
        raise _Refused(f"{what} is not one plantrack knows")
    name = qname.encode()
    nodes: list[_Node] = []
    gaps: list[tuple[int, int]] = []
    at = parent.inner
    for tag in tags:
        start, tag_end = tag.span()
        if start < at:
            raise _Refused(f"{what} is not one plantrack knows")  # nested alike
        if start != at and data[at:start].strip():
            gaps.append((at, start))
        if data[tag_end - 2] == 47:  # <empty/>
            nodes.append(_Node(name, start, tag_end, tag_end, tag_end))
            at = tag_end
            continue
        close = next(closes, None)
        if close is None or close.start() < tag_end:
            raise _Refused(f"{what} is not one plantrack knows")
        nodes.append(_Node(name, start, tag_end, close.start(), close.end()))
        at = close.end()
    if next(closes, None) is not None:
        raise _Refused(f"{what} is not one plantrack knows")
    if data[at : parent.content_end].strip():
        gaps.append((at, parent.content_end))
    return nodes, gaps


@lru_cache(maxsize=64)
def _start_tag(qname: str) -> re.Pattern[bytes]:
    return re.compile(rb"<" + re.escape(qname.encode()) + _TAG.pattern[len(rb"<([^\s>/]+)") :])


@lru_cache(maxsize=64)
def _opening(qname: str) -> re.Pattern[bytes]:
    return re.compile(rb"<" + re.escape(qname.encode()) + rb"[\s/>]")


@lru_cache(maxsize=64)
def _closing(qname: bytes) -> re.Pattern[bytes]:
    return re.compile(rb"</" + re.escape(qname) + rb"\s*>")


@lru_cache(maxsize=16)
def _number_in(qname: str) -> re.Pattern[bytes]:
    q = re.escape(qname.encode())
    return re.compile(rb"<" + q + rb"\s*>\s*(\d+)\s*</" + q + rb"\s*>")


def _attributes(tag: bytes) -> dict[str, str]:
    return {
        name.decode(): _unescape(double if quote else single)
        for name, quote, double, single in _ATTRIBUTE.findall(tag)
    }


def _declarations(tag: bytes) -> dict[str, str]:
    """Namespace declarations of a start tag: prefix ("" for the default) -> namespace."""
    return {
        ("" if name == "xmlns" else name[6:]): value
        for name, value in _attributes(tag).items()
        if name == "xmlns" or name.startswith("xmlns:")
    }


def _hides_tags(data: bytes, start: int) -> bool:
    """Whether comments, CDATA or processing instructions follow ``start``."""
    return data.find(b"<!", start) >= 0 or data.find(b"<?", start) >= 0


def _redeclared(data: bytes, root: _Node, prefix: str) -> bool:
    """Whether ``prefix`` ("" the default namespace) is declared again inside the root."""
    if data.find(b"xmlns", root.inner) < 0:
        return False
    name = rb"xmlns" + (b":" + re.escape(prefix.encode()) if prefix else b"")
    return re.compile(rb"\s" + name + rb"\s*=").search(data, root.inner) is not None


def _unescape(raw: bytes) -> str:
    text = raw.decode("utf-8")
    return _ENTITY.sub(_entity, text) if "&" in text else text


def _entity(match: re.Match[str]) -> str:
    hexadecimal, decimal, name = match.groups()
    if name:
        return _NAMED[name]
    return chr(int(hexadecimal, 16) if hexadecimal else int(decimal))


# --------------------------------------------------------------------------- the sheet


def _insert_legacy_drawing(sheet_xml: bytes, rid: str) -> bytes:
    """The sheet with ``<legacyDrawing r:id=rid/>`` where the schema wants it."""
    head = re.search(rb"<(?![?!])([\w.-]+:)?worksheet\b", sheet_xml)
    if head is None:
        raise _Refused("the sheet is not one plantrack knows")
    prefix = (head.group(1) or b"").decode()
    tag = _TAG.match(sheet_xml, head.start())
    if tag is None:
        raise _Refused("the sheet is not one plantrack knows")
    declared = re.findall(
        r"""xmlns:([\w.-]+)\s*=\s*["']([^"']*)["']""", tag.group().decode("utf-8", "replace")
    )
    r = next((p for p, uri in declared if uri == R_NS), None)
    declaration = "" if r else f' xmlns:r="{R_NS}"'
    element = f'<{prefix}legacyDrawing{declaration} {r or "r"}:id="{rid}"/>'.encode()
    later = set(SHEET_ORDER[SHEET_ORDER.index("legacyDrawing") + 1 :]) | {"AlternateContent"}
    for existing in _top_elements(sheet_xml):
        if existing.name in later:
            return sheet_xml[: existing.start] + element + sheet_xml[existing.start :]
    close = sheet_xml.rindex(b"</")
    return sheet_xml[:close] + element + sheet_xml[close:]


# --------------------------------------------------------------------------- small helpers


def _attribute_values(data: bytes, local: str, attribute: str) -> list[str]:
    found: list[str] = []
    parser = _parser()

    def start(name: str, attrs: dict[str, str]) -> None:
        if name.rpartition(" ")[2] == local and attribute in attrs:
            found.append(attrs[attribute])

    parser.StartElementHandler = start
    parser.Parse(data, True)
    return found


def _cell(ref: str) -> Cell:
    match = _REF.match(ref.strip())
    if match is None:
        raise _Refused(f"a note is on '{ref[:20]}', which is not one cell")
    letters, digits = match.groups()
    column = 0
    for letter in letters.upper():
        column = column * 26 + ord(letter) - 64
    return int(digits), column


def _ref(cell: Cell) -> str:
    row, column = cell
    letters = ""
    while column:
        column, rest = divmod(column - 1, 26)
        letters = chr(65 + rest) + letters
    return f"{letters}{row}"


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _free_name(package: Package, stem: str, extension: str) -> str:
    taken = {name.lower() for name in package.parts}
    n = 1
    while f"{stem}{n}{extension}".lower() in taken:
        n += 1
    return f"{stem}{n}{extension}"


def _free_rid(rels: Iterable[Rel]) -> str:
    taken = {r.id for r in rels}
    n = len(taken) + 1
    while f"rId{n}" in taken:
        n += 1
    return f"rId{n}"
