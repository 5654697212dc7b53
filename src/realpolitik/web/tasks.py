"""What a workbench job does, as plain functions run in a worker process.

Each task takes plain data (a payload dict) and returns plain data: the results to keep
in the run history (Result JSON), the scenario they ran on, and what the page shows
(forecast cards, tables, plotly figures).  Nothing here touches HTTP or the database:
the server (:mod:`realpolitik.web.jobs`) stores what a task returns, in one transaction,
once the task has finished, so a cancelled or killed task leaves nothing behind.

Progress goes through a shared array of doubles (one ``[done, total]`` pair per job
slot) that the worker writes and the server reads: a killed worker can never leave a
lock held or a message half-written.
"""

from __future__ import annotations

import os
import resource
import traceback
from typing import Any

from realpolitik.errors import Problem, ScenarioError

_PROGRESS = None  # multiprocessing RawArray('d', 2 * slots), set by init_worker


def init_worker(progress_array) -> None:
    """Pool initializer: keep the shared progress array; one BLAS thread per job, and one thread
    per job for the local engine (the pool runs several jobs at once; a job's memory budget
    then counts one chunk's arrays, not one per core)."""
    global _PROGRESS
    _PROGRESS = progress_array
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(var, "1")
    from realpolitik.engine import base

    base.LOCAL_WORKERS = 1


def ping() -> bool:
    """A task that does nothing: starts a worker (:meth:`JobManager.warm_up`)."""
    return True


class Stopped(BaseException):
    """Raised at a progress report of a job run in a thread that was cancelled or ran out of time."""


class Reporter:
    """``done``/``total`` of a job, written into its slot of the shared array."""

    def __init__(self, slot: int | None, check=None):
        self.slot = slot
        self.done = 0.0
        self.total = 0.0
        self.check = check  # thread isolation: raises Stopped when the job is to stop

    def _write(self) -> None:
        if self.check is not None:
            self.check()
        if _PROGRESS is not None and self.slot is not None:
            _PROGRESS[2 * self.slot + 1] = float(self.total)
            _PROGRESS[2 * self.slot] = float(self.done)

    def plan(self, total: float) -> None:
        self.total, self.done = float(total), 0.0
        self._write()

    def add_plan(self, more: float) -> None:
        self.total += float(more)
        self._write()

    def advance(self, n: float = 1, *_: Any) -> None:
        self.done = min(self.total, self.done + float(n)) if self.total else self.done + float(n)
        self._write()


def _vm_bytes() -> int:
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError):
        return 0


_PRELOADED = False


def _preload() -> None:
    """Load the models and their compiled cores (numba's LLVM library) before a memory budget is
    set: a shared library cannot be mapped under the cap, and its size is not the job's doing."""
    global _PRELOADED
    if _PRELOADED:
        return
    from realpolitik.models import available_models

    available_models()
    import importlib

    # the compiled cores (each imports numba, which maps libllvmlite.so) now, outside the budget
    for name in ("exchange_batch", "expected_utility_batch", "_numpy_loops", "expected_utility_fused", "smp.kernels",
                 "war.record_kernel"):
        importlib.import_module(f"realpolitik.models.{name}")
    _PRELOADED = True


class _CompilingOffBudget:
    """Numba compiling a kernel a job reaches first (or loading it from numba's cache) does so
    off the job's memory budget: the cap is lifted while numba holds its compiler lock, and
    what the compiler added to the address space is added to the cap afterwards.

    Under the cap, a compile ran out of address space half-way: in Python code it raised a
    MemoryError the job reported as its own, and in LLVM's C++ code it aborted the worker
    with nothing printed (CI, fresh clone, empty numba cache).  Listens to numba's
    ``numba:compiler_lock`` events (:mod:`numba.core.event`); tested in
    tests/test_web_hardening.py with an empty cache.
    """

    def __init__(self, cap: int, hard: int) -> None:
        self.cap, self.hard, self.depth, self.before = cap, hard, 0, 0

    def on_start(self) -> None:
        if self.depth == 0:
            self.before = _vm_bytes()
            resource.setrlimit(resource.RLIMIT_AS, (self.hard, self.hard))
        self.depth += 1

    def on_end(self) -> None:
        self.depth -= 1
        if self.depth == 0:
            self.cap += max(0, _vm_bytes() - self.before)
            if self.hard == resource.RLIM_INFINITY or self.cap < self.hard:
                resource.setrlimit(resource.RLIMIT_AS, (self.cap, self.hard))


def _compile_listener(off: _CompilingOffBudget):
    """``off`` as a numba event listener (numba is loaded by :func:`_preload`)."""
    from numba.core import event

    class Listener(event.Listener):
        def on_start(self, ev):  # noqa: ARG002 - numba's signature
            off.on_start()

        def on_end(self, ev):  # noqa: ARG002
            off.on_end()

    return Listener()


def _out_of_memory(exc: BaseException) -> bool:
    """Whether an error raised under the memory cap is the cap's doing: a MemoryError anywhere in
    its chain, or the SystemError a C extension (numba compiling a kernel) raises when an
    allocation fails."""
    seen = set()
    e: BaseException | None = exc
    while e is not None and id(e) not in seen:
        if isinstance(e, (MemoryError, SystemError)):
            return True
        seen.add(id(e))
        e = e.__cause__ or e.__context__
    return False


def execute(kind: str, payload: dict[str, Any], slot: int | None = None, memory_mb: int | None = None,
            check=None) -> dict[str, Any]:
    """Run one task within a memory budget; user mistakes and budget overruns come back as data."""
    if memory_mb:
        _preload()
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    limited, listener = False, None
    if memory_mb:
        # the budget is what the job may add to the worker (numpy, plotly ... are loaded already)
        cap = _vm_bytes() + int(memory_mb) * 1024 * 1024
        if hard == resource.RLIM_INFINITY or cap < hard:
            from numba.core import event

            listener = _compile_listener(_CompilingOffBudget(cap, hard))
            event.register("numba:compiler_lock", listener)
            resource.setrlimit(resource.RLIMIT_AS, (cap, hard))
            limited = True
    rep = Reporter(slot, check)
    try:
        out = TASKS[kind](payload, rep)
        out["ok"] = True
        return out
    except Stopped as exc:
        return {"ok": False, "stopped": str(exc) or "cancelled", "status": 422, "detail": str(exc), "problems": []}
    except ScenarioError as exc:
        return {"ok": False, "status": 422, "detail": "invalid input" if len(exc.problems) != 1 else exc.problems[0].message,
                "problems": [{"location": p.location, "message": p.message} for p in exc.problems]}  # fmt: skip
    except Exception as exc:  # noqa: BLE001 - sorted below: the budget, or a bug
        if not (isinstance(exc, MemoryError) or (limited and _out_of_memory(exc))):
            return {"ok": False, "status": 500, "detail": f"internal error ({type(exc).__name__}); the server keeps running",
                    "log": traceback.format_exc(), "problems": []}  # fmt: skip
        return {"ok": False, "status": 422, "state": "failed",
                "detail": f"the job needed more than its memory budget of {memory_mb} MB: ask for fewer draws, rounds or samples",
                "problems": [{"location": "job", "message": "memory budget exceeded"}]}  # fmt: skip
    finally:
        if limited:
            resource.setrlimit(resource.RLIMIT_AS, (soft, hard))
        if listener is not None:
            from numba.core import event

            event.unregister("numba:compiler_lock", listener)


# ------------------------------------------------------------------ helpers
def scenario_from(payload: dict[str, Any], key: str = "data"):
    """The payload's scenario: validated with located errors (``scenario:actors.3...``)."""
    from realpolitik.web.views import scenario_from_data

    return scenario_from_data(payload[key])


def _model(payload: dict[str, Any]):
    from realpolitik.models import get_model

    return get_model(payload["model"], **(payload.get("options") or {}))


def _label(model, draws: int = 0) -> str:
    return (model.label or model.name) + (f" \u2013 Monte Carlo, {draws} draws" if draws else "")


# ------------------------------------------------------------------ tasks
def task_parse(payload: dict[str, Any], rep: Reporter) -> dict[str, Any]:
    """An uploaded file through the loaders (the caps of scenario/limits.py apply)."""
    from realpolitik.scenario import load_bytes

    scen = load_bytes(payload["raw"], payload["name"])
    return {"scenario": scen.to_data(), "results": [], "view": {}}


def task_run(payload: dict[str, Any], rep: Reporter) -> dict[str, Any]:
    """One model, as a point forecast or through Monte Carlo (``draws`` > 0)."""
    from realpolitik.store.db import _clean_json
    from realpolitik.web import views

    scen = scenario_from(payload)
    model = _model(payload)
    draws = int(payload.get("draws") or 0)
    if draws > 0:
        from realpolitik.analysis.montecarlo import simulate

        rep.plan(draws)
        result = simulate(scen, model, draws=draws, seed=payload.get("seed"), spread=float(payload.get("spread") or 0.0),
                          progress=rep.advance)  # fmt: skip
    else:
        rep.plan(1)
        result = model.run(scen, rng=payload.get("seed"))
        rep.advance(1)
    d = _clean_json(result.to_dict())
    return {"scenario": scen.to_data(), "results": [d], "view": views.run_view(d, scen, _label(model, draws))}


def task_whatif(payload: dict[str, Any], rep: Reporter) -> dict[str, Any]:
    """The baseline scenario and the edited variant, same model and seed (paired draws
    under uncertainty), side by side."""
    from realpolitik.analysis.whatif import _seed, paired_sampling_scenario
    from realpolitik.models.base import Result
    from realpolitik.seeds import fresh_seed
    from realpolitik.store.db import _clean_json, _scenario_changes
    from realpolitik.web import views

    base_s = scenario_from(payload, "baseline")
    var_s = scenario_from(payload, "data")
    model = _model(payload)
    draws = int(payload.get("draws") or 0)
    changes = _scenario_changes(base_s.to_data(), var_s.to_data())
    if draws > 0:
        from realpolitik.analysis.montecarlo import simulate
        from realpolitik.engine import default_chunk_size

        seed = payload.get("seed")
        seed = fresh_seed() if seed is None else int(seed)
        chunk = min(default_chunk_size(model, base_s), default_chunk_size(model, var_s))
        rep.plan(2 * draws)
        kw = dict(draws=draws, seed=seed, spread=float(payload.get("spread") or 0.0), chunk_size=chunk, progress=rep.advance)
        base = _clean_json(simulate(base_s, model, **kw).to_dict())
        mc = simulate(paired_sampling_scenario(base_s, var_s), model, **kw)
        mc.scenario, mc.uncertain_inputs = var_s, len(var_s.uncertainty)
        var = _clean_json(mc.to_dict())
    else:
        seed = _seed(model, payload.get("seed"), base_s)
        rep.plan(2)
        base = _clean_json(model.run(base_s, rng=seed).to_dict())
        rep.advance(1)
        var = _clean_json(model.run(var_s, rng=seed).to_dict())
        rep.advance(1)
    change = {i: (var["forecast"].get(i) - base["forecast"][i]) if isinstance(var["forecast"].get(i), (int, float))
              and isinstance(base["forecast"].get(i), (int, float)) else None for i in base["forecast"]}  # fmt: skip
    details = {"analysis": "what-if", "draws": draws, "changes": changes, "baseline": base["forecast"],
               "change": change, "baseline_result": base, "whatif_result": var}  # fmt: skip
    stored = Result.for_scenario(var_s, model.name, model.get_options(), var["forecast"], details=details,
                                 seed=var.get("seed")).to_dict()  # fmt: skip
    return {"scenario": var_s.to_data(), "results": [_clean_json(stored)],
            "view": views.whatif_view(base, var, base_s, var_s, changes, _label(model, draws))}


def task_sensitivity(payload: dict[str, Any], rep: Reporter) -> dict[str, Any]:
    """Sobol or Morris indices and the one-at-a-time tornado of every issue's forecast."""
    from realpolitik.analysis.sensitivity import analyze
    from realpolitik.store.db import _clean_json
    from realpolitik.web import views

    scen = scenario_from(payload)
    model = _model(payload)
    inputs = payload.get("inputs") or None
    res = analyze(scen, model, method=payload.get("method") or "sobol", inputs=inputs, samples=int(payload.get("samples") or 64),
                  spread=float(payload.get("spread") or 0.2), seed=payload.get("seed"), progress=rep.advance,
                  on_plan=rep.add_plan, max_samples=int(payload.get("samples") or 64))  # fmt: skip
    d = _clean_json(res.to_dict())
    return {"scenario": scen.to_data(), "results": [d], "view": views.sensitivity_view(d, res, scen)}


def task_timeline(payload: dict[str, Any], rep: Reporter) -> dict[str, Any]:
    """The war forecast re-made at each dated event (``war_timeline``)."""
    from realpolitik.analysis.timeline import war_timeline
    from realpolitik.store.db import _clean_json
    from realpolitik.web import views

    scen = scenario_from(payload)
    seed = payload.get("seed")
    def progress(text: str) -> None:  # "i/n: date" before the i-th re-forecast
        k, _, rest = text.partition("/")
        if k.isdigit() and rest.split(":")[0].isdigit():
            rep.total, rep.done = float(rest.split(":")[0]), float(int(k) - 1)
            rep._write()

    tl = war_timeline(scen, options=payload.get("options") or {}, seed=0 if seed is None else int(seed), progress=progress)
    rep.advance(1)
    d = _clean_json(tl.to_result(scen).to_dict())
    return {"scenario": scen.to_data(), "results": [d], "view": views.timeline_view(tl.to_dict())}


TASKS = {"parse": task_parse, "run": task_run, "whatif": task_whatif, "sensitivity": task_sensitivity,
         "timeline": task_timeline}  # fmt: skip


def problem_result(detail: str, location: str, status: int = 422) -> dict[str, Any]:
    """A task outcome for a problem found by the server itself (time budget, cancel)."""
    return {"ok": False, "status": status, "detail": detail, "problems": [{"location": location, "message": detail}]}


__all__ = ["Problem", "TASKS", "execute", "init_worker", "problem_result"]
