"""The Dask distributed engine: a running scheduler, or a LocalCluster started here."""

from __future__ import annotations

from typing import Any

from realpolitik.engine.base import Engine, default_workers
from realpolitik.errors import OptionError, Problem


class DaskEngine(Engine):
    """Run chunks on Dask workers.

    Parameters
    ----------
    scheduler
        Address of a running scheduler (``tcp://host:8786``).  Without one a
        :class:`distributed.LocalCluster` with ``workers`` single-threaded workers is
        started on first use and shut down by :meth:`close`.
    workers
        Workers of the LocalCluster (default: every core, :func:`default_workers`).
    processes
        LocalCluster workers as processes (default) or threads (fast to start; tests).
    timeout
        How long to try to reach a scheduler.

    Workers must have realpolitik installed (the tasks are its own functions).
    """

    name = "dask"
    takes_scheduler = True

    @classmethod
    def from_options(cls, workers: int | None = None, scheduler: str | None = None, processes: bool = True) -> "DaskEngine":
        return cls(scheduler=scheduler, workers=workers, processes=processes)

    def __init__(
        self, scheduler: str | None = None, workers: int | None = None, processes: bool = True, timeout: str = "10s"
    ):
        if workers is not None and workers < 1:
            raise OptionError([Problem("workers", f"must be at least 1, got {workers}")])
        self.scheduler = scheduler
        self._n = workers or default_workers()
        self.processes = processes
        self.timeout = timeout
        self._client = None
        self._cluster = None

    @property
    def workers(self) -> int:
        if self._client is not None:
            try:
                return len(self._client.scheduler_info()["workers"])
            except Exception:  # pragma: no cover - scheduler gone
                pass
        return self._n

    def client(self):
        if self._client is None:
            import logging

            from distributed import Client, LocalCluster

            logging.getLogger("distributed").setLevel(logging.ERROR)
            if self.scheduler:
                try:
                    self._client = Client(self.scheduler, timeout=self.timeout)
                except (OSError, TimeoutError) as exc:
                    raise OptionError(
                        [Problem("scheduler", f"cannot reach the Dask scheduler at {self.scheduler}: {exc}")]
                    ) from None
            else:
                import warnings

                import dask

                # Dask sets MALLOC_TRIM_THRESHOLD_=65536 in worker processes, which turns
                # off glibc's adaptive mmap threshold: every large NumPy temporary is then
                # mmap'ed and page-faulted afresh, and a vectorised chunk runs ~4x slower
                # (docs/DECISIONS.md).  Chunks are small, so workers keep the default.
                with warnings.catch_warnings(), dask.config.set(
                    {"distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None}
                ):
                    # the scheduler's HTTP routes fall back to a free port when 8787 is taken
                    warnings.filterwarnings("ignore", message="Port .* is already in use")
                    self._cluster = LocalCluster(
                        n_workers=self._n,
                        threads_per_worker=1,
                        processes=self.processes,
                        dashboard_address=None,
                        # a cluster we start is ours: its heartbeats timing out under load
                        # and shutdown races log tracebacks at ERROR that are not the
                        # user's concern (a task's error still reaches map() through its
                        # future); docs/DECISIONS.md "Dask engine logs"
                        silence_logs=logging.CRITICAL,
                    )
                    logging.getLogger("distributed").setLevel(logging.CRITICAL)
                self._client = Client(self._cluster)
        return self._client

    def map(self, fn, tasks, progress=None):
        from distributed import as_completed

        client = self.client()
        futures = client.map(fn, list(tasks), pure=False)
        index = {f.key: k for k, f in enumerate(futures)}
        out: list[Any] = [None] * len(futures)
        try:
            for fut in as_completed(futures):
                k = index[fut.key]
                out[k] = fut.result()
                if progress is not None:
                    progress(k, out[k])
        except BaseException:
            client.cancel(futures)
            raise
        return out

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None
        if self._cluster is not None:
            self._cluster.close()
            self._cluster = None

    def describe(self) -> dict[str, Any]:
        d = super().describe()
        d["scheduler"] = self.scheduler or "LocalCluster"
        return d
