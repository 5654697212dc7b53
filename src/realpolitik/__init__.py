"""realpolitik: forecast negotiations and conflict decisions with game-theoretic models.

Quick start::

    import realpolitik as rp
    scenario = rp.load_scenario()             # the built-in default scenario
    result = rp.get_model("weighted-mean").run(scenario)
    print(result.forecast)
"""

from importlib.metadata import PackageNotFoundError, version as _version

try:
    __version__ = _version("realpolitik")
except PackageNotFoundError:  # running from a source tree without install
    __version__ = "0.0.0+unknown"

from realpolitik.errors import Problem, ScenarioError  # noqa: E402
from realpolitik.scenario import Scenario, load_scenario  # noqa: E402
from realpolitik.models import Result, available_models, get_model  # noqa: E402

__all__ = [
    "Problem",
    "Result",
    "Scenario",
    "ScenarioError",
    "__version__",
    "available_models",
    "get_model",
    "load_scenario",
]
