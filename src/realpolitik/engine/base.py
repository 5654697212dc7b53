"""The engine protocol, seeded chunk planning, and the local and process-pool engines."""

from __future__ import annotations

import math
import os
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from realpolitik.errors import OptionError, Problem

#: draws per chunk unless the caller says otherwise (part of what fixes the numbers)
DEFAULT_CHUNK_SIZE = 1000
#: draws per chunk for models without a vectorised core (they loop over draws, so
#: small chunks give a live progress bar and work for every worker)
LOOP_CHUNK_SIZE = 25


#: memory a chunk's pairwise work arrays may take (models hold ``[draw, actor, actor,
#: issue]`` arrays; 16 float64 arrays of that shape per draw is a generous bound)
CHUNK_MEMORY_BUDGET = 256 * 2**20
_PAIRWISE_ARRAYS = 16


def default_chunk_size(model, scenario=None) -> int:
    """The chunk size used when none is given: 1000 draws for a vectorised model, 25 for a
    looping one, fewer for large scenarios so that a chunk's pairwise arrays stay within
    :data:`CHUNK_MEMORY_BUDGET`.  It depends on the model and the scenario, never on the engine.
    """
    size = DEFAULT_CHUNK_SIZE if getattr(model, "vectorised", False) else LOOP_CHUNK_SIZE
    if scenario is not None:
        n, m = len(scenario.actors), max(1, len(scenario.issues))
        per_draw = 8 * _PAIRWISE_ARRAYS * n * n * m
        size = min(size, max(1, CHUNK_MEMORY_BUDGET // per_draw))
    return size

Progress = Callable[[int, Any], None]


@dataclass(frozen=True)
class Chunk:
    """One slice of the draw axis and the seed that belongs to it.

    ``seed`` is child ``index`` of ``SeedSequence(root)``; :func:`chunk_rng` derives
    independent generators from it by extending its spawn key, so nothing depends on
    how often or where a chunk is run.
    """

    index: int
    start: int
    stop: int
    seed: np.random.SeedSequence

    @property
    def draws(self) -> int:
        return self.stop - self.start


def plan_chunks(draws: int, seed: int | np.random.SeedSequence, chunk_size: int = DEFAULT_CHUNK_SIZE) -> list[Chunk]:
    """Cut ``draws`` into chunks of ``chunk_size`` (the last may be shorter), each with its seed.

    The plan depends only on its arguments: the same seed and chunk size give the
    same chunks and the same random streams on every engine.
    """
    if draws < 1:
        raise OptionError([Problem("draws", f"must be at least 1, got {draws}")])
    if chunk_size < 1:
        raise OptionError([Problem("chunk_size", f"must be at least 1, got {chunk_size}")])
    root = seed if isinstance(seed, np.random.SeedSequence) else np.random.SeedSequence(seed)
    n = math.ceil(draws / chunk_size)
    # children spawned from a copy: the caller's SeedSequence is not advanced
    children = np.random.SeedSequence(root.entropy, spawn_key=root.spawn_key).spawn(n)
    return [Chunk(k, k * chunk_size, min(draws, (k + 1) * chunk_size), children[k]) for k in range(n)]


def chunk_rng(seed: np.random.SeedSequence, stream: int) -> np.random.Generator:
    """Generator number ``stream`` of a chunk (0: input draws, 1: the model's own draws)."""
    return np.random.default_rng(np.random.SeedSequence(seed.entropy, spawn_key=tuple(seed.spawn_key) + (stream,)))


#: threads of a local engine built without ``workers`` (None: one per core).  A host that runs
#: several jobs at once in worker processes of its own (the workbench's job pool) sets 1.
LOCAL_WORKERS: int | None = None


#: kinds of task (function, model class) whose first chunk has run in this process
_WARM: set = set()


def default_workers() -> int:
    """Workers of a process pool or a Dask LocalCluster when none are asked for: every core."""
    return max(1, os.cpu_count() or 1)


class Engine(ABC):
    """Maps a picklable top-level function over tasks; results come back in task order.

    An engine is found by ``name`` (or one of its ``aliases``) through the registry in
    :mod:`realpolitik.engine`, which builds it with :meth:`from_options`.
    """

    name: str = ""
    aliases: tuple[str, ...] = ()
    #: True when the engine can reach a scheduler given by address
    takes_scheduler: bool = False

    @classmethod
    @abstractmethod
    def from_options(cls, workers: int | None = None, scheduler: str | None = None, processes: bool = True) -> "Engine":
        """Build the engine from the options every front end offers."""

    @abstractmethod
    def map(self, fn: Callable[[Any], Any], tasks: Sequence[Any], progress: Progress | None = None) -> list[Any]:
        """``[fn(t) for t in tasks]``; ``progress(index, result)`` as each one finishes."""

    def close(self) -> None:
        """Release workers (threads, processes, a cluster client)."""

    @property
    def workers(self) -> int:
        return 1

    def __enter__(self) -> "Engine":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def describe(self) -> dict[str, Any]:
        return {"engine": self.name, "workers": self.workers}


class LocalEngine(Engine):
    """In this process: the chunks on a pool of threads, one per core (``workers``).

    The models' batch cores spend their time in compiled kernels that release the GIL
    (numba ``nogil``) and in NumPy, so two chunks in two threads run at once: on a machine
    of ``k`` cores a Monte Carlo run takes about ``1/k`` of the time, with no worker
    processes to start and nothing pickled.  A chunk's numbers depend only on its seed, so
    the threads change no number (tests/test_engines.py); results come back in task order,
    ``progress`` is called in the calling thread as each chunk finishes.  ``workers=1``
    runs the chunks one after another in the calling thread (the default where
    :data:`LOCAL_WORKERS` is 1: the workbench's job workers).
    """

    name = "local"

    @classmethod
    def from_options(cls, workers: int | None = None, scheduler: str | None = None, processes: bool = True) -> "LocalEngine":
        return cls(workers)

    def __init__(self, workers: int | None = None):
        if workers is not None and workers < 1:
            raise OptionError([Problem("workers", f"must be at least 1, got {workers}")])
        self._workers = workers or LOCAL_WORKERS or default_workers()
        self._pool = None

    @property
    def workers(self) -> int:
        return self._workers

    def map(self, fn, tasks, progress=None):
        out: list[Any] = [None] * len(tasks)

        def finish(k: int, r: Any) -> None:
            out[k] = r
            if progress is not None:
                progress(k, r)

        # the first chunk of a kind of task (function, model) in this process runs alone in the
        # calling thread: the model's lazy imports and compiled kernels load once, before two
        # threads could reach them at the same time
        first = 0
        kind = (fn, type(getattr(tasks[0], "model", None))) if tasks else None
        if tasks and (self._workers == 1 or kind not in _WARM):
            finish(0, fn(tasks[0]))
            _WARM.add(kind)
            first = 1
        if self._workers == 1 or len(tasks) - first <= 1:
            for k in range(first, len(tasks)):
                finish(k, fn(tasks[k]))
            return out
        from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait

        if self._pool is None:  # kept until close(): the threads' caches serve the next map
            self._pool = ThreadPoolExecutor(max_workers=self._workers, thread_name_prefix="realpolitik-local")
        # two chunks per thread in flight: an error or Ctrl-C waits only for the running ones
        todo = iter(range(first, len(tasks)))
        running: dict[Any, int] = {}
        try:
            for k in todo:
                running[self._pool.submit(fn, tasks[k])] = k
                if len(running) >= 2 * self._workers:
                    break
            while running:
                done, _ = wait(running, return_when=FIRST_COMPLETED)
                for fut in done:
                    finish(running.pop(fut), fut.result())
                    k = next(todo, None)
                    if k is not None:
                        running[self._pool.submit(fn, tasks[k])] = k
        except BaseException:
            for fut in running:
                fut.cancel()
            wait(running)
            raise
        return out

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None


class ProcessEngine(Engine):
    """A pool of worker processes (``spawn`` start method: the same on every OS).

    The pool starts on first use and lives until :meth:`close` (or the end of a
    ``with`` block), so repeated maps do not pay the start-up again.
    """

    name = "process"
    aliases = ("processes", "pool")

    @classmethod
    def from_options(cls, workers: int | None = None, scheduler: str | None = None, processes: bool = True) -> "ProcessEngine":
        return cls(workers)

    def __init__(self, workers: int | None = None):
        if workers is not None and workers < 1:
            raise OptionError([Problem("workers", f"must be at least 1, got {workers}")])
        self._workers = workers or default_workers()
        self._pool = None

    @property
    def workers(self) -> int:
        return self._workers

    def _executor(self):
        if self._pool is None:
            import multiprocessing as mp
            from concurrent.futures import ProcessPoolExecutor

            self._pool = ProcessPoolExecutor(max_workers=self._workers, mp_context=mp.get_context("spawn"))
        return self._pool

    def map(self, fn, tasks, progress=None):
        from concurrent.futures import as_completed

        pool = self._executor()
        futures = {pool.submit(fn, t): k for k, t in enumerate(tasks)}
        out: list[Any] = [None] * len(futures)
        try:
            for fut in as_completed(futures):
                k = futures[fut]
                out[k] = fut.result()
                if progress is not None:
                    progress(k, out[k])
        except BaseException:
            for fut in futures:
                fut.cancel()
            raise
        return out

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
