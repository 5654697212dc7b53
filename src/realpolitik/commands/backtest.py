"""``realpolitik backtest cases|deu FILE|wars FILE|crises FILE``: score the models against what happened.

The commands only translate between people and the :mod:`realpolitik.analysis.backtest`
package: ``cases`` (the case library and the leaderboard), ``deu`` (DEU III), ``wars``
(war durations) and ``crises`` (ICB crisis outcomes).  Data sets we may not
ship (DEU III, the MIC war list, ICB) are read from the FILE given on the command line.
Results are stored in the run history; ``--markdown`` prints the tables of
docs/backtests.md.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from realpolitik.cli import JsonOpt, app, emit_json, err, out
from realpolitik.errors import OptionError, Problem, ScenarioError

backtest_app = typer.Typer(
    help="Backtests: every model scored against real outcomes (cases, DEU III, war durations, crises).",
    no_args_is_help=True,
)
app.add_typer(backtest_app, name="backtest")

SeedOpt = Annotated[Optional[int], typer.Option("--seed", help="Seed for every random draw and the train/test split.")]
ModelsOpt = Annotated[
    Optional[list[str]], typer.Option("--model", "-m", help="Score only these models (repeatable; default: every registered model).")
]
QuietOpt = Annotated[bool, typer.Option("--quiet", "-q", help="No progress on stderr.")]


def _progress(quiet: bool):
    if quiet:
        return None
    return lambda what: err.print(f"[dim]{what}[/dim]", highlight=False)


def _render(tables, markdown: bool = False) -> None:
    if markdown:
        import sys

        sys.stdout.write(markdown_tables(tables))
        return
    from realpolitik.report.text import render_table

    for t in tables:
        render_table(t, out)


def markdown_tables(tables) -> str:
    """Tables as GitHub markdown (what docs/backtests.md shows, verbatim)."""
    parts = []
    for t in tables:
        esc = lambda v: str(v).replace("|", "\\|")  # noqa: E731
        lines = [f"**{t.title}**", "", "| " + " | ".join(esc(c) for c in t.columns) + " |",
                 "|" + "---|" * len(t.columns)]  # fmt: skip
        lines += ["| " + " | ".join(esc(v) for v in row) + " |" for row in t.rows]
        if t.note:
            lines += ["", t.note]
        parts.append("\n".join(lines) + "\n")
    return "\n".join(parts)


MarkdownOpt = Annotated[bool, typer.Option("--markdown", help="Print the summary tables as markdown (as in docs/backtests.md).")]


def _file(path: Path) -> Path:
    if not path.exists():
        raise ScenarioError("no such file", str(path))
    if path.is_dir():
        raise ScenarioError("is a directory, expected a file", str(path))
    return path


@backtest_app.command("cases")
def cases_cmd(
    case: Annotated[Optional[list[str]], typer.Option("--case", "-c", help="Only these cases (repeatable).")] = None,
    model: ModelsOpt = None,
    draws: Annotated[int, typer.Option("--draws", "-n", help="Monte Carlo draws per model and case (0: point forecasts only).")] = 200,
    spread: Annotated[float, typer.Option("--spread", help="Global input spread of the Monte Carlo versions (fraction).")] = 0.10,
    seed: SeedOpt = None,
    json_: JsonOpt = False,
    quiet: QuietOpt = False,
    per_case: Annotated[bool, typer.Option("--per-case/--no-per-case", help="Show the table of every case.")] = True,
    list_: Annotated[bool, typer.Option("--list", help="List the cases and their outcome records, run nothing.")] = False,
    markdown: MarkdownOpt = False,
) -> None:
    """Every model (and its Monte Carlo version) on every case of the library; leaderboard by MAE."""
    from realpolitik.analysis.backtest import cases as bt

    cases = bt.load_case_library(case)
    if list_:
        rows = [
            {"case": c.name, "title": c.scenario.title, "issue": o.issue, "outcome": o.value,
             "date": o.date.isoformat() if o.date else None, "judgement": o.judgement,
             "range": list(o.range) if o.range else None, "how_coded": o.how_coded, "source": o.source}
            for c in cases for o in c.outcomes
        ]  # fmt: skip
        if json_:
            emit_json(rows)
            return
        from realpolitik.models.base import Table

        _render([Table("Case library", ["case", "issue", "outcome", "date", "coding"],
                       [[r["case"], r["issue"], f"{r['outcome']:g}", r["date"] or "-",
                         ("judgement, range " + "-".join(f"{x:g}" for x in r["range"])) if r["judgement"] and r["range"]
                         else ("judgement" if r["judgement"] else "from the source")] for r in rows],
                       "sources and coding notes: src/realpolitik/cases/outcomes.yaml")])  # fmt: skip
        return
    skipped: list[str] = []
    models = bt.select_models(model, skipped)
    for line in skipped:
        err.print(f"[yellow]note[/yellow] model not scored (cannot be built with its defaults): {line}", highlight=False)
    res = bt.run_backtest(
        cases, models, draws=draws, seed=bt.DEFAULT_SEED if seed is None else seed, spread=spread,
        progress=_progress(quiet or json_),
    )  # fmt: skip
    stored = _record_runs(res)
    data = res.to_dict()
    data["skipped_models"] = skipped
    data["stored_runs"] = stored
    if json_:
        emit_json(data)
        return
    if markdown:
        _render(res.summary_tables(), markdown=True)
        return
    tables = res.tables()
    _render(tables if per_case else tables[-2:])
    if res.not_applicable:
        err.print(
            "[dim]not applicable: "
            + "; ".join(f"{m} ({len(v)} issue(s))" for m, v in sorted(res.not_applicable.items()))
            + "[/dim]"
        )
    err.print(f"[dim]{stored} run(s) stored in the run history[/dim]")


class _DatasetRecord:
    """A data set as the run history's 'scenario' of a backtest run (title, hash, data)."""

    def __init__(self, title: str, sha256: str, data: dict):
        self.title, self._hash, self._data = title, sha256, data

    def content_hash(self) -> str:
        return "sha256:" + self._hash

    def to_data(self) -> dict:
        return self._data


def _record_runs(result) -> int:
    """Store every model run of a backtest in the run history (never fails); returns runs stored."""
    from realpolitik.store import record_runs_safely

    n = 0
    for scen, results in result.run_results:
        if results:
            n += len(record_runs_safely(scen, results, source="backtest"))
    return n


def _store_summary(title: str, sha256: str, model: str, data: dict, info: dict, headline: dict | None = None) -> int:
    """Record a backtest summary in the run history (never fails); returns runs stored.

    ``headline`` (e.g. ``{"cox CRPS": 285.3}``) is stored as the run's forecast, so that
    ``realpolitik runs show`` lists the main scores."""
    from realpolitik._version import __version__
    from realpolitik.store import record_runs_safely

    payload = {
        "model": model, "options": info, "version": __version__, "seed": data.get("seed"),
        "scenario": {"title": title, "hash": "sha256:" + sha256}, "issues": [], "actors": [],
        "forecast": dict(headline or {}), "history": {}, "details": data, "elapsed": None,
    }  # fmt: skip
    return len(record_runs_safely(_DatasetRecord(title, sha256, {"title": title, "dataset": info}), [payload], source="backtest"))


@backtest_app.command("deu")
def deu_cmd(
    file: Annotated[Path, typer.Argument(help="The DEU III file (semicolon-separated, doi:10.34810/data53).")],
    model: ModelsOpt = None,
    institution_weight: Annotated[
        float,
        typer.Option("--institution-weight", help="Capability of the Commission and the Parliament (member states: Nice Council votes; 0 leaves the institutions out)."),
    ] = 29.0,
    draws: Annotated[int, typer.Option("--draws", "-n", help="Monte Carlo draws per model and issue (0: point forecasts only).")] = 0,
    spread: Annotated[float, typer.Option("--spread", help="Global input spread of the Monte Carlo versions (fraction).")] = 0.10,
    seed: SeedOpt = None,
    json_: JsonOpt = False,
    quiet: QuietOpt = False,
    markdown: MarkdownOpt = False,
) -> None:
    """Every model on the DEU III issues (EU legislation): leaderboard by MAE on the 0-100 scale."""
    from realpolitik.analysis.backtest import cases as bt
    from realpolitik.analysis.backtest.deu import load_deu

    d = load_deu(_file(file), institution_weight)
    models = bt.select_models(model)
    n = len(d.cases)
    counter = {"k": 0}

    def tick(what: str) -> None:
        if what.endswith("/" + models[0].name):
            counter["k"] += 1
            if counter["k"] % 25 == 0 or counter["k"] == n:
                err.print(f"[dim]{counter['k']}/{n} issues[/dim]", highlight=False)

    res = bt.run_backtest(
        d.cases, models, draws=draws, seed=bt.DEFAULT_SEED if seed is None else seed, spread=spread,
        progress=None if (quiet or json_) else tick,
    )  # fmt: skip
    rows = res.leaderboard()
    data = {
        "analysis": "backtest-deu",
        "load": d.summary(),
        "capability_proxy": {"member_states": "Nice Treaty Council votes", "institution_weight": institution_weight},
        "seed": res.seed,
        "draws": draws,
        "leaderboard": [r.to_dict() for r in rows],
        "not_applicable": {k: len(v) for k, v in res.not_applicable.items()},
        "scores": [s.to_dict() for s in res.scores],
    }
    data["stored_runs"] = _store_summary(f"DEU III backtest ({Path(file).name})", d.sha256, "backtest-deu",
                                         {k: v for k, v in data.items() if k != "scores"}, d.summary(),
                                         {f"{r.model} MAE": r.mae for r in rows})  # fmt: skip
    if json_:
        emit_json(data)
        return
    _render([bt.leaderboard_table(rows, pct=False, title=f"DEU III leaderboard: {n} issues of {d.rows} rows")], markdown)
    for reason, ids in d.skipped.items():
        err.print(f"[dim]skipped {len(ids)} row(s): {reason}[/dim]")
    if d.default_salience:
        err.print(f"[dim]{d.default_salience} actor-issue pair(s) without salience given salience 50[/dim]")


TestFractionOpt = Annotated[float, typer.Option("--test-fraction", help="Share of units held out for testing (seeded split).")]
RepeatsOpt = Annotated[
    int, typer.Option("--repeats", help="Also run this many splits (seeds SEED, SEED+1, ...) and summarise mean, sd and splits won.")
]


def _check_counts(**counts: int) -> None:
    """Every count option (``--draws``, ``--calibration-draws``, ``--repeats``) is at least 1."""
    bad = [
        Problem(f"--{name.replace('_', '-')}", f"must be at least 1, got {value}")
        for name, value in counts.items()
        if value < 1
    ]
    if bad:
        raise OptionError(bad)


@backtest_app.command("wars")
def wars_cmd(
    file: Annotated[Path, typer.Argument(help="Interstate wars, MIC states_war layout (e.g. ../shared/anchors/cases/states_war.csv).")],
    seed: SeedOpt = None,
    test_fraction: TestFractionOpt = 0.3,
    draws: Annotated[int, typer.Option("--draws", "-n", help="Simulated wars per test war.")] = 2000,
    calibration_draws: Annotated[int, typer.Option("--calibration-draws", help="Simulated wars per training war and grid point.")] = 300,
    no_simulator: Annotated[bool, typer.Option("--no-simulator", help="Survival baselines only.")] = False,
    repeats: RepeatsOpt = 1,
    landmark: Annotated[
        Optional[str],
        typer.Option("--landmark", help="Also score forecasts of the remaining duration of test wars still running at these ages (months), e.g. 6,12,24."),
    ] = None,
    json_: JsonOpt = False,
    quiet: QuietOpt = False,
    markdown: MarkdownOpt = False,
) -> None:
    """War durations: Kaplan-Meier, Weibull AFT, Cox and the calibrated war simulator on held-out wars."""
    from realpolitik.analysis.backtest.landmark import landmark_repeats, parse_landmarks, run_landmarks
    from realpolitik.analysis.backtest.wars import DEFAULT_SEED, load_wars, run_war_backtest, war_repeats

    _check_counts(draws=draws, calibration_draws=calibration_draws, repeats=repeats)
    ages = parse_landmarks(landmark) if landmark is not None else None
    data = load_wars(_file(file))
    base = DEFAULT_SEED if seed is None else seed
    runs = []
    for k in range(repeats):
        if repeats > 1 and not (quiet or json_):
            err.print(f"[dim]split {k + 1}/{repeats} (seed {base + k})[/dim]")
        runs.append(run_war_backtest(
            data, seed=base + k, test_fraction=test_fraction, draws=draws, calibration_draws=calibration_draws,
            simulator=not no_simulator, progress=_progress(quiet or json_ or repeats > 1),
        ))  # fmt: skip
    res = runs[0]
    payload = res.to_dict()
    rep_table = None
    if repeats > 1:
        summ, rep_table = war_repeats(runs)
        payload["repeats"] = {"seeds": [r.seed for r in runs], "summary": summ,
                              "simulator": [r.calibration.params() if r.calibration else None for r in runs]}  # fmt: skip
    lm_tables = []
    if ages is not None:
        lms = []
        for k, r in enumerate(runs):
            if not (quiet or json_):
                err.print(f"[dim]landmarks {', '.join(f'{a:g}' for a in ages)} months (split {k + 1}/{len(runs)})[/dim]")
            lms.append(run_landmarks(r.train, r.test, ages, r.calibration, draws=draws, seed=r.seed))
        payload["landmarks"] = lms[0].to_dict()
        lm_tables = lms[0].tables(res.seed)
        if repeats > 1:
            lsumm, ltable = landmark_repeats(lms, [r.seed for r in runs])
            payload["landmarks"]["repeats"] = lsumm
            lm_tables.append(ltable)
    summary = {k: v for k, v in payload.items() if k != "simulator"}
    summary["simulator"] = None if res.calibration is None else res.calibration.params()
    payload["stored_runs"] = _store_summary(
        f"War-duration backtest ({Path(file).name})", data.sha256, "backtest-wars", summary,
        {"file": str(file), "seed": res.seed, "test_fraction": test_fraction, "draws": draws, "repeats": repeats},
        {f"{sc.model} CRPS": sc.crps for sc in res.scores},
    )  # fmt: skip
    if json_:
        emit_json(payload)
        return
    _render(res.tables() + ([rep_table] if rep_table is not None else []) + lm_tables, markdown)


@backtest_app.command("crises")
def crises_cmd(
    file: Annotated[Path, typer.Argument(help="ICB actor-level records, JSON (e.g. ../shared/anchors/cases/icb_v16_crisis_actors.json).")],
    seed: SeedOpt = None,
    test_fraction: TestFractionOpt = 0.3,
    draws: Annotated[int, typer.Option("--draws", "-n", help="Simulated crises per cell (power, opponent power, violence).")] = 2000,
    calibration_draws: Annotated[int, typer.Option("--calibration-draws", help="Simulated crises per cell and grid point.")] = 300,
    no_bargaining: Annotated[bool, typer.Option("--no-bargaining", help="Base rates only.")] = False,
    repeats: RepeatsOpt = 1,
    json_: JsonOpt = False,
    markdown: MarkdownOpt = False,
) -> None:
    """Crisis outcomes: base rates, a calibrated logit on pre-crisis covariates and the war layer (held-out crises)."""
    from realpolitik.analysis.backtest.crises import DEFAULT_SEED, crisis_repeats, load_icb, run_crisis_backtest

    _check_counts(draws=draws, calibration_draws=calibration_draws, repeats=repeats)
    data = load_icb(_file(file))
    base = DEFAULT_SEED if seed is None else seed
    runs = [
        run_crisis_backtest(data, seed=base + k, test_fraction=test_fraction, draws=draws,
                            calibration_draws=calibration_draws, bargaining=not no_bargaining)
        for k in range(repeats)
    ]  # fmt: skip
    res = runs[0]
    payload = res.to_dict()
    rep_table = None
    if repeats > 1:
        summ, rep_table = crisis_repeats(runs)
        payload["repeats"] = {"seeds": [r.seed for r in runs], "summary": summ}
    summary = {k: v for k, v in payload.items() if k != "war_bargaining"}
    summary["war_bargaining"] = None if res.calibration is None else res.calibration.params()
    payload["stored_runs"] = _store_summary(
        f"Crisis-outcome backtest ({Path(file).name})", data.sha256, "backtest-crises", summary,
        {"file": str(file), "seed": res.seed, "test_fraction": test_fraction, "draws": draws, "repeats": repeats},
        {f"{sc.model} Brier": sc.brier for sc in res.scores},
    )  # fmt: skip
    if json_:
        emit_json(payload)
        return
    _render(res.tables() + ([rep_table] if rep_table is not None else []), markdown)
