"""JSON scenarios: the same structure as YAML (``Scenario.to_data()``)."""

from __future__ import annotations

import json
from typing import Any

from realpolitik.errors import ScenarioError
from realpolitik.scenario.build import simple_locator
from realpolitik.scenario.io import Format, decode_text, register_loader


def load_json(raw: bytes, name: str, **_: Any):
    text = decode_text(raw, name)
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ScenarioError(f"invalid JSON: {exc.msg}", f"{name}:{exc.lineno}:{exc.colno}") from None
    if not isinstance(data, dict):
        raise ScenarioError("expected a JSON object with title, issues and actors", name)
    # a saved Result embeds its scenario under "scenario_data"
    if "scenario_data" in data and "actors" not in data:
        data = data["scenario_data"]
    return data, simple_locator(name), []


register_loader(Format("json", ("json",), load_json, description="JSON scenario (same structure as YAML)"))
