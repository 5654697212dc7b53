"""KTAB's SMP scenario formats: the CSV of ``smpc --csv`` and the XML of ``smpc --xml``.

KTAB (KAPSARC Toolkit for Behavioral Analysis, ``KAPSARC/KTAB``, MIT licence) reads
spatial-model scenarios in two formats; both map onto a :class:`Scenario` with one
issue per KTAB dimension on the scale 0-100, capability = KTAB's Power/Influence,
saliences on 0-100 (KTAB requires their sum per actor to be at most 100).

CSV (``SMPModel::csvRead``)::

    NAME, DESCRIPTION, NUM_ACTORS, NUM_DIMS [, ignored ...]
    Actor, Description, Power, <dim> Position, <dim> Salience, ...
    A1, first actor, 100, 30, 24.0, 20, 48.0 [,]
    ...

The first line may carry extra trailing fields, rows may end in a comma, cells may be
padded with spaces and quoted.  A dimension's name is the header of its position
column; the issue id drops a trailing word "Position" (``"Policy Position"`` ->
``Policy``), the label keeps the full header.

XML (``SMPModel::xmlRead``, schema ``smpSchema.xsd``): ``name``, ``desc``,
``prngSeed``, optional ``ModelParameters`` (nine enumerations), ``Dimensions``,
``Actors`` (name, description, capability, Position/dCoord, Salience/dSal) and
optional ``IdealAdjustment`` (``iaPair``: adjustingIdeal, referencePos, adjust).
Model parameters, the ideal-adjustment (accommodation) matrix and the seed go into
``scenario.extensions["ktab"]``::

    {"name": ..., "prng_seed": int, "parameters": {"victory_prob_model": "Linear", ...},
     "ideal_adjustment": [[A_ij, ...], ...]}

The accommodation matrix starts as the identity and each ``iaPair`` sets one entry
``A[adjustingIdeal, referencePos]`` (docs/DECISIONS.md, "SMP (KTAB)").

Where KTAB's own reader would go on silently with wrong numbers (``atof`` of a
non-number is 0, rows beyond the declared count are ignored, a short row reads past
its end, an XML actor with fewer coordinates than dimensions, an ``iaPair`` naming an
unknown actor ...), these readers raise a :class:`ScenarioError` naming the place.
"""

from __future__ import annotations

import csv
import io
import math
import re
import xml.etree.ElementTree as ET
from typing import Any

from realpolitik.errors import Problem, ScenarioError
from realpolitik.scenario.build import actor_location
from realpolitik.scenario.io import Format, decode_text, register_loader

MIN_ACTORS = 3  # Model::minNumActor
MAX_ACTORS = 250  # Model::maxNumActor
MAX_NAME = 25  # KBase::maxActNameLen
MAX_DESC = 256  # KBase::maxActDescLen

#: KTAB's ModelParameters element -> our option name, with the allowed values.
KTAB_PARAMETERS: dict[str, tuple[str, tuple[str, ...]]] = {
    "VictoryProbModel": ("victory_prob_model", ("Linear", "Square", "Quartic", "Octic", "Binary")),
    "PCEModel": ("pce_model", ("Conditional", "MarkovIncentive", "MarkovUniform")),
    "StateTransitions": ("state_transitions", ("Deterministic", "Stochastic")),
    "VotingRule": ("voting_rule", ("Binary", "PropBin", "Proportional", "PropCbc", "Cubic", "ASymProsp")),
    "BigRAdjust": ("big_r_adjust", ("Full", "TwoThirds", "Half", "OneThird", "No")),
    "BigRRange": ("big_r_range", ("Min", "Mid", "Max")),
    "ThirdPartyCommit": ("third_party_commit", ("NoCommit", "SemiCommit", "FullCommit")),
    "InterVecBrgn": ("inter_vec_brgn", ("S1P1", "S2P2", "S2PMax")),
    "BargnModel": ("bargn_model", ("InitOnlyInterp", "InitRcvrInterp", "PWCompInterp")),
}
#: XML spellings that differ from KTAB's enum names used as our option values.
XML_VALUE_ALIASES = {"Proportional": "Prop", "No": "None"}


def _slug(text: str) -> str:
    s = re.sub(r"[^A-Za-z0-9_.\- ]+", "", str(text)).strip()
    s = re.sub(r"\s+", "_", s)
    s = s.lstrip(".-") or "x"
    return s


def dimension_id(header: str) -> str:
    """Issue id from a KTAB position-column header (``"Policy Position"`` -> ``Policy``)."""
    text = header.strip()
    m = re.match(r"^(.*?)[\s_]*position$", text, flags=re.IGNORECASE)
    if m and m.group(1).strip():
        text = m.group(1).strip()
    return _slug(text)


def _number(text: str) -> float | None:
    try:
        v = float(text.strip())
    except (ValueError, AttributeError):
        return None
    return v if math.isfinite(v) else None


def _unique_ids(raw_ids: list[str]) -> list[str]:
    out: list[str] = []
    seen: dict[str, int] = {}
    for r in raw_ids:
        base = r
        k = seen.get(base, 0)
        while (r if k == 0 else f"{base}_{k + 1}") in out:
            k += 1
        out.append(r if k == 0 else f"{base}_{k + 1}")
        seen[base] = k + 1
    return out


# ---------------------------------------------------------------------- CSV
def _csv_lines(text: str) -> list[tuple[int, list[str]]]:
    """Non-blank CSV records with their 1-based line numbers, cells stripped."""
    out = []
    for lineno, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            cells = next(csv.reader([line], skipinitialspace=True))
        except (csv.Error, StopIteration) as exc:
            raise ScenarioError(f"malformed CSV line: {exc}", f"<file>:{lineno}") from None
        out.append((lineno, [c.strip() for c in cells]))
    return out


def _drop_trailing_empty(cells: list[str]) -> list[str]:
    while cells and cells[-1] == "":
        cells = cells[:-1]
    return cells


def sniff_ktab_csv(raw: bytes) -> bool:
    """KTAB's CSV: the second non-blank line starts with ``Actor,Description``."""
    try:
        text = raw[:8192].decode("utf-8-sig", errors="replace")
    except Exception:  # pragma: no cover - decode with replace never fails
        return False
    lines = [ln for ln in text.splitlines() if ln.strip()]
    if len(lines) < 2:
        return False
    cells = [c.strip().strip('"').lower() for c in lines[1].split(",")]
    return len(cells) >= 2 and cells[0] == "actor" and cells[1] == "description"


def _title_line(record: tuple[int, list[str]], name: str) -> tuple[str, str, int, int]:
    """Line 1: name, description, number of actors, number of dimensions [, ignored]."""
    l1, first = record
    first = first + [""] * max(0, 4 - len(first))
    title = first[0] or "KTAB scenario"
    description = first[1]
    n_decl = _number(first[2])
    d_decl = _number(first[3])
    if n_decl is None or n_decl != int(n_decl) or n_decl < 1:
        raise ScenarioError(
            f"field 3 of the title line must be the number of actors (an integer), got {first[2]!r}",
            f"{name}:{l1}",
        )
    if d_decl is None or d_decl != int(d_decl) or d_decl < 1:
        raise ScenarioError(
            f"field 4 of the title line must be the number of dimensions (an integer >= 1), got {first[3]!r}",
            f"{name}:{l1}",
        )
    n_decl, d_decl = int(n_decl), int(d_decl)
    return title, description, n_decl, d_decl


def _header_line(record: tuple[int, list[str]], name: str, d_decl: int) -> list[str]:
    """Line 2: ``Actor, Description, Power``, then Position and Salience per dimension."""
    l2, header = record
    header = _drop_trailing_empty(header)
    want_cols = 3 + 2 * d_decl
    if len(header) < 3 or header[0].lower() != "actor" or header[1].lower() != "description":
        raise ScenarioError("the header line must start with 'Actor,Description,Power'", f"{name}:{l2}")
    if len(header) != want_cols:
        raise ScenarioError(
            f"the header has {len(header)} columns but the title line declares {d_decl} dimension(s), "
            f"which needs {want_cols} (Actor, Description, Power, then Position and Salience per dimension)",
            f"{name}:{l2}",
        )
    return header


def _actor_row(k: int, lineno: int, cells: list[str], header: list[str], issue_ids: list[str], name: str,
               problems: list[Problem], where: dict[tuple, str]) -> tuple[dict[str, Any], str]:
    """One actor row: the actor's data (placeholders where a cell is bad) and its raw name."""
    d_decl = len(issue_ids)
    want_cols = 3 + 2 * d_decl
    cells = _drop_trailing_empty(cells)
    if len(cells) != want_cols:
        problems.append(
            Problem(f"{name}:{lineno}", f"row has {len(cells)} fields, expected {want_cols} (as the header)")
        )
        cells = cells + [""] * max(0, want_cols - len(cells))
    aname, adesc = cells[0], cells[1]
    if not aname:
        problems.append(Problem(f"{name}:{lineno}:Actor", "actor name is empty"))
    elif len(aname) > MAX_NAME:
        problems.append(
            Problem(f"{name}:{lineno}:Actor", f"actor name {aname!r} is longer than KTAB's {MAX_NAME} characters")
        )
    if len(adesc) > MAX_DESC:
        problems.append(
            Problem(f"{name}:{lineno}:Description", f"description is longer than KTAB's {MAX_DESC} characters")
        )
    cap = _number(cells[2])
    if cap is None:
        problems.append(Problem(f"{name}:{lineno}:{header[2]}", f"capability {cells[2]!r} is not a number"))
    positions: dict[str, float] = {}
    saliences: dict[str, float] = {}
    total = 0.0
    for d, iid in enumerate(issue_ids):
        for kind, col, store in (("position", 3 + 2 * d, positions), ("salience", 4 + 2 * d, saliences)):
            v = _number(cells[col])
            loc = f"{name}:{lineno}:{header[col]}"
            if v is None:
                problems.append(
                    Problem(loc, f"{kind} is empty; expected a number" if not cells[col] else f"{kind} {cells[col]!r} is not a number")
                )
                continue
            if not 0.0 <= v <= 100.0:
                problems.append(Problem(loc, f"{kind} {v:g} lies outside KTAB's scale 0-100"))
                continue
            store[iid] = v
        total += saliences.get(iid, 0.0)
    if total > 100.0 + 1e-9:
        problems.append(
            Problem(
                f"{name}:{lineno}",
                f"saliences of {aname or 'actor'} sum to {total:g}; KTAB requires the sum over dimensions to be at most 100",
            )
        )
    a: dict[str, Any] = {
        "id": _slug(aname) if aname else f"actor_{k + 1}",
        "name": aname,
        "capability": cap if cap is not None else math.nan,
        "positions": positions if len(positions) == len(saliences) == d_decl else {issue_ids[0]: math.nan},
        "saliences": saliences if len(positions) == len(saliences) == d_decl else {issue_ids[0]: 0.0},
    }
    if adesc:
        a["description"] = adesc
    where[(k,)] = f"{name}:{lineno}"
    where[(k, "id")] = f"{name}:{lineno}:Actor"
    where[(k, "capability")] = f"{name}:{lineno}:{header[2]}"
    for d, iid in enumerate(issue_ids):
        where[(k, "positions", iid)] = f"{name}:{lineno}:{header[3 + 2 * d]}"
        where[(k, "saliences", iid)] = f"{name}:{lineno}:{header[4 + 2 * d]}"
    return a, aname


def load_ktab_csv(raw: bytes, name: str, **_: Any):
    """Read KTAB's SMP CSV (``smpc --csv``) into scenario data: the title line, the header line,
    then one row per actor."""
    text = decode_text(raw, name)
    try:
        records = _csv_lines(text)
    except ScenarioError as exc:
        raise ScenarioError([Problem(p.location.replace("<file>", name), p.message) for p in exc.problems]) from None
    if len(records) < 2:
        raise ScenarioError("a KTAB CSV needs a title line and an 'Actor,Description,...' header line", name)
    problems: list[Problem] = []
    title, description, n_decl, d_decl = _title_line(records[0], name)
    l1 = records[0][0]
    header = _header_line(records[1], name, d_decl)
    pos_headers = [header[3 + 2 * k] for k in range(d_decl)]
    sal_headers = [header[4 + 2 * k] for k in range(d_decl)]
    issue_ids = _unique_ids([dimension_id(h) for h in pos_headers])
    body = records[2:]
    if len(body) != n_decl:
        # KTAB reads exactly the declared number of rows: extra rows are ignored silently,
        # missing rows are read as garbage.
        problems.append(
            Problem(
                f"{name}:{l1}",
                f"the title line declares {n_decl} actors but the file has {len(body)} actor rows",
            )
        )
    if not MIN_ACTORS <= len(body) <= MAX_ACTORS:
        problems.append(
            Problem(name, f"KTAB's SMP needs {MIN_ACTORS} to {MAX_ACTORS} actors, found {len(body)}")
        )

    actors: list[dict[str, Any]] = []
    where: dict[tuple, str] = {}
    raw_names: list[str] = []
    for k, (lineno, cells) in enumerate(body):
        a, aname = _actor_row(k, lineno, cells, header, issue_ids, name, problems, where)
        actors.append(a)
        raw_names.append(aname)
    ids = _unique_ids([a["id"] for a in actors])
    for a, i in zip(actors, ids):
        a["id"] = i
    dup = sorted({n for n in raw_names if n and raw_names.count(n) > 1})
    for n in dup:
        problems.append(Problem(name, f"actor name {n!r} appears more than once (KTAB needs unique names)"))

    data: dict[str, Any] = {
        "title": title,
        "issues": [
            {"id": iid, "label": h, "min": 0.0, "max": 100.0} for iid, h in zip(issue_ids, pos_headers)
        ],
        "actors": actors,
        "salience_scale": "0-100",
        "extensions": {
            "ktab": {
                "name": title,
                "format": "csv",
                "dimension_headers": [[p, s] for p, s in zip(pos_headers, sal_headers)],
                "power_header": header[2],
            }
        },
    }
    if description:
        data["description"] = description
    return data, _locator(name, where), problems


def _locator(name: str, where: dict[tuple, str]):
    def locate(path: tuple) -> str:
        loc = actor_location(where, path)
        if loc is not None:
            return loc
        if path:
            return f"{name}:{'.'.join(map(str, path))}"
        return name

    return locate


# ---------------------------------------------------------------------- XML
def _strip_ns(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _children(el: ET.Element, tag: str) -> list[ET.Element]:
    return [c for c in el if _strip_ns(c.tag) == tag]


def _child(el: ET.Element, tag: str) -> ET.Element | None:
    found = _children(el, tag)
    return found[0] if found else None


def _text(el: ET.Element | None) -> str:
    return (el.text or "").strip() if el is not None else ""


def sniff_ktab_xml(raw: bytes) -> bool:
    head = raw[:4096].decode("utf-8-sig", errors="replace")
    return "<Scenario" in head


def parse_seed(text: str) -> int | None:
    """KTAB's ``prngSeed``: a decimal (often zero-padded) or 0x-hex unsigned 64-bit integer."""
    t = text.strip()
    if not t:
        return None
    try:
        v = int(t, 16) if t.lower().startswith("0x") else int(t, 10)
    except ValueError:
        return None
    return v if 0 <= v < 2**64 else None


def _xml_seed(root, loc, problems: list[Problem]) -> int | None:
    """``<prngSeed>``: required by KTAB's schema, an unsigned 64-bit integer."""
    seed_el = _child(root, "prngSeed")
    seed = None
    if seed_el is None:
        problems.append(Problem(loc("Scenario/prngSeed"), "prngSeed is missing (KTAB's schema requires it)"))
    else:
        seed = parse_seed(_text(seed_el))
        if seed is None and _text(seed_el):
            problems.append(
                Problem(loc("Scenario/prngSeed"), f"prngSeed {_text(seed_el)!r} is not an unsigned 64-bit integer")
            )
    return seed


def _xml_parameters(mp, loc, problems: list[Problem]) -> dict[str, str]:
    """``<ModelParameters>``: KTAB's nine parameters, each one of its allowed values."""
    params: dict[str, str] = {}
    if mp is not None:
        for el in mp:
            tag = _strip_ns(el.tag)
            if tag not in KTAB_PARAMETERS:
                problems.append(
                    Problem(
                        loc(f"ModelParameters/{tag}"),
                        f"unknown model parameter <{tag}> (expected {', '.join(KTAB_PARAMETERS)})",
                    )
                )
                continue
            key, allowed = KTAB_PARAMETERS[tag]
            value = _text(el)
            if value not in allowed:
                problems.append(
                    Problem(loc(f"ModelParameters/{tag}"), f"{tag} {value!r} is not one of {', '.join(allowed)}")
                )
                continue
            params[key] = XML_VALUE_ALIASES.get(value, value)
        missing = [t for t in KTAB_PARAMETERS if KTAB_PARAMETERS[t][0] not in params and _child(mp, t) is None]
        if missing:
            # KTAB's reader throws on a missing parameter; say which
            problems.append(
                Problem(loc("ModelParameters"), f"missing model parameter(s): {', '.join(missing)} (KTAB needs all nine)")
            )
    return params


def _xml_actor(k: int, ael, issue_ids: list[str], loc, problems: list[Problem], where: dict[tuple, str]):
    """One ``<Actor>``: the actor's data (placeholders where a value is bad) and its name."""
    nd = len(issue_ids)
    aname = _text(_child(ael, "name"))
    here = f"Actors/Actor[{k + 1}]" + (f" ({aname})" if aname else "")
    if not aname:
        problems.append(Problem(loc(here + "/name"), "actor name is missing or empty"))
    elif len(aname) > MAX_NAME:
        problems.append(Problem(loc(here + "/name"), f"actor name is longer than KTAB's {MAX_NAME} characters"))
    adesc = _text(_child(ael, "description"))
    if len(adesc) > MAX_DESC:
        problems.append(Problem(loc(here + "/description"), f"description is longer than KTAB's {MAX_DESC} characters"))
    cap = _number(_text(_child(ael, "capability")))
    if cap is None:
        problems.append(
            Problem(loc(here + "/capability"), f"capability {_text(_child(ael, 'capability'))!r} is not a number")
        )
    elif not 0.0 < cap <= 1000.0:
        problems.append(Problem(loc(here + "/capability"), f"capability {cap:g} must lie in (0, 1000] (KTAB's schema)"))
    ok = True
    vals: dict[str, list[float]] = {}
    for block, leaf in (("Position", "dCoord"), ("Salience", "dSal")):
        bel = _child(ael, block)
        cells = [_text(c) for c in _children(bel, leaf)] if bel is not None else []
        if len(cells) != nd:
            problems.append(
                Problem(loc(f"{here}/{block}"), f"{len(cells)} <{leaf}> values, expected {nd} (one per dimension)")
            )
            ok = False
            continue
        nums = []
        for d, c in enumerate(cells):
            v = _number(c)
            if v is None:
                problems.append(
                    Problem(loc(f"{here}/{block}/{leaf}[{d + 1}]"), f"{leaf} {c!r} is not a number" if c else f"{leaf} is empty")
                )
                ok = False
            elif not 0.0 <= v <= 100.0:
                problems.append(Problem(loc(f"{here}/{block}/{leaf}[{d + 1}]"), f"{leaf} {v:g} lies outside 0-100"))
                ok = False
            nums.append(v if v is not None else math.nan)
        vals[block] = nums
    if ok and sum(vals["Salience"]) > 100.0 + 1e-9:
        problems.append(
            Problem(
                loc(f"{here}/Salience"),
                f"saliences sum to {sum(vals['Salience']):g}; KTAB requires the sum over dimensions to be at most 100",
            )
        )
    a: dict[str, Any] = {
        "id": _slug(aname) if aname else f"actor_{k + 1}",
        "name": aname,
        "capability": cap if cap is not None else math.nan,
        "positions": dict(zip(issue_ids, vals["Position"])) if ok else {issue_ids[0]: math.nan},
        "saliences": dict(zip(issue_ids, vals["Salience"])) if ok else {issue_ids[0]: 0.0},
    }
    if adesc:
        a["description"] = adesc
    where[(k,)] = loc(here)
    where[(k, "capability")] = loc(here + "/capability")
    for d, iid in enumerate(issue_ids):
        where[(k, "positions", iid)] = loc(f"{here}/Position/dCoord[{d + 1}]")
        where[(k, "saliences", iid)] = loc(f"{here}/Salience/dSal[{d + 1}]")
    return a, aname


def _xml_ideal_adjustment(ia_el, names: list[str], loc, problems: list[Problem]) -> list[list[float]]:
    """``<IdealAdjustment>``: the accommodation matrix (identity where no pair is given)."""
    n = len(names)
    index = {nm: i for i, nm in enumerate(names) if nm}
    A = [[1.0 if i == j else 0.0 for j in range(n)] for i in range(n)]
    for p, pair in enumerate(_children(ia_el, "iaPair")):
        here = f"IdealAdjustment/iaPair[{p + 1}]"
        who, ref = _text(_child(pair, "adjustingIdeal")), _text(_child(pair, "referencePos"))
        adj_text = _text(_child(pair, "adjust"))
        bad = False
        for field, nm in (("adjustingIdeal", who), ("referencePos", ref)):
            if nm not in index:
                problems.append(Problem(loc(f"{here}/{field}"), f"unknown actor {nm!r} (known: {', '.join(n_ for n_ in names if n_)})"))
                bad = True
        adj = _number(adj_text)
        if adj is None:
            problems.append(Problem(loc(f"{here}/adjust"), f"adjust {adj_text!r} is not a number"))
            bad = True
        if not bad:
            A[index[who]][index[ref]] = float(adj)
    for i in range(n):
        row = sum(A[i])
        if any(A[i][j] < 0 for j in range(n)) or row > 1.0 + 1e-12:
            problems.append(
                Problem(
                    loc("IdealAdjustment"),
                    f"ideal adjustments of {names[i]!r} must be >= 0 and sum to at most 1 (the rest keeps the old ideal)",
                )
            )
    return A


def load_ktab_xml(raw: bytes, name: str, **_: Any):
    """Read KTAB's SMP XML (``smpc --xml``, schema ``smpSchema.xsd``) into scenario data: one
    function per element (seed, parameters, actors, ideal adjustment)."""
    text = decode_text(raw, name)
    try:
        root = ET.fromstring(text.lstrip("\ufeff").encode())
    except ET.ParseError as exc:
        line, col = getattr(exc, "position", (0, 0))
        raise ScenarioError(f"malformed XML: {exc.msg if hasattr(exc, 'msg') else exc}", f"{name}:{line}:{col}") from None
    if _strip_ns(root.tag) != "Scenario":
        raise ScenarioError(f"the root element must be <Scenario>, found <{_strip_ns(root.tag)}>", name)
    problems: list[Problem] = []
    loc = lambda path: f"{name}:{path}"  # noqa: E731

    title = _text(_child(root, "name"))
    if not title:
        problems.append(Problem(loc("Scenario/name"), "scenario name is missing or empty"))
    desc = _text(_child(root, "desc"))
    seed = _xml_seed(root, loc, problems)
    params = _xml_parameters(_child(root, "ModelParameters"), loc, problems)
    dims_el = _child(root, "Dimensions")
    dim_names = [_text(d) for d in _children(dims_el, "dName")] if dims_el is not None else []
    actors_el = _child(root, "Actors")
    actor_els = _children(actors_el, "Actor") if actors_el is not None else []
    if not actor_els:
        raise ScenarioError("no <Actors>/<Actor> elements", name)
    if not dim_names:
        # the schema makes Dimensions optional: take the count from the first actor
        first_pos = _child(actor_els[0], "Position")
        count = len(_children(first_pos, "dCoord")) if first_pos is not None else 0
        dim_names = [f"Dim{k}" for k in range(count)]
        if count == 0:
            raise ScenarioError("no <Dimensions> and the first actor has no <Position>/<dCoord>", name)
    issue_ids = _unique_ids([_slug(d) if d else f"Dim{k}" for k, d in enumerate(dim_names)])
    if not MIN_ACTORS <= len(actor_els) <= MAX_ACTORS:
        problems.append(Problem(loc("Actors"), f"KTAB's SMP needs {MIN_ACTORS} to {MAX_ACTORS} actors, found {len(actor_els)}"))

    actors: list[dict[str, Any]] = []
    where: dict[tuple, str] = {}
    names: list[str] = []
    for k, ael in enumerate(actor_els):
        a, aname = _xml_actor(k, ael, issue_ids, loc, problems, where)
        actors.append(a)
        names.append(aname)
    for n in sorted({n for n in names if n and names.count(n) > 1}):
        problems.append(Problem(loc("Actors"), f"actor name {n!r} appears more than once"))
    ids = _unique_ids([a["id"] for a in actors])
    for a, i in zip(actors, ids):
        a["id"] = i

    ktab: dict[str, Any] = {"name": title, "format": "xml"}
    if seed is not None:
        ktab["prng_seed"] = seed
    if params:
        ktab["parameters"] = params
    ia_el = _child(root, "IdealAdjustment")
    if ia_el is not None:
        ktab["ideal_adjustment"] = _xml_ideal_adjustment(ia_el, names, loc, problems)

    data: dict[str, Any] = {
        "title": title or "KTAB scenario",
        "issues": [{"id": iid, "label": d or iid, "min": 0.0, "max": 100.0} for iid, d in zip(issue_ids, dim_names)],
        "actors": actors,
        "salience_scale": "0-100",
        "extensions": {"ktab": ktab},
    }
    if desc:
        data["description"] = desc
    return data, _locator(name, where), problems


register_loader(
    Format(
        "ktab-csv",
        ("csv",),
        load_ktab_csv,
        sniff=sniff_ktab_csv,
        description="KTAB SMP CSV: title line, then Actor,Description,Power,<dim> Position,<dim> Salience,...",
    )
)
register_loader(
    Format(
        "ktab-xml",
        ("xml",),
        load_ktab_xml,
        sniff=sniff_ktab_xml,
        description="KTAB SMP XML (smpSchema.xsd), with ModelParameters and IdealAdjustment",
    )
)


# ---------------------------------------------------------------------- writer
def to_ktab_csv(scenario, lossy: bool = False, **_: Any) -> bytes:
    """Write a scenario as KTAB's SMP CSV (what ``smpc --csv`` reads).

    Issues become dimensions on KTAB's 0-100 scale (positions rescaled from the issue's
    scale), capability is Power, saliences stay on 0-100.  What a KTAB CSV cannot hold
    (events, sources, labelled points, status quo, per-issue capability, actors absent
    from an issue, salience sums above 100, other scales, notes and groups) raises a
    :class:`ScenarioError` naming it, unless ``lossy=True``.
    """
    import numpy as np

    a = scenario.arrays()
    n, m = len(scenario.actors), len(scenario.issues)
    lost: list[str] = []
    if scenario.events:
        lost.append(f"{len(scenario.events)} event(s)")
    if scenario.sources:
        lost.append("sources")
    if any(i.points or i.status_quo is not None or i.description for i in scenario.issues):
        lost.append("issue labels, status quo or descriptions")
    if any(i.min != 0 or i.max != 100 for i in scenario.issues):
        lost.append("issue scales other than 0-100 (positions rescaled to 0-100)")
    if any(x.capability_by_issue for x in scenario.actors):
        lost.append("per-issue capability (the actor's base capability is written)")
    if not a.active.all():
        lost.append("actors absent from an issue (written with salience 0 at the scale midpoint)")
    sums = np.where(a.active, a.salience, 0.0).sum(axis=1)
    if np.any(sums > 1.0 + 1e-9):
        lost.append("salience sums above 100 per actor (scaled down, as KTAB requires)")
    if any(x.notes or x.group or x.parent for x in scenario.actors):
        lost.append("actor notes, groups or parents")
    if set(scenario.extensions) - {"ktab"}:
        lost.append(f"extensions {', '.join(sorted(set(scenario.extensions) - {'ktab'}))}")
    ktab = scenario.extensions.get("ktab") or {}
    if ktab.get("parameters") or ktab.get("ideal_adjustment") is not None:
        lost.append("KTAB model parameters and ideal adjustment (the CSV format has none)")
    if not MIN_ACTORS <= n <= MAX_ACTORS:
        lost.append(f"KTAB needs {MIN_ACTORS}-{MAX_ACTORS} actors, the scenario has {n}")
    if lost and not lossy:
        raise ScenarioError(
            [Problem("ktab-csv", f"a KTAB CSV cannot hold: {item} (write with lossy=True / --lossy to accept)") for item in lost]
        )
    span = a.scale_max - a.scale_min
    same = (a.scale_min == 0) & (a.scale_max == 100)
    pos = np.where(same[None, :], a.position, (a.position - a.scale_min) / span * 100.0)
    pos = np.where(a.active, pos, 50.0)
    sal = np.where(a.active, a.salience * 100.0, 0.0)
    over = sal.sum(axis=1, keepdims=True)
    sal = np.where(over > 100.0, sal / np.where(over > 0, over, 1.0) * 100.0, sal)
    headers = ktab.get("dimension_headers")
    if not (isinstance(headers, list) and len(headers) == m):
        headers = [[f"{i.id} Position", f"{i.id} Salience"] for i in scenario.issues]
    power = ktab.get("power_header") or "Power"
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow([ktab.get("name") or scenario.title, scenario.description or "", n, m])
    w.writerow(["Actor", "Description", power] + [h for pair in headers for h in pair])

    def num(x: float) -> str:
        text = repr(float(x))
        return text[:-2] if text.endswith(".0") else text

    for r, actor in enumerate(scenario.actors):
        name = actor.name if actor.name and len(actor.name) <= MAX_NAME else actor.id[:MAX_NAME]
        cells = [name, (actor.description or "")[:MAX_DESC], num(actor.capability)]
        for c in range(m):
            cells += [num(pos[r, c]), num(sal[r, c])]
        w.writerow(cells)
    return buf.getvalue().encode()
