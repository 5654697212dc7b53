"""JSON scenarios: the same structure as YAML (``Scenario.to_data()``).

Nesting is checked from the text before parsing (:func:`realpolitik.scenario.limits.json_depth`),
so ``[[[[...]]]]`` is one line, never a recursion error.
"""

from __future__ import annotations

import json
from typing import Any

from realpolitik.errors import ScenarioError
from realpolitik.scenario.build import simple_locator
from realpolitik.scenario.io import Format, decode_text, register_loader
from realpolitik.scenario.limits import MAX_DEPTH, check_depth, json_depth


def load_json(raw: bytes, name: str, **_: Any):
    if json_depth(raw) > MAX_DEPTH:
        raise ScenarioError(f"data is nested more than {MAX_DEPTH} levels deep; a scenario needs about 8", name)
    text = decode_text(raw, name)
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ScenarioError(f"invalid JSON: {exc.msg}", f"{name}:{exc.lineno}:{exc.colno}") from None
    except RecursionError:  # brackets inside odd strings fooled the pre-check
        raise ScenarioError(f"data is nested more than {MAX_DEPTH} levels deep; a scenario needs about 8", name) from None
    if not isinstance(data, dict):
        raise ScenarioError("expected a JSON object with title, issues and actors", name)
    check_depth(data, name)
    # a saved Result embeds its scenario under "scenario_data"
    if "scenario_data" in data and "actors" not in data:
        data = data["scenario_data"]
    return data, _json_locator(text, name, "scenario_data" in data and "actors" not in data), []


def _json_locator(text: str, name: str, nested: bool):
    """``file.json:LINE (path)`` where the JSON parses as YAML too (almost always), else ``file.json:path``.

    The line map is built on the first call only, so a valid file costs nothing.
    """
    cache: list = []

    def locate(path: tuple) -> str:
        if not cache:
            cache.append(_build(text, name, nested))
        return cache[0](path)

    return locate


def _build(text: str, name: str, nested: bool):
    import yaml

    from realpolitik.scenario.loaders._yaml_lines import line_map, load_bounded, yaml_locator

    try:
        _, node = load_bounded(text, name, construct=False)
    except (yaml.YAMLError, ScenarioError):
        return simple_locator(name)
    if node is None:
        return simple_locator(name)
    lines = line_map(node)
    if nested:
        lines = {k[1:]: v for k, v in lines.items() if k[:1] == ("scenario_data",)}
    return yaml_locator(name, lines)


register_loader(Format("json", ("json",), load_json, description="JSON scenario (same structure as YAML)"))
