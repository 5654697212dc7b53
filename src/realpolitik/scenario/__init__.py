"""Scenario layer: the data model, loaders and validation (no computation)."""

from realpolitik.scenario.model import (
    Actor,
    Change,
    Event,
    Issue,
    Note,
    ScalePoint,
    Scenario,
    ScenarioArrays,
    Source,
)
from realpolitik.scenario.batch import ScenarioBatch
from realpolitik.scenario.io import (
    DEFAULT_SCENARIO,
    builtin_names,
    builtin_path,
    formats,
    load_bytes,
    load_scenario,
)

__all__ = [
    "Actor",
    "Change",
    "DEFAULT_SCENARIO",
    "Event",
    "Issue",
    "Note",
    "ScalePoint",
    "Scenario",
    "ScenarioArrays",
    "ScenarioBatch",
    "Source",
    "builtin_names",
    "builtin_path",
    "formats",
    "load_bytes",
    "load_scenario",
]
