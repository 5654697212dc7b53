"""``/api/jobs``: runs and analyses as jobs - start, watch (polling or server-sent events), cancel."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import StreamingResponse

from realpolitik.web.context import UserError, Workbench, workbench
from realpolitik.web.jobs import FINAL
from realpolitik.web.runs import JobRequest, submit

router = APIRouter(prefix="/api", tags=["jobs"])
JobId = Path(pattern="^[0-9a-f]{16}$", description="job id")


def _job(wb: Workbench, job_id: str):
    job = wb.jobs.get(job_id)
    if job is None:
        raise UserError(404, f"no job {job_id} (jobs are kept while the server runs; finished ones are in /api/jobs/history)")
    return job


@router.post("/jobs", status_code=202, summary="Start a run, Monte Carlo, what-if, sensitivity analysis or war timeline")
def api_job_start(body: JobRequest, wb: Workbench = Depends(workbench)) -> dict[str, Any]:
    return wb.jobs.snapshot(submit(wb, body))


@router.get("/jobs", summary="Jobs of this server session, newest first")
def api_jobs(wb: Workbench = Depends(workbench)) -> list[dict[str, Any]]:
    return [wb.jobs.snapshot(j) for j in sorted(wb.jobs.jobs.values(), key=lambda j: -j.t0)]


@router.get("/jobs/history", summary="Finished jobs recorded in the run history (cancelled ones included)")
def api_jobs_history(limit: int = Query(50, ge=1, le=1000), wb: Workbench = Depends(workbench)) -> list[dict[str, Any]]:
    return wb.need_store().jobs(limit)


@router.get("/jobs/{job_id}", summary="A job's state and progress; its result (or problems) once it has ended")
def api_job(job_id: str = JobId, wb: Workbench = Depends(workbench)) -> dict[str, Any]:
    return wb.jobs.snapshot(_job(wb, job_id), with_result=True)


@router.post("/jobs/{job_id}/cancel", summary="Cancel a waiting or running job (its worker is stopped)")
async def api_job_cancel(job_id: str = JobId, wb: Workbench = Depends(workbench)) -> dict[str, Any]:
    job = _job(wb, job_id)
    wb.jobs.cancel(job)
    try:
        await asyncio.wait_for(wb.jobs.wait(job), 5.0)
    except (asyncio.TimeoutError, TimeoutError):
        pass
    return wb.jobs.snapshot(job)


@router.delete("/jobs/{job_id}", summary="Cancel a job (as POST .../cancel)")
async def api_job_delete(job_id: str = JobId, wb: Workbench = Depends(workbench)) -> dict[str, Any]:
    return await api_job_cancel(job_id, wb)


@router.get("/jobs/{job_id}/events", summary="Server-sent events: progress while the job runs, then its end")
async def api_job_events(request: Request, job_id: str = JobId, wb: Workbench = Depends(workbench)):
    job = _job(wb, job_id)

    async def stream():
        last = None
        while True:
            snap = wb.jobs.snapshot(job, with_result=job.state in FINAL)
            key = (snap["state"], snap["progress"]["done"], snap["progress"]["total"])
            if key != last:
                event = "end" if job.state in FINAL else "progress"
                yield f"event: {event}\ndata: {json.dumps(snap)}\n\n"
                last = key
            if job.state in FINAL or wb.jobs.closing or await request.is_disconnected():
                return
            await asyncio.sleep(0.25)

    return StreamingResponse(stream(), media_type="text/event-stream",
                             headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"})  # fmt: skip
