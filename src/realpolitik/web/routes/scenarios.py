"""``/api/scenarios``: the library (built-ins and uploads), upload, validate and save edits."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Depends, File, UploadFile
from pydantic import BaseModel, ConfigDict, Field

from realpolitik.errors import Problem, ScenarioError
from realpolitik.web.context import UserError, Workbench, problems_json, workbench

router = APIRouter(prefix="/api", tags=["scenarios"])


class SaveRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    data: dict[str, Any]


@router.get("/scenarios", summary="Scenario library: built-ins and uploads")
def api_scenarios(wb: Workbench = Depends(workbench)) -> dict[str, Any]:
    return wb.library()


@router.get("/scenarios/{ref}", summary="One scenario as data")
def api_scenario(ref: str, wb: Workbench = Depends(workbench)) -> dict[str, Any]:
    ref, s, name = wb.resolve(ref)
    return {"ref": ref, "name": name, "title": s.title, "hash": s.content_hash(), "data": s.to_data()}


@router.post("/scenarios", status_code=201,
             summary="Upload a scenario file (multipart field 'file'); 4xx with the validation messages")  # fmt: skip
async def api_upload(file: UploadFile = File(...), wb: Workbench = Depends(workbench)) -> dict[str, Any]:
    from realpolitik.scenario import load_bytes

    raw = await file.read(wb.max_upload + 1)
    if len(raw) > wb.max_upload:
        raise UserError(413, f"upload too large: the limit is {wb.max_upload / 1048576:.1f} MB",
                        [Problem("file", "file too large")])  # fmt: skip
    # the client's file name is only a label and a format hint, never a path
    name = Path((file.filename or "upload").replace("\\", "/")).name or "upload"
    name = re.sub(r"[^A-Za-z0-9_.\- ]", "_", name)[:120]
    scen = load_bytes(raw, name)
    entry = wb.need_store().add_to_library(name, scen, origin="upload")
    return {"ref": f"lib:{entry}", "name": name, "title": scen.title, "hash": scen.content_hash(),
            "actors": len(scen.actors), "issues": len(scen.issues)}  # fmt: skip


@router.post("/scenarios/validate", summary="Check edited scenario data")
def api_validate(body: dict[str, Any], wb: Workbench = Depends(workbench)) -> dict[str, Any]:
    try:
        s = wb.from_data(body.get("data", body))
    except ScenarioError as exc:
        return {"valid": False, "problems": problems_json(exc.problems)}
    return {"valid": True, "problems": [], "hash": s.content_hash()}


@router.post("/scenarios/save", status_code=201, summary="Keep edited data in the library")
def api_save(body: SaveRequest, wb: Workbench = Depends(workbench)) -> dict[str, Any]:
    s = wb.from_data(body.data)
    entry = wb.need_store().add_to_library(body.name, s, origin="edit")
    return {"ref": f"lib:{entry}", "name": body.name, "title": s.title, "hash": s.content_hash()}
