"""``/api/runs``: run a model (stored in the history), list, compare, rename and delete stored runs."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Body, Depends, Path, Query, Request

from realpolitik.web.context import UserError, Workbench, workbench
from realpolitik.web.runs import MAX_SEED, RunRequest, execute_run

router = APIRouter(prefix="/api", tags=["runs"])
RunId = Path(ge=1, le=MAX_SEED, description="run id")


@router.post("/runs", summary="Run a model to its end (a job with the job budgets); the run is stored in the history")
async def api_run(body: RunRequest, request: Request, wb: Workbench = Depends(workbench)) -> dict[str, Any]:
    return await execute_run(wb, body, request.is_disconnected)


@router.get("/runs", summary="Run history, newest first")
def api_runs(
    limit: int = Query(50, ge=1, le=1000), model: str | None = None, wb: Workbench = Depends(workbench)
) -> list[dict[str, Any]]:
    return [r.summary() for r in wb.need_store().list_runs(limit=limit, model=model)]


def diff(wb: Workbench, a: int, b: int) -> dict[str, Any]:
    from realpolitik.store import diff_runs

    return diff_runs(wb.get_run(a), wb.get_run(b))


@router.get("/runs/diff", summary="Compare two runs")
def api_diff(a: int = Query(ge=1, le=MAX_SEED), b: int = Query(ge=1, le=MAX_SEED), wb: Workbench = Depends(workbench)) -> dict[str, Any]:
    return diff(wb, a, b)


@router.get("/runs/{run_id}", summary="One stored run (result and scenario)")
def api_run_get(run_id: int = RunId, wb: Workbench = Depends(workbench)) -> dict[str, Any]:
    return wb.get_run(run_id).to_dict()


@router.get("/runs/{run_id}/charts", summary="Plotly figures of a stored run")
def api_run_charts(run_id: int = RunId, wb: Workbench = Depends(workbench)) -> dict[str, Any]:
    rec = wb.get_run(run_id)
    return wb.charts(rec.result, wb.scenario_of_run(rec))


@router.patch("/runs/{run_id}", summary="Name a run (its note)")
def api_run_rename(run_id: int = RunId, name: str = Body(..., embed=True, max_length=500),
                   wb: Workbench = Depends(workbench)) -> dict[str, Any]:  # fmt: skip
    if not wb.need_store().rename_run(run_id, name.strip() or None):
        raise UserError(404, f"no run {run_id} in the run history")
    return {"id": run_id, "note": name.strip() or None}


@router.delete("/runs/{run_id}", summary="Remove a run from the history")
def api_run_delete(run_id: int = RunId, wb: Workbench = Depends(workbench)) -> dict[str, Any]:
    if not wb.need_store().delete_run(run_id):
        raise UserError(404, f"no run {run_id} in the run history")
    return {"id": run_id, "deleted": True}
