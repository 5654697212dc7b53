"""Running a model for the workbench: a request in, the result and what the pages show out.

Kept apart from the HTTP routes so that a job queue can run the same request later
(:func:`execute_run` takes plain data and returns plain data).
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from realpolitik.store.db import _clean_json
from realpolitik.web.context import UserError, Workbench


class RunRequest(BaseModel):
    """Run one model on a scenario (a reference, or edited scenario data)."""

    model_config = ConfigDict(extra="forbid")

    model: str = Field(description="registered model name, e.g. expected-utility")
    scenario: str | None = Field(None, description="builtin:<name> or lib:<id>; default: the default scenario")
    data: dict[str, Any] | None = Field(None, description="edited scenario data (the shape of Scenario.to_data())")
    options: dict[str, Any] = Field(default_factory=dict, description="model options (only those to change)")
    seed: int | None = Field(None, ge=0, description="seed for every random draw")
    draws: int = Field(0, ge=0, le=100_000, description="Monte Carlo draws (0: a single point forecast)")
    spread: float = Field(0.0, ge=0.0, le=1.0, description="Monte Carlo: global perturbation of inputs without their own distribution")
    source: str = Field("api", pattern="^(api|web)$")


def execute_run(wb: Workbench, body: RunRequest) -> dict[str, Any]:
    """Run the request, keep it in the run history, and return the result with its tables and charts."""
    from realpolitik.models import get_model
    from realpolitik.store import record_runs_safely

    scen = wb.from_data(body.data) if body.data is not None else wb.resolve(body.scenario)[1]
    model = get_model(body.model, **body.options)
    if body.draws > 0:
        try:
            from realpolitik.analysis.montecarlo import simulate
        except ImportError:
            raise UserError(422, "Monte Carlo is not available in this installation") from None
        result = simulate(scen, model, draws=body.draws, seed=body.seed, spread=body.spread)
    else:
        result = model.run(scen, rng=body.seed)
    store = wb.store
    ids = record_runs_safely(scen, [result], source=body.source, url=store.url) if store is not None else []
    d = _clean_json(result.to_dict())
    return {
        "run_id": ids[0] if ids else None,
        "label": (model.label or model.name) + (f" \u2013 Monte Carlo, {body.draws} draws" if body.draws else ""),
        "result": d,
        "forecast_rows": wb.forecast_rows(d, scen),
        "tables": wb.tables_json(d, scen),
        "charts": wb.charts(d, scen),
    }
