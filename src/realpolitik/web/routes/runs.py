"""``/api/runs``: run a model (stored in the history), list, compare and read stored runs."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query

from realpolitik.web.context import Workbench, workbench
from realpolitik.web.runs import RunRequest, execute_run

router = APIRouter(prefix="/api", tags=["runs"])


@router.post("/runs", summary="Run a model; the run is stored in the history")
def api_run(body: RunRequest, wb: Workbench = Depends(workbench)) -> dict[str, Any]:
    return execute_run(wb, body)


@router.get("/runs", summary="Run history, newest first")
def api_runs(
    limit: int = Query(50, ge=1, le=1000), model: str | None = None, wb: Workbench = Depends(workbench)
) -> list[dict[str, Any]]:
    return [r.summary() for r in wb.need_store().list_runs(limit=limit, model=model)]


def diff(wb: Workbench, a: int, b: int) -> dict[str, Any]:
    from realpolitik.store import diff_runs

    return diff_runs(wb.get_run(a), wb.get_run(b))


@router.get("/runs/diff", summary="Compare two runs")
def api_diff(a: int, b: int, wb: Workbench = Depends(workbench)) -> dict[str, Any]:
    return diff(wb, a, b)


@router.get("/runs/{run_id}", summary="One stored run (result and scenario)")
def api_run_get(run_id: int, wb: Workbench = Depends(workbench)) -> dict[str, Any]:
    return wb.get_run(run_id).to_dict()


@router.get("/runs/{run_id}/charts", summary="Plotly figures of a stored run")
def api_run_charts(run_id: int, wb: Workbench = Depends(workbench)) -> dict[str, Any]:
    rec = wb.get_run(run_id)
    return wb.charts(rec.result, wb.scenario_of_run(rec))
