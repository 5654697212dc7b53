"""``/api/scenarios``: the library (built-ins and uploads), upload, validate, edit, save, rename, delete."""

from __future__ import annotations

import unicodedata
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Body, Depends, File, Path as PathParam, UploadFile
from pydantic import BaseModel, ConfigDict, Field

from realpolitik.errors import Problem, ScenarioError
from realpolitik.web.context import UserError, Workbench, problems_json, workbench

router = APIRouter(prefix="/api", tags=["scenarios"])
EntryId = PathParam(ge=1, le=2**63 - 1, description="library entry id")


class SaveRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    data: dict[str, Any]


class EditRequest(BaseModel):
    """An edit the server makes on scenario data, the way the Python API does it."""

    model_config = ConfigDict(extra="forbid")

    data: dict[str, Any]
    remove_actor: str = Field(min_length=1, max_length=80, description="Scenario.without_actor(id)")


def label_name(filename: str | None) -> str:
    """An uploaded file's name as a label: the last path part, letters of any script kept,
    control and path characters replaced."""
    name = Path((filename or "upload").replace("\\", "/")).name or "upload"
    name = unicodedata.normalize("NFC", name)
    name = "".join("_" if unicodedata.category(c)[0] in "CZ" and c != " " or c in '/\\:*?"<>|' else c for c in name)
    return name.strip()[:120] or "upload"


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
    from realpolitik.scenario import Scenario

    raw = await file.read(wb.max_upload + 1)
    if len(raw) > wb.max_upload:
        raise UserError(413, f"upload too large: the limit is {wb.max_upload / 1048576:.1f} MB",
                        [Problem("file", "file too large")])  # fmt: skip
    # the client's file name is only a label and a format hint, never a path
    name = label_name(file.filename)
    # parsed in a worker process within the loaders' caps and a wall-clock budget
    out = await wb.jobs.parse(raw, name)
    if not out.get("ok"):
        probs = [Problem(p["location"], p["message"]) for p in out.get("problems") or []]
        raise UserError(int(out.get("status") or 422), "invalid input" if out.get("status", 422) == 422 else out.get("detail", ""), probs)
    scen = Scenario.model_validate(out["scenario"])
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


@router.post("/scenarios/edit", summary="Apply an edit as the Python API does (remove an actor: Scenario.without_actor)")
def api_edit(body: EditRequest, wb: Workbench = Depends(workbench)) -> dict[str, Any]:
    s = wb.from_data(body.data)
    if body.remove_actor not in s.actor_ids:
        raise UserError(404, f"no actor {body.remove_actor!r} in the scenario", [Problem("remove_actor", "unknown actor")])
    if len(s.actors) <= 2:
        raise UserError(422, "a scenario needs at least two actors", [Problem("remove_actor", "the last two actors stay")])
    try:
        out = s.without_actor(body.remove_actor)
    except ValueError as exc:  # the scenario without the actor is invalid (e.g. an issue left with nobody)
        msg = str(exc).splitlines()[-1][:300]
        raise UserError(422, f"cannot remove {body.remove_actor!r}: {msg}", [Problem("remove_actor", msg)]) from None
    return {"data": out.to_data(), "hash": out.content_hash()}


@router.post("/scenarios/save", status_code=201, summary="Keep edited data in the library")
def api_save(body: SaveRequest, wb: Workbench = Depends(workbench)) -> dict[str, Any]:
    s = wb.from_data(body.data)
    entry = wb.need_store().add_to_library(body.name, s, origin="edit")
    return {"ref": f"lib:{entry}", "name": body.name, "title": s.title, "hash": s.content_hash()}


@router.patch("/library/{entry_id}", summary="Rename a library entry")
def api_library_rename(entry_id: int = EntryId, name: str = Body(..., embed=True, min_length=1, max_length=200),
                       wb: Workbench = Depends(workbench)) -> dict[str, Any]:  # fmt: skip
    if not wb.need_store().rename_library_entry(entry_id, name.strip()):
        raise UserError(404, f"no library scenario {entry_id}")
    return {"ref": f"lib:{entry_id}", "name": name.strip()}


@router.delete("/library/{entry_id}", summary="Remove a library entry (runs that used it keep their scenario)")
def api_library_delete(entry_id: int = EntryId, wb: Workbench = Depends(workbench)) -> dict[str, Any]:
    if not wb.need_store().delete_library_entry(entry_id):
        raise UserError(404, f"no library scenario {entry_id}")
    return {"ref": f"lib:{entry_id}", "deleted": True}
