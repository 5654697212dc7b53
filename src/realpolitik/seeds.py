"""The one seed path: every random number realpolitik draws starts from one seed, drawn here.

* :func:`fresh_seed` draws a seed from the operating system's entropy, in one range,
  ``[0, 2**63)``, so that it fits a signed 64-bit integer (databases, JSON readers);
* :data:`DEFAULT_SEED` is the fixed seed of runs whose tables must reproduce by default
  (the backtests);
* :func:`resolve_seed` turns "no seed given" into a fresh seed, so that a run records the
  seed it used and can be repeated.

Rule: the run's seed (``--seed``, ``seed=``, ``rng=``) is the only source of random numbers.
A model's own seed setting (SMP's ``seed`` option, a KTAB XML ``prngSeed``) is a default for
a single run that is given no seed, and never applies in Monte Carlo, where each chunk's
generator is derived from the run's seed (:func:`realpolitik.engine.plan_chunks`).
"""

from __future__ import annotations

#: every fresh seed lies in [0, SEED_RANGE)
SEED_RANGE = 2**63
#: the seed of runs that reproduce published tables by default (the backtests)
DEFAULT_SEED = 20260126


def fresh_seed() -> int:
    """A new seed from the operating system's entropy, in ``[0, 2**63)``."""
    import numpy as np  # here, not at import: the CLI's start-up does not need numpy

    return int(np.random.SeedSequence().entropy % SEED_RANGE)


def resolve_seed(seed: int | None) -> int:
    """``seed`` itself, or a fresh one when it is ``None``."""
    return fresh_seed() if seed is None else int(seed)


__all__ = ["DEFAULT_SEED", "SEED_RANGE", "fresh_seed", "resolve_seed"]
