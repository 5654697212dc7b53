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

from realpolitik._version import __version__
from realpolitik.errors import OptionError, Problem, ScenarioError
from realpolitik.scenario import Scenario, load_scenario
from realpolitik.models import Result, available_models, get_model
from realpolitik.api import advise, convert, draft, forecast

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
