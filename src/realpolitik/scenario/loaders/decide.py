"""The Decide exchange model's ``#A/#P/#M/#D`` format (tab-separated text).

Source: the ``decide-exchange-model`` package (foarsitter/decide-exchange-model,
``decide/data/reader.py`` and ``types.py``); layout in
``tests/data/anchors/decide/MODEL.md`` section 7.  Each line starts with a record key:

==========  ===========================================================
``#A``      actor: id, full name [, comment]
``#P``      issue: id [, label [, description]]
``#M``      a point on an issue's scale: issue, value [, meaning]
``#D``      actor-issue: actor, issue, position, salience (0-1), power [, comment]
``#O``      title (a second ``#O`` line adds description)
``#/``      comment
==========  ===========================================================

Two variants exist: every string in single quotes (``'#A'<TAB>'USA'...``, Decide's own
save format, e.g. ``sample_data.txt``) and bare fields (``#A<TAB>USA...``).  Both are read.
Tabs are the delimiter; semicolons are accepted when a file uses no tabs.

Mapping to a :class:`~realpolitik.scenario.model.Scenario`:

* ``#P`` -> issues; the scale runs from the smallest to the largest ``#M`` value (Decide's
  default 0-100 without ``#M`` rows); ``#M`` rows with a meaning become labelled points.
* ``#A`` -> actors (ids that are not valid realpolitik ids are slugged; the name keeps
  the original text).
* ``#D`` -> per-issue position and salience (0-1 in the file, stored 0-100 by an exact
  decimal shift, so ``0.57`` becomes ``57`` and not ``56.99999999999999``); power ->
  ``capability`` (the power on the actor's first ``#D`` row) and ``capability_by_issue``
  where it differs.  An actor without a ``#D`` row on an issue does not take part in it.
* ``extensions["decide"]["row_order"]`` keeps, per issue, the actors in ``#D`` row order
  (Decide sums in that order; the exchange model's ``decide`` mode follows it).

Decide silently drops or mis-reads several kinds of bad row; here each is an error with
its place (``file:line:field``): negative or zero salience, salience above 1, negative or
zero power, unknown actor or issue, a position outside the issue's scale, ``#M`` points not
in ascending order, a duplicate ``#D`` row, and any line that is not a Decide record (for
example a free-text comment at the top: Decide comments start with ``#/``).
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from realpolitik.errors import Problem, ScenarioError
from realpolitik.scenario.build import actor_location
from realpolitik.scenario.io import Format, decode_text, register_loader
from realpolitik.scenario.model import ID_PATTERN

KEYS = ("#A", "#P", "#M", "#D", "#O", "#/")
_MARKER = re.compile(r"""^\s*'?#[APMDO/]'?\s*[\t;]""")
_ID_RE = re.compile(ID_PATTERN)

# fields after the key: (names, number of required fields)
LAYOUT = {
    "#A": (("id", "name", "comment"), 1),
    "#P": (("id", "label", "description"), 1),
    "#M": (("issue", "value", "meaning"), 2),
    "#D": (("actor", "issue", "position", "salience", "power", "comment"), 5),
}


def sniff_decide(raw: bytes) -> bool:
    """True when one of the first lines is a Decide record (``#A``/``'#A'`` + delimiter)."""
    head = raw[:16384].decode("utf-8", errors="replace").splitlines()[:60]
    return any(_MARKER.match(line) for line in head)


def _delimiter(lines: list[str]) -> str:
    for line in lines:
        if _MARKER.match(line):
            return "\t" if "\t" in line else ";"
    return "\t"


def _split(line: str, delim: str) -> list[str]:
    out = []
    for f in line.rstrip("\r\n").split(delim):
        f = f.strip()
        if len(f) >= 2 and f[0] == "'" and f[-1] == "'":
            f = f[1:-1]
        out.append(f)
    # a trailing delimiter (``#M;issue;0;``) is not a field
    while len(out) > 1 and out[-1] == "":
        out.pop()
    return out


def _slug(text: str) -> str:
    if _ID_RE.match(text) and len(text) <= 80:
        return text
    s = re.sub(r"[^A-Za-z0-9_.\- ]+", " ", text).strip()
    s = re.sub(r"\s+", "_", s)[:80]
    return s or "x"


def _number(text: str) -> Decimal | None:
    try:
        d = Decimal(text.strip())
    except (InvalidOperation, ValueError):
        return None
    return d if d.is_finite() else None


class _DecideReader:
    """Reads a Decide file record by record: one method per record type (#A, #P, #M, #D), then
    the cross-checks and the scenario data.  Problems are collected, located by line and field."""

    def __init__(self, name: str):
        self.name = name
        self.problems: list[Problem] = []
        self.titles: list[str] = []
        self.actors: dict[str, dict[str, Any]] = {}  # original id -> record
        self.issues: dict[str, dict[str, Any]] = {}
        self.points: dict[str, list[tuple[Decimal, str, int]]] = {}
        self.rows: list[dict[str, Any]] = []
        self.scales: dict[str, tuple[Decimal, Decimal]] = {}
        self.where: dict[tuple, str] = {}

    def bad(self, line_no: int, field: str, msg: str) -> None:
        self.problems.append(Problem(f"{self.name}:{line_no}:{field}" if field else f"{self.name}:{line_no}", msg))

    # ------------------------------------------------------------ records
    def read_line(self, k: int, f: list[str], line: str) -> None:
        key = f[0].upper()
        if key not in KEYS:
            shown = line.strip()[:40]
            hint = " (Decide comments start with #/)" if shown.startswith("#") or k == 1 else ""
            self.bad(k, "", f"not a Decide record: {shown!r}; expected a line starting with "
                            f"#A, #P, #M, #D, #O or #/{hint}")
            return
        if key == "#/":
            return
        if key == "#O":
            if len(f) > 1 and f[1]:
                self.titles.append(" ".join(x for x in f[1:] if x))
            return
        names, required = LAYOUT[key]
        vals = f[1:]
        if len(vals) < required or any(not vals[j] for j in range(required)):
            need = ", ".join(names[:required])
            missing = names[len(vals)] if len(vals) < required else names[next(j for j in range(required) if not vals[j])]
            self.bad(k, missing, f"{key} row needs {required} field(s) ({need}); {missing} is missing or empty")
            return
        {"#A": self.read_actor, "#P": self.read_issue, "#M": self.read_point, "#D": self.read_row}[key](k, vals)

    def read_actor(self, k: int, vals: list[str]) -> None:
        """``#A id name comment``."""
        aid = vals[0]
        if aid in self.actors:
            self.bad(k, "id", f"duplicate actor id {aid!r} (first on line {self.actors[aid]['line']})")
            return
        self.actors[aid] = {"line": k, "name": vals[1] if len(vals) > 1 and vals[1] else aid,
                            "comment": " ".join(vals[2:]).strip()}

    def read_issue(self, k: int, vals: list[str]) -> None:
        """``#P id label description``."""
        iid = vals[0]
        if iid in self.issues:
            self.bad(k, "id", f"duplicate issue id {iid!r} (first on line {self.issues[iid]['line']})")
            return
        label = vals[1] if len(vals) > 1 else ""
        desc = " ".join(vals[2:]).strip()
        self.issues[iid] = {"line": k, "label": label, "description": desc if desc and desc != label else None}

    def read_point(self, k: int, vals: list[str]) -> None:
        """``#M issue value label``: a point of an issue's scale."""
        v = _number(vals[1])
        if v is None:
            self.bad(k, "value", f"scale point {vals[1]!r} is not a number")
            return
        self.points.setdefault(vals[0], []).append((v, " ".join(vals[2:]).strip(), k))

    def read_row(self, k: int, vals: list[str]) -> None:
        """``#D actor issue position salience power``."""
        row: dict[str, Any] = {"line": k, "actor": vals[0], "issue": vals[1]}
        ok = True
        for fld, txt in zip(("position", "salience", "power"), vals[2:5]):
            v = _number(txt)
            if v is None:
                self.bad(k, fld, f"{fld} {txt!r} is not a number")
                ok = False
            row[fld] = v
        s, c = row["salience"], row["power"]
        if s is not None:
            if s < 0:
                self.bad(k, "salience", f"salience {s} is negative; expected 0 < salience <= 1")
                ok = False
            elif s == 0:
                self.bad(k, "salience", "salience is 0; Decide drops such rows - give a salience in (0, 1] "
                                        "or remove the row")
                ok = False
            elif s > 1:
                self.bad(k, "salience", f"salience {s} is above 1; Decide saliences lie in (0, 1]")
                ok = False
        if c is not None and c <= 0:
            self.bad(k, "power", f"power {c} must be greater than 0")
            ok = False
        row["ok"] = ok
        self.rows.append(row)

    # ------------------------------------------------------------ cross checks
    def check_scales(self) -> None:
        """Each issue's scale from its #M points (ascending, at least two); 0-100 without any."""
        for iid, pts in self.points.items():
            if iid not in self.issues:
                for _, _, k in pts:
                    self.bad(k, "issue", f"scale point for unknown issue {iid!r} (no #P row)")
                continue
            for (a, _, _), (b, _, kb) in zip(pts, pts[1:]):
                if b <= a:
                    self.bad(kb, "value", f"scale points of {iid!r} must be ascending: {b} follows {a}")
            vals = [p[0] for p in pts]
            if len(vals) < 2 or max(vals) == min(vals):
                self.bad(pts[0][2], "value", f"issue {iid!r} needs at least two different #M scale points "
                                             f"(the lowest and the highest position)")
                continue
            self.scales[iid] = (min(vals), max(vals))
        for iid in self.issues:
            self.scales.setdefault(iid, (Decimal(0), Decimal(100)))

    def check_rows(self) -> None:
        """#D rows name known actors and issues, once each, with positions on the scale."""
        seen: dict[tuple[str, str], int] = {}
        for row in self.rows:
            k = row["line"]
            if row["actor"] not in self.actors:
                self.bad(k, "actor", f"unknown actor {row['actor']!r} (no #A row)")
                row["ok"] = False
            if row["issue"] not in self.issues:
                self.bad(k, "issue", f"unknown issue {row['issue']!r} (no #P row)")
                row["ok"] = False
            key2 = (row["actor"], row["issue"])
            if key2 in seen:
                self.bad(k, "actor", f"duplicate #D row for actor {row['actor']!r} on issue {row['issue']!r} "
                                     f"(first on line {seen[key2]})")
                row["ok"] = False
            else:
                seen[key2] = k
            x = row["position"]
            if x is not None and row["issue"] in self.scales:
                lo, hi = self.scales[row["issue"]]
                if not lo <= x <= hi:
                    self.bad(k, "position", f"position {x} lies outside the scale of {row['issue']!r} "
                                            f"[{lo}, {hi}]")
                    row["ok"] = False

    # ------------------------------------------------------------ data
    def issue_data(self, iids: dict[str, str]) -> list[dict[str, Any]]:
        out = []
        for iid, rec in self.issues.items():
            lo, hi = self.scales[iid]
            item: dict[str, Any] = {"id": iids[iid], "label": rec["label"] or iid, "min": float(lo), "max": float(hi)}
            if rec["description"]:
                item["description"] = rec["description"]
            labelled = [{"value": float(v), "label": lab} for v, lab, _ in self.points.get(iid, []) if lab]
            if labelled and iid in self.scales and all(b["value"] > a["value"] for a, b in zip(labelled, labelled[1:])):
                item["points"] = labelled
            out.append(item)
        return out

    def actor_data(self, aids: dict[str, str], iids: dict[str, str]) -> tuple[list[dict[str, Any]], dict[str, list[str]]]:
        """The actors with their #D values, and each issue's actors in #D row order."""
        name, where = self.name, self.where
        actor_data = []
        row_order: dict[str, list[str]] = {iids[i]: [] for i in self.issues}
        by_actor: dict[str, list[dict[str, Any]]] = {a: [] for a in self.actors}
        for row in self.rows:
            if row["ok"]:
                by_actor[row["actor"]].append(row)
                row_order[iids[row["issue"]]].append(aids[row["actor"]])
        for aid, rec in self.actors.items():
            mine = by_actor[aid]
            if not mine:
                if not any(r["actor"] == aid for r in self.rows):
                    self.bad(rec["line"], "id", f"actor {aid!r} has no #D row (takes part in no issue)")
                continue
            cap = mine[0]["power"]
            a: dict[str, Any] = {
                "id": aids[aid],
                "name": rec["name"],
                "capability": float(cap),
                "positions": {iids[r["issue"]]: float(r["position"]) for r in mine},
                "saliences": {iids[r["issue"]]: float(r["salience"] * 100) for r in mine},
            }
            by_issue = {iids[r["issue"]]: float(r["power"]) for r in mine if r["power"] != cap}
            if by_issue:
                a["capability_by_issue"] = by_issue
            if rec["comment"]:
                a["description"] = rec["comment"]
            k = len(actor_data)
            where[(k,)] = f"{name}:{rec['line']}"
            where[(k, "id")] = f"{name}:{rec['line']}:id"
            where[(k, "capability")] = f"{name}:{mine[0]['line']}:power"
            for r in mine:
                i2 = iids[r["issue"]]
                where[(k, "positions", i2)] = f"{name}:{r['line']}:position"
                where[(k, "saliences", i2)] = f"{name}:{r['line']}:salience"
                where[(k, "capability_by_issue", i2)] = f"{name}:{r['line']}:power"
            actor_data.append(a)
        return actor_data, row_order

    def locator(self, iids: dict[str, str]):
        name, where = self.name, self.where
        issue_line = {iids[i]: r["line"] for i, r in self.issues.items()}
        issue_index = {k: iids[i] for k, i in enumerate(self.issues)}

        def locate(path: tuple) -> str:
            loc = actor_location(where, path)
            if loc is not None:
                return loc
            if len(path) >= 2 and path[0] == "issues" and path[1] in issue_index:
                return f"{name}:{issue_line[issue_index[path[1]]]}"
            return f"{name}:{'.'.join(map(str, path))}" if path else name

        return locate


def _unique_ids(originals: list[str]) -> dict[str, str]:
    """Ids made from Decide's names (slugs), numbered where two names make the same slug."""
    out: dict[str, str] = {}
    used: set[str] = set()
    for o in originals:
        s = base = _slug(o)
        n = 2
        while s in used:
            s = f"{base}_{n}"
            n += 1
        used.add(s)
        out[o] = s
    return out


def load_decide(raw: bytes, name: str, **_: Any):
    """Read a Decide file into scenario data, a locator and the problems found."""
    if not sniff_decide(raw):
        # not a Decide file at all: one message, not one per line
        raise ScenarioError(
            "not a Decide exchange-model file: no #A/#P/#M/#D record in the first 60 lines",
            name,
        )
    text = decode_text(raw, name)
    lines = text.splitlines()
    delim = _delimiter(lines)
    rd = _DecideReader(name)
    for k, line in enumerate(lines, start=1):
        if line.strip():
            rd.read_line(k, _split(line, delim), line)
    rd.check_scales()
    rd.check_rows()
    aids = _unique_ids(list(rd.actors))
    iids = _unique_ids(list(rd.issues))
    issue_data = rd.issue_data(iids)
    actor_data, row_order = rd.actor_data(aids, iids)
    if not rd.actors and not rd.issues and not rd.rows and not rd.problems:
        raise ScenarioError("no Decide records (#A, #P, #D) in the file", name)
    if not rd.issues and not rd.problems:
        rd.problems.append(Problem(name, "no issues: a Decide file needs #P rows"))
    data: dict[str, Any] = {
        "title": rd.titles[0] if rd.titles else Path(name).stem,
        "issues": issue_data,
        "actors": actor_data,
        "extensions": {"decide": {"row_order": row_order}},
    }
    if len(rd.titles) > 1:
        data["description"] = "\n".join(rd.titles[1:])
    return data, rd.locator(iids), rd.problems  # build_scenario reports them in line order


register_loader(
    Format(
        "decide",
        ("csv", "txt", "decide"),
        load_decide,
        sniff=sniff_decide,
        description="Decide exchange-model file: tab-separated #A/#P/#M/#D records",
    )
)


# ------------------------------------------------------------------ writer
def _num(v: float) -> str:
    d = Decimal(repr(float(v)))
    s = format(d.normalize(), "f")
    return s if s not in ("-0",) else "0"


def _field(text: str) -> str:
    return re.sub(r"[\t\r\n]+", " ", str(text)).strip()


def to_decide(scenario, lossy: bool = False, **_: object) -> bytes:
    """Write a scenario as a Decide file (bare tab-separated fields).

    Saliences are written on 0-1 (an exact decimal shift of the stored 0-100 value);
    power is the actor's capability on each issue.  Decide cannot hold events, sources,
    groups, parents, notes, a status quo or the as-of date: unless ``lossy`` is true,
    a scenario with any of these raises a ScenarioError naming what would be lost.
    """
    lost = []
    if scenario.events:
        lost.append(f"{len(scenario.events)} event(s)")
    if scenario.sources:
        lost.append(f"{len(scenario.sources)} source(s)")
    if scenario.as_of is not None:
        lost.append("the as-of date")
    if any(i.status_quo is not None for i in scenario.issues):
        lost.append("status quo points")
    if any(a.group or a.parent for a in scenario.actors):
        lost.append("actor groups/parents")
    if any(a.notes for a in scenario.actors):
        lost.append("actor notes")
    if any(a.description for a in scenario.actors if a.description and "\n" in a.description):
        lost.append("multi-line actor descriptions")
    other = sorted(k for k in scenario.extensions if k != "decide")
    if other:
        lost.append(f"extension section(s) {', '.join(other)}")
    if lost and not lossy:
        raise ScenarioError(
            f"the Decide format cannot hold {', '.join(lost)}; use --lossy to drop them", "convert"
        )
    out = [f"#O\t{_field(scenario.title)}"]
    for line in (scenario.description or "").splitlines():
        if line.strip():
            out.append(f"#O\t{_field(line)}")
    for a in scenario.actors:
        row = f"#A\t{a.id}\t{_field(a.name or a.id)}"
        if a.description:
            row += f"\t{_field(a.description)}"
        out.append(row)
    for i in scenario.issues:
        row = f"#P\t{i.id}\t{_field(i.label or i.id)}"
        if i.description:
            row += f"\t{_field(i.description)}"
        out.append(row)
        pts = [(i.min, "")] + [(p.value, _field(p.label) or _num(p.value)) for p in i.points] + [(i.max, "")]
        merged: list[tuple[float, str]] = []
        for v, lab in pts:
            if merged and merged[-1][0] == v:
                merged[-1] = (v, merged[-1][1] or lab)
            else:
                merged.append((v, lab))
        for v, lab in merged:
            out.append(f"#M\t{i.id}\t{_num(v)}" + (f"\t{lab}" if lab else ""))
    order = (scenario.extensions.get("decide") or {}).get("row_order") or {}
    for i in scenario.issues:
        ids = [x for x in order.get(i.id, []) if x in scenario.actor_ids]
        ids += [a.id for a in scenario.actors if a.id not in ids]
        for aid in ids:
            a = scenario.actor(aid)
            if i.id not in a.positions:
                continue
            s = Decimal(repr(float(a.saliences[i.id]))) / 100
            out.append(
                f"#D\t{a.id}\t{i.id}\t{_num(a.positions[i.id])}\t{format(s.normalize(), 'f')}"
                f"\t{_num(a.capability_on(i.id))}"
            )
    return ("\n".join(out) + "\n").encode()
