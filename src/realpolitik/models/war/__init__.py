"""The war-time bargaining layer (design doc ``docs/design/war-bargaining.md``; ``docs/war.md``).

* :mod:`~realpolitik.models.war.mechanisms` - small pure functions, one per
  mechanism, each with its source and honesty label ([V]/[K]/[D]);
* :mod:`~realpolitik.models.war.simulator` - the vectorised, seeded war simulator;
* :mod:`~realpolitik.models.war.screening` - Powell (2004) screening by backward
  induction;
* :mod:`~realpolitik.models.war.inputs` - from a scenario's ``war`` section to arrays
  (orientation, beliefs, the two-level domestic win-sets over time);
* :mod:`~realpolitik.models.war.model` - the registered model ``war``.
"""

from realpolitik.models.war.model import WarBargaining

__all__ = ["WarBargaining"]
