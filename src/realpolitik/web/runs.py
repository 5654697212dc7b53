"""Running a model for the workbench: the request shapes, and running one as a job.

A run (or any analysis) is a job of :mod:`realpolitik.web.jobs`: its work happens in a
worker process (:mod:`realpolitik.web.tasks`) within the job budgets, and what it
produced is stored when it has finished.  :func:`execute_run` runs a request to the end
(the synchronous ``POST /api/runs``); ``POST /api/jobs`` returns at once with a job to
watch and cancel.
"""

from __future__ import annotations

import asyncio
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from realpolitik.errors import Problem
from realpolitik.web.context import UserError, Workbench

MAX_SEED = 2**63 - 1


class RunRequest(BaseModel):
    """Run one model on a scenario (a reference, or edited scenario data)."""

    model_config = ConfigDict(extra="forbid")

    model: str = Field(description="registered model name, e.g. expected-utility")
    scenario: str | None = Field(None, description="builtin:<name> or lib:<id>; default: the default scenario")
    data: dict[str, Any] | None = Field(None, description="edited scenario data (the shape of Scenario.to_data())")
    options: dict[str, Any] = Field(default_factory=dict, description="model options (only those to change)")
    seed: int | None = Field(None, ge=0, le=MAX_SEED, description="seed for every random draw")
    draws: int = Field(0, ge=0, le=100_000, description="Monte Carlo draws (0: a single point forecast)")
    spread: float = Field(0.0, ge=0.0, le=1.0, description="Monte Carlo: global perturbation of inputs without their own distribution")
    source: str = Field("api", pattern="^(api|web)$")


class JobRequest(RunRequest):
    """A job: a run (``kind: run``), a what-if, a sensitivity analysis or a war timeline."""

    kind: Literal["run", "whatif", "sensitivity", "timeline"] = Field("run", description="what to do")
    model: str = Field("", description="registered model name (not needed for a timeline)")
    baseline: dict[str, Any] | None = Field(None, description="what-if: the baseline scenario data (default: the scenario reference)")
    method: Literal["sobol", "morris"] = Field("sobol", description="sensitivity: Sobol indices or Morris screening")
    samples: int = Field(64, ge=2, le=4096, description="sensitivity: Sobol base sample N (a power of 2) or Morris trajectories")
    inputs: list[str] | None = Field(None, max_length=200, description="sensitivity: input paths or patterns (default: every salience and capability)")
    sens_spread: float = Field(0.2, gt=0.0, le=1.0, description="sensitivity: range of inputs without a distribution")


def _check_model(body: JobRequest | RunRequest) -> Any:
    from realpolitik.models import get_model

    return get_model(body.model, **body.options)  # OptionError (422) naming the model or option


def job_payload(wb: Workbench, body: JobRequest) -> tuple[str, dict[str, Any], str]:
    """(kind, payload, label) for a request; user mistakes that need no model run are raised here."""
    from realpolitik.seeds import resolve_seed

    data, name = wb.scenario_data(body.scenario, body.data)
    seed = resolve_seed(body.seed)  # every stored run names the seed that repeats it (issue 15)
    payload: dict[str, Any] = {"data": data, "seed": seed, "options": body.options, "model": body.model,
                               "draws": body.draws, "spread": body.spread}  # fmt: skip
    if body.kind == "timeline":
        from realpolitik.models import get_model

        get_model("war", **body.options)
        return "timeline", payload, f"War timeline: {name}"
    model = _check_model(body)
    mlabel = model.label or model.name
    if body.kind == "run":
        return "run", payload, f"{mlabel}{f' (Monte Carlo, {body.draws} draws)' if body.draws else ''}: {name}"
    if body.kind == "whatif":
        payload["baseline"] = body.baseline if body.baseline is not None else wb.scenario_data(body.scenario, None)[0]
        return "whatif", payload, f"What-if ({mlabel}{', Monte Carlo' if body.draws else ''}): {name}"
    if body.method == "sobol" and body.samples & (body.samples - 1):
        raise UserError(422, "samples must be a power of 2 for Sobol", [Problem("samples", f"Sobol needs a power of 2, got {body.samples}")])
    payload.update(method=body.method, samples=body.samples, inputs=body.inputs, spread=body.sens_spread)
    return "sensitivity", payload, f"Sensitivity ({body.method}, {mlabel}): {name}"


def submit(wb: Workbench, body: JobRequest):
    from realpolitik.web.jobs import QueueFull

    kind, payload, label = job_payload(wb, body)
    try:
        return wb.jobs.submit(kind, payload, label)
    except QueueFull as exc:
        raise UserError(429 if not wb.jobs.closing else 503, str(exc)) from None


def outcome_or_raise(wb: Workbench, job) -> dict[str, Any]:
    """The finished job's view, or its problem as a UserError (4xx; 500 for a bug)."""
    snap = wb.jobs.snapshot(job, with_result=True)
    if "result" in snap:
        return snap["result"]
    err = snap.get("error") or {"status": 500, "detail": "the job ended without a result", "problems": []}
    raise UserError(int(err.get("status") or 422), err.get("detail") or job.state,
                    [Problem(p["location"], p["message"]) for p in err.get("problems") or []])  # fmt: skip


async def execute_run(wb: Workbench, body: RunRequest, is_disconnected=None) -> dict[str, Any]:
    """Run the request as a job to its end and return the result with its cards, tables and charts.

    When the client goes away (``is_disconnected``) the job is cancelled.
    """
    job = submit(wb, JobRequest(kind="run", **body.model_dump()))
    while True:
        try:
            await asyncio.wait_for(asyncio.shield(wb.jobs.wait(job)), 0.5)
            break
        except (asyncio.TimeoutError, TimeoutError):
            if is_disconnected is not None and await is_disconnected():
                wb.jobs.cancel(job)
                await wb.jobs.wait(job)
                break
    return outcome_or_raise(wb, job)
