"""Flat BDM-style tables as rows: the interpretation shared by the CSV and Excel loaders.

:func:`rows_to_data` turns rows (header first) into scenario data, a locator and
problems; :func:`split_meta` reads the ``# key: value`` lines above the header.  The
layouts, column names and metadata keys are those of :mod:`.table`.
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path
from typing import Any

from realpolitik.errors import Problem, ScenarioError
from realpolitik.scenario.build import LOAD_NOTES, actor_location
from realpolitik.scenario.limits import MAX_ACTORS, MAX_ISSUES, MAX_TEXT
from realpolitik.scenario.model import ID_PATTERN

COLUMNS: dict[str, tuple[str, ...]] = {
    "actor": ("actor", "stakeholder", "name", "player", "actor name"),
    "capability": ("capability", "resources", "clout", "power", "influence", "c", "cap"),
    "position": ("position", "x", "pos"),
    "salience": ("salience", "s", "sal"),
    "issue": ("issue", "issue id", "dimension"),
    "group": ("group",),
    "parent": ("parent",),
    "description": ("description",),
    "notes": ("notes", "note", "rationale"),
    "id": ("id", "actor id"),
    "full_name": ("full name", "display name"),
}
REQUIRED = ("actor", "capability", "position", "salience")
META_KEYS = ("title", "description", "as_of", "issue", "issues", "label", "scale", "status_quo", "salience_scale")
#: per-issue metadata keys: ``# scale.<issue id>: 0-100`` and so on
ISSUE_META_KEYS = ("scale", "label", "status_quo", "description")


def _norm(h: Any) -> str:
    return re.sub(r"\s+", " ", str(h if h is not None else "").strip().lower())


def _slug(text: str) -> str:
    s = re.sub(r"[^A-Za-z0-9_.\- ]+", "", str(text)).strip()
    s = re.sub(r"\s+", "_", s)
    return s or "actor"


def _issue_id(text: str) -> str:
    """An issue id: the cell itself when it is a valid id (spaces allowed), else a slug."""
    text = str(text).strip()
    return text if re.fullmatch(ID_PATTERN, text) and len(text) <= 80 else _slug(text)


def parse_number(value: Any) -> float | None:
    """A float from a cell, or None when the cell is not a number."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    text = str(value).strip()
    if not text:
        return None
    try:
        return float(text)
    except ValueError:
        return None


_NUM = r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?"


def _parse_scale(text: str) -> tuple[float, float] | None:
    m = re.match(rf"^\s*({_NUM})\s*(?:\.\.|-|to|,)\s*({_NUM})\s*$", text)
    if not m:
        return None
    try:
        return float(m.group(1)), float(m.group(2))
    except ValueError:
        return None


class _FlatRows:
    """The rows of a flat table, read one at a time into actors (see :func:`rows_to_data`)."""

    def __init__(self, rows: list[list[Any]], name: str, meta: dict[str, str], first_row_number: int):
        self.rows, self.name, self.meta = rows, name, meta
        self.problems: list[Problem] = []
        self.col = _columns(rows, name, first_row_number)
        # distribution columns (Position_low, Salience_sd ...): realpolitik.scenario.uncertainty
        from realpolitik.scenario.uncertainty import table_columns

        self.ucols = table_columns([_norm(h) for h in rows[0]], COLUMNS)
        self.uncertainty: list[dict[str, Any]] = []
        self.single_issue = meta.get("issue") or "issue"
        self.actors: dict[str, dict[str, Any]] = {}
        self.bad_cell: dict[str, tuple[str, str]] = {}  # actor id -> (issue, first bad cell)
        self.order: list[str] = []
        self.where: dict[tuple, str] = {}
        self.issues: list[str] = []

    def cell(self, r: list[Any], key: str) -> Any:
        j = self.col.get(key)
        return r[j] if j is not None and j < len(r) else None

    def read_row(self, rownum: int, r: list[Any]) -> None:
        """One row: an actor (on one issue), its values, its distribution columns, its note."""
        name, rows, col, problems = self.name, self.rows, self.col, self.problems
        actors, bad_cell, order, where, issues = self.actors, self.bad_cell, self.order, self.where, self.issues
        ucols, uncertainty, single_issue, cell = self.ucols, self.uncertainty, self.single_issue, self.cell
        from realpolitik.scenario.uncertainty import table_spec

        raw_name = cell(r, "actor")
        name_text = str(raw_name).strip() if raw_name is not None else ""
        if not name_text:
            problems.append(Problem(f"{name}:{rownum}:{rows[0][col['actor']]}", "actor name is empty; expected the actor's name or id"))
            return
        explicit_id = cell(r, "id")
        aid = str(explicit_id).strip() if explicit_id not in (None, "") else _slug(name_text)
        if "full_name" in col:  # an explicit display-name column: Actor holds the id
            full = cell(r, "full_name")
            name_text = str(full).strip() if full not in (None, "") else ""
        iid = str(cell(r, "issue")).strip() if "issue" in col and cell(r, "issue") not in (None, "") else single_issue
        iid = _issue_id(iid)
        if iid not in issues:
            issues.append(iid)
        values: dict[str, float] = {}
        for key in ("capability", "position", "salience"):
            v = cell(r, key)
            header_name = rows[0][col[key]]
            loc = f"{name}:{rownum}:{header_name}"
            num = parse_number(v)
            if num is None:
                text = "" if v is None else str(v).strip()
                expected = _EXPECTED[key]
                problems.append(
                    Problem(loc, f"{key} is empty; expected {expected}" if not text else f"{key} {text!r} is not a number; expected {expected}")
                )
                bad_cell.setdefault(aid, (iid, loc))
            elif not math.isfinite(num):
                problems.append(Problem(loc, f"{key} is {str(v).strip()}; expected a finite number"))
                bad_cell.setdefault(aid, (iid, loc))
            else:
                values[key] = num
        if aid not in actors:
            actors[aid] = {"id": aid, "positions": {}, "saliences": {}}
            if name_text and name_text != aid:  # a name that only repeats the id is no name
                actors[aid]["name"] = name_text
            order.append(aid)
            k = len(order) - 1
            where[(k,)] = f"{name}:{rownum}"
            for key in ("group", "parent", "description"):
                v = cell(r, key)
                if v not in (None, ""):
                    actors[aid][key] = str(v).strip()
            if "capability" in values:
                actors[aid]["capability"] = values["capability"]
            where[(k, "capability")] = f"{name}:{rownum}:{rows[0][col['capability']]}"
            where[(k, "id")] = f"{name}:{rownum}:{rows[0][col['actor']]}"
        else:
            k = order.index(aid)
            if iid in actors[aid]["positions"] or iid in actors[aid]["saliences"]:
                problems.append(
                    Problem(
                        f"{name}:{rownum}:{rows[0][col['actor']]}",
                        f"duplicate actor id {aid!r} (first on row {where[(k,)].rsplit(':', 1)[-1]})"
                        + (f" on issue {iid!r}" if "issue" in col else ""),
                    )
                )
                return
            cap = values.get("capability")
            base = actors[aid].get("capability")
            if cap is not None and base is not None and cap != base:
                actors[aid].setdefault("capability_by_issue", {})[iid] = cap
        if "position" in values:
            actors[aid]["positions"][iid] = values["position"]
        if "salience" in values:
            actors[aid]["saliences"][iid] = values["salience"]
        if "position" not in values or "salience" not in values:
            actors[aid]["_incomplete"] = True
        where[(k, "positions", iid)] = f"{name}:{rownum}:{rows[0][col['position']]}"
        where[(k, "saliences", iid)] = f"{name}:{rownum}:{rows[0][col['salience']]}"
        where[(k, "capability_by_issue", iid)] = f"{name}:{rownum}:{rows[0][col['capability']]}"
        for field, keys in ucols.items():
            cells = {key: (r[j] if j < len(r) else None) for key, j in keys.items()}
            try:
                spec = table_spec(field, values.get(field), cells)
            except ValueError as exc:
                problems.append(Problem(f"{name}:{rownum}:{rows[0][next(iter(keys.values()))]}", str(exc)))
                continue
            if spec is None:
                continue
            path = f"{aid}.{field}" + ("" if field == "capability" else f".{iid}")
            if field == "capability" and any(u["path"] == path for u in uncertainty):
                if any(u["path"] == path and u == {"path": path, **spec} for u in uncertainty):
                    continue
                path = f"{aid}.capability.{iid}"
            uncertainty.append({"path": path, **spec})
        note = cell(r, "notes")
        if note not in (None, ""):
            actors[aid].setdefault("notes", []).append({"field": f"row.{iid}", "text": str(note).strip()})

    def actor_list(self) -> list[dict[str, Any]]:
        """The actors, each with matching positions and saliences (placeholders where every row was bad)."""
        actors, bad_cell, order, where = self.actors, self.bad_cell, self.order, self.where
        actor_list = []
        for aid in order:
            a = actors[aid]
            incomplete = a.pop("_incomplete", False)
            for iid in list(a["positions"]):
                if iid not in a["saliences"]:
                    a["positions"].pop(iid)
            for iid in list(a["saliences"]):
                if iid not in a["positions"]:
                    a["saliences"].pop(iid)
            if incomplete and not a["positions"] and aid in bad_cell:
                # every row had a bad cell, reported already: a placeholder located at that
                # cell, so that validation adds no second, vaguer message for the actor
                iid, loc = bad_cell[aid]
                a["positions"], a["saliences"] = {iid: math.nan}, {iid: 0.0}
                k = order.index(aid)
                where[(k, "positions", iid)] = where[(k, "saliences", iid)] = where[(k,)] = loc
            a.setdefault("capability", math.nan if incomplete else None)
            actor_list.append(a)
        return actor_list


def _columns(rows: list[list[Any]], name: str, first_row_number: int) -> dict[str, int]:
    """The header: which column holds each known field (missing required columns raise)."""
    header = [_norm(h) for h in rows[0]]
    col: dict[str, int] = {}
    for key, names in COLUMNS.items():
        for j, h in enumerate(header):
            if h in names:
                col[key] = j
                break
    missing = [k for k in REQUIRED if k not in col]
    if missing:
        wanted = "; ".join(f"{k} ({'/'.join(COLUMNS[k][:4])})" for k in missing)
        raise ScenarioError(
            f"missing required column(s): {wanted}; found columns: {', '.join(map(str, rows[0]))}",
            f"{name}:{first_row_number}",
        )
    return col


def _salience_scale(actor_list, uncertainty, meta, salience_scale) -> str:
    """The declared salience scale, else 0-1 when every salience lies in [0, 1]; distributions follow it."""
    declared = salience_scale or meta.get("salience_scale")
    sal_values = [s for a in actor_list for s in a["saliences"].values() if math.isfinite(s)]
    if declared is None:
        declared = "0-1" if sal_values and max(sal_values) <= 1.0 else "0-100"

    if uncertainty:
        factor = 100.0 if str(declared).strip().replace(" ", "") in ("0-1", "1", "0..1") else 1.0
        for u in uncertainty:
            if factor != 1.0 and ".salience." in u["path"]:
                u.update({k: v * factor for k, v in u.items() if k in ("low", "high", "mode", "mean", "sd")})
    return declared


def _issue_data(issues: list[str], actor_list, uncertainty, meta, name: str, problems: list[Problem],
                notes: list[str]):  # fmt: skip
    """The issues: scales from ``# scale`` lines, else the range of the positions given (each
    such assumption is said in ``notes``: ``validate`` and ``forecast`` print them)."""
    issue_data = []
    scale = _parse_scale(meta["scale"]) if meta.get("scale") else None
    if meta.get("scale") and scale is None:
        problems.append(Problem(f"{name}: # scale", f"scale {meta['scale']!r} is not of the form MIN-MAX"))
    if meta.get("issues"):
        # '# issues: a, b, c' fixes the order (and may declare issues no row uses)
        declared_ids = [_issue_id(t) for t in meta["issues"].split(",") if t.strip()]
        issues = declared_ids + [i for i in issues if i not in declared_ids]
    for iid in issues:
        pos = [a["positions"][iid] for a in actor_list if iid in a["positions"] and math.isfinite(a["positions"][iid])]
        # the inferred scale also covers the ranges of position distributions
        pos += [u[k] for u in uncertainty if u["path"].endswith(f".position.{iid}") for k in ("low", "high") if k in u]
        if scale is not None:
            lo, hi = scale
        elif pos:
            lo, hi = min(pos), max(pos)
            if hi <= lo:
                lo, hi = lo - 1.0, hi + 1.0
        else:
            lo, hi = 0.0, 100.0
        item: dict[str, Any] = {"id": iid, "label": meta.get("label", iid) if len(issues) == 1 else iid, "min": lo, "max": hi}
        if meta.get("status_quo") and len(issues) == 1:
            sq = parse_number(meta["status_quo"])
            if sq is None:
                problems.append(Problem(f"{name}: # status_quo", f"status_quo {meta['status_quo']!r} is not a number"))
            else:
                item["status_quo"] = sq
        _issue_meta(item, iid, meta, name, problems)
        if scale is None and f"scale.{iid}" not in meta and pos:
            key = "scale" if len(issues) == 1 else f"scale.{iid}"
            notes.append(f"{name}: no '# {key}:' line: issue {iid!r} takes the range of its positions, "
                         f"{item['min']:g}-{item['max']:g}, as its scale (set it with '# {key}: MIN-MAX')")
        issue_data.append(item)
    return issue_data


def _flat_locator(where: dict[tuple, str], issue_data: list[dict[str, Any]], meta: dict[str, str], name: str):
    def locate(path: tuple) -> str:
        loc = actor_location(where, path)
        if loc is not None:
            return loc
        if path and path[0] == "actors" and len(path) == 1:
            return f"{name}"
        if path and path[0] == "issues":
            # an issue comes from the '# key: value' lines: name the line that sets the field
            k = path[1] if len(path) > 1 and isinstance(path[1], int) else None
            if k is not None and k < len(issue_data):
                iid = issue_data[k]["id"]
                field = str(path[2]) if len(path) > 2 else ""
                key = {"min": "scale", "max": "scale", "points": "scale"}.get(field, field)
                for cand in (f"{key}.{iid}", key if len(issue_data) == 1 else None):
                    if cand and cand in meta:
                        return f"{name}: # {cand}"
                return f"{name}: issue {iid!r}" + (f" ({field})" if field else "")
            return f"{name}:{'.'.join(map(str, path))}"
        return name

    return locate


def bounded_rows(rows, name: str, first_row_number: int) -> list[list[Any]]:
    """The rows of a table (header first), refused as soon as they pass a cap: more distinct
    actors than :data:`MAX_ACTORS`, more rows than actors x issues allow, or a cell longer
    than :data:`MAX_TEXT`.  ``rows`` may be an iterator (a CSV reader): a 200,000-actor file
    stops at its 1,001st actor instead of being read whole."""
    it = iter(rows)
    header = next(it, None)
    if header is None:
        return []
    col = _columns([header], name, first_row_number)
    j = col["actor"]
    out = [header]
    names: set[str] = set()
    for k, r in enumerate(it, start=1):
        where = f"{name}:{first_row_number + k}"
        if k > MAX_ACTORS * MAX_ISSUES:
            raise ScenarioError(f"more than {MAX_ACTORS * MAX_ISSUES:,} rows: the limit is {MAX_ACTORS * MAX_ISSUES:,}", where)
        for c in r:
            if isinstance(c, str) and len(c) > MAX_TEXT:
                raise ScenarioError(f"a cell of {len(c):,} characters: the limit is {MAX_TEXT:,}", where)
        if j < len(r) and r[j] is not None and str(r[j]).strip():
            names.add(str(r[j]).strip())
            if len(names) > MAX_ACTORS:
                raise ScenarioError(f"more than {MAX_ACTORS:,} actors: the limit is {MAX_ACTORS:,}", where)
        out.append(r)
    return out


def rows_to_data(
    rows: list[list[Any]],
    name: str,
    meta: dict[str, str],
    first_row_number: int,
    *,
    default_title: str | None = None,
    salience_scale: str | None = None,
):
    """Turn table rows (header first) into scenario data, a locator and problems.

    ``first_row_number`` is the 1-based row number of the header in the file.  The header
    (:func:`_columns`), each row (:meth:`_FlatRows.read_row`), the salience scale and the
    issues are read by functions of their own.
    """
    if not rows:
        raise ScenarioError("no header row: the table is empty", name)
    bounded_rows(rows, name, first_row_number)  # tables read whole (Excel sheets) are checked too
    fr = _FlatRows(rows, name, meta, first_row_number)
    body = [(first_row_number + 1 + i, r) for i, r in enumerate(rows[1:])]
    for rownum, r in body:
        if any(str(c).strip() for c in r if c is not None):
            fr.read_row(rownum, r)
    actor_list = fr.actor_list()
    problems, uncertainty = fr.problems, fr.uncertainty
    declared = _salience_scale(actor_list, uncertainty, meta, salience_scale)
    notes: list[str] = []
    issue_data = _issue_data(fr.issues, actor_list, uncertainty, meta, name, problems, notes)
    data: dict[str, Any] = {
        "title": meta.get("title") or default_title or Path(name).stem,
        "issues": issue_data,
        "actors": actor_list,
        "salience_scale": declared,
    }
    for key in ("description", "as_of"):
        if meta.get(key):
            data[key] = meta[key]
    if uncertainty:
        data["uncertainty"] = uncertainty
    if notes:
        data[LOAD_NOTES] = notes  # build_scenario keeps them on the scenario (Scenario.load_notes)
    return data, _flat_locator(fr.where, issue_data, meta, name), problems


_EXPECTED = {
    "capability": "a number greater than 0",
    "position": "a number on the issue's scale",
    "salience": "a number in 0-100 (or 0-1)",
}


def _issue_meta(item: dict[str, Any], iid: str, meta: dict[str, str], name: str, problems: list[Problem]) -> None:
    """Apply ``# scale.<iid>``, ``# label.<iid>``, ``# status_quo.<iid>``, ``# description.<iid>``."""
    if f"label.{iid}" in meta:
        item["label"] = meta[f"label.{iid}"]
    if f"description.{iid}" in meta:
        item["description"] = meta[f"description.{iid}"]
    if f"scale.{iid}" in meta:
        sc = _parse_scale(meta[f"scale.{iid}"])
        if sc is None:
            problems.append(
                Problem(f"{name}: # scale.{iid}", f"scale {meta[f'scale.{iid}']!r} is not of the form MIN-MAX")
            )
        else:
            item["min"], item["max"] = sc
    if f"status_quo.{iid}" in meta:
        sq = parse_number(meta[f"status_quo.{iid}"])
        if sq is None:
            problems.append(
                Problem(
                    f"{name}: # status_quo.{iid}",
                    f"status_quo {meta[f'status_quo.{iid}']!r} is not a number",
                )
            )
        else:
            item["status_quo"] = sq


def _meta_value(value: str) -> str:
    value = value.strip()
    if len(value) >= 2 and value[0] == value[-1] == '"':
        try:  # a JSON string (the writer quotes values with line breaks)
            decoded = json.loads(value)
            if isinstance(decoded, str):
                return decoded
        except json.JSONDecodeError:
            pass
    return value


def split_meta(lines: list[str]) -> tuple[dict[str, str], int]:
    """Read leading ``# key: value`` comment lines; return (meta, index of first data line).

    Keys are case-insensitive except for the issue id of per-issue keys
    (``# scale.<issue id>: MIN-MAX``, ``label.``, ``status_quo.``, ``description.``).
    """
    meta: dict[str, str] = {}
    i = 0
    while i < len(lines) and (lines[i].lstrip().startswith("#") or not lines[i].strip()):
        text = lines[i].lstrip()[1:].strip() if lines[i].strip() else ""
        key, sep, value = text.partition(":")
        head, dot, iid = key.strip().partition(".")
        key = head.strip().lower().replace("-", "_").replace(" ", "_")
        if sep and dot and key in ISSUE_META_KEYS and iid.strip():
            meta[f"{key}.{iid.strip()}"] = _meta_value(value)
        elif sep and not dot and key in META_KEYS:
            meta[key] = _meta_value(value)
        i += 1
    return meta, i
