"""``draft TEXT_FILE``: a first scenario from a commentary, every number with its quote.

Translates between people and :mod:`realpolitik.draft`; heavy imports stay inside
the function so ``realpolitik --help`` stays fast.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Optional

import typer

from realpolitik.cli import JsonOpt, app, emit_json, err, load, out
from realpolitik.errors import OptionError, Problem, ScenarioError


@app.command()
def draft(
    text_file: Annotated[Path, typer.Argument(help="The commentary: a UTF-8 text file.")],
    out_file: Annotated[
        Optional[Path], typer.Option("--out", "-o", help="Write the draft here (.yaml/.yml or .json); default: YAML on stdout.")
    ] = None,
    endpoint: Annotated[
        Optional[str],
        typer.Option("--endpoint", help="An OpenAI-compatible endpoint (e.g. http://127.0.0.1:8080/v1); default: the offline extractor."),
    ] = None,
    model: Annotated[Optional[str], typer.Option("--model", "-m", help="Model name at the endpoint.")] = None,
    api_key_env: Annotated[
        str, typer.Option("--api-key-env", help="Environment variable holding the endpoint's API key (if it needs one).")
    ] = "OPENAI_API_KEY",
    timeout: Annotated[float, typer.Option("--timeout", help="Seconds to wait for the endpoint.")] = 300.0,
    title: Annotated[Optional[str], typer.Option("--title", help="Title of the draft (default: the file name).")] = None,
    compare: Annotated[
        Optional[str],
        typer.Option("--compare", help="Also measure the draft against a scenario coded by hand (file or built-in name)."),
    ] = None,
    json_: JsonOpt = False,
) -> None:
    """Draft a scenario from a text: actors, issues, positions, saliences, events - each number with its quote."""
    from realpolitik.draft import draft_scenario
    from realpolitik.scenario.io import decode_text
    from realpolitik.scenario.writers import atomic_write

    if out_file is not None and out_file.suffix.lower() not in (".yaml", ".yml", ".json"):
        raise OptionError([Problem(f"--out {out_file}", "the draft is written as YAML (.yaml, .yml) or JSON (.json)")])
    try:
        raw = text_file.read_bytes()
    except OSError as exc:
        raise ScenarioError(f"cannot read the text: {exc.strerror or exc}", str(text_file)) from None
    text = decode_text(raw, str(text_file))
    if not text.strip():
        raise ScenarioError("the text is empty", str(text_file))
    if endpoint is not None:
        from realpolitik.draft.endpoint import EndpointBackend

        backend = EndpointBackend(endpoint, model or "", api_key_env, timeout)
    else:
        if model is not None:
            raise OptionError([Problem("--model", "a model name needs --endpoint (the offline extractor has no model)")])
        from realpolitik.draft.offline import OfflineBackend

        backend = OfflineBackend()
    err.print(f"drafting {text_file.name} with {backend.name}: {backend.description}")
    d = draft_scenario(text, text_file.name, backend, title or "")
    if out_file is not None and out_file.suffix.lower() == ".json":
        from realpolitik.scenario.writers import to_json

        content = to_json(d.scenario)
    else:
        content = d.to_yaml()
    measured = None
    if compare is not None:
        from realpolitik.draft.measure import measure

        measured = measure(d.scenario, load(compare), len(d.kept), len(d.placeholders), len(d.dropped))
    if out_file is not None:
        atomic_write(out_file, content)
    summary = d.summary()
    if json_:
        emit_json({"summary": summary, "placeholders": d.placeholders, "left_for_analyst": d.left_for_analyst,
                   "dropped": d.dropped, "measure": measured, "written": str(out_file) if out_file else None,
                   "draft": json.loads(d.scenario.model_dump_json(exclude_defaults=True))})  # fmt: skip
        return
    if out_file is None:
        import sys

        sys.stdout.write(content.decode())
        sys.stdout.flush()
    where = f"wrote {out_file}" if out_file is not None else "draft above"
    err.print(f"{where}: {summary['actors']} actors, {summary['issues']} issues, {summary['events']} event(s); "
              f"{summary['numbers_with_quote']} numbers with a quote found in the text, "
              f"{summary['placeholders']} placeholders for the analyst, {summary['dropped']} dropped "
              "(quote not in the text)")  # fmt: skip
    err.print("[bold]DRAFT[/bold]: review every number; the notes hold the quote and the reason for each.")
    if d.left_for_analyst:
        err.print("left for the analyst:")
        for item in d.left_for_analyst:
            err.print(f"  - {item}", highlight=False, markup=False)
    if measured is not None:
        _print_measure(measured, compare)


def _print_measure(m: dict, ref: str) -> None:
    from rich.table import Table as RichTable

    t = RichTable(title=f"The draft against {ref}", title_justify="left")
    t.add_column("measure")
    t.add_column("value", overflow="fold")
    share = m.get("share_with_valid_quote")
    rows = [
        ("actors found", f"{len(m['actors_found'])} of {m['reference_actors']}: {', '.join(m['actors_found'])}"),
        ("actors missed", ", ".join(m["actors_missed"]) or "none"),
        ("actors not in the reference", ", ".join(m["actors_extra"]) or "none"),
        ("issues found", f"{len(m['issues_found'])} of {m['reference_issues']}: "
         + ", ".join(f"{a}={b}" for a, b in m["issue_match"].items())),
        ("positions: mean distance", f"{m['position_mean_distance']:.1f} points of the scale over {len(m['pairs'])} "
         "matched actor-issue pairs"),
        ("saliences: mean distance", f"{m['salience_mean_distance']:.1f} points"),
        ("numbers with a valid quote", f"{m.get('numbers_with_valid_quote')} of {m.get('numbers')} ({100 * share:.0f}%)"
         if share is not None else "-"),
        ("proposed quotes found in the text", f"{100 * m['share_of_proposed_quotes_found']:.0f}%"
         if m.get("share_of_proposed_quotes_found") is not None else "-"),
    ]  # fmt: skip
    for k, v in rows:
        t.add_row(k, v)
    out.print(t)
