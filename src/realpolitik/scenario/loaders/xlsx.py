"""Excel ``.xlsx`` scenarios (openpyxl): a whole-scenario workbook, or one flat BDM sheet.

Workbook layout (what :func:`to_xlsx` writes; sheet and column names are
case-insensitive, columns may come in any order, only ``actors`` is required)::

    meta     Key | Value           title, as_of, description, salience_scale; any other
                                   top-level field (extensions, uncertainty ...) as JSON
    issues   Id | Label | Description | Min | Max | Status quo
    points   Issue | Value | Label                     labelled points on a scale
    actors   Actor | Name | Issue | Capability | Issue capability | Position | Salience
             | Group | Parent | Description           one row per actor and issue
    notes    Actor | Field | Text | Quote | Source
    sources  Id | Title | URL | Citation | Quote
    events   Event | Id | Round | Date | Description | Source | Quote
             | Actor | Field | Issue | Value | Actor data     one row per change
             | Probability | Value low | Value mode | Value high | Value mean | Value sd

``Actor`` is the actor id; ``Capability`` the actor's capability (its first row
counts; a different value on a later row is that issue's capability, as in flat
tables), ``Issue capability`` an explicit per-issue capability (a row with an empty
Position and Salience then only sets it).  ``Event`` numbers the events (rows with the
same number are changes of one event); ``Actor data`` holds the entering actor of an
``enter`` change as JSON; ``Probability`` (first row of an event) is the chance the event
happens, and ``Value low/high`` (uniform), with ``Value mode`` (triangular), or ``Value
sd`` with an optional ``Value mean`` (normal) make a change's value uncertain, as the
YAML forms do (``Value`` stays the point value).  Without an ``issues`` sheet an issue's scale is the range of
the positions given.  Saliences are on 0-100 unless ``meta`` declares
``salience_scale: 0-1``.

A workbook without an ``actors`` sheet is read as one flat BDM table (the first sheet
with content): optional ``# key: value`` rows, then a header row with Actor,
Capability, Position, Salience [, Issue] (see :mod:`.table`).

Errors are located as ``file.xlsx:sheet!C5`` (a cell) or ``file.xlsx:sheet!5`` (a row);
flat sheets as ``file.xlsx:Sheet1:5:Capability`` like CSV files.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import math
import re
import warnings
import zipfile
from typing import Any

from realpolitik.errors import Problem, ScenarioError
from realpolitik.scenario.build import LOAD_NOTES
from realpolitik.scenario.io import Format, register_loader
from realpolitik.scenario.limits import (
    MAX_TEXT,
    MAX_XLSX_COLUMNS,
    MAX_XLSX_MEMBERS,
    MAX_XLSX_RATIO,
    MAX_XLSX_ROWS,
    MAX_XLSX_UNCOMPRESSED,
    RATIO_FLOOR,
)
from realpolitik.scenario.model import ID_PATTERN

MAX_ROWS = MAX_XLSX_ROWS  # per sheet; a scenario never needs more

#: canonical key -> accepted (normalised) header names, per sheet
SHEET_COLUMNS: dict[str, dict[str, tuple[str, ...]]] = {
    "meta": {"key": ("key", "field", "name"), "value": ("value",)},
    "issues": {
        "id": ("id", "issue", "issue id"),
        "label": ("label",),
        "description": ("description",),
        "min": ("min", "scale min", "minimum"),
        "max": ("max", "scale max", "maximum"),
        "status_quo": ("status quo", "status_quo", "reference point", "sq"),
    },
    "points": {"issue": ("issue", "issue id"), "value": ("value",), "label": ("label",)},
    "actors": {
        "actor": ("actor", "actor id", "id", "stakeholder"),
        "name": ("name", "full name", "label"),
        "issue": ("issue", "issue id", "dimension"),
        "capability": ("capability", "resources", "clout", "power", "influence", "c"),
        "issue_capability": ("issue capability", "capability on issue", "capability_by_issue"),
        "position": ("position", "x"),
        "salience": ("salience", "s"),
        "group": ("group",),
        "parent": ("parent",),
        "description": ("description",),
    },
    "notes": {
        "actor": ("actor", "actor id"),
        "field": ("field",),
        "text": ("text", "note", "rationale"),
        "quote": ("quote",),
        "source": ("source",),
    },
    "sources": {
        "id": ("id",),
        "title": ("title",),
        "url": ("url",),
        "citation": ("citation",),
        "quote": ("quote",),
    },
    "events": {
        "event": ("event", "event #", "event no", "#"),
        "id": ("id", "event id"),
        "round": ("round",),
        "date": ("date",),
        "description": ("description",),
        "source": ("source",),
        "quote": ("quote",),
        "actor": ("actor",),
        "field": ("field", "change"),
        "issue": ("issue",),
        "value": ("value",),
        "actor_data": ("actor data", "actor_data"),
        "probability": ("probability",),
        "value_low": ("value low", "value min"),
        "value_mode": ("value mode",),
        "value_high": ("value high", "value max"),
        "value_mean": ("value mean",),
        "value_sd": ("value sd",),
    },
}
REQUIRED_COLUMNS = {
    "meta": ("key", "value"),
    "issues": ("id",),
    "points": ("issue", "value", "label"),
    "actors": ("actor", "capability", "position", "salience"),
    "notes": ("actor",),
    "sources": ("title",),
    "events": ("event",),
}
#: column headers as the writer writes them, in order
HEADERS = {
    "meta": ("Key", "Value"),
    "issues": ("Id", "Label", "Description", "Min", "Max", "Status quo"),
    "points": ("Issue", "Value", "Label"),
    "actors": (
        "Actor", "Name", "Issue", "Capability", "Issue capability", "Position", "Salience",
        "Group", "Parent", "Description",
    ),
    "notes": ("Actor", "Field", "Text", "Quote", "Source"),
    "sources": ("Id", "Title", "URL", "Citation", "Quote"),
    "events": (
        "Event", "Id", "Round", "Date", "Description", "Source", "Quote", "Actor", "Field",
        "Issue", "Value", "Actor data", "Probability", "Value low", "Value mode", "Value high", "Value mean",
        "Value sd",
    ),
}
_TEXT_META = ("title", "as_of", "description", "salience_scale")


def _col_letter(j: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(j + 1)


def _norm(h: Any) -> str:
    return re.sub(r"\s+", " ", str(h if h is not None else "").strip().lower().replace("_", " "))


def _blank(v: Any) -> bool:
    return v is None or (isinstance(v, str) and not v.strip())


def _text(v: Any) -> str:
    """A cell as text: numbers without a spurious ``.0``, dates as ISO."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float) and v.is_integer() and abs(v) < 1e15:
        return str(int(v))
    if isinstance(v, dt.datetime):
        return v.date().isoformat() if v.time() == dt.time() else v.isoformat()
    if isinstance(v, dt.date):
        return v.isoformat()
    return str(v).strip()


class _Sheet:
    """One sheet read as a header and rows of canonical-key dicts, with cell locations."""

    def __init__(self, book: str, title: str, rows: list[tuple[int, list[Any]]], kind: str):
        self.book, self.title, self.kind = book, title, kind
        self.col: dict[str, int] = {}
        self.rows: list[tuple[int, dict[str, Any]]] = []
        self.header_row = rows[0][0] if rows else 1
        if not rows:
            return
        header = [_norm(h) for h in rows[0][1]]
        for key, names in SHEET_COLUMNS[kind].items():
            for j, h in enumerate(header):
                if h in names and j not in self.col.values():
                    self.col[key] = j
                    break
        for rownum, r in rows[1:]:
            self.rows.append((rownum, {k: (r[j] if j < len(r) else None) for k, j in self.col.items()}))

    def cell(self, row: int, key: str) -> str:
        j = self.col.get(key)
        return f"{self.book}:{self.title}!{_col_letter(j)}{row}" if j is not None else f"{self.book}:{self.title}!{row}"

    def row(self, row: int) -> str:
        return f"{self.book}:{self.title}!{row}"

    def missing(self) -> list[str]:
        return [k for k in REQUIRED_COLUMNS[self.kind] if k not in self.col]


def _check_dimension(ws, book: str) -> None:
    """Refuse a sheet whose declared size is beyond the caps, then read only the cells that exist.

    openpyxl pads every row to the declared width and every gap to the declared height
    (``A1:XFD1048576`` is 17 billion cells), so the declaration is checked and then dropped.
    """
    from openpyxl.utils import range_boundaries

    ref = ws.calculate_dimension() if ws.max_row and ws.max_column else None
    if ref:
        _, _, max_col, max_row = range_boundaries(ref)
        if (max_row or 0) > MAX_ROWS or (max_col or 0) > MAX_XLSX_COLUMNS:
            raise ScenarioError(
                f"sheet declares its size as {ref} ({max_row:,} rows x {max_col:,} columns); the limit is "
                f"{MAX_ROWS:,} rows x {MAX_XLSX_COLUMNS} columns", f"{book}:{ws.title}")  # fmt: skip
    ws.reset_dimensions()


def _read_rows(ws, book: str) -> list[tuple[int, list[Any]]]:
    rows = []
    _check_dimension(ws, book)
    # without a declared size each row is as wide as its last cell, and a gap is one empty row each
    for r_idx, row in enumerate(ws.iter_rows(values_only=True), start=1):
        if r_idx > MAX_ROWS:
            raise ScenarioError(f"sheet has more than {MAX_ROWS:,} rows; a scenario needs far fewer", f"{book}:{ws.title}")
        vals = list(row)
        for j, v in enumerate(vals):
            if isinstance(v, str) and len(v) > MAX_TEXT:
                raise ScenarioError(f"a cell of {len(v):,} characters: the limit is {MAX_TEXT:,}",
                                    f"{book}:{ws.title}!{_col_letter(j)}{r_idx}")  # fmt: skip
        while vals and _blank(vals[-1]):
            vals.pop()
        if len(vals) > MAX_XLSX_COLUMNS:
            raise ScenarioError(f"a cell in column {_col_letter(len(vals) - 1)}, beyond the limit of {MAX_XLSX_COLUMNS} columns",
                                f"{book}:{ws.title}!{_col_letter(len(vals) - 1)}{r_idx}")  # fmt: skip
        if vals:
            rows.append((r_idx, vals))
    return rows


def check_archive(raw: bytes, name: str) -> None:
    """Refuse a zip bomb from the archive's directory, before anything is decompressed.

    The directory states every member's compressed and uncompressed size; zipfile never
    returns more than the stated size (it stops there and fails the CRC), so the stated
    sizes bound what reading can cost.
    """
    try:
        with zipfile.ZipFile(io.BytesIO(raw)) as zf:
            infos = zf.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
        raise ScenarioError(f"not a readable Excel workbook: {exc}", name) from None
    if len(infos) > MAX_XLSX_MEMBERS:
        raise ScenarioError(f"the workbook archive has {len(infos):,} parts; the limit is {MAX_XLSX_MEMBERS}", name)
    total = sum(i.file_size for i in infos)
    if total > MAX_XLSX_UNCOMPRESSED:
        raise ScenarioError(
            f"the workbook expands to {total / 1048576:,.0f} MB when unzipped; the limit is "
            f"{MAX_XLSX_UNCOMPRESSED / 1048576:.0f} MB", name)  # fmt: skip
    for i in infos:
        if i.file_size > RATIO_FLOOR and i.file_size > MAX_XLSX_RATIO * max(i.compress_size, 1):
            raise ScenarioError(
                f"part {i.filename!r} expands {i.file_size / max(i.compress_size, 1):,.0f}-fold when unzipped "
                f"(a zip bomb?); the limit is {MAX_XLSX_RATIO}-fold", name)  # fmt: skip


def _open(raw: bytes, name: str):
    import openpyxl

    if not raw.startswith(b"PK"):
        raise ScenarioError("not an Excel workbook (.xlsx files are zip archives; this one is not)", name)
    check_archive(raw, name)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # openpyxl warns about unsupported extensions
            return openpyxl.load_workbook(io.BytesIO(raw), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, TypeError) as exc:
        raise ScenarioError(f"not a readable Excel workbook: {exc}", name) from None
    except Exception as exc:  # openpyxl raises its own types for damaged parts
        raise ScenarioError(f"not a readable Excel workbook ({type(exc).__name__}: {exc})", name) from None


# ------------------------------------------------------------------ loading
class _Reader:
    def __init__(self, name: str):
        self.name = name
        self.problems: list[Problem] = []
        self.where: dict[tuple, str] = {}

    def number(self, sh: _Sheet, rownum: int, key: str, what: str, expected: str = "a number") -> float | None:
        from realpolitik.scenario.loaders._flat import parse_number

        v = sh.rows_by_num[rownum].get(key)
        if _blank(v):
            return None
        num = parse_number(v)
        loc = sh.cell(rownum, key)
        if num is None:
            self.problems.append(Problem(loc, f"{what} {_text(v)!r} is not a number; expected {expected}"))
        elif not math.isfinite(num):
            self.problems.append(Problem(loc, f"{what} is {_text(v)}; expected a finite number"))
        else:
            return num
        return None

    def require(self, sh: _Sheet, rownum: int, key: str, what: str) -> str | None:
        v = sh.rows_by_num[rownum].get(key)
        if _blank(v):
            self.problems.append(Problem(sh.cell(rownum, key), f"{what} is empty"))
            return None
        return _text(v)


def _opt(d: dict[str, Any], key: str) -> str | None:
    v = d.get(key)
    return None if _blank(v) else _text(v)


def _parse_sheets(wb, name: str) -> dict[str, _Sheet]:
    """The workbook's known sheets, each with its header checked (missing required columns raise)."""
    sheets = {ws.title.strip().lower(): ws for ws in wb.worksheets}
    parsed: dict[str, _Sheet] = {}
    for kind in SHEET_COLUMNS:
        ws = sheets.get(kind)
        if ws is None:
            continue
        sh = _Sheet(name, ws.title, _read_rows(ws, name), kind)
        sh.rows_by_num = dict(sh.rows)  # type: ignore[attr-defined]
        miss = sh.missing()
        if miss and (sh.rows or kind == "actors"):
            wanted = ", ".join(SHEET_COLUMNS[kind][k][0].title() for k in miss)
            raise ScenarioError(
                f"missing required column(s): {wanted}; found columns: "
                + ", ".join(_text(h) for h in (_read_rows(ws, name)[:1] or [(0, [])])[0][1]),
                sh.row(sh.header_row),
            )
        parsed[kind] = sh

    return parsed


def _read_meta(sh: _Sheet, rd: _Reader, data: dict[str, Any]) -> None:
    """The ``meta`` sheet: Key | Value rows (text keys as text, the others as JSON)."""
    problems, where = rd.problems, rd.where
    for rownum, r in sh.rows:
        key = _opt(r, "key")
        if key is None:
            continue
        k = key.strip().lower().replace(" ", "_").replace("-", "_")
        val = r.get("value")
        where[(k,)] = sh.cell(rownum, "value")
        if _blank(val):
            continue
        if k in _TEXT_META:
            data[k] = _text(val) if k != "description" else str(val)
        else:
            text = _text(val)
            try:
                data[k] = json.loads(text)
            except json.JSONDecodeError as exc:
                problems.append(Problem(sh.cell(rownum, "value"), f"{k}: value is not valid JSON ({exc.msg})"))


def _read_sources(sh: _Sheet, rd: _Reader) -> list[dict[str, Any]]:
    """The ``sources`` sheet: one source per row."""
    where = rd.where
    out = []
    for rownum, r in sh.rows:
        k = len(out)
        src = {f: _opt(r, f) for f in ("id", "title", "url", "citation", "quote")}
        src = {f: v for f, v in src.items() if v is not None}
        if r.get("quote") is not None and not _blank(r.get("quote")):
            src["quote"] = str(r["quote"])
        out.append(src)
        where[("sources", k)] = sh.row(rownum)
        for f in ("id", "title", "url", "citation", "quote"):
            where[("sources", k, f)] = sh.cell(rownum, f)
    return out


def _read_issues(sh: _Sheet | None, rd: _Reader) -> tuple[list[dict[str, Any]], dict[str, int]]:
    """The ``issues`` sheet: one issue per row, and each id's index."""
    problems, where = rd.problems, rd.where
    issues: list[dict[str, Any]] = []
    issue_index: dict[str, int] = {}
    if sh is not None:
        for rownum, r in sh.rows:
            iid = rd.require(sh, rownum, "id", "issue id")
            if iid is None:
                continue
            item: dict[str, Any] = {"id": iid}
            for f in ("label", "description"):
                v = r.get(f)
                if not _blank(v):
                    item[f] = str(v) if f == "description" else _text(v)
            for f, what in (("min", "scale min"), ("max", "scale max"), ("status_quo", "status quo")):
                v = rd.number(sh, rownum, f, what)
                if v is not None:
                    item[f] = v
            k = len(issues)
            if iid in issue_index:
                problems.append(Problem(sh.cell(rownum, "id"), f"duplicate issue id {iid!r}"))
                continue
            issue_index[iid] = k
            issues.append(item)
            where[("issues", k)] = sh.row(rownum)
            for f in ("id", "label", "description", "min", "max", "status_quo"):
                where[("issues", k, f)] = sh.cell(rownum, f)
    return issues, issue_index


def _read_points(sh: _Sheet, rd: _Reader, issues: list[dict[str, Any]], issue_index: dict[str, int]) -> None:
    """The ``points`` sheet: labelled points, added to their issues."""
    problems, where = rd.problems, rd.where
    for rownum, r in sh.rows:
        iid = rd.require(sh, rownum, "issue", "issue id")
        value = rd.number(sh, rownum, "value", "point value")
        label = rd.require(sh, rownum, "label", "point label")
        if iid is None or value is None or label is None:
            if _blank(r.get("value")):
                problems.append(Problem(sh.cell(rownum, "value"), "point value is empty; expected a number"))
            continue
        if iid not in issue_index:
            problems.append(
                Problem(sh.cell(rownum, "issue"), f"unknown issue id {iid!r} (known: {', '.join(issue_index) or 'none'})")
            )
            continue
        k = issue_index[iid]
        pts = issues[k].setdefault("points", [])
        where[("issues", k, "points", len(pts))] = sh.row(rownum)
        pts.append({"value": value, "label": label})


def _read_actors(sh: _Sheet | None, rd: _Reader, name: str, issues: list[dict[str, Any]], issue_index: dict[str, int]):
    """The ``actors`` sheet: one row per actor and issue.  Returns the actors, their index and the issues the
    rows name (in order), for a workbook without an ``issues`` sheet."""
    problems, where = rd.problems, rd.where
    if sh is None:
        raise ScenarioError("workbook has no 'actors' sheet", name)
    actors: list[dict[str, Any]] = []
    index: dict[str, int] = {}
    derived_issues: list[str] = []
    sole_issue = None
    if "issue" not in sh.col:
        # no Issue column: one issue (the issues sheet's only one, else 'issue')
        if len(issues) > 1:
            raise ScenarioError(
                f"the actors sheet needs an Issue column: the issues sheet has {len(issues)} issues",
                sh.row(sh.header_row),
            )
        sole_issue = issues[0]["id"] if issues else "issue"
    bad_cell: dict[int, tuple[str, str]] = {}
    for rownum, r in sh.rows:
        aid = rd.require(sh, rownum, "actor", "actor id")
        iid = rd.require(sh, rownum, "issue", "issue id") if "issue" in sh.col else sole_issue
        if aid is None:
            continue
        if not re.fullmatch(ID_PATTERN, aid):  # e.g. "EUR/JPN": an id like the flat tables make
            from realpolitik.scenario.loaders._flat import _slug

            if aid not in index and _slug(aid) not in index:
                r = {**r, "name": r.get("name") if not _blank(r.get("name")) else aid}
            aid = _slug(aid)
        if aid not in index:
            index[aid] = len(actors)
            a: dict[str, Any] = {"id": aid, "positions": {}, "saliences": {}}
            actors.append(a)
            k = index[aid]
            where[("actors", k)] = sh.row(rownum)
            where[("actors", k, "id")] = sh.cell(rownum, "actor")
            where[("actors", k, "capability")] = sh.cell(rownum, "capability")
            for f in ("name", "group", "parent", "description"):
                where[("actors", k, f)] = sh.cell(rownum, f)
            first = True
        else:
            k = index[aid]
            a = actors[k]
            first = False
        for f in ("name", "group", "parent", "description"):
            v = r.get(f)
            if not _blank(v) and f not in a:
                a[f] = str(v) if f == "description" else _text(v)
        cap = rd.number(sh, rownum, "capability", "capability", "a number greater than 0")
        if iid is None:
            if cap is not None and "capability" not in a:
                a["capability"] = cap
            continue
        if issue_index and iid not in issue_index:
            problems.append(
                Problem(sh.cell(rownum, "issue"), f"unknown issue id {iid!r} (known: {', '.join(issue_index)})")
            )
            if cap is not None and "capability" not in a:
                a["capability"] = cap
            bad_cell.setdefault(k, (iid, sh.cell(rownum, "issue")))
            continue
        if iid not in derived_issues:
            derived_issues.append(iid)
        if cap is not None:
            if "capability" not in a:
                a["capability"] = cap
            elif cap != a["capability"] and not first:
                a.setdefault("capability_by_issue", {})[iid] = cap
                where[("actors", k, "capability_by_issue", iid)] = sh.cell(rownum, "capability")
        icap = rd.number(sh, rownum, "issue_capability", "issue capability", "a number greater than 0")
        if icap is not None:
            a.setdefault("capability_by_issue", {})[iid] = icap
            where[("actors", k, "capability_by_issue", iid)] = sh.cell(rownum, "issue_capability")
        pos_blank = _blank(r.get("position"))
        sal_blank = _blank(r.get("salience"))
        if pos_blank and sal_blank and not _blank(r.get("issue_capability")):
            continue
        if iid in a["positions"] or iid in a["saliences"]:
            problems.append(
                Problem(sh.cell(rownum, "issue"), f"actor {aid!r} has a second row for issue {iid!r} (first on {where[('actors', k, 'positions', iid)]})")
            )
            continue
        where[("actors", k, "positions", iid)] = sh.cell(rownum, "position")
        where[("actors", k, "saliences", iid)] = sh.cell(rownum, "salience")
        n_before = len(problems)
        pos = rd.number(sh, rownum, "position", "position")
        sal = rd.number(sh, rownum, "salience", "salience", "a number in 0-100")
        for key, blank in (("position", pos_blank), ("salience", sal_blank)):
            if blank:
                problems.append(Problem(sh.cell(rownum, key), f"{key} is empty; expected a number"))
        if pos is not None and sal is not None:
            a["positions"][iid] = pos
            a["saliences"][iid] = sal
        elif len(problems) > n_before:
            bad_cell.setdefault(k, (iid, problems[n_before].location))
    for k, (iid, loc) in bad_cell.items():
        a = actors[k]
        if not a["positions"]:
            # every row of this actor had a bad cell, reported already: a placeholder
            # located at that cell, so that validation adds no second, vaguer message
            a["positions"], a["saliences"] = {iid: math.nan}, {iid: 0.0}
            where[("actors", k, "positions", iid)] = loc
            where[("actors", k, "saliences", iid)] = loc
            where[("actors", k)] = loc
    return actors, index, derived_issues


def _derived_issues(derived: list[str], actors: list[dict[str, Any]], name: str,
                    notes: list[str]) -> list[dict[str, Any]]:  # fmt: skip
    """Issues named only on the actors sheet: the scale spans the positions given (each such
    assumption is said in ``notes``: ``validate`` and ``forecast`` print them)."""
    issues: list[dict[str, Any]] = []
    for iid in derived:
        pos = [a["positions"][iid] for a in actors if iid in a["positions"]]
        lo, hi = (min(pos), max(pos)) if pos else (0.0, 100.0)
        if hi <= lo:
            lo, hi = lo - 1.0, hi + 1.0
        issues.append({"id": iid, "min": lo, "max": hi})
        notes.append(f"{name}: no 'issues' sheet: issue {iid!r} takes the range of its positions, {lo:g}-{hi:g}, "
                     "as its scale (set it on an 'issues' sheet: Id | Min | Max)")  # fmt: skip
    return issues


def _read_notes(shn: _Sheet, rd: _Reader, actors: list[dict[str, Any]], index: dict[str, int]) -> None:
    """The ``notes`` sheet: the rationale of actors' numbers, added to their actors."""
    problems, where = rd.problems, rd.where
    for rownum, r in shn.rows:
        aid = rd.require(shn, rownum, "actor", "actor id")
        if aid is None:
            continue
        if aid not in index:
            problems.append(
                Problem(shn.cell(rownum, "actor"), f"note for unknown actor {aid!r} (not on the actors sheet)")
            )
            continue
        k = index[aid]
        note = {f: (str(r[f]) if f in ("text", "quote") else _text(r[f])) for f in ("field", "text", "quote", "source") if not _blank(r.get(f))}
        notes = actors[k].setdefault("notes", [])
        where[("actors", k, "notes", len(notes))] = shn.row(rownum)
        notes.append(note)


def _read_events(she: _Sheet, rd: _Reader) -> list[dict[str, Any]]:
    """The ``events`` sheet: rows numbered by event (the first row of a number gives its round, date ...),
    one change per row."""
    problems, where = rd.problems, rd.where
    events: list[dict[str, Any]] = []
    by_number: dict[str, int] = {}
    for rownum, r in she.rows:
        num = rd.require(she, rownum, "event", "event number")
        if num is None:
            continue
        if num not in by_number:
            by_number[num] = len(events)
            ev: dict[str, Any] = {"changes": []}
            e_k = by_number[num]
            where[("events", e_k)] = she.row(rownum)
            prob = rd.number(she, rownum, "probability", "probability")
            if prob is not None:
                ev["probability"] = prob
            rnd = rd.number(she, rownum, "round", "round", "a whole number >= 0")
            if rnd is not None:
                if rnd.is_integer():
                    ev["round"] = int(rnd)
                else:
                    problems.append(Problem(she.cell(rownum, "round"), f"round {rnd:g} is not a whole number"))
            for f in ("id", "date", "source"):
                v = _opt(r, f)
                if v is not None:
                    ev[f] = v
            for f in ("description", "quote"):
                if not _blank(r.get(f)):
                    ev[f] = str(r[f])
            for f in ("id", "round", "date", "description", "source", "quote", "probability"):
                where[("events", e_k, f)] = she.cell(rownum, f)
            events.append(ev)
        e_k = by_number[num]
        ev = events[e_k]
        actor = _opt(r, "actor")
        if actor is None:
            continue
        ch: dict[str, Any] = {"actor": actor}
        c_k = len(ev["changes"])
        base = ("events", e_k, "changes", c_k)
        where[base] = she.row(rownum)
        for f in ("actor", "field", "issue", "value"):
            where[base + (f,)] = she.cell(rownum, f)
        where[base + ("actor_data",)] = she.cell(rownum, "actor_data")
        for f in ("field", "issue"):
            v = _opt(r, f)
            if v is not None:
                ch[f] = v
        val = rd.number(she, rownum, "value", "value")
        if val is not None:
            ch["value"] = val
        elif not _blank(r.get("value")):
            ch["value"] = 0.0 if ch.get("field") != "capability" else 1.0  # reported already
        # an uncertain value: Value low/high (uniform), plus Value mode (triangular), or Value sd
        # with an optional Value mean (normal); the builder reads the mapping like a YAML one
        from realpolitik.scenario.uncertainty import table_spec

        cells = {key: r.get(f"value_{key}") for key in ("low", "mode", "high", "mean", "sd")}
        try:
            spec = table_spec("value", val, cells)
        except ValueError as exc:
            problems.append(Problem(she.cell(rownum, "value_low"), str(exc)))
            spec = None
        if spec is not None:
            spec.pop("dist")
            ch["value"] = spec  # {low, high}, {low, mode, high} or {mean, sd}, as in YAML
            where[base + ("value",)] = she.cell(rownum, "value_low")
        ad = r.get("actor_data")
        if not _blank(ad):
            try:
                ch["actor_data"] = json.loads(str(ad))
            except json.JSONDecodeError as exc:
                problems.append(Problem(she.cell(rownum, "actor_data"), f"actor data is not valid JSON ({exc.msg})"))
        ev["changes"].append(ch)
    return events


def _load_book(wb, name: str, salience_scale: str | None):
    """A whole scenario in sheets: one reader per sheet, in dependency order."""
    rd = _Reader(name)
    parsed = _parse_sheets(wb, name)
    data: dict[str, Any] = {}
    if "meta" in parsed:
        _read_meta(parsed["meta"], rd, data)
    if salience_scale is not None:
        data["salience_scale"] = salience_scale
    if "sources" in parsed:
        data["sources"] = _read_sources(parsed["sources"], rd)
    issues, issue_index = _read_issues(parsed.get("issues"), rd)
    if "points" in parsed:
        _read_points(parsed["points"], rd, issues, issue_index)
    actors, index, derived = _read_actors(parsed.get("actors"), rd, name, issues, issue_index)
    data["actors"] = actors
    notes: list[str] = []
    data["issues"] = issues or _derived_issues(derived, actors, name, notes)
    if notes:
        data[LOAD_NOTES] = notes  # build_scenario keeps them on the scenario (Scenario.load_notes)
    if "notes" in parsed:
        _read_notes(parsed["notes"], rd, actors, index)
    if "events" in parsed:
        data["events"] = _read_events(parsed["events"], rd)
    if "title" not in data:
        data["title"] = name.rsplit("/", 1)[-1].rsplit(".", 1)[0]
    where = rd.where

    def locate(path: tuple) -> str:
        for cut in range(len(path), 0, -1):
            loc = where.get(tuple(path[:cut]))
            if loc is not None:
                return loc
        return name if not path else f"{name} ({'.'.join(map(str, path))})"

    return data, locate, rd.problems


def _load_flat(wb, name: str, salience_scale: str | None):
    from realpolitik.scenario.loaders._flat import rows_to_data, split_meta

    meta_extra: dict[str, str] = {}
    for ws in wb.worksheets:
        if ws.title.strip().lower() == "meta":
            for _, r in _read_rows(ws, name)[1:]:
                if len(r) >= 2 and not _blank(r[0]):
                    meta_extra[_text(r[0]).lower().replace(" ", "_").replace("-", "_")] = _text(r[1])
    for ws in wb.worksheets:
        if ws.title.strip().lower() == "meta":
            continue
        rows = _read_rows(ws, name)
        if not rows:
            continue
        # leading '# key: value' rows are metadata, as in CSV files
        texts = []
        for _, r in rows:
            first = _text(r[0]) if r and not _blank(r[0]) else ""
            if first.startswith("#") or not first:
                texts.append(" ".join(_text(c) for c in r if not _blank(c)) or "#")
            else:
                break
        meta, start = split_meta(texts)
        meta = {**meta_extra, **meta}
        body = [r for _, r in rows[start:]]
        sheet_name = f"{name}:{ws.title}"
        if not body:
            raise ScenarioError("sheet has no header row (only comments)", sheet_name)
        width = len(body[0])
        body = [list(r) + [None] * (width - len(r)) for r in body]
        header_row = rows[start][0]
        # rows_to_data numbers the rows consecutively; keep Excel's row numbers right
        # when blank rows were skipped by padding them back in
        numbered = dict(rows[start:])
        full = [numbered.get(n, [None] * width) for n in range(header_row, rows[-1][0] + 1)]
        full = [list(r) + [None] * (width - len(r)) for r in full]
        return rows_to_data(full, sheet_name, meta, header_row, default_title=ws.title if ws.title != "Sheet1" else None,
                            salience_scale=salience_scale)
    raise ScenarioError("workbook is empty (no sheet has any cells)", name)


def load_xlsx(raw: bytes, name: str, salience_scale: str | None = None, **_: Any):
    wb = _open(raw, name)
    try:
        titles = {ws.title.strip().lower() for ws in wb.worksheets}
        if "actors" in titles:
            return _load_book(wb, name, salience_scale)
        data, locate, problems = _load_flat(wb, name, salience_scale)
        if data.get("title") == "Sheet1" or not data.get("title"):
            data["title"] = name.rsplit("/", 1)[-1].rsplit(".", 1)[0]
        return data, locate, problems
    finally:
        wb.close()


def sniff_xlsx(raw: bytes) -> bool:
    return raw.startswith(b"PK\x03\x04")


register_loader(
    Format(
        "xlsx",
        ("xlsx",),
        load_xlsx,
        sniff=sniff_xlsx,
        binary=True,
        description="Excel workbook: sheets meta/issues/points/actors/notes/sources/events, or one flat BDM sheet",
    )
)


# ------------------------------------------------------------------ writing
def _cell_value(v: Any) -> Any:
    # openpyxl writes numbers with 16 significant digits; a float that needs 17 to read
    # back exactly is written as text (the reader parses numeric text), so nothing is lost
    if isinstance(v, float) and math.isfinite(v) and float("%.16g" % v) != v:
        return repr(v)
    return v


def _put(ws, row: list[Any]) -> None:
    values = [_cell_value(v) for v in row]
    ws.append(values)
    # a text that starts with '=' is text, not a formula
    for j, v in enumerate(values):
        if isinstance(v, str) and v.startswith("="):
            ws.cell(row=ws.max_row, column=j + 1).data_type = "s"


def to_xlsx(scenario, lossy: bool = False, **_: object) -> bytes:
    """The whole scenario as a workbook (nothing is lost; ``lossy`` is accepted and unused)."""
    import openpyxl
    from openpyxl.styles import Font

    data = scenario.to_data()
    wb = openpyxl.Workbook()
    wb.remove(wb.active)

    def sheet(kind: str):
        ws = wb.create_sheet(kind)
        ws.append(list(HEADERS[kind]))
        for c in ws[1]:
            c.font = Font(bold=True)
        ws.freeze_panes = "A2"
        return ws

    ws = sheet("meta")
    for key in ("title", "as_of", "description"):
        if key in data:
            _put(ws, [key, data[key]])
    _put(ws, ["salience_scale", "0-100"])
    for key, value in data.items():
        if key not in ("title", "as_of", "description", "sources", "issues", "actors", "events"):
            _put(ws, [key, json.dumps(value, ensure_ascii=False)])

    ws = sheet("issues")
    for i in scenario.issues:
        _put(ws, [i.id, i.label or None, i.description, i.min, i.max, i.status_quo])
    ws = sheet("points")
    for i in scenario.issues:
        for p in i.points:
            _put(ws, [i.id, p.value, p.label])

    ws = sheet("actors")
    for a in scenario.actors:
        first = True
        issues = [i.id for i in scenario.issues if i.id in a.positions]
        for iid in issues:
            _put(
                ws,
                [
                    a.id,
                    a.name or None,
                    iid,
                    a.capability,
                    a.capability_by_issue.get(iid),
                    a.positions[iid],
                    a.saliences[iid],
                    a.group if first else None,
                    a.parent if first else None,
                    a.description if first else None,
                ],
            )
            first = False
        for iid, c in a.capability_by_issue.items():
            if iid not in a.positions:
                _put(ws, [a.id, None, iid, a.capability, c, None, None, None, None, None])
    ws = sheet("notes")
    for a in scenario.actors:
        for n in a.notes:
            _put(ws, [a.id, n.field or None, n.text or None, n.quote, n.source])
    ws = sheet("sources")
    for s in scenario.sources:
        _put(ws, [s.id, s.title, s.url, s.citation, s.quote])
    ws = sheet("events")
    for k, e in enumerate(scenario.events, start=1):
        head = [k, e.id, e.round, e.date.isoformat() if e.date else None, e.description or None, e.source, e.quote]
        prob = None if e.probability == 1 else e.probability
        if not e.changes:
            _put(ws, head + [None] * 5 + [prob])
        for ch in e.changes:
            ad = json.dumps(ch.actor_data.model_dump(mode="json", exclude_defaults=True), ensure_ascii=False) if ch.actor_data else None
            d = ch.distribution
            dist = [None] * 5 if d is None else [getattr(d, key) for key in ("low", "mode", "high", "mean", "sd")]
            _put(ws, head + [ch.actor, ch.field, ch.issue, ch.value, ad, prob] + dist)
    for w in wb.worksheets:
        for j, _h in enumerate(HEADERS[w.title]):
            w.column_dimensions[_col_letter(j)].width = 14 if j else 18
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
