"""Engines run batches of scenario draws: locally, in a process pool, or on Dask.

Work is cut into *chunks* whose boundaries and seeds depend only on the number of
draws, the chunk size and the seed - never on the engine - so one seed gives the
same numbers on every engine (:func:`plan_chunks`).  An engine only maps a
top-level function over a list of tasks and returns the results in task order;
models never know which engine runs them.

* ``local``   - in this process, vectorised chunks on a thread per core (``workers=1``: one
  after another);
* ``process`` - a :class:`concurrent.futures.ProcessPoolExecutor` (spawned workers);
* ``dask``    - :mod:`distributed`: a scheduler address, or a LocalCluster.

Engines are found by name in a small registry (:func:`register_engine`,
:func:`get_engine`): the protocol in :mod:`realpolitik.engine.base` knows no
engine, and a new engine (a job queue, a cluster) is one module and one
``register_engine`` call.
"""

from __future__ import annotations

from realpolitik.engine.base import (
    DEFAULT_CHUNK_SIZE,
    LOOP_CHUNK_SIZE,
    Chunk,
    Engine,
    LocalEngine,
    ProcessEngine,
    chunk_rng,
    default_chunk_size,
    default_workers,
    plan_chunks,
)
from realpolitik.engine.dask import DaskEngine
from realpolitik.errors import OptionError, Problem

_REGISTRY: dict[str, type[Engine]] = {}


def register_engine(cls: type[Engine]) -> type[Engine]:
    """Make an :class:`Engine` subclass available by its ``name`` and ``aliases``."""
    if not cls.name:
        raise TypeError(f"{cls.__name__} has no name")
    for key in (cls.name, *cls.aliases):
        _REGISTRY[key] = cls
    return cls


for _cls in (LocalEngine, ProcessEngine, DaskEngine):
    register_engine(_cls)

#: the registered engines' names, in registration order
ENGINES = tuple(dict.fromkeys(c.name for c in _REGISTRY.values()))


def get_engine(
    name: str | Engine | None = "local",
    workers: int | None = None,
    scheduler: str | None = None,
    processes: bool = True,
) -> Engine:
    """An engine by name: ``local``, ``process`` (``workers``) or ``dask`` (``scheduler``,
    or a LocalCluster with ``workers`` workers; ``processes=False`` for threads)."""
    if isinstance(name, Engine):
        return name
    key = (name or "local").strip().lower()
    cls = _REGISTRY.get(key)
    if scheduler is not None and (cls is None or not cls.takes_scheduler):
        raise OptionError([Problem("scheduler", "a scheduler address needs the dask engine")])
    if cls is None:
        raise OptionError([Problem("engine", f"unknown engine {name!r}: expected local, process or dask")])
    return cls.from_options(workers=workers, scheduler=scheduler, processes=processes)


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
    "default_workers",
    "get_engine",
    "plan_chunks",
    "register_engine",
]
