"""realpolitik: forecast negotiations and conflict decisions with game-theoretic models.

Quick start::

    import realpolitik as rp

    results = rp.forecast()                   # the default scenario, every standard model
    for r in results:
        print(r.model, r.forecast)            # {issue id: forecast on the issue's scale}

    r = rp.forecast("ec-emissions", models="nash", utility="linear")  # one model -> one Result
    r.to_dict()                               # the JSON of `realpolitik forecast --json`

    scenario = rp.load_scenario("my_case.csv")          # YAML, JSON, CSV, Excel, KTAB, Decide
    rp.forecast(scenario, models=["weighted-mean", "weighted-median"])
    rp.convert(scenario, "my_case.xlsx")                 # any format -> any format

    model = rp.get_model("weighted-mean")     # the model protocol: options at construction,
    model.run(scenario, rng=7)                # run(scenario, rng) -> Result

    advice = rp.advise("putin", draws=100, seed=7)   # levers ranked under uncertainty
    d = rp.draft("commentary.txt")            # a draft scenario, every number with its quote

Public names
------------
:func:`forecast`, :func:`convert`, :func:`advise`, :func:`draft`, :func:`load_scenario`, :func:`get_model`,
:func:`available_models`, :class:`Scenario`, :class:`Result`, :class:`ScenarioError`
(a user's mistake: ``.problems`` lists every ``Problem(location, message)``) and
:class:`OptionError` (a bad model option).
"""

import sys
import types
from typing import TYPE_CHECKING

from realpolitik.errors import OptionError, Problem, ScenarioError

# The public names are imported on first use (PEP 562), so that ``realpolitik --version``
# and the CLI's other commands do not pay for the models, numpy and scipy they do not use.
_LAZY = {
    "__version__": "realpolitik._version",
    "Scenario": "realpolitik.scenario",
    "load_scenario": "realpolitik.scenario",
    "Result": "realpolitik.models",
    "available_models": "realpolitik.models",
    "get_model": "realpolitik.models",
    "advise": "realpolitik.api",
    "convert": "realpolitik.api",
    "draft": "realpolitik.api",
    "forecast": "realpolitik.api",
}

if TYPE_CHECKING:  # pragma: no cover - for type checkers and IDEs
    from realpolitik._version import __version__
    from realpolitik.api import advise, convert, draft, forecast
    from realpolitik.models import Result, available_models, get_model
    from realpolitik.scenario import Scenario, load_scenario


def __getattr__(name: str):
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'realpolitik' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))


class _Package(types.ModuleType):
    """The package module: importing the subpackage ``realpolitik.draft`` must not replace the
    function ``realpolitik.draft`` (Python binds a submodule to its parent's attribute)."""

    def __setattr__(self, name: str, value) -> None:
        if name in _LAZY and isinstance(value, types.ModuleType):
            return
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package

__all__ = [
    "OptionError",
    "Problem",
    "Result",
    "Scenario",
    "ScenarioError",
    "__version__",
    "advise",
    "available_models",
    "convert",
    "draft",
    "forecast",
    "get_model",
    "load_scenario",
]
