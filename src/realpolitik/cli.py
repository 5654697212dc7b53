"""The ``realpolitik`` command line (typer + rich).

Conventions (docs in README): a SCENARIO argument defaults to the built-in
default scenario; ``--json`` prints only JSON on stdout; ``--out`` writes files
atomically; ``--seed`` fixes every random draw; progress goes to stderr.
Exit codes: 0 success, 2 invalid input, 1 anything else.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any, Optional

import typer
from rich.console import Console
from rich.markup import escape

from realpolitik.errors import OptionError, Problem, ScenarioError

app = typer.Typer(
    name="realpolitik",
    help="Forecast negotiations and conflict decisions with game-theoretic models.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
out = Console()
err = Console(stderr=True)

ScenarioArg = Annotated[
    Optional[str],
    typer.Argument(help="Scenario file or built-in name (default: the built-in default scenario)."),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print the whole result as JSON on stdout.")]
SeedOpt = Annotated[Optional[int], typer.Option("--seed", help="Seed for every random draw.")]

# Models run by ``forecast`` when no --model is given, in display order.  Model
# modules that are not present are skipped.
# One list for the CLI, the web app and the Python API (realpolitik.forecast).
from realpolitik.api import DEFAULT_MODELS as DEFAULT_FORECAST_MODELS  # noqa: E402


def _version_callback(value: bool) -> None:
    if value:
        from realpolitik._version import __version__

        out.print(f"realpolitik {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        Optional[bool], typer.Option("--version", callback=_version_callback, is_eager=True, help="Show the version.")
    ] = None,
) -> None:
    """realpolitik: encode a situation as a scenario, run established models, read the forecast."""


# ------------------------------------------------------------------ helpers
def parse_value(text: str) -> Any:
    """A CLI value: JSON if it parses (numbers, true/false, lists), else the string."""
    try:
        return json.loads(text)
    except (json.JSONDecodeError, ValueError):
        low = text.strip().lower()
        if low in ("true", "yes", "on"):
            return True
        if low in ("false", "no", "off"):
            return False
        return text


def parse_options(items: list[str] | None) -> dict[str, Any]:
    opts: dict[str, Any] = {}
    for item in items or []:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise OptionError([Problem(f"--option {item}", "expected KEY=VALUE")])
        opts[key.strip().replace("-", "_")] = parse_value(value.strip())
    return opts


def load(scenario: str | None):
    from realpolitik.scenario import load_scenario

    return load_scenario(scenario)


def build_models(names: list[str] | None, options: dict[str, Any]):
    """Build the named models (none: the standard set); ``options`` go to every model that has the option."""
    from realpolitik.api import build_models as _build

    return _build(names or None, options, label=lambda k: f"--{k}" if k in SHORTCUT_OPTIONS else f"--option {k}")


SHORTCUT_OPTIONS = ("preset", "rounds", "mode")


def emit_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2, allow_nan=False, default=str) + "\n")
    sys.stdout.flush()


# ------------------------------------------------------------------ commands
@app.command()
def forecast(
    scenario: ScenarioArg = None,
    model: Annotated[
        Optional[list[str]], typer.Option("--model", "-m", help="Model(s) to run (repeatable). Default: all standard models.")
    ] = None,
    option: Annotated[
        Optional[list[str]], typer.Option("--option", "-o", help="Model option KEY=VALUE (repeatable).")
    ] = None,
    json_: JsonOpt = False,
    out_dir: Annotated[Optional[Path], typer.Option("--out", help="Write each result as JSON into this folder.")] = None,
    seed: SeedOpt = None,
    preset: Annotated[Optional[str], typer.Option("--preset", help="Option preset of models that have presets.")] = None,
    rounds: Annotated[Optional[int], typer.Option("--rounds", help="Number of rounds for models that run in rounds.")] = None,
    mode: Annotated[Optional[str], typer.Option("--mode", help="Mode of models that have modes (e.g. exchange: decide).")] = None,
    details: Annotated[
        bool, typer.Option("--details", help="Show every model's detail tables (the default when one model runs).")
    ] = False,
    question: Annotated[
        Optional[str],
        typer.Option("--question", "-q", help="Seal each model's forecast of this ledger question (see 'question list')."),
    ] = None,
    draws: Annotated[
        int, typer.Option("--draws", help="With --question: Monte Carlo draws for rules that read a model's draws.")
    ] = 1000,
    calibration: Annotated[
        Optional[Path],
        typer.Option("--calibration", help="Ensemble calibration file (from `realpolitik ensemble calibrate --out`); default: the shipped one."),
    ] = None,
) -> None:
    """Forecast a scenario with one or more models (no SCENARIO: the default scenario)."""
    opts = parse_options(option)
    for key, value in (("preset", preset), ("rounds", rounds), ("mode", mode)):
        if value is not None:
            opts[key] = value
    if calibration is not None:
        from realpolitik.commands.ensemble import read_calibration

        opts["calibration"] = read_calibration(calibration)
    if question is not None:
        from realpolitik.commands.ledger import seal_question

        seal_question(question, scenario, model, opts, seed, draws, json_)
        return
    from realpolitik.report.text import forecast_table, render_table
    from realpolitik.scenario.writers import atomic_write

    scen = load(scenario)
    models = build_models(model, opts)
    results = [m.run(scen, rng=seed) for m in models]  # run() records an int seed in the result
    from realpolitik.store import record_runs_safely  # run history; warns on stderr, never fails

    record_runs_safely(scen, results, source="cli")
    payloads = [r.to_dict() for r in results]
    if out_dir is not None:
        for m, data in zip(models, payloads):
            atomic_write(Path(out_dir) / f"{m.name}.json", (json.dumps(data, indent=2) + "\n").encode())
    if json_:
        if len(payloads) == 1:
            emit_json(payloads[0])
        else:
            emit_json({"scenario": payloads[0]["scenario"], "results": payloads})
        return
    labels = {m.name: m.label or m.name for m in models}
    from realpolitik.report.overview import overview_tables

    headline = overview_tables(scen, results)  # the ensemble first, when it ran
    if headline:
        out.print(f"[bold]Forecast: {escape(scen.title)}[/bold]", highlight=False)
        for t in headline:
            render_table(t, out)
        ens = next(r for r in results if r.model == "ensemble")
        components = {c["model"] for e in ens.details["issues"].values() for c in e["components"]}
        others = [r for r in results if r.model not in components | {"ensemble", "war"}]
        if others:
            out.print(forecast_table(scen, others, labels))
    else:
        out.print(forecast_table(scen, results, labels))
    show_all = details or len(models) == 1
    for m, r in zip(models, results):
        if headline and m.name == "ensemble":
            continue  # its tables are the headline above
        for t in m.describe(r, scen):
            if show_all or t.summary:
                render_table(t, out)
    if not show_all:
        err.print("[dim]model details (trajectories, move logs, ...): --details, or one model with -m NAME[/dim]")
    if out_dir is not None:
        err.print(f"wrote {len(payloads)} result file(s) to {out_dir}")


@app.command()
def validate(
    file: Annotated[str, typer.Argument(help="Scenario file to check.")],
    json_: JsonOpt = False,
) -> None:
    """Check a scenario file and report every problem in it."""
    scen = load(file)
    summary = {
        "file": file,
        "valid": True,
        "title": scen.title,
        "actors": len(scen.actors),
        "issues": len(scen.issues),
        "events": len(scen.events),
        "hash": scen.content_hash(),
    }
    if json_:
        emit_json(summary)
    else:
        out.print(
            f"[green]ok[/green] {escape(file)}: {escape(repr(scen.title))} - {len(scen.actors)} actors, "
            f"{len(scen.issues)} issues, {len(scen.events)} events",
            soft_wrap=True,
            highlight=False,
            emoji=False,
        )


@app.command()
def scenarios(json_: JsonOpt = False) -> None:
    """List the built-in scenarios."""
    from rich.table import Table as RichTable

    from realpolitik.scenario import DEFAULT_SCENARIO, builtin_names, load_scenario

    rows = []
    for name in builtin_names():
        s = load_scenario(name)
        rows.append(
            {
                "name": name,
                "default": name == DEFAULT_SCENARIO,
                "title": s.title,
                "actors": len(s.actors),
                "issues": len(s.issues),
            }
        )
    if json_:
        emit_json(rows)
        return
    t = RichTable(title="Built-in scenarios", title_justify="left")
    for c in ("name", "title", "actors", "issues"):
        t.add_column(c)
    for r in rows:
        t.add_row(r["name"] + (" (default)" if r["default"] else ""), r["title"], str(r["actors"]), str(r["issues"]))
    out.print(t)


@app.command()
def convert(
    source: Annotated[str, typer.Argument(help="Input scenario (file or built-in name).")],
    target: Annotated[Path, typer.Argument(help="Output file; the format follows its extension.")],
    to: Annotated[Optional[str], typer.Option("--to", help="Output format (overrides the extension).")] = None,
    lossy: Annotated[bool, typer.Option("--lossy", help="Allow dropping content the target format cannot hold.")] = False,
) -> None:
    """Convert a scenario between formats (YAML, JSON, CSV, KTAB CSV, Decide, Excel)."""
    from realpolitik.scenario.writers import write_scenario

    scen = load(source)
    write_scenario(scen, target, to, lossy=lossy)
    err.print(f"wrote {target}")


@app.command()
def models(json_: JsonOpt = False) -> None:
    """List the available models and their options."""
    from rich.table import Table as RichTable

    from realpolitik.models import available_models

    reg = available_models()
    rows = []
    for name, cls in sorted(reg.items()):
        opts = {k: (f.default if not callable(f.default) else None) for k, f in cls.Options.model_fields.items()}
        doc = (cls.__doc__ or "").strip().splitlines()[0] if cls.__doc__ else ""
        rows.append({"name": name, "label": cls.label, "summary": doc, "options": opts})
    if json_:
        emit_json(rows)
        return
    t = RichTable(title="Models", title_justify="left")
    for c in ("name", "summary", "options (defaults)"):
        t.add_column(c)
    for r in rows:
        t.add_row(r["name"], r["summary"], ", ".join(f"{k}={v}" for k, v in r["options"].items()))
    out.print(t)


# Command groups that live with their layer (simulate, report, serve, runs,
# backtest ...) are modules in ``realpolitik/commands/`` that add themselves to
# ``app``; importing the package registers them.
import realpolitik.commands  # noqa: E402,F401


# ------------------------------------------------------------------ entry point
#: the Python parameter names that engine/, analysis/ and the API name in their errors, and
#: the flags that set them here (a Python user is told ``draws``, a CLI user ``--draws``)
CLI_FLAGS = {
    "model": "--model", "models": "--model", "draws": "--draws", "chunk_size": "--chunk-size",
    "workers": "--workers", "scheduler": "--scheduler", "engine": "--engine", "spread": "--spread",
    "bins": "--bins", "thresholds": "--threshold", "inputs": "--input", "method": "--method",
    "samples": "--samples", "set": "--set", "events": "--event", "remove": "--remove", "add": "--add",
    "actors": "--actor", "cases": "--case", "test_fraction": "--test-fraction",
    "issues": "--issue", "target": "--target", "steps": "--step",
}  # fmt: skip


def cli_problem(p: Problem) -> Problem:
    """A problem located by a Python parameter name, located by its flag instead."""
    head, sep, rest = p.location.partition(" ")
    flag = CLI_FLAGS.get(head)
    return Problem(flag + sep + rest, p.message) if flag else p


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; user mistakes print one line each and exit 2."""
    try:
        app(args=argv, prog_name="realpolitik", standalone_mode=True)
    except ScenarioError as exc:
        for line in (str(cli_problem(p)) for p in exc.problems):
            # the line is literal text: no markup ("[bold]" in a cell) and no emoji (":100:")
            err.print(f"[red]error[/red] {escape(line)}", highlight=False, soft_wrap=True, emoji=False)
        return 2
    except KeyboardInterrupt:
        err.print("interrupted")
        return 130
    except SystemExit as exc:  # typer/click exit codes (usage errors are 2)
        code = exc.code
        return code if isinstance(code, int) else (0 if code is None else 1)
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
