"""``/ledger``: the forecast ledger in the workbench - questions, sealed forecasts, resolution,
scores, the reliability diagram and the score over time (and ``/api/ledger/...`` as JSON).

Every write goes through :mod:`realpolitik.ledger` (the same checks and one-line problems
as the CLI); nothing here computes a score or touches the chain itself.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Body, Depends, Request
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, ConfigDict, Field

from realpolitik.web.context import Workbench, workbench

router = APIRouter(tags=["ledger"])


class SealRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    models: list[str] | None = Field(None, description="models to run (default: those the question's rules read)")
    draws: int = Field(1000, ge=1, le=100_000, description="Monte Carlo draws for rules that read a model's draws")
    seed: int | None = None


class ResolveRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    value: str = Field(description="yes/no, a number in the question's range, or an option")
    source: str = Field(description="where a reader can check the outcome")
    early: bool = Field(False, description="resolve before the close (the outcome is already known)")


def _book(wb: Workbench):
    from realpolitik.ledger import Ledger

    return Ledger(wb.need_store())


def _rows(book) -> list[dict[str, Any]]:
    from realpolitik.ledger.questions import iso

    return [{"id": st.id, "title": st.question.title, "type": st.question.type, "status": st.status(),
             "in_ledger": st.in_ledger, "close": iso(st.question.close), "forecasts": len(st.forecasts),
             "resolution": st.to_json().get("resolution")} for st in book.states().values()]  # fmt: skip


def _question(book, question_id: str) -> dict[str, Any]:
    from realpolitik.ledger.book import iso_us

    st = book.state(question_id, "question")
    d = st.to_json()
    d["status"] = st.status()
    d["in_ledger"] = st.in_ledger
    d["rules"] = [r.model_dump(mode="json", exclude_none=True) for r in st.question.rules()]
    d["forecasts"] = [{"entry": f.seq, "at": iso_us(f.at), "model": f.forecaster(st.forecasts),
                       "forecast": f.forecast.headline(), "scenario": (f.entry.get("scenario") or {}).get("hash", ""),
                       "read": (f.entry.get("how") or {}).get("read", "")} for f in st.forecasts]  # fmt: skip
    return d


def _scores(book, question: str | None = None) -> dict[str, Any]:
    from realpolitik.ledger import ledger_scores

    return ledger_scores(book.states(), None, question)


def _charts(rep: dict[str, Any]) -> dict[str, Any]:
    from realpolitik.report.ledger import plotly_reliability, plotly_score_over_time
    from realpolitik.report.plots import plotly_json

    out: dict[str, Any] = {}
    if rep["reliability"]:
        out["reliability"] = plotly_json(plotly_reliability(rep))
    for qd in rep["questions"]:
        out[f"scores-{qd['id']}"] = plotly_json(plotly_score_over_time(qd))
    return out


def _tables(rep: dict[str, Any]) -> list[dict[str, Any]]:
    from realpolitik.report.html import table_dict
    from realpolitik.report.ledger import score_tables

    return [table_dict(t) for t in score_tables(rep)]


# ------------------------------------------------------------------ JSON API
@router.get("/api/ledger/questions", summary="Questions: in the ledger and shipped")
def api_questions(wb: Workbench = Depends(workbench)) -> list[dict[str, Any]]:
    return _rows(_book(wb))


@router.post("/api/ledger/questions", summary="Add a question (the documented JSON layout)")
def api_add(data: dict[str, Any] = Body(...), wb: Workbench = Depends(workbench)) -> dict[str, Any]:
    from realpolitik.ledger import parse_question

    book = _book(wb)
    entry = book.add_question(parse_question(data, "question"), where="id")
    return {"entry": entry.seq, "hash": entry.hash, "question": _question(book, data["id"])}


@router.get("/api/ledger/questions/{question_id}", summary="One question with its sealed forecasts")
def api_question(question_id: str, wb: Workbench = Depends(workbench)) -> dict[str, Any]:
    return _question(_book(wb), question_id)


@router.post("/api/ledger/questions/{question_id}/forecasts", summary="Seal the models' forecasts of a question")
def api_seal(question_id: str, body: SealRequest, wb: Workbench = Depends(workbench)) -> dict[str, Any]:
    from realpolitik.ledger import forecast_question

    book = _book(wb)
    outs = forecast_question(book, question_id, models=body.models, seed=body.seed, draws=body.draws)
    return {"sealed": [{"entry": o.seq, "model": o.model, "forecast": o.forecast.to_json(), "read": o.what}
                       for o in outs if o.seq is not None],
            "skipped": [{"model": o.model, "reason": o.reason} for o in outs if o.seq is None]}  # fmt: skip


@router.post("/api/ledger/questions/{question_id}/resolution", summary="Resolve a question (final)")
def api_resolve(question_id: str, body: ResolveRequest, wb: Workbench = Depends(workbench)) -> dict[str, Any]:
    book = _book(wb)
    entry = book.resolve(question_id, body.value, body.source, early=body.early)
    return {"entry": entry.seq, "hash": entry.hash, "question": _question(book, question_id)}


@router.get("/api/ledger/scores", summary="Scores of the resolved questions (per model, time-averaged)")
def api_scores(question: str | None = None, wb: Workbench = Depends(workbench)) -> dict[str, Any]:
    return _scores(_book(wb), question)


@router.get("/api/ledger/verify", summary="Check the hash chain")
def api_verify(head: str | None = None, wb: Workbench = Depends(workbench)) -> dict[str, Any]:
    return _book(wb).verify(head)


# ------------------------------------------------------------------ pages
def _page(wb: Workbench, request: Request, template: str, **ctx: Any) -> HTMLResponse:
    from realpolitik.web.routes.pages import _boot, page

    ctx["boot"] = _boot(ctx.pop("boot", {}))
    return page(wb, request, template, **ctx)


@router.get("/ledger", response_class=HTMLResponse, include_in_schema=False)
def ledger_page(request: Request, wb: Workbench = Depends(workbench)):
    book = _book(wb)
    rep = _scores(book)
    return _page(wb, request, "ledger.html", questions=_rows(book), verify=book.verify(), tables=_tables(rep),
                 boot={"charts": _charts(rep)})  # fmt: skip


@router.get("/ledger/{question_id}", response_class=HTMLResponse, include_in_schema=False)
def question_page(request: Request, question_id: str, wb: Workbench = Depends(workbench)):
    book = _book(wb)
    q = _question(book, question_id)
    rep = _scores(book, question_id) if q.get("resolution") is not None else {"questions": [], "models": [],
                                                                              "reliability": {}}  # fmt: skip
    return _page(wb, request, "question.html", q=q, tables=_tables(rep) if rep["questions"] else [],
                 boot={"id": question_id, "charts": _charts(rep) if rep["questions"] else {}})  # fmt: skip
