"""Bounds on what a scenario file may make the loaders do (shared by the CLI and the web app).

A few kilobytes must never cost minutes or gigabytes: an Excel sheet that declares a
million rows, a zip archive that expands a thousandfold, a YAML file whose anchors
expand to ten million nodes, JSON nested ten thousand deep.  Every loader checks its
input against these caps *before* the expensive step (the zip directory before
decompressing, the YAML event stream before building objects, the nesting depth
before anything walks the data) and answers with one located line.

The caps are far above any real scenario (the largest shipped case has 30 actors; KTAB
allows 250): they bound the work, they do not shape the data.
"""

from __future__ import annotations

from typing import Any

from realpolitik.errors import Problem, ScenarioError

MAX_ACTORS = 1_000
MAX_ISSUES = 200
MAX_EVENTS = 2_000
MAX_CHANGES = 10_000  # event changes in all events together
MAX_DEPTH = 40  # nesting of mappings and lists (a scenario needs about 8)
MAX_NODES = 250_000  # values in a YAML/JSON document, counted with every alias expanded
MAX_ALIASES = 10_000  # alias uses in a YAML document
MAX_TEXT = 100_000  # characters in one cell or one text value
# Excel workbooks (zip archives): checked from the zip directory before anything is read
MAX_XLSX_ROWS = 200_000  # per sheet
MAX_XLSX_COLUMNS = 256  # per sheet (a scenario sheet has about a dozen)
MAX_XLSX_MEMBERS = 500  # files in the archive
MAX_XLSX_UNCOMPRESSED = 32 * 1024 * 1024  # bytes, all members together
MAX_XLSX_RATIO = 200  # uncompressed / compressed size of one member (zip bombs run to thousands)
RATIO_FLOOR = 1024 * 1024  # the ratio only matters for members larger than this


def too_big(what: str, found: int | str, limit: int | str, location: str, hint: str = "") -> ScenarioError:
    return ScenarioError(f"{what}: {found} exceeds the limit of {limit}" + (f" ({hint})" if hint else ""), location)


def depth_of(obj: Any, limit: int = MAX_DEPTH) -> int:
    """Nesting depth of plain data (dicts and lists), without recursion; stops past ``limit``."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(obj, 1)]
    seen = 0
    while stack:
        node, d = stack.pop()
        if isinstance(node, dict):
            children = node.values()
        elif isinstance(node, (list, tuple)):
            children = node
        else:
            continue
        deepest = max(deepest, d)
        if deepest > limit:
            return deepest
        seen += len(children)
        if seen > MAX_NODES:  # a shared sub-structure counts every time it is reached
            raise ScenarioError(f"more than {MAX_NODES:,} values in the data", "")
        stack.extend((c, d + 1) for c in children)
    return deepest


def check_depth(data: Any, location: str) -> None:
    """One line when ``data`` (parsed JSON/YAML, or an edited scenario) is nested too deeply."""
    try:
        d = depth_of(data)
    except ScenarioError as exc:
        raise ScenarioError(exc.problems[0].message, location) from None
    if d > MAX_DEPTH:
        raise ScenarioError(f"data is nested more than {MAX_DEPTH} levels deep; a scenario needs about 8", location)


def json_depth(raw: bytes, limit: int = MAX_DEPTH) -> int:
    """The bracket nesting of JSON text, outside strings, in linear time (no parsing).

    Lets the JSON loader and the web app refuse ``[[[[...]]]]`` before ``json.loads``
    recurses into it.  Returns at most ``limit + 1``.
    """
    import re

    import numpy as np

    text = re.sub(rb'"(?:[^"\\]|\\.)*"', b"", raw)  # strings may hold brackets
    b = np.frombuffer(text, dtype=np.uint8)
    step = np.zeros(b.shape, dtype=np.int64)
    step[(b == ord("[")) | (b == ord("{"))] = 1
    step[(b == ord("]")) | (b == ord("}"))] = -1
    if not step.any():
        return 0
    return int(min(np.cumsum(step).max(), limit + 1))


def check_counts(data: dict[str, Any], locate) -> list[Problem]:
    """Problems for more actors, issues or events than the caps (checked before validation)."""
    problems = []
    for key, cap in (("actors", MAX_ACTORS), ("issues", MAX_ISSUES), ("events", MAX_EVENTS)):
        value = data.get(key)
        if isinstance(value, list) and len(value) > cap:
            problems.append(Problem(locate((key,)), f"{len(value):,} {key}: the limit is {cap:,}"))
    events = data.get("events")
    if isinstance(events, list):
        n = sum(len(e.get("changes") or []) for e in events if isinstance(e, dict) and isinstance(e.get("changes"), list))
        if n > MAX_CHANGES:
            problems.append(Problem(locate(("events",)), f"{n:,} event changes: the limit is {MAX_CHANGES:,}"))
    return problems
