"""Where a YAML (or JSON) node starts: the line map that locates errors as ``file:LINE (path)``,
and YAML reading within the caps of :mod:`realpolitik.scenario.limits`.

Shared by the YAML and JSON loaders (JSON parses as YAML, so its errors get lines too).
A document is first read as an event stream (linear, no objects built) to check its
nesting depth, its alias uses and its size with every alias expanded; only then are
nodes composed and constructed.  The line map walks each node once: an alias is a
reference to a node already mapped, never a copy, so an alias bomb costs nothing here.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import yaml

from realpolitik.errors import ScenarioError
from realpolitik.scenario.build import Locator, dotted
from realpolitik.scenario.limits import MAX_ALIASES, MAX_DEPTH, MAX_NODES

SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@contextmanager
def no_gc() -> Iterator[None]:
    """Pause the cyclic garbage collector while a parser builds many containers.

    Building hundreds of thousands of nodes triggers full collections again and again
    (quadratic time: 12,000 actors took 7.6 s instead of 1.6 s); nothing built here is a
    cycle that needs collecting.
    """
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def check_events(text: str, name: str) -> None:
    """Refuse a document nested too deeply, with too many alias uses, or too large once
    its aliases are expanded - from the event stream, before any node is built."""
    depth = 0
    aliases = 0
    expanded = 0
    sizes: dict[str, int] = {}  # anchor -> expanded size of its node
    starts: list[tuple[str | None, int]] = []  # open collections: (anchor, expanded count at start)
    events = yaml.parse(text, Loader=SAFE_LOADER)
    try:
        for ev in events:
            if isinstance(ev, yaml.ScalarEvent):
                expanded += 1
                if ev.anchor:
                    sizes[ev.anchor] = 1
            elif isinstance(ev, yaml.CollectionStartEvent):
                expanded += 1
                depth += 1
                if depth > MAX_DEPTH:
                    line = ev.start_mark.line + 1 if ev.start_mark else "?"
                    raise ScenarioError(f"data is nested more than {MAX_DEPTH} levels deep; a scenario needs about 8", f"{name}:{line}")
                starts.append((ev.anchor, expanded))
            elif isinstance(ev, yaml.CollectionEndEvent):
                depth -= 1
                anchor, at = starts.pop()
                if anchor:
                    sizes[anchor] = expanded - at + 1
            elif isinstance(ev, yaml.AliasEvent):
                aliases += 1
                expanded += sizes.get(ev.anchor, 1)
                if aliases > MAX_ALIASES:
                    line = ev.start_mark.line + 1 if ev.start_mark else "?"
                    raise ScenarioError(f"more than {MAX_ALIASES:,} alias uses (*name)", f"{name}:{line}")
            if expanded > MAX_NODES:
                mark = getattr(ev, "start_mark", None)
                where = f"{name}:{mark.line + 1}" if mark else name
                raise ScenarioError(
                    f"more than {MAX_NODES:,} values once anchors and aliases are expanded; "
                    "a scenario needs far fewer", where)  # fmt: skip
    finally:
        events.close()


def load_bounded(text: str, name: str, construct: bool = True) -> tuple[Any, yaml.Node | None]:
    """The document's data (unless ``construct`` is false) and its node tree (for the line
    map), within the caps."""
    check_events(text, name)
    loader = SAFE_LOADER(text)
    try:
        with no_gc():
            node = loader.get_single_node()
            data = loader.construct_document(node) if node is not None and construct else None
    finally:
        loader.dispose()
    return data, node


def line_map(node: yaml.Node, path: tuple = (), out: dict | None = None) -> dict[tuple, int]:
    """Path -> line of every node, visiting each node once (an alias is not walked again)."""
    out = {} if out is None else out
    seen: set[int] = set()
    stack: list[tuple[yaml.Node, tuple]] = [(node, path)]
    while stack:
        nd, p = stack.pop()
        out[p] = nd.start_mark.line + 1
        if id(nd) in seen:
            continue
        seen.add(id(nd))
        if isinstance(nd, yaml.MappingNode):
            for key, value in nd.value:
                k = key.value if isinstance(key, yaml.ScalarNode) else str(key.start_mark.line + 1)
                out[p + (k,)] = key.start_mark.line + 1
                stack.append((value, p + (k,)))
        elif isinstance(nd, yaml.SequenceNode):
            for i, item in enumerate(nd.value):
                stack.append((item, p + (i,)))
    return out


def yaml_locator(name: str, lines: dict[tuple, int]) -> Locator:
    def locate(path: tuple) -> str:
        norm = tuple(str(p) if not isinstance(p, int) else p for p in path)
        for cut in range(len(norm), -1, -1):
            line = lines.get(norm[:cut])
            if line is not None:
                return f"{name}:{line} ({dotted(path)})" if path else f"{name}:{line}"
        return f"{name} ({dotted(path)})"

    return locate
