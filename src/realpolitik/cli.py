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
import typer.main
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
from realpolitik.api import DEFAULT_MODELS as DEFAULT_FORECAST_MODELS  # noqa: E402  (api imports lazily)


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


#: words a flag's value would be: ``--json true`` must not read "true" as a scenario
_FLAG_WORDS = ("true", "false", "yes", "no", "on", "off", "1", "0")


def load(scenario: str | None, **options: Any):
    """Load the SCENARIO argument; a flag's would-be value in its place is a usage error."""
    from realpolitik.scenario import load_scenario

    if scenario is not None and scenario.strip().lower() in _FLAG_WORDS and not Path(scenario).exists():
        raise OptionError([Problem(f"SCENARIO {scenario}", "no such scenario; flags such as --json, --details and "
                                   "--lossy take no value (write --json alone)")])  # fmt: skip
    return load_scenario(scenario, **options)


def build_models(names: list[str] | None, options: dict[str, Any]):
    """Build the named models (none: the standard set); ``options`` go to every model that has the option."""
    from realpolitik.api import build_models as _build

    return _build(names or None, options, label=lambda k: f"--{k}" if k in SHORTCUT_OPTIONS else f"--option {k}")


SHORTCUT_OPTIONS = ("preset", "rounds", "mode")


def emit_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2, allow_nan=False, default=str) + "\n")
    sys.stdout.flush()


# ------------------------------------------------------------------ commands
OutOpt = Annotated[
    Optional[Path],
    typer.Option("--out", help="Write the results: FILE.json (the --json document), FILE.csv (a long table), "
                 "FILE.xlsx (a workbook), or a FOLDER (one JSON result per model). Atomic: all or nothing."),
]


def out_target(path: Path) -> str:
    """What ``--out PATH`` writes: ``json``, ``csv``, ``xlsx`` (by extension) or ``folder``."""
    from realpolitik.report.export import FORMATS

    suffix = path.suffix.lower().lstrip(".")
    if path.is_dir() or str(path).endswith(("/", "\\")) or not suffix:
        return "folder"
    if suffix in FORMATS:
        return suffix
    raise OptionError([Problem(f"--out {path}", f"cannot write .{suffix} results: give a FOLDER or a file ending in "
                                                f"{', '.join('.' + f for f in FORMATS)}")])  # fmt: skip


def write_results(path: Path, results: list, seed: int | None, scenario) -> str:
    """Write results for ``--out`` (all files or none); return a line saying what was written."""
    from realpolitik.report.export import render_results
    from realpolitik.scenario.writers import atomic_write_many

    kind = out_target(path)
    if kind == "folder":
        files = {path / f"{r.model}.json": (json.dumps(r.to_dict(), indent=2, allow_nan=False, default=str) + "\n").encode()
                 for r in results}  # fmt: skip
        atomic_write_many(files)
        return f"wrote {len(files)} result file(s) to {path}"
    labels = {i.id: i.label or i.id for i in scenario.issues}
    atomic_write_many({path: render_results(results, kind, seed, labels)})
    return f"wrote {path}"


def run_models(models: list, scen, seed: int, show: bool = True) -> list:
    """Run each model with the one seed, saying on stderr which one runs (the ensemble's
    Monte Carlo of every model takes a while)."""
    if not show or len(models) == 1 and not models[0].draws_random_numbers(scen):
        return [m.run(scen, rng=seed) for m in models]
    results = []
    with err.status("", spinner="dots") as status:
        for k, m in enumerate(models, 1):
            what = m.label or m.name
            draws = getattr(m.options, "draws", None)
            if m.name == "ensemble" and draws:
                what += f": Monte Carlo of {len(m.components())} models, {draws} draws"
            status.update(f"[dim]running {k}/{len(models)} {escape(what)} ...[/dim]")
            if not err.is_terminal and m.draws_random_numbers(scen):  # a log, not a spinner
                err.print(f"running {what} ...", highlight=False)
            results.append(m.run(scen, rng=seed))
    return results


@app.command()
def forecast(
    scenario: ScenarioArg = None,
    model: Annotated[
        Optional[list[str]], typer.Option("--model", "-m", help="Model(s) to run (repeatable). Default: all standard models.")
    ] = None,
    option: Annotated[
        Optional[list[str]], typer.Option("--option", "-o", help="Model option KEY=VALUE (repeatable).")
    ] = None,
    json_: Annotated[bool, typer.Option("--json", help="Print the results as one JSON document on stdout: "
                                        "{scenario, seed, results: [one result per model]}.")] = False,
    out_path: OutOpt = None,
    seed: Annotated[Optional[int], typer.Option("--seed", help="Seed for every random draw (default: a fresh one, "
                                                 "recorded in every result).")] = None,
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
    from realpolitik.seeds import resolve_seed

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
    if out_path is not None:
        out_target(out_path)  # a bad --out is refused before the models run
    scen = load(scenario)
    models = build_models(model, opts)
    drawn = seed is None
    seed = resolve_seed(seed)  # one seed for every model, recorded in every result
    results = run_models(models, scen, seed, show=True)
    from realpolitik.store import record_runs_safely  # run history; warns on stderr, never fails

    record_runs_safely(scen, results, source="cli")
    for r in results:
        for line in r.details.get("warnings") or []:
            err.print(f"[yellow]warning[/yellow] {escape(r.model)}: {escape(str(line))}", highlight=False)
    if out_path is not None:
        done = write_results(out_path, results, seed, scen)
    if json_:
        from realpolitik.report.export import forecast_document

        emit_json(forecast_document(results, seed))
    else:
        show_forecast(scen, models, results, details)
        if drawn and any(m.draws_random_numbers(scen) for m in models):
            err.print(f"[dim]seed {seed} (repeat this forecast: --seed {seed})[/dim]", highlight=False)
    if out_path is not None:
        err.print(done, highlight=False)


def show_forecast(scen, models: list, results: list, details: bool) -> None:
    """The forecast as tables: the ensemble's headline first when it ran, then each model's."""
    from realpolitik.report.overview import overview_tables
    from realpolitik.report.text import forecast_table, render_table, scenario_notes

    labels = {m.name: m.label or m.name for m in models}
    headline = overview_tables(scen, results)  # the ensemble first, when it ran
    if headline:
        out.print(f"[bold]Forecast: {escape(scen.title)}[/bold]", highlight=False)
        for line in scenario_notes(scen):
            out.print(f"[dim]{escape(line)}[/dim]", highlight=False)
        for t in headline:
            render_table(t, out)
        ens = next(r for r in results if r.model == "ensemble")
        components = {c["model"] for e in ens.details["issues"].values() for c in e["components"]}
        others = [r for r in results if r.model not in components | {"ensemble", "war"}]
        if others:
            out.print(forecast_table(scen, others, labels, title=False))
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
        "notes": list(scen.load_notes),
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
        for line in scen.load_notes:  # what the loader assumed (a flat table's scale)
            out.print(f"[yellow]note[/yellow] {escape(line)}", highlight=False, soft_wrap=True, emoji=False)


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


#: the formats ``convert`` writes (tests/test_cli_polish.py checks this against the writers)
WRITE_FORMATS = "yaml (.yaml, .yml), json (.json), csv (.csv), xlsx (.xlsx), decide (.decide, .txt), ktab-csv"


@app.command()
def convert(
    source: Annotated[str, typer.Argument(help="Input scenario (file or built-in name).")],
    target: Annotated[Path, typer.Argument(help="Output file; the format follows its extension.")],
    to: Annotated[Optional[str], typer.Option("--to", help=f"Output format, overriding the extension: {WRITE_FORMATS}.")] = None,
    lossy: Annotated[bool, typer.Option("--lossy", help="Allow dropping content the target format cannot hold.")] = False,
) -> None:
    """Convert a scenario between formats: YAML, JSON, flat CSV, Excel, Decide, KTAB CSV.

    The format follows TARGET's extension or --to. Content the target cannot hold is refused, naming it, unless --lossy.
    """
    from realpolitik.scenario.writers import write_scenario

    scen = load(source)
    write_scenario(scen, target, to, lossy=lossy)
    err.print(f"wrote {target}")


@app.command()
def models(
    name: Annotated[Optional[str], typer.Argument(help="A model's name: show its options, allowed values and defaults.")] = None,
    json_: JsonOpt = False,
) -> None:
    """List the available models, or one model's options (allowed values, defaults, meaning)."""
    from rich.table import Table as RichTable

    from realpolitik.models import available_models
    from realpolitik.models.base import summary_of

    reg = available_models()
    if name is not None:
        from realpolitik.models import model_class

        cls = model_class(name)
        if cls is None:
            raise OptionError([Problem("MODEL", f"unknown model {name!r}: expected one of {', '.join(sorted(reg))}")])
        info = {"name": cls.name, "label": cls.label, "summary": summary_of(cls), "options": cls.option_info()}
        if json_:
            emit_json(info)
            return
        out.print(f"[bold]{escape(cls.name)}[/bold]: {escape(cls.label)}", highlight=False)
        out.print(escape(info["summary"]), highlight=False)
        if not info["options"]:
            out.print("no options")
            return
        t = RichTable(title="Options (-o NAME=VALUE)", title_justify="left", show_lines=True)
        t.add_column("option and default", no_wrap=True)
        t.add_column("allowed values; meaning")
        for o in info["options"]:
            d = o["default"]
            shown = "none" if d is None else json.dumps(d) if isinstance(d, (dict, list)) else str(d)
            mark = "*" if o["scenario_may_set"] else ""
            t.add_row(f"{escape(o['name'])}\n[dim]default:[/dim] {escape(shown)}{mark}",
                      f"{escape(o['allowed'])}\n[dim]{escape(o['description'])}[/dim]")  # fmt: skip
        out.print(t)
        if any(o["scenario_may_set"] for o in info["options"]):
            out.print("[dim]* unless the scenario sets it (a KTAB XML's ModelParameters)[/dim]", highlight=False)
        return
    rows = []
    for key, cls in sorted(reg.items()):
        rows.append({"name": key, "label": cls.label, "summary": summary_of(cls),
                     "options": {o["name"]: o["default"] for o in cls.option_info()}})  # fmt: skip
    if json_:
        emit_json(rows)
        return
    t = RichTable(title="Models", title_justify="left")
    t.add_column("name", no_wrap=True)
    t.add_column("what it computes")
    t.add_column("options", justify="right")
    for r in rows:
        t.add_row(escape(r["name"]), escape(r["summary"]), str(len(r["options"])))
    out.print(t)
    err.print("[dim]one model's options, allowed values and defaults: realpolitik models NAME[/dim]")


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


def _invoked(argv: list[str]) -> typer.Typer:
    """The app with only the command ``argv`` invokes, or the whole app (help, unknown commands).

    typer builds every command's parameters on each call (about 0.1 s for all of them); the
    root takes no option with a value, so the first word that is not an option names the
    command.  ``--version`` alone needs no command at all.
    """
    import copy

    words = [a for a in argv if not a.startswith("-")]
    if not words:
        if not argv or any(a in ("--help", "-h") for a in argv):
            return app
        cmds, groups = [], []
    else:
        name = words[0]
        cmds = [c for c in app.registered_commands
                if (c.name or c.callback.__name__.lower().replace("_", "-")) == name]  # fmt: skip
        groups = [g for g in app.registered_groups if g.name == name]
        if len(cmds) + len(groups) != 1:
            return app
    sub = copy.copy(app)
    sub.registered_commands, sub.registered_groups = cmds, groups
    return sub


#: how help names the type of an option's value (typer would show ``<str>``, ``<list[str]>``)
_METAVARS = {"str": "TEXT", "int": "INTEGER", "float": "NUMBER", "path": "PATH", "file": "PATH", "bool": "BOOLEAN",
             "int range": "INTEGER", "float range": "NUMBER", "datetime": "DATE"}  # fmt: skip


def _plain_type(shown: str | None) -> str | None:
    if not shown:
        return shown
    text = shown.strip("<>").removesuffix("...")
    if text.startswith("list[") and text.endswith("]"):
        text = text[5:-1]
    return _METAVARS.get(text, text if "|" in text else text.upper())


def plain_help(cmd) -> None:
    """Help that reads as in every other CLI: a flag shows no type, an option TEXT, INTEGER,
    NUMBER, PATH or its choices, an argument its name in capitals (typer 0.2x shows ``<bool>``,
    ``<list[str]>`` and ``{name}``)."""
    for param in getattr(cmd, "params", []):
        if getattr(param, "param_type_name", "") == "argument":
            if param.metavar is None:
                param.metavar = (param.name or "").upper()
            param.display_type_rich = lambda ctx: None  # the name says it: no second type column
            if param.required and param.nargs == 1:  # usage "convert SOURCE TARGET", not "{SOURCE}"
                param._usage_display_name = lambda name=param.metavar: name
        elif getattr(param, "is_flag", False) or getattr(param, "count", False):
            param.metavar = ""
        elif param.metavar is None:
            shown = param.display_type_rich
            param.display_type_rich = lambda ctx, shown=shown: _plain_type(shown(ctx))
    make_help = cmd.get_help_option

    def help_option(ctx, make_help=make_help):
        opt = make_help(ctx)
        if opt is not None:
            opt.metavar = ""  # a flag: no "<bool>"
        return opt

    cmd.get_help_option = help_option
    for sub in (getattr(cmd, "commands", None) or {}).values():
        plain_help(sub)


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; user mistakes print one line each and exit 2."""
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        cmd = typer.main.get_command(_invoked(args))
        plain_help(cmd)
        cmd.main(args=args, prog_name="realpolitik", standalone_mode=True)
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
