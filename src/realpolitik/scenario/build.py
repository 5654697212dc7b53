"""Validate a loader's plain dict into a :class:`Scenario`, mapping errors to places.

Every loader produces ``(data, locate)``: ``data`` is a dict in the shape of
:class:`~realpolitik.scenario.model.Scenario` (plus an optional top-level
``salience_scale``), and ``locate(path)`` turns a path such as
``("actors", 3, "positions", "settlement")`` into a location a person can find:
``file.csv:5:position`` or ``file.yaml:42 (actors.3.positions.settlement)``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from typing import Any

from pydantic import ValidationError

from realpolitik.errors import Problem, ScenarioError
from realpolitik.scenario.limits import check_counts, check_depth
from realpolitik.scenario.model import Scenario, consistency_problems

Path = tuple[Any, ...]
Locator = Callable[[Path], str]

SALIENCE_SCALES = {"0-100": 1.0, "0-1": 100.0}


def dotted(path: Path) -> str:
    return ".".join(str(p) for p in path)


def actor_location(where: dict[tuple, str], path: Path) -> str | None:
    """For an ``("actors", k, ...)`` path, the most specific location a table loader recorded.

    ``where`` maps ``(k,)``, ``(k, field)`` and ``(k, field, issue)`` to places such as
    ``file.csv:5:Position``; the longest recorded prefix of the path wins.
    """
    if len(path) < 2 or path[0] != "actors":
        return None
    k, rest = path[1], tuple(path[2:])
    for cut in range(len(rest), -1, -1):
        loc = where.get((k,) + rest[:cut])
        if loc is not None:
            return loc
    return None


def simple_locator(filename: str) -> Locator:
    """``file:path.to.field`` - for sources without rows or lines."""
    return lambda path: f"{filename}:{dotted(path)}" if path else filename


def _scale_saliences(data: dict[str, Any], locate: Locator, problems: list[Problem]) -> None:
    scale = data.pop("salience_scale", None)
    if scale is None:
        return
    key = str(scale).strip().replace(" ", "")
    if key in ("1", "0..1", "unit", "0-1.0"):
        key = "0-1"
    if key in ("100", "0..100", "percent"):
        key = "0-100"
    if key not in SALIENCE_SCALES:
        problems.append(
            Problem(locate(("salience_scale",)), f"salience_scale must be '0-100' or '0-1', got {scale!r}")
        )
        return
    factor = SALIENCE_SCALES[key]
    if factor == 1.0:
        return
    for k, actor in enumerate(data.get("actors") or []):
        if not isinstance(actor, dict) or not isinstance(actor.get("saliences"), dict):
            continue
        for iid, s in list(actor["saliences"].items()):
            if isinstance(s, (int, float)) and not isinstance(s, bool) and math.isfinite(s):
                if not 0 <= s <= 1:
                    problems.append(
                        Problem(
                            locate(("actors", k, "saliences", iid)),
                            f"salience {s:g} is outside 0-1 (the file declares salience_scale: 0-1)",
                        )
                    )
                else:
                    actor["saliences"][iid] = s * factor
    for e in data.get("events") or []:
        for ch in (e.get("changes") or []) if isinstance(e, dict) else []:
            if isinstance(ch, dict) and ch.get("field") == "salience" and isinstance(ch.get("value"), (int, float)):
                ch["value"] = ch["value"] * factor


_PATH_LINE = re.compile(r"^([A-Za-z_][\w]*(?:\.[^\s:]+)*): (.*)$")


def _split_path(text: str) -> Path:
    out: list[Any] = []
    for part in text.split("."):
        out.append(int(part) if part.isdigit() else part)
    return tuple(out)


def _clean(msg: str) -> str:
    return msg.removeprefix("Value error, ").removeprefix("Assertion failed, ")


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


_EXPECTED = {
    "capability": "a number greater than 0",
    "salience": "a number in 0-100",
    "position": "a number on the issue's scale",
    "round": "a whole number >= 0",
}
_PER_ISSUE = {"positions": "position", "saliences": "salience", "capability_by_issue": "capability"}


def _what(loc: Path) -> str:
    """The name of the value at ``loc`` as a person says it."""
    if len(loc) >= 2 and loc[-2] in _PER_ISSUE:
        return _PER_ISSUE[str(loc[-2])]
    for part in reversed(loc):
        if isinstance(part, str):
            return part.replace("_", " ")
    return "value"


def _message(err: dict[str, Any]) -> str:
    """One line: the field, the bad value and what is expected."""
    loc = tuple(err.get("loc", ()))
    msg = _clean(err.get("msg", "invalid value"))
    etype = err.get("type", "")
    value = err.get("input")
    what = _what(loc)
    if etype == "missing":
        return f"required field {str(loc[-1])!r} is missing" if loc else "a required field is missing"
    if etype == "extra_forbidden":
        return f"unknown field {str(loc[-1])!r}"
    if etype == "value_error" or etype.startswith("assertion"):
        return msg  # our own validators name the value and what is expected
    if etype in ("float_parsing", "float_type", "int_parsing", "int_type", "int_from_float"):
        kind = "a whole number" if etype.startswith("int") else "a number"
        expected = _EXPECTED.get(what, kind)
        if value is None:
            return f"{what} is empty; expected {expected}"
        return f"{what} {_show(value)} is not {kind}; expected {expected}"
    if etype == "string_pattern_mismatch":
        return (
            f"{what} {_show(value)} is not a valid id; expected letters, digits, '_', '.', '-' or spaces, "
            "starting with a letter, digit or '_'"
        )
    if msg.startswith("Input should be "):
        expected = msg.removeprefix("Input should be ")
        if isinstance(value, (dict, list)):
            return f"{what}: expected {expected}"
        return f"{what} is {_show(value)}; expected {expected}"
    if isinstance(value, (dict, list)) or value is None:
        return f"{what}: {msg}"
    return f"{what}: {msg} (got {_show(value)})"


def errors_to_problems(exc: ValidationError, locate: Locator) -> list[Problem]:
    problems: list[Problem] = []
    for err in exc.errors(include_url=False):
        loc = tuple(err.get("loc", ()))
        msg = _clean(err.get("msg", "invalid value"))
        if "\n" in msg or _PATH_LINE.match(msg):
            # Scenario-level checks report one "path: message" per line.
            for line in msg.splitlines():
                m = _PATH_LINE.match(line)
                if m:
                    problems.append(Problem(locate(loc + _split_path(m.group(1))), m.group(2)))
                else:
                    problems.append(Problem(locate(loc), line))
            continue
        problems.append(Problem(locate(loc), _message(err)))
    return problems


def _cross_check(data: dict[str, Any], locate: Locator) -> list[Problem]:
    """Scenario-level checks on raw data (pydantic skips them when a field is invalid)."""
    problems = []
    for line in consistency_problems(data.get("issues"), data.get("actors"), data.get("events")):
        m = _PATH_LINE.match(line)
        problems.append(Problem(locate(_split_path(m.group(1))), m.group(2)) if m else Problem(locate(()), line))
    return problems


_LISTS = {"issues": "issues", "actors": "actors", "events": "events", "sources": "sources"}
_ACTOR_MAPS = ("positions", "saliences", "capability_by_issue")


def _kind(value: Any) -> str:
    return {dict: "a mapping", list: "a list", str: "text", bool: "true/false", type(None): "nothing"}.get(
        type(value), "a number" if isinstance(value, (int, float)) else type(value).__name__
    )


def shape_problems(data: dict[str, Any], locate: Locator) -> list[Problem]:
    """Containers of the wrong kind (``actors: 5``), found before any helper walks them."""
    problems = []
    for key in _LISTS:
        value = data.get(key)
        if value is None:
            continue
        if not isinstance(value, list):
            problems.append(Problem(locate((key,)), f"{key} must be a list, found {_kind(value)}"))
            continue
        for k, item in enumerate(value):
            if not isinstance(item, dict):
                problems.append(Problem(locate((key, k)), f"each entry of {key} must be a mapping, found {_kind(item)}"))
            elif key == "actors":
                for field in _ACTOR_MAPS:
                    v = item.get(field)
                    if v is not None and not isinstance(v, dict):
                        problems.append(
                            Problem(locate((key, k, field)), f"{field} must be a mapping of issue id to number, found {_kind(v)}")
                        )
            elif key == "events" and item.get("changes") is not None:
                changes = item["changes"]
                if not isinstance(changes, list):
                    problems.append(Problem(locate((key, k, "changes")), f"changes must be a list, found {_kind(changes)}"))
                else:
                    for c_k, ch in enumerate(changes):
                        if not isinstance(ch, dict):
                            problems.append(
                                Problem(locate((key, k, "changes", c_k)), f"each change must be a mapping, found {_kind(ch)}")
                            )
    return problems


def _natural(location: str) -> tuple[float, ...]:
    """Sort key: the first number in a location (the row or line); none sorts last.

    Python's sort is stable, so problems on one row keep the loader's column order.
    """
    m = re.search(r":(\d+)", location)
    return (float(m.group(1)) if m else float("inf"),)


#: key of a loader's data under which it passes what it assumed (a flat table's scale)
LOAD_NOTES = "__load_notes__"


def build_scenario(data: Any, locate: Locator, extra_problems: list[Problem] | None = None) -> Scenario:
    """Validate ``data`` into a Scenario, or raise ScenarioError listing every problem.

    ``extra_problems`` are problems the loader already found (e.g. a non-numeric
    cell); they are reported together with the validation problems.
    """
    problems = list(extra_problems or [])
    if not isinstance(data, dict):
        raise ScenarioError([Problem(locate(()), "expected a mapping with title, issues and actors")] + problems)
    data = dict(data)
    notes = tuple(data.pop(LOAD_NOTES, ()) or ())
    check_depth(data, locate(()))
    too_many = check_counts(data, locate)
    if too_many:
        raise ScenarioError(problems + too_many)
    shape = shape_problems(data, locate)
    if shape:
        raise ScenarioError(problems + shape)
    # distributions ({min, max} / {low, mode, high} / {mean, sd}) -> point value +
    # an entry of data["uncertainty"] (realpolitik.scenario.uncertainty)
    from realpolitik.scenario.events import extract_event_distributions
    from realpolitik.scenario.uncertainty import extract_uncertainty

    extract_uncertainty(data, locate, problems)
    extract_event_distributions(data, locate, problems)
    _scale_saliences(data, locate, problems)
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as exc:
        found = errors_to_problems(exc, locate)
        if not any(err.get("loc") == () for err in exc.errors(include_url=False)):
            # field errors stop pydantic before the scenario-level checks: run them on the
            # raw data so that every problem of the file is reported in one pass
            found.extend(_cross_check(data, locate))
        # one bad cell, one message: the loader's own report of a place wins over the
        # validation error that the missing or placeholder value causes there
        reported = {p.location for p in problems}
        problems.extend(p for p in found if p.location not in reported)
        scenario = None
    if problems:
        # drop exact duplicates; report in file order (row/line numbers compared as numbers)
        seen: set[tuple[str, str]] = set()
        unique = [p for p in problems if not ((p.location, p.message) in seen or seen.add((p.location, p.message)))]
        raise ScenarioError(sorted(unique, key=lambda p: _natural(p.location)))
    assert scenario is not None
    if notes:
        scenario.set_load_notes(notes)
    return scenario
