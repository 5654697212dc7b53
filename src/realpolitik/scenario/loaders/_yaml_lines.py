"""Where a YAML (or JSON) node starts: the line map that locates errors as ``file:LINE (path)``.

Shared by the YAML and JSON loaders (JSON parses as YAML, so its errors get lines too).
"""

from __future__ import annotations

import yaml

from realpolitik.scenario.build import Locator, dotted

def line_map(node: yaml.Node, path: tuple = (), out: dict | None = None) -> dict[tuple, int]:
    out = {} if out is None else out
    out[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            k = key.value
            out[path + (k,)] = key.start_mark.line + 1
            line_map(value, path + (k,), out)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            line_map(item, path + (i,), out)
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


SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
