"""Forecast a question: run the models its rules read, map each result, seal the forecasts."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from realpolitik.errors import OptionError, Problem
from realpolitik.ledger.book import Ledger, QuestionState, check_open
from realpolitik.ledger.mapping import Context, Missing, Unanswerable, answer


@dataclass
class Outcome:
    """What happened to one model: sealed (``seq`` set) or skipped (``reason``)."""

    model: str
    label: str
    seq: int | None = None
    forecast: Any = None
    what: str = ""
    run: str = ""
    reason: str = ""


def candidate_models(st: QuestionState) -> list[str]:
    """The models a question's rules read: those named, and every standard model (and the
    ensemble) where a rule reads any model."""
    from realpolitik.api import DEFAULT_MODELS
    from realpolitik.models import available_models

    reg = available_models()
    rules = st.question.rules()
    names: list[str] = []
    for r in rules:
        names += [m for m in r.models if m != "*"]
    if any("*" in r.models for r in rules):
        names += [*DEFAULT_MODELS, "ensemble"]
    out = []
    for n in dict.fromkeys(names):
        if n in reg and any(r.applies_to(n) for r in rules):
            out.append(n)
    return out


def forecast_question(
    ledger: Ledger,
    question_id: str,
    scenario: Any = None,
    models: list[str] | None = None,
    options: dict[str, Any] | None = None,
    seed: int | None = None,
    draws: int = 1000,
    spread: float = 0.0,
    record: bool = True,
    now: dt.datetime | None = None,
    progress=None,
) -> list[Outcome]:
    """Seal each model's forecast of a question (see docs/ledger.md).

    The scenario is the question's (``realpolitik.scenario``) unless one is given; models
    are those named, or every model the question's rules read.  A model whose result the
    rules cannot read is skipped with the reason - or, if it was named, is an error.
    """
    from realpolitik.api import build_models
    from realpolitik.scenario import Scenario, load_scenario
    from realpolitik.seeds import resolve_seed

    seed = resolve_seed(seed)  # one seed for every model's run, sealed with each forecast
    st = ledger.state(question_id, "--question")
    q = st.question
    at = now or dt.datetime.now(dt.timezone.utc)
    check_open(st, at)
    if scenario is None:
        scenario = q.realpolitik.scenario
    scen = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
    if q.realpolitik.issue and q.realpolitik.issue not in scen.issue_ids:
        raise OptionError([Problem(f"--question {q.id}", f"the question is about issue {q.realpolitik.issue!r}, which "
                                   f"scenario {scen.title!r} does not have")])  # fmt: skip
    named = models is not None and len(models) > 0
    names = list(models) if named else candidate_models(st)
    if not names:
        raise OptionError([Problem(f"--question {q.id}", "no installed model is read by the question's mapping rules")])
    built = build_models(names, options or {})
    ctx = Context(issue=q.realpolitik.issue, as_of=scen.as_of)
    outcomes: list[Outcome] = []
    for m in built:
        cache: dict[str, tuple[dict[str, Any], Any]] = {}

        def result_of(kind: str, m=m, cache=cache) -> dict[str, Any]:
            if kind not in cache:
                if progress:
                    progress(f"running {m.name}" + (f" ({draws} Monte Carlo draws)" if kind == "monte-carlo" else ""))
                if kind == "monte-carlo":
                    from realpolitik.analysis.montecarlo import simulate

                    mc = simulate(scen, m, draws=draws, seed=seed, spread=spread)
                    cache[kind] = (mc.to_dict(include_draws=True), mc.to_dict())
                else:
                    r = m.run(scen, rng=seed)
                    cache[kind] = (r.to_dict(), r)
            return cache[kind][0]

        label = m.label or m.name
        try:
            fc, k, what = answer(q, m.name, result_of, ctx)
        except (Missing, Unanswerable) as exc:
            if named or isinstance(exc, Unanswerable):
                raise OptionError([Problem(f"--question {q.id} ({m.name})", str(exc))]) from None
            outcomes.append(Outcome(m.name, label, reason=str(exc)))
            continue
        rule = q.rules()[k]
        result, stored = cache[rule.run]
        run_id = None
        if record:
            from realpolitik.store import record_runs_safely

            ids = record_runs_safely(scen, [stored], source="ledger", url=None if ledger.store is None else ledger.store.url)
            run_id = ids[0] if ids else None
        how = {"rule": k, "read": what, "run": rule.run, "scenario_as_of": str(scen.as_of) if scen.as_of else None}
        if rule.run == "monte-carlo":
            det = result.get("details") or {}
            how.update(draws=det.get("draws"), spread=det.get("spread"))
        entry = ledger.seal(q.id, m.name, result, fc, how, run_id=run_id, now=now)
        outcomes.append(Outcome(m.name, label, entry.seq, fc, what, rule.run))
    return outcomes
