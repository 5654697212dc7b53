"""Ledger commands: ``question add|list|show|import|export|resolve``, ``ledger verify|score``,
and the sealing behind ``forecast --question``.

They translate between people and :mod:`realpolitik.ledger`; heavy imports stay inside.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Annotated, Any, Optional

import typer
from rich.markup import escape

from realpolitik.cli import JsonOpt, app, emit_json, err, out
from realpolitik.commands.workbench import DbOpt
from realpolitik.errors import OptionError, Problem

question_app = typer.Typer(help="Forecasting questions: add, list, show, import, export, resolve.", no_args_is_help=True)
ledger_app = typer.Typer(help="The forecast ledger: verify the hash chain, score resolved questions.", no_args_is_help=True)
app.add_typer(question_app, name="question")
app.add_typer(ledger_app, name="ledger")


def _ledger(db: str | None = None):
    from realpolitik.ledger import Ledger

    return Ledger.open(db)


def _p(text: str) -> None:
    out.print(text, highlight=False, soft_wrap=True, emoji=False)


# ------------------------------------------------------------------ forecast --question
def seal_question(question_id: str, scenario: str | None, models: list[str] | None, options: dict[str, Any],
                  seed: int | None, draws: int, json_: bool) -> None:  # fmt: skip
    """``realpolitik forecast --question ID``: run, map and seal; print what was sealed."""
    from rich.table import Table as RichTable

    from realpolitik.ledger import forecast_question

    if draws < 1:
        raise OptionError([Problem("--draws", f"must be at least 1, got {draws}")])
    book = _ledger()
    outcomes = forecast_question(book, question_id, scenario=scenario, models=models, options=options, seed=seed,
                                 draws=draws, progress=lambda msg: err.print(f"[dim]{msg} ...[/dim]"))  # fmt: skip
    sealed = [o for o in outcomes if o.seq is not None]
    if json_:
        emit_json({"question": question_id, "sealed": [{"entry": o.seq, "model": o.model, "run": o.run, "read": o.what,
                                                        "forecast": o.forecast.to_json()} for o in sealed],
                   "skipped": [{"model": o.model, "reason": o.reason} for o in outcomes if o.seq is None]})  # fmt: skip
        return
    st = book.state(question_id)
    t = RichTable(title=f"Sealed forecasts: {st.question.title}", title_justify="left")
    for c in ("entry", "model", "forecast", "read from the result"):
        t.add_column(c)
    for o in sealed:
        t.add_row(str(o.seq), o.label, o.forecast.headline(), escape(o.what))
    out.print(t)
    for o in outcomes:
        if o.seq is None:
            err.print(f"[dim]{escape(o.model)}: not sealed - {escape(o.reason)}[/dim]", highlight=False)
    if not sealed:
        raise OptionError([Problem(f"--question {question_id}", "no model's result answers this question")])


# ------------------------------------------------------------------ question
@question_app.command("add")
def question_add(
    title: Annotated[str, typer.Option("--title", help="The question, as a reader sees it.")],
    criteria: Annotated[str, typer.Option("--criteria", help="Precise resolution criteria a reader can apply from public news.")],
    close: Annotated[str, typer.Option("--close", help="Close date (YYYY-MM-DD: the end of that day, UTC) or ISO time.")],
    qtype: Annotated[str, typer.Option("--type", help="binary, numeric or multiple-choice.")] = "binary",
    qid: Annotated[Optional[str], typer.Option("--id", help="Question id (default: from the title).")] = None,
    scenario: Annotated[Optional[str], typer.Option("--scenario", help="Scenario the question is about.")] = "russia-ukraine-2024",
    issue: Annotated[Optional[str], typer.Option("--issue", help="Issue whose scale and forecasts answer the question.")] = None,
    threshold: Annotated[
        Optional[str], typer.Option("--threshold", help="Binary: P(ISSUE>=VALUE) of each model's forecast distribution (>, <=, < too).")
    ] = None,
    option: Annotated[
        Optional[list[str]], typer.Option("--option", help="Multiple choice: an option 'LABEL' or 'LABEL=LOW:HIGH' on the issue's scale (repeatable).")
    ] = None,
    mapping: Annotated[
        Optional[str], typer.Option("--mapping", help="Mapping rules as JSON, or @FILE (docs/ledger.md).")
    ] = None,
    baseline: Annotated[
        Optional[str], typer.Option("--baseline", help="uniform (default), base-rate:P[:SOURCE] or model:NAME.")
    ] = None,
    description: Annotated[str, typer.Option("--description", help="Background for the reader.")] = "",
    note: Annotated[str, typer.Option("--note", help="How the models answer the question; what is interpretation.")] = "",
    open_time: Annotated[Optional[str], typer.Option("--open", help="Open date (default: now).")] = None,
    json_: JsonOpt = False,
    db: DbOpt = None,
) -> None:
    """Add a question to the ledger."""
    from realpolitik.ledger.questions import parse_question

    data = build_question(title, criteria, close, qtype, qid, scenario, issue, threshold, option or [], mapping,
                          baseline, description, note, open_time)  # fmt: skip
    q = parse_question(data, "question add")
    book = _ledger(db)
    entry = book.add_question(q, where="--id")
    if json_:
        emit_json({"entry": entry.seq, "hash": entry.hash, "question": q.to_json()})
        return
    _p(f"added question [bold]{escape(q.id)}[/bold] (ledger entry {entry.seq}); closes {q.to_json()['scheduled_close_time']}")


def _slug(text: str) -> str:
    import re

    s = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return (s[:60].rstrip("-") or "question")


def build_question(title, criteria, close, qtype, qid, scenario, issue, threshold, options, mapping, baseline,
                   description, note, open_time) -> dict[str, Any]:  # fmt: skip
    """The question's JSON from the command's options (validated by parse_question)."""
    kind = qtype.strip().lower().replace("-", "_")
    if kind not in ("binary", "numeric", "multiple_choice"):
        raise OptionError([Problem("--type", f"{qtype!r}: expected binary, numeric or multiple-choice")])
    rp: dict[str, Any] = {"scenario": scenario}
    data: dict[str, Any] = {"id": qid or _slug(title), "title": title, "type": kind, "description": description,
                            "resolution_criteria": criteria, "scheduled_close_time": close}  # fmt: skip
    if open_time:
        data["open_time"] = open_time
    scen = None
    if issue or threshold:
        from realpolitik.scenario import load_scenario

        scen = load_scenario(scenario)
    if threshold:
        from realpolitik.analysis.montecarlo import parse_threshold

        th = parse_threshold(threshold, scen)
        if kind != "binary":
            raise OptionError([Problem("--threshold", "a threshold turns a distribution into a binary question's probability")])
        if issue and issue != th.issue:
            raise OptionError([Problem("--threshold", f"is about {th.issue!r}, but --issue is {issue!r}")])
        issue = th.issue
        rp["mapping"] = _default_rules_json({"op": th.op, "value": th.value})
    if issue:
        if issue not in scen.issue_ids:
            raise OptionError([Problem("--issue", f"unknown issue {issue!r} (issues: {', '.join(scen.issue_ids)})")])
        rp["issue"] = issue
        iss = scen.issue(issue)
        if kind == "numeric":
            data["scaling"] = {"range_min": iss.min, "range_max": iss.max, "unit": f"{iss.label} ({iss.min:g}-{iss.max:g})"}
    if kind == "numeric" and not issue:
        raise OptionError([Problem("--issue", "a numeric question is asked on an issue's scale: name the issue")])
    if options:
        data["options"] = [_option(o) for o in options]
    if mapping:
        rp["mapping"] = _mapping_json(mapping)
    if baseline:
        rp["baseline"] = _baseline_json(baseline)
    if note:
        rp["mapping_note"] = note
    data["realpolitik"] = rp
    return data


def _default_rules_json(threshold: dict[str, Any]) -> list[dict[str, Any]]:
    from realpolitik.ledger.questions import Threshold, default_rules

    return [r.model_dump(mode="json", exclude_none=True) for r in default_rules(Threshold(**threshold))]


def _option(text: str) -> dict[str, Any]:
    label, sep, rng = text.rpartition("=")
    if not sep:
        return {"label": text.strip()}
    lo, colon, hi = rng.partition(":")
    try:
        return {"label": label.strip(), "range": [float(lo), float(hi)]}
    except ValueError:
        raise OptionError([Problem(f"--option {text}", "expected LABEL or LABEL=LOW:HIGH (numbers on the issue's scale)")]) from None


def _mapping_json(text: str) -> Any:
    raw = text
    if text.startswith("@"):
        try:
            raw = Path(text[1:]).read_text(encoding="utf-8")
        except OSError as exc:
            raise OptionError([Problem(f"--mapping {text}", f"cannot read: {exc.strerror or exc}")]) from None
    try:
        rules = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise OptionError([Problem("--mapping", f"not JSON ({exc.msg} at column {exc.colno})")]) from None
    return rules if isinstance(rules, list) else [rules]


def _baseline_json(text: str) -> dict[str, Any]:
    kind, _, rest = text.partition(":")
    kind = kind.strip().lower().replace("_", "-")
    if kind == "uniform" and not rest:
        return {"kind": "uniform"}
    if kind == "model" and rest:
        return {"kind": "model", "model": rest.strip()}
    if kind == "base-rate" and rest:
        p, _, source = rest.partition(":")
        try:
            return {"kind": "base_rate", "p": float(p), "source": source.strip()}
        except ValueError:
            pass
    raise OptionError([Problem("--baseline", f"{text!r}: expected uniform, base-rate:P[:SOURCE] or model:NAME")])


@question_app.command("list")
def question_list(json_: JsonOpt = False, db: DbOpt = None) -> None:
    """List questions: those in the ledger and the shipped ones (added on their first forecast)."""
    from rich.table import Table as RichTable

    from realpolitik.ledger.questions import iso

    states = _ledger(db).states()
    rows = [{"id": st.id, "title": st.question.title, "type": st.question.type, "status": st.status(),
             "in_ledger": st.in_ledger, "close": iso(st.question.close), "forecasts": len(st.forecasts),
             "resolution": st.to_json().get("resolution")} for st in states.values()]  # fmt: skip
    if json_:
        emit_json(rows)
        return
    t = RichTable(title="Questions", title_justify="left")
    for c in ("id", "title", "type", "closes", "status", "forecasts"):
        t.add_column(c)
    for r in rows:
        status = r["status"] + (f": {r['resolution']}" if r["resolution"] is not None else "")
        t.add_row(r["id"], r["title"], r["type"], r["close"][:10], status + ("" if r["in_ledger"] else " (shipped)"),
                  str(r["forecasts"]))  # fmt: skip
    out.print(t)


@question_app.command("show")
def question_show(
    question_id: Annotated[str, typer.Argument(help="Question id (see 'question list').")],
    json_: JsonOpt = False,
    db: DbOpt = None,
) -> None:
    """Show a question: criteria, mapping, sealed forecasts, resolution and scores."""
    from rich.table import Table as RichTable

    from realpolitik.ledger.book import iso_us

    book = _ledger(db)
    st = book.state(question_id, "question show")
    q = st.question
    if json_:
        d = st.to_json()
        d["forecasts"] = [{"entry": f.seq, "at": iso_us(f.at), "model": f.model, "options": f.options,
                           "forecast": f.forecast.to_json(), "how": f.entry.get("how")} for f in st.forecasts]  # fmt: skip
        emit_json(d)
        return
    qj = st.to_json()
    _p(f"[bold]{escape(q.title)}[/bold]  ({q.id}, {q.type}, {st.status()}{'' if st.in_ledger else ', shipped: not in your ledger yet'})")
    for key, label in (("description", "Background"), ("resolution_criteria", "Resolves"), ("fine_print", "Fine print")):
        if getattr(q, key):
            _p(f"[bold]{label}:[/bold] {escape(getattr(q, key))}")
    _p(f"[bold]Closes:[/bold] {qj['scheduled_close_time']}" + (f"   [bold]opens:[/bold] {qj['open_time']}" if "open_time" in qj else ""))
    if q.scaling:
        _p(f"[bold]Range:[/bold] {q.scaling.range_min:g}-{q.scaling.range_max:g} {escape(q.scaling.unit)}")
    if q.options:
        _p("[bold]Options:[/bold] " + escape("; ".join(o.label + (f" [{o.range[0]:g}, {o.range[1]:g})" if o.range else "") for o in q.options)))
    rp = q.realpolitik
    _p(f"[bold]Scenario:[/bold] {rp.scenario or '-'}   [bold]issue:[/bold] {rp.issue or '-'}   "
       f"[bold]baseline:[/bold] {escape(rp.baseline.describe())}")  # fmt: skip
    for k, rule in enumerate(q.rules()):
        who = ", ".join(rule.models) + (f" except {', '.join(rule.exclude)}" if rule.exclude else "")
        _p(f"[bold]Rule {k}[/bold] ({escape(who)}; {rule.run} run): {escape(rule.note or '')}")
    if rp.mapping_note:
        _p(f"[bold]How the models answer:[/bold] {escape(rp.mapping_note)}")
    if st.resolution is not None:
        _p(f"[bold]Resolved:[/bold] {escape(str(qj['resolution']))} on {qj['actual_resolve_time']} "
           f"(source: {escape(st.resolution.source)}){' early' if st.resolution.early else ''}")  # fmt: skip
    if st.forecasts:
        t = RichTable(title="Sealed forecasts", title_justify="left")
        for c in ("entry", "sealed (UTC)", "model", "forecast", "scenario"):
            t.add_column(c)
        for f in st.forecasts:
            scen = (f.entry.get("scenario") or {}).get("hash", "")
            t.add_row(str(f.seq), iso_us(f.at)[:19], escape(f.forecaster(st.forecasts)), f.forecast.headline(), scen[7:19])
        out.print(t)
    if st.resolution is not None:
        _score_tables(book, question_id, None)


@question_app.command("import")
def question_import(
    file: Annotated[Path, typer.Argument(help="JSON file of questions (docs/ledger.md: the layout).")],
    json_: JsonOpt = False,
    db: DbOpt = None,
) -> None:
    """Add every question of a JSON file; nothing is added if any is invalid or already there."""
    from realpolitik.ledger import load_question_file

    qs = load_question_file(str(file))
    book = _ledger(db)
    have = {qid for qid, st in book.states(include_shipped=False).items()}
    dup = [Problem(f"{file}:questions[{k}].id", f"question {q.id!r} is already in the ledger")
           for k, q in enumerate(qs) if q.id in have]  # fmt: skip
    if dup:
        raise OptionError(dup)
    entries = [book.add_question(q) for q in qs]
    if json_:
        emit_json([{"id": q.id, "entry": e.seq} for q, e in zip(qs, entries)])
        return
    _p(f"imported {len(qs)} question(s): {', '.join(q.id for q in qs)}")


@question_app.command("export")
def question_export(
    question_ids: Annotated[Optional[list[str]], typer.Argument(help="Question ids (default: every question).")] = None,
    out_file: Annotated[Optional[Path], typer.Option("--out", help="Write to this file (default: stdout).")] = None,
    db: DbOpt = None,
) -> None:
    """Export questions (with their resolutions) as JSON in the documented layout."""
    from realpolitik.ledger import FORMAT
    from realpolitik.scenario.writers import atomic_write

    book = _ledger(db)
    states = book.states()
    ids = list(question_ids or states)
    data = {"format": FORMAT, "questions": [book.state(i, "question export").to_json() for i in ids]}
    text = json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    if out_file is None:
        import sys

        sys.stdout.write(text)
    else:
        atomic_write(out_file, text.encode("utf-8"))
        err.print(f"wrote {len(ids)} question(s) to {out_file}")


@question_app.command("resolve")
def question_resolve(
    question_id: Annotated[str, typer.Argument(help="Question id.")],
    value: Annotated[str, typer.Argument(help="yes/no, a number on the question's range, or an option (label or number).")],
    source: Annotated[str, typer.Option("--source", help="Where a reader can check the outcome (report, article, URL).")],
    early: Annotated[bool, typer.Option("--early", help="Resolve before the close: the outcome is already known (the question closes now).")] = False,
    json_: JsonOpt = False,
    db: DbOpt = None,
) -> None:
    """Resolve a question (final; sealed into the ledger)."""
    book = _ledger(db)
    entry = book.resolve(question_id, value, source, early=early)
    st = book.state(question_id)
    if json_:
        emit_json({"entry": entry.seq, "hash": entry.hash, "question": st.to_json()})
        return
    _p(f"resolved [bold]{escape(question_id)}[/bold] as {escape(str(st.to_json()['resolution']))} (ledger entry {entry.seq})")


# ------------------------------------------------------------------ ledger
@ledger_app.command("verify")
def ledger_verify(
    head: Annotated[Optional[str], typer.Option("--head", help="A head hash you noted earlier: also detects removed entries.")] = None,
    json_: JsonOpt = False,
    db: DbOpt = None,
) -> None:
    """Check the hash chain of the ledger; exit 2 at the first broken link."""
    rep = _ledger(db).verify(head)
    if json_:
        emit_json(rep)
    elif rep["ok"]:
        extra = f"; {rep['after_noted_head']} entries after the head you noted" if rep.get("after_noted_head") else ""
        _p(f"[green]ok[/green] {rep['entries']} ledger entries, chain intact; head {rep['head']}{extra}")
    if not rep["ok"]:
        raise OptionError([Problem("ledger verify", rep["broken"]["message"])])


@ledger_app.command("score")
def ledger_score(
    question: Annotated[Optional[str], typer.Option("--question", "-q", help="Only this question.")] = None,
    baseline: Annotated[
        Optional[str], typer.Option("--baseline", help="uniform, base-rate (each question's) or model:NAME (default: each question's own).")
    ] = None,
    plot: Annotated[Optional[Path], typer.Option("--plot", help="Write the reliability diagram and the score-over-time chart here (PNG prefix).")] = None,
    json_: JsonOpt = False,
    db: DbOpt = None,
) -> None:
    """Score every model on the resolved questions: Brier, log score, CRPS, time-averaged, vs a baseline."""
    book = _ledger(db)
    if question is not None:
        book.state(question, "--question")
    rep = _score_tables(book, question, baseline, json_)
    if plot is not None:
        from realpolitik.report.ledger import write_ledger_plots

        for f in write_ledger_plots(rep, plot):
            err.print(f"wrote {f}")


def _fmt(v: Any, digits: int = 3) -> str:
    return "-" if v is None or (isinstance(v, float) and not math.isfinite(v)) else f"{v:.{digits}f}"


def _score_tables(book, question: str | None, baseline: str | None, json_: bool = False) -> dict[str, Any]:
    from realpolitik.ledger import ledger_scores, parse_baseline
    from realpolitik.report.ledger import score_tables
    from realpolitik.report.text import render_table

    rep = ledger_scores(book.states(), parse_baseline(baseline), question)
    if json_:
        emit_json(rep)
        return rep
    if not rep["questions"]:
        err.print("no resolved question to score yet ('question resolve ID VALUE --source ...')")
        return rep
    for t in score_tables(rep):
        render_table(t, out)
    return rep
