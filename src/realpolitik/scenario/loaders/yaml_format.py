"""YAML scenarios (the primary, comment-friendly format).  Safe loading only.

Errors are located as ``file:LINE (yaml.path)`` using the line of the deepest node
that exists on the path.  The document is checked against the caps of
:mod:`realpolitik.scenario.limits` (nesting, alias uses, size with aliases expanded)
from its event stream before anything is built.
"""

from __future__ import annotations

from typing import Any

import yaml

from realpolitik.errors import Problem, ScenarioError
from realpolitik.scenario.build import Locator
from realpolitik.scenario.io import Format, decode_text, register_loader
from realpolitik.scenario.loaders._yaml_lines import line_map as _line_map, load_bounded, yaml_locator


def _lazy_locator(node: yaml.Node | None, name: str) -> Locator:
    """Lines come from the composed nodes, mapped only when a problem needs a place."""
    cache: list[Locator] = []

    def locate(path: tuple) -> str:
        if not cache:
            cache.append(yaml_locator(name, _line_map(node) if node is not None else {}))
        return cache[0](path)

    return locate


def load_yaml(raw: bytes, name: str, **_: Any):
    text = decode_text(raw, name)
    try:
        data, node = load_bounded(text, name)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        where = f"{name}:{mark.line + 1}:{mark.column + 1}" if mark else name
        raise ScenarioError(f"invalid YAML: {exc.problem or exc}", where) from None
    except yaml.YAMLError as exc:
        raise ScenarioError(f"invalid YAML: {exc}", name) from None
    locate = _lazy_locator(node, name)
    problems: list[Problem] = []
    if not isinstance(data, dict):
        raise ScenarioError(
            f"expected a YAML mapping with title, issues and actors, found {type(data).__name__}", name
        )
    return data, locate, problems


register_loader(
    Format("yaml", ("yaml", "yml"), load_yaml, description="YAML scenario (primary format)")
)
