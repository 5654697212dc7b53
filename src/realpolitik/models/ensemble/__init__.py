"""The ensemble forecast: the spatial models combined, with calibrated intervals.

* :mod:`~realpolitik.models.ensemble.model` - the ``ensemble`` model (registered like
  every other model) and its headline tables;
* :mod:`~realpolitik.models.ensemble.combine` - stacking weights and conformal
  quantiles (pure functions);
* ``calibration.json`` - the shipped calibration, written by
  ``realpolitik ensemble calibrate`` from the case library (docs/backtests.md).
"""

from realpolitik.models.ensemble.model import Calibration, Ensemble, shipped_calibration

__all__ = ["Calibration", "Ensemble", "shipped_calibration"]
