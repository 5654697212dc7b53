"""The flat table analysts use for BDM-style data (CSV here; Excel reuses :func:`._flat.rows_to_data`).

Layouts
-------
* one row per actor: ``Actor, Capability, Position, Salience`` (one issue), or
* one row per actor and issue, with an ``Issue`` column.

Accepted column names (case-insensitive): actor = Actor/Stakeholder/Name/Player;
capability = Capability/Resources/Clout/Power/Influence/c; position = Position/x;
salience = Salience/s; optional Issue, Group, Parent, Description, Notes, Id (the
actor id when it is not the Actor cell made into an id), Full name (the display name;
with this column the Actor cell is the id).

Metadata may precede the header as comment lines ``# key: value`` with keys
``title``, ``description``, ``as_of``, ``issue`` (id of a single issue),
``label``, ``scale`` (``MIN-MAX`` or ``MIN..MAX``), ``status_quo``,
``salience_scale`` (``0-100`` or ``0-1``), ``issues`` (comma-separated issue ids, fixing
their order), and per issue ``scale.<issue>``, ``label.<issue>``, ``status_quo.<issue>``,
``description.<issue>`` (e.g. ``# scale.settlement: 0-100``).  A value in double quotes
is a JSON string (for line breaks).  Without a scale an issue's scale is the range of
the positions given; without ``salience_scale`` saliences all in [0, 1] are read as 0-1
(docs/DECISIONS.md, "salience scale of flat tables").

:func:`to_csv` writes this format (one row per actor and issue) and refuses, unless
``lossy=True``, a scenario with content the table cannot hold (events, sources,
notes, labelled points ...).
"""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from realpolitik.errors import ScenarioError
from realpolitik.scenario.io import Format, decode_text, register_loader
from realpolitik.scenario.loaders._flat import _slug, bounded_rows, rows_to_data, split_meta

def _check_delimiter(header: str, name: str, row: int) -> None:
    if "," in header:
        return
    for delim, label in ((";", "semicolons"), ("\t", "tabs"), ("|", "pipes")):
        if delim in header:
            raise ScenarioError(
                f"wrong delimiter: the header is separated by {label}, expected commas "
                "(save as 'CSV UTF-8 (comma delimited)')",
                f"{name}:{row}",
            )


def sniff_table(raw: bytes) -> bool:
    return True  # the fallback for .csv; more specific CSV formats sniff first


def load_table_csv(raw: bytes, name: str, salience_scale: str | None = None, **_: Any):
    text = decode_text(raw, name)
    lines = text.splitlines()
    meta, start = split_meta(lines)
    if start >= len(lines):
        raise ScenarioError("file has no header row (only comments or blank lines)", name)
    _check_delimiter(lines[start], name, start + 1)
    try:
        rows = bounded_rows(csv.reader(io.StringIO("\n".join(lines[start:]))), name, start + 1)
    except csv.Error as exc:
        raise ScenarioError(f"malformed CSV: {exc}", name) from None
    # trailing empty cells (a final comma) are not columns
    rows = [r[:-1] if r and r[-1].strip() == "" and len(r) > 1 else r for r in rows]
    return rows_to_data(rows, name, meta, start + 1, salience_scale=salience_scale)


register_loader(
    Format(
        "csv",
        ("csv",),
        load_table_csv,
        sniff=None,
        description="flat BDM-style table: Actor, Capability, Position, Salience [, Issue]",
    )
)


# ------------------------------------------------------------------ writing
def _num(v: float) -> str:
    """The shortest text that reads back as exactly ``v``."""
    v = float(v)
    return str(int(v)) if v.is_integer() and abs(v) < 1e15 else repr(v)


def _meta_text(v: str) -> str:
    v = str(v)
    return json.dumps(v, ensure_ascii=False) if ("\n" in v or "\r" in v or v != v.strip() or v.startswith('"')) else v


def _scale_text(lo: float, hi: float) -> str:
    a, b = _num(lo), _num(hi)
    return f"{a}-{b}" if lo >= 0 and "e" not in a + b else f"{a}..{b}"


#: the distribution columns, in the order the writer gives them (``Position_low`` ...)
_DIST_KEYS = {"uniform": ("low", "high"), "triangular": ("low", "mode", "high"), "normal": ("mean", "sd")}


def _distribution_columns(scenario) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    """The scenario's distributions by path, and the ``(field, key)`` columns that hold them."""
    dists = {u.path: u for u in scenario.uncertainty}  # an UncertainValue is its distribution
    used: dict[str, set[str]] = {}
    for u in scenario.uncertainty:
        used.setdefault(u.field, set()).update(_DIST_KEYS[u.dist])
    order = ("low", "mode", "high", "mean", "sd")
    # fields in the order their distributions come (the reader keeps the columns' order, and
    # the order of the distributions is part of the scenario: it orders the Monte Carlo draws)
    cols = [(f, k) for f in used for k in order if k in used[f]]
    return dists, cols


def to_csv(scenario, lossy: bool = False, **_: object) -> bytes:
    """The scenario as a flat long table with ``# key: value`` metadata lines.

    Raises :class:`ScenarioError` naming what the table cannot hold (events, sources,
    notes, labelled points, per-issue capabilities it cannot express ...) unless
    ``lossy=True``: the written table is read back and compared with the scenario.
    """
    out = io.StringIO()
    meta: list[tuple[str, str]] = [("title", scenario.title)]
    if scenario.as_of is not None:
        meta.append(("as_of", scenario.as_of.isoformat()))
    if scenario.description:
        meta.append(("description", scenario.description))
    meta.append(("salience_scale", "0-100"))
    meta.append(("issues", ", ".join(scenario.issue_ids)))
    for i in scenario.issues:
        meta.append((f"scale.{i.id}", _scale_text(i.min, i.max)))
        meta.append((f"label.{i.id}", i.label))
        if i.status_quo is not None:
            meta.append((f"status_quo.{i.id}", _num(i.status_quo)))
        if i.description:
            meta.append((f"description.{i.id}", i.description))
    for key, value in meta:
        out.write(f"# {key}: {_meta_text(value)}".rstrip() + "\n")

    actors = scenario.actors
    need_id = any(a.id != _slug(a.id) for a in actors)
    need_name = any(a.name for a in actors)
    cols = ["Actor"] + (["Full name"] if need_name else []) + ["Issue", "Capability", "Position", "Salience"]
    extra = [c for c, f in (("Group", "group"), ("Parent", "parent"), ("Description", "description"))
             if any(getattr(a, f) for a in actors)]
    cols += extra + (["Id"] if need_id else [])
    dists, dcols = _distribution_columns(scenario)
    cols += [f"{field.capitalize()}_{key}" for field, key in dcols]
    w = csv.writer(out, lineterminator="\n")
    w.writerow(cols)
    for a in actors:
        first = True
        for iid in scenario.issue_ids:
            if iid not in a.positions:
                continue
            row = [a.id] + ([a.name] if need_name else [])
            row += [iid, _num(a.capability_on(iid)), _num(a.positions[iid]), _num(a.saliences[iid])]
            for c in extra:
                v = getattr(a, c.lower())
                row.append(v if (v and (first or c != "Description")) else "")
            if need_id:
                row.append(a.id)
            for field, key in dcols:
                # an actor-wide capability range on the actor's first row (the reader takes it so)
                d = dists.get(f"{a.id}.{field}.{iid}") or (dists.get(f"{a.id}.{field}") if first else None)
                v = None if d is None else getattr(d, key)
                row.append("" if v is None else _num(v))
            w.writerow(row)
            first = False
    content = out.getvalue().encode()
    if not lossy:
        from realpolitik.scenario.fidelity import check_round_trip

        check_round_trip(scenario, content, "csv")
    return content
