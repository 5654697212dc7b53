"""Advice for one actor: ranked levers, pivotality and perception quadrants.

``advise(scenario, actor, model)`` is the entry point (:mod:`.core`); the pieces
compose on their own: :mod:`.levers` (candidate levers and their paired batch
evaluation), :mod:`.power` (Shapley-Shubik and Banzhaf indices), :mod:`.perception`
(the expected-utility model's quadrants).  See ``docs/advise.md``.
"""

from realpolitik.analysis.advise.core import Advice, LeverResult, Pivotality, advise, parse_target
from realpolitik.analysis.advise.levers import Lever, candidate_levers
from realpolitik.analysis.advise.perception import REGIONS, classify
from realpolitik.analysis.advise.power import PowerIndices, majority_indices, power_indices

__all__ = [
    "Advice", "LeverResult", "Pivotality", "advise", "parse_target", "Lever", "candidate_levers",
    "REGIONS", "classify", "PowerIndices", "majority_indices", "power_indices",
]
