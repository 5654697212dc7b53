"""Engines run batches of scenario draws: locally, in a process pool, or on Dask.

Work is cut into *chunks* whose boundaries and seeds depend only on the number of
draws, the chunk size and the seed - never on the engine - so one seed gives the
same numbers on every engine (:func:`plan_chunks`).  An engine only maps a
top-level function over a list of tasks and returns the results in task order;
models never know which engine runs them.

* ``local``   - in this process, one vectorised chunk after another;
* ``process`` - a :class:`concurrent.futures.ProcessPoolExecutor` (spawned workers);
* ``dask``    - :mod:`distributed`: a scheduler address, or a LocalCluster.
"""

from realpolitik.engine.base import (
    DEFAULT_CHUNK_SIZE,
    LOOP_CHUNK_SIZE,
    Chunk,
    Engine,
    LocalEngine,
    ProcessEngine,
    chunk_rng,
    default_chunk_size,
    get_engine,
    plan_chunks,
)
from realpolitik.engine.dask import DaskEngine

ENGINES = ("local", "process", "dask")

__all__ = [
    "DEFAULT_CHUNK_SIZE",
    "ENGINES",
    "LOOP_CHUNK_SIZE",
    "Chunk",
    "DaskEngine",
    "Engine",
    "LocalEngine",
    "ProcessEngine",
    "chunk_rng",
    "default_chunk_size",
    "get_engine",
    "plan_chunks",
]
