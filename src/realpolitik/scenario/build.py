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
from realpolitik.scenario.model import Scenario

Path = tuple[Any, ...]
Locator = Callable[[Path], str]

SALIENCE_SCALES = {"0-100": 1.0, "0-1": 100.0}


def dotted(path: Path) -> str:
    return ".".join(str(p) for p in path)


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


def _describe_input(value: Any) -> str:
    if isinstance(value, (dict, list)):
        return ""
    text = repr(value)
    return f" (got {text[:60]})"


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
        etype = err.get("type", "")
        if etype == "missing":
            msg = f"required field {loc[-1]!r} is missing" if loc else "required field missing"
        elif etype == "extra_forbidden":
            msg = f"unknown field {loc[-1]!r}"
        else:
            field = str(loc[-1]) if loc else ""
            if field and not msg.startswith(field):
                msg = f"{field}: {msg}"
            msg += _describe_input(err.get("input"))
        problems.append(Problem(locate(loc), msg))
    return problems


def build_scenario(data: Any, locate: Locator, extra_problems: list[Problem] | None = None) -> Scenario:
    """Validate ``data`` into a Scenario, or raise ScenarioError listing every problem.

    ``extra_problems`` are problems the loader already found (e.g. a non-numeric
    cell); they are reported together with the validation problems.
    """
    problems = list(extra_problems or [])
    if not isinstance(data, dict):
        raise ScenarioError([Problem(locate(()), "expected a mapping with title, issues and actors")] + problems)
    data = dict(data)
    # distributions ({min, max} / {low, mode, high} / {mean, sd}) -> point value +
    # an entry of data["uncertainty"] (realpolitik.scenario.uncertainty)
    from realpolitik.scenario.uncertainty import extract_uncertainty

    extract_uncertainty(data, locate, problems)
    _scale_saliences(data, locate, problems)
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as exc:
        problems.extend(errors_to_problems(exc, locate))
        scenario = None
    if problems:
        # keep order, drop exact duplicates
        seen: set[tuple[str, str]] = set()
        unique = [p for p in problems if not ((p.location, p.message) in seen or seen.add((p.location, p.message)))]
        raise ScenarioError(unique)
    assert scenario is not None
    return scenario
