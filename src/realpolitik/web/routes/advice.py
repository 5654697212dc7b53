"""Advice and drafting in the workbench: ``/advise`` and ``/draft`` pages, their JSON API.

``POST /api/advise`` runs :func:`realpolitik.analysis.advise.advise` on a scenario
reference (or edited data) and returns the advice's JSON, its tables and Plotly
charts.  ``POST /api/draft`` drafts a scenario from a text with the offline
extractor (:mod:`realpolitik.draft`) and can keep it in the library, to open in the
editor.  The workbench drafts offline only: it never sends a text to another
machine (the command line has ``--endpoint`` for that).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, ConfigDict, Field

from realpolitik.web.context import Workbench, workbench
from realpolitik.web.routes.pages import _boot, page

router = APIRouter(tags=["advice"])

#: the largest text ``/api/draft`` accepts (characters)
MAX_TEXT = 200_000


class AdviseRequest(BaseModel):
    """Advice for one actor (see ``realpolitik advise``)."""

    model_config = ConfigDict(extra="forbid")

    actor: str = Field(min_length=1, max_length=80, description="the actor to advise (its id)")
    scenario: str | None = Field(None, description="builtin:<name> or lib:<id>; default: the default scenario")
    data: dict[str, Any] | None = Field(None, description="edited scenario data (the shape of Scenario.to_data())")
    model: str = Field("expected-utility", description="registered model name")
    options: dict[str, Any] = Field(default_factory=dict, description="model options (only those to change)")
    target: dict[str, float] = Field(default_factory=dict, description="goal per issue (default: the actor's position)")
    issues: list[str] = Field(default_factory=list, description="goal issues (default: every issue of the actor)")
    steps: list[float] = Field(default_factory=lambda: [10.0], min_length=1, max_length=4,
                               description="efforts in % of each value's range")  # fmt: skip
    capability: bool = Field(False, description="also try the actor's own capability")
    persuade: bool = Field(True, description="also try moving the other actors")
    draws: int = Field(100, ge=1, le=2000, description="Monte Carlo draws over the scenario's distributions")
    seed: int | None = Field(None, ge=0, description="seed for every random draw")
    spread: float = Field(0.0, ge=0.0, le=1.0, description="global spread of the draws")
    top: int = Field(15, ge=1, le=200, description="levers in the tables and charts")


class DraftRequest(BaseModel):
    """Draft a scenario from a text, offline (see ``realpolitik draft``)."""

    model_config = ConfigDict(extra="forbid")

    text: str = Field(min_length=1, max_length=MAX_TEXT, description="the commentary")
    name: str = Field("commentary", min_length=1, max_length=120, description="a name for the text")
    title: str = Field("", max_length=200, description="title of the draft")
    save: bool = Field(False, description="keep the draft in the library (to open it in the editor)")


def advise_json(wb: Workbench, body: AdviseRequest) -> dict[str, Any]:
    """Run the advice and return what the page shows (plain data in and out)."""
    from realpolitik.analysis.advise import advise
    from realpolitik.models import get_model
    from realpolitik.report.advise import plotly_levers, plotly_quadrants
    from realpolitik.report.html import fmt_cell

    scen = wb.from_data(body.data) if body.data is not None else wb.resolve(body.scenario)[1]
    model = get_model(body.model, **body.options)
    adv = advise(scen, body.actor, model, target=body.target or None, issues=body.issues or None,
                 steps=tuple(body.steps), capability=body.capability, persuade=body.persuade, draws=body.draws,
                 seed=body.seed, spread=body.spread)  # fmt: skip
    if body.data is None and body.scenario:
        adv.scenario_arg = body.scenario.partition(":")[2] if body.scenario.startswith("builtin:") else None
    data = adv.to_dict()
    tables = [{"title": t.title, "columns": [str(c) for c in t.columns],
               "rows": [[fmt_cell(c) for c in row] for row in t.rows], "note": t.note}
              for t in adv.tables(top=body.top)]  # fmt: skip
    return {"advice": data, "tables": tables,
            "charts": {"levers": plotly_levers(data, body.top), "quadrants": plotly_quadrants(data)}}  # fmt: skip


def draft_json(wb: Workbench, body: DraftRequest) -> dict[str, Any]:
    """Draft offline; keep it in the library when asked and a run history is there."""
    import re

    from realpolitik.draft import draft_scenario

    name = re.sub(r"[^A-Za-z0-9_.\- ]", "_", body.name)[:120] or "commentary"
    d = draft_scenario(body.text, name, title=body.title)
    out: dict[str, Any] = {"summary": d.summary(), "placeholders": d.placeholders,
                           "left_for_analyst": d.left_for_analyst, "dropped": d.dropped,
                           "yaml": d.to_yaml().decode(), "data": d.scenario.to_data(), "ref": None}  # fmt: skip
    if body.save:
        entry = wb.need_store().add_to_library(f"DRAFT {name}", d.scenario, origin="draft")
        out["ref"] = f"lib:{entry}"
    return out


@router.post("/api/advise", summary="Advice for one actor: levers ranked, pivotality, perception quadrants")
def api_advise(body: AdviseRequest, wb: Workbench = Depends(workbench)) -> dict[str, Any]:
    return advise_json(wb, body)


@router.post("/api/draft", summary="Draft a scenario from a text (offline); every number with its quote")
def api_draft(body: DraftRequest, wb: Workbench = Depends(workbench)) -> dict[str, Any]:
    return draft_json(wb, body)


@router.get("/advise", response_class=HTMLResponse, include_in_schema=False)
def advise_page(request: Request, scenario: str | None = None, actor: str | None = None,
                wb: Workbench = Depends(workbench)):  # fmt: skip
    ref, s, name = wb.resolve(scenario)
    boot = {"ref": ref, "name": name, "actors": [{"id": a.id, "label": a.label} for a in s.actors],
            "issues": [{"id": i.id, "label": i.label or i.id, "min": i.min, "max": i.max} for i in s.issues],
            "actor": actor if actor in s.actor_ids else (s.actor_ids[0] if s.actor_ids else ""),
            "models": [m["name"] for m in wb.models_info()], "model": "expected-utility"}  # fmt: skip
    return page(wb, request, "advise.html", s=s, ref=ref, name=name, lib=wb.library(), boot=_boot(boot))


@router.get("/draft", response_class=HTMLResponse, include_in_schema=False)
def draft_page(request: Request, wb: Workbench = Depends(workbench)):
    boot = {"history": wb.store is not None, "max_text": MAX_TEXT}
    return page(wb, request, "draft.html", boot=_boot(boot))


__all__ = ["AdviseRequest", "DraftRequest", "advise_json", "draft_json", "router"]
