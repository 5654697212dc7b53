"""The workbench's job queue: long work in worker processes, watched, bounded and cancellable.

Runs, Monte Carlo, what-ifs, sensitivity analyses, timelines and the parsing of uploads
run in a pool of worker processes (:class:`pebble.ProcessPool`, a maintained pool whose
futures can be cancelled *while running* - the worker is killed and replaced - and that
times tasks out the same way).  What this module adds is bookkeeping:

* a bound on concurrent jobs (the pool's workers) and on waiting jobs (429 beyond it);
* a time budget per job (pebble's timeout) and a memory budget (an address-space limit
  set in the worker around the task, :func:`realpolitik.web.tasks.execute`);
* progress: each job has a slot in a shared array that its worker writes
  (``done``, ``total``) and :meth:`JobManager.snapshot` reads; the server streams it
  (server-sent events) or answers polls;
* the end of every job is recorded (:meth:`RunStore.save_job`) together with the runs
  it produced, in one transaction, so nothing is ever half-stored; a shutdown cancels
  every job and records it as cancelled.

Uploads are parsed in a separate one-worker pool with a short wall-clock budget, so a
hostile file never waits behind (or blocks) forecasts, and never the event loop.

``isolation="thread"`` runs tasks in threads of the server process instead (for tests
that patch models in-process): cancel and the time budget then take effect at the
task's next progress report, and there is no memory budget.
"""

from __future__ import annotations

import asyncio
import concurrent.futures as cf
import datetime as dt
import logging
import multiprocessing as mp
import os
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from realpolitik.web import tasks

log = logging.getLogger("realpolitik.web")

FINAL = ("done", "failed", "cancelled", "timeout")


@dataclass
class JobSettings:
    """Bounds of the job queue (``realpolitik serve`` flags)."""

    workers: int = 2  # concurrent jobs
    queue: int = 16  # jobs waiting beyond those
    time_budget: float = 300.0  # seconds per job
    memory_mb: int = 2048  # address space a job may add to its worker
    parse_budget: float = 10.0  # seconds to parse one upload
    isolation: str = "process"  # or "thread" (tests)


@dataclass
class Job:
    id: str
    kind: str
    label: str
    slot: int
    created_at: dt.datetime
    state: str = "queued"  # queued | running | done | failed | cancelled | timeout
    started: float | None = None
    finished_at: dt.datetime | None = None
    elapsed: float | None = None
    message: str = ""
    outcome: dict[str, Any] | None = None  # what the task returned (view, problems)
    run_ids: list[int] = field(default_factory=list)
    future: Any = None
    done_event: asyncio.Event | None = None
    loop: asyncio.AbstractEventLoop | None = None
    cancel_flag: threading.Event = field(default_factory=threading.Event)
    t0: float = field(default_factory=time.monotonic)

    def public(self, progress: tuple[float, float] = (0.0, 0.0), with_result: bool = False) -> dict[str, Any]:
        done, total = progress
        d = {"id": self.id, "kind": self.kind, "label": self.label, "state": self.state, "message": self.message,
             "created_at": self.created_at.isoformat(timespec="seconds"), "elapsed": self.elapsed,
             "progress": {"done": done, "total": total, "fraction": (done / total) if total else None},
             "run_ids": self.run_ids, "url": f"/api/jobs/{self.id}", "events": f"/api/jobs/{self.id}/events"}  # fmt: skip
        if self.state == "running" and self.started is not None:
            d["elapsed"] = round(time.monotonic() - self.started, 2)
        if with_result and self.outcome is not None:
            o = self.outcome
            if o.get("ok"):
                d["result"] = {**o.get("view", {}), "run_id": self.run_ids[0] if self.run_ids else None}
            else:
                d["error"] = {"status": o.get("status", 422), "detail": o.get("detail", ""), "problems": o.get("problems", [])}
        return d


class QueueFull(Exception):
    pass


class JobManager:
    """Jobs of one app: submit, watch, cancel, and shut down (see the module docstring)."""

    def __init__(self, settings: JobSettings | None = None, store=None):
        self.settings = settings or JobSettings()
        self.store = store
        self.jobs: dict[str, Job] = {}
        self.closing = False
        self._slots = list(range(self.settings.workers + self.settings.queue + 1))
        self._progress = mp.get_context("spawn").RawArray("d", 2 * (len(self._slots) + 1))
        self._pool = None
        self._parse_pool = None
        self._threads: cf.ThreadPoolExecutor | None = None
        self._started = False
        self._lock = threading.Lock()

    def _ensure_started(self) -> None:
        # the app's lifespan starts the pools; an app used without it (a TestClient outside
        # a with-block) starts them on first use
        with self._lock:
            if not self._started:
                self.start()

    # ------------------------------------------------------------ pools
    def start(self) -> None:
        self._started = True
        if self.settings.isolation == "thread":
            self._threads = cf.ThreadPoolExecutor(self.settings.workers + 1, thread_name_prefix="rp-job")
            return
        from pebble import ProcessPool

        for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
            os.environ.setdefault(var, "1")
        ctx = mp.get_context("forkserver")
        ctx.set_forkserver_preload(["realpolitik.web.tasks", "realpolitik.web.views", "realpolitik.models",
                                    "realpolitik.analysis.montecarlo"])  # fmt: skip
        self._pool = ProcessPool(max_workers=self.settings.workers, initializer=tasks.init_worker,
                                 initargs=(self._progress,), context=ctx)  # fmt: skip
        self._parse_pool = ProcessPool(max_workers=1, initializer=tasks.init_worker, initargs=(self._progress,), context=ctx)

    def warm_up(self, timeout: float = 60.0) -> None:
        """Start the worker processes now (blocking; call it off the event loop).

        A pool starts its workers on the first task, in the thread that schedules it, and
        the first start waits for the forkserver to import the models: never on the event
        loop, where it would stall every request for seconds.
        """
        if self._pool is None:
            return
        futures = [pool.schedule(tasks.ping) for pool in (self._pool, self._parse_pool)]
        for f in futures:
            try:
                f.result(timeout=timeout)
            except Exception:  # noqa: BLE001 - a slow start is not fatal: the first job waits instead
                log.warning("job workers not ready after %.0f s", timeout)

    def _submit_callable(self, pool, kind: str, payload: dict[str, Any], slot: int | None, budget: float, job: Job | None):
        if self._threads is not None:
            return self._threads.submit(self._thread_task, kind, payload, slot, job)
        return pool.schedule(tasks.execute, args=(kind, payload, slot, self.settings.memory_mb), timeout=budget)

    def _thread_task(self, kind: str, payload: dict[str, Any], slot: int | None, job: Job | None) -> dict[str, Any]:
        # threads cannot be killed: cancel and the time budget are checked at each progress report
        budget, t0 = self.settings.time_budget, time.monotonic()

        def check() -> None:
            if job is not None and job.cancel_flag.is_set():
                raise tasks.Stopped("cancelled")
            if time.monotonic() - t0 > budget:
                raise tasks.Stopped("timeout")

        return tasks.execute(kind, payload, slot, None, check)

    # ------------------------------------------------------------ parsing uploads
    async def parse(self, raw: bytes, name: str) -> dict[str, Any]:
        """Parse an upload off the event loop within the parse budget (a 4xx outcome when over it)."""
        budget = self.settings.parse_budget
        self._ensure_started()
        if self._threads is not None:
            fut = self._threads.submit(tasks.execute, "parse", {"raw": raw, "name": name}, None, None)
        else:
            fut = self._parse_pool.schedule(tasks.execute, args=("parse", {"raw": raw, "name": name}, None,
                                                                 self.settings.memory_mb), timeout=budget)  # fmt: skip
        try:
            return await asyncio.wait_for(asyncio.wrap_future(fut), budget + 2.0)
        except (TimeoutError, asyncio.TimeoutError, cf.TimeoutError):
            fut.cancel()
            return tasks.problem_result(f"reading the file took longer than {budget:g} s: it is too large or too complex",
                                        name, status=422)  # fmt: skip
        except cf.CancelledError:
            return tasks.problem_result("the server is shutting down", name, status=503)
        except Exception as exc:  # noqa: BLE001 - the worker died (e.g. killed for memory)
            return tasks.problem_result(f"the file could not be read ({type(exc).__name__})", name, status=422)

    # ------------------------------------------------------------ jobs
    def submit(self, kind: str, payload: dict[str, Any], label: str) -> Job:
        if self.closing:
            raise QueueFull("the server is shutting down")
        self._ensure_started()
        with self._lock:
            active = [j for j in self.jobs.values() if j.state in ("queued", "running")]
            if len(active) >= self.settings.workers + self.settings.queue or not self._slots:
                raise QueueFull(f"{len(active)} jobs are running or waiting; try again when one has finished")
            slot = self._slots.pop(0)
            self._progress[2 * slot] = self._progress[2 * slot + 1] = 0.0
            job = Job(id=uuid.uuid4().hex[:16], kind=kind, label=label[:500], slot=slot,
                      created_at=dt.datetime.now(dt.timezone.utc))  # fmt: skip
            if _running_loop():
                job.done_event, job.loop = asyncio.Event(), asyncio.get_running_loop()
            self.jobs[job.id] = job
        fut = self._submit_callable(self._pool, kind, payload, slot, self.settings.time_budget, job)
        job.future = fut
        fut.add_done_callback(lambda f, j=job: self._finished(j, f))
        self._forget_old()
        return job

    def _finished(self, job: Job, fut) -> None:
        """Called in a pool thread when the task ends (result, error, timeout or cancel)."""
        try:
            outcome = fut.result()
            state = "done" if outcome.get("ok") else "failed"
            if outcome.get("log"):
                log.error("job %s (%s) failed:\n%s", job.id, job.kind, outcome.pop("log"))
            if outcome.get("stopped") == "timeout":
                outcome, state = tasks.problem_result(self._timeout_text(), "job"), "timeout"
            elif outcome.get("stopped"):
                outcome, state = tasks.problem_result("cancelled", "job"), "cancelled"
        except (cf.CancelledError, asyncio.CancelledError):
            outcome, state = tasks.problem_result("cancelled", "job"), "cancelled"
        except (TimeoutError, cf.TimeoutError):
            outcome, state = tasks.problem_result(self._timeout_text(), "job"), "timeout"
        except Exception as exc:  # noqa: BLE001 - the worker process died
            outcome = tasks.problem_result(f"the worker stopped ({type(exc).__name__}: {str(exc)[:200]}); the job is lost",
                                           "job", status=500)  # fmt: skip
            state = "failed"
        if self.closing and state != "done":
            state, outcome = "cancelled", tasks.problem_result("cancelled: the server shut down", "job", status=503)
        job.message = outcome.get("detail", "") if state != "done" else ""
        job.elapsed = round(time.monotonic() - job.t0, 3)
        job.finished_at = dt.datetime.now(dt.timezone.utc)
        self._record(job, state, outcome)
        job.outcome = outcome
        job.state = state
        with self._lock:
            self._slots.append(job.slot)
        if job.done_event is not None and job.loop is not None and not job.loop.is_closed():
            job.loop.call_soon_threadsafe(job.done_event.set)

    def _timeout_text(self) -> str:
        return f"the job ran longer than its time budget of {self.settings.time_budget:g} s: ask for fewer draws, rounds or samples"

    def _record(self, job: Job, state: str, outcome: dict[str, Any]) -> None:
        """Store the job's end and its runs in one transaction (never raises)."""
        if self.store is None:
            return
        scen, results = None, []
        if state == "done" and outcome.get("results"):
            from realpolitik.scenario import Scenario

            scen = Scenario.model_validate(outcome["scenario"])
            results = outcome["results"]
        row = {"id": job.id, "kind": job.kind, "label": job.label, "state": state, "message": job.message or None,
               "created_at": job.created_at, "finished_at": job.finished_at, "elapsed": job.elapsed}  # fmt: skip
        try:
            job.run_ids = self.store.save_job(row, scen, results, source="web")
        except Exception as exc:  # noqa: BLE001 - the forecast is still shown
            log.warning("job %s not recorded in the run history: %s", job.id, str(exc).splitlines()[0] if str(exc) else exc)

    def progress(self, job: Job) -> tuple[float, float]:
        if job.state in FINAL:
            total = self._progress[2 * job.slot + 1] if job.state == "done" else 0.0
            return (total, total) if job.state == "done" and total else (0.0, 0.0)
        if job.state == "queued" and job.future is not None and job.future.running():
            job.state, job.started = "running", time.monotonic()
        return float(self._progress[2 * job.slot]), float(self._progress[2 * job.slot + 1])

    def snapshot(self, job: Job, with_result: bool = False) -> dict[str, Any]:
        return job.public(self.progress(job), with_result)

    def get(self, job_id: str) -> Job | None:
        return self.jobs.get(job_id)

    def cancel(self, job: Job) -> bool:
        """Cancel a waiting or running job (a running one's worker is killed)."""
        if job.state in FINAL:
            return False
        job.cancel_flag.set()
        if job.future is not None:
            job.future.cancel()
        return True

    async def wait(self, job: Job, timeout: float | None = None) -> None:
        if job.state in FINAL:
            return
        if job.done_event is None:
            while job.state not in FINAL:
                await asyncio.sleep(0.05)
            return
        await asyncio.wait_for(job.done_event.wait(), timeout)

    def _forget_old(self, keep: int = 200) -> None:
        ended = [j for j in self.jobs.values() if j.state in FINAL]
        for j in sorted(ended, key=lambda j: j.t0)[:-keep] if len(ended) > keep else []:
            self.jobs.pop(j.id, None)

    # ------------------------------------------------------------ shutdown
    def shutdown(self, wait: float = 2.0) -> None:
        """Cancel every job (recorded as cancelled), stop the workers; within ``wait`` seconds."""
        self.closing = True
        for job in list(self.jobs.values()):
            if job.state not in FINAL and job.future is not None:
                job.cancel_flag.set()
                job.future.cancel()
        deadline = time.monotonic() + wait
        for job in list(self.jobs.values()):
            while job.state not in FINAL and time.monotonic() < deadline:
                time.sleep(0.02)
            if job.state not in FINAL:  # the pool did not report it in time: record it ourselves
                job.finished_at = dt.datetime.now(dt.timezone.utc)
                job.message = "cancelled: the server shut down"
                self._record(job, "cancelled", {})
                job.state = "cancelled"
        for pool in (self._pool, self._parse_pool):
            if pool is not None:
                pool.stop()
                pool.join(timeout=max(0.1, deadline - time.monotonic()))
        if self._threads is not None:
            self._threads.shutdown(wait=False, cancel_futures=True)


def _running_loop() -> bool:
    try:
        asyncio.get_running_loop()
        return True
    except RuntimeError:
        return False
