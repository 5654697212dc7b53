"""Issue 15: the README's promises about the command line, one test each.

Seeds recorded everywhere, one JSON shape, ``--out`` (files, failures), ``--json true``,
help without typer's ``<bool>``/``<list[str]>``, a flat table's assumed scale, start-up
imports.
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from realpolitik.cli import main

SEED_RANGE = 2**63


@pytest.fixture(autouse=True)
def _no_history(monkeypatch, tmp_path):
    monkeypatch.setenv("REALPOLITIK_DB", f"sqlite:///{tmp_path / 'runs.sqlite'}")
    monkeypatch.chdir(tmp_path)


def run(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    cap = capsys.readouterr()
    return code, cap.out, cap.err


# ------------------------------------------------------------------ 2: seeds
def test_forecast_without_a_seed_records_one_seed_in_every_result_and_it_repeats_the_run(capsys):
    code, out, _ = run(capsys, "forecast", "-m", "weighted-mean", "-m", "war", "-o", "draws=300", "-o", "what_if=false",
                       "--json")  # fmt: skip
    assert code == 0
    doc = json.loads(out)
    seed = doc["seed"]
    assert isinstance(seed, int) and 0 <= seed < SEED_RANGE
    assert [r["seed"] for r in doc["results"]] == [seed, seed]  # deterministic models name it too
    code, again, _ = run(capsys, "forecast", "-m", "weighted-mean", "-m", "war", "-o", "draws=300", "-o",
                         "what_if=false", "--json", "--seed", str(seed))  # fmt: skip
    assert [r["forecast"] for r in json.loads(again)["results"]] == [r["forecast"] for r in doc["results"]]
    code, listed, _ = run(capsys, "runs", "list", "--json")
    assert {r["seed"] for r in json.loads(listed)} == {seed}  # the history names it as well


def test_python_api_records_one_seed_that_repeats_the_forecast():
    import realpolitik as rp

    results = rp.forecast("ec-emissions", models=["weighted-mean", "exchange"], p=0.3, repetitions=5)
    seeds = {r.seed for r in results}
    assert len(seeds) == 1 and isinstance(seeds.pop(), int)
    again = rp.forecast("ec-emissions", models=["weighted-mean", "exchange"], p=0.3, repetitions=5, seed=results[0].seed)
    assert [r.forecast for r in again] == [r.forecast for r in results]
    assert isinstance(rp.forecast("ec-emissions", models="nash").seed, int)


def test_report_without_a_seed_records_the_one_it_drew(capsys):
    code, _, err = run(capsys, "report", "ec-emissions", "-m", "weighted-mean", "-m", "exchange", "-o", "p=0.3",
                       "--out", "r.html")  # fmt: skip
    assert code == 0, err
    code, listed, _ = run(capsys, "runs", "list", "--json")
    seeds = {r["seed"] for r in json.loads(listed)}
    assert len(seeds) == 1 and isinstance(seeds.pop(), int)


def test_a_web_run_without_a_seed_stores_the_one_it_drew(tmp_path):
    """The workbench's runs (jobs) name a seed too, and that seed repeats a Monte Carlo run."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from fastapi.testclient import TestClient

    from realpolitik.web.app import JobSettings, create_app

    app = create_app(db_url=f"sqlite:///{tmp_path / 'web.sqlite'}", jobs=JobSettings(isolation="thread"))
    with TestClient(app, raise_server_exceptions=False, base_url="http://127.0.0.1:8000") as c:
        body = {"model": "weighted-mean", "scenario": "builtin:ec-emissions", "draws": 40, "spread": 0.1}
        first = c.post("/api/runs", json=body).json()
        seed = first["result"]["seed"]
        assert isinstance(seed, int)
        assert c.get(f"/api/runs/{first['run_id']}").json()["seed"] == seed
        again = c.post("/api/runs", json={**body, "seed": seed}).json()
        assert again["result"]["forecast"] == first["result"]["forecast"]
        point = c.post("/api/runs", json={"model": "nash", "scenario": "builtin:ec-emissions"}).json()
        assert isinstance(c.get(f"/api/runs/{point['run_id']}").json()["seed"], int)


# ------------------------------------------------------------------ 8: one JSON shape
@pytest.mark.parametrize("models", [["weighted-mean"], ["weighted-mean", "nash"]])
def test_forecast_json_has_one_shape_whatever_the_number_of_models(capsys, models):
    args = ["forecast", "ec-emissions", "--json", "--seed", "4"] + [a for m in models for a in ("-m", m)]
    code, out, _ = run(capsys, *args)
    doc = json.loads(out)
    assert set(doc) == {"scenario", "seed", "results"} and doc["seed"] == 4
    assert set(doc["scenario"]) == {"title", "hash"} and doc["scenario"]["hash"].startswith("sha256:")
    assert [r["model"] for r in doc["results"]] == models


# ------------------------------------------------------------------ --out
def test_out_writes_json_csv_and_xlsx_by_extension(capsys):
    from openpyxl import load_workbook

    base = ["forecast", "ec-emissions", "-m", "weighted-mean", "-m", "expected-utility", "--seed", "3"]
    for name in ("r.json", "r.csv", "r.xlsx", "folder"):
        code, _, err = run(capsys, *base, "--out", name)
        assert code == 0, err
    doc = json.loads(Path("r.json").read_text())
    assert set(doc) == {"scenario", "seed", "results"} and doc["seed"] == 3
    rows = Path("r.csv").read_text().splitlines()
    assert rows[0] == "kind,model,round,actor,issue,value"
    assert any(r.startswith("forecast,weighted-mean,,,emission,") for r in rows)
    assert any(r.startswith("position,expected-utility,3,") for r in rows)  # the trajectory too
    wb = load_workbook("r.xlsx")
    assert wb.sheetnames == ["forecast", "results", "runs"]
    assert [c.value for c in wb["forecast"][1]] == ["issue", "label", "weighted-mean", "expected-utility"]
    assert wb["runs"]["B2"].value == "3"
    assert sorted(p.name for p in Path("folder").iterdir()) == ["expected-utility.json", "weighted-mean.json"]
    assert json.loads(Path("folder/weighted-mean.json").read_text())["model"] == "weighted-mean"


def _one_line_error(err: str) -> str:
    lines = [x for x in err.splitlines() if x.strip()]
    assert len(lines) == 1 and lines[0].startswith("error ") and "Traceback" not in err, err
    return lines[0]


def test_out_onto_an_existing_file_as_a_folder_fails_in_one_line_and_keeps_the_file(capsys):
    Path("existing.csv").write_text("keep me\n")
    code, _, err = run(capsys, "forecast", "ec-emissions", "-m", "nash", "--out", "existing.csv/result.json")
    assert code == 2
    assert "existing.csv/result.json" in _one_line_error(err)
    assert Path("existing.csv").read_text() == "keep me\n"


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes anywhere: the permission test needs a normal user")
def test_out_into_an_unwritable_folder_fails_in_one_line(capsys):
    Path("locked").mkdir()
    Path("locked/r.json").write_text("old\n")
    os.chmod("locked", stat.S_IRUSR | stat.S_IXUSR)
    try:
        code, _, err = run(capsys, "forecast", "ec-emissions", "-m", "nash", "--out", "locked/r.json")
    finally:
        os.chmod("locked", stat.S_IRWXU)
    assert code == 2 and "locked/r.json" in _one_line_error(err)
    assert Path("locked/r.json").read_text() == "old\n"


def test_a_failed_write_leaves_nothing_half_written(monkeypatch, tmp_path):
    """Several files are written all or nothing: a failure on the second keeps the first as it was."""
    from realpolitik.errors import ScenarioError
    from realpolitik.scenario import writers

    Path("a.json").write_text("old a\n")
    real_replace = os.replace
    calls = []

    def failing_replace(src, dst):
        calls.append(dst)
        if Path(dst).name == "b.json":
            raise OSError(28, "No space left on device")
        return real_replace(src, dst)

    monkeypatch.setattr(writers.os, "replace", failing_replace)
    with pytest.raises(ScenarioError, match="No space left"):
        writers.atomic_write_many({Path("b.json"): b"new b", Path("a.json"): b"new a"})
    assert Path("a.json").read_text() == "old a\n" and not Path("b.json").exists()
    assert [p.name for p in Path(".").iterdir() if p.name.endswith(".tmp")] == []  # no temporary file left


def test_out_with_an_unknown_extension_is_refused_before_running(capsys):
    code, _, err = run(capsys, "forecast", "ec-emissions", "-m", "nash", "--out", "r.pdf")
    assert code == 2 and ".json, .csv, .xlsx" in _one_line_error(err)
    assert not Path("r.pdf").exists()


# ------------------------------------------------------------------ --json true, help
def test_json_true_is_not_read_as_a_scenario_name(capsys):
    code, out, err = run(capsys, "forecast", "-m", "nash", "--json", "true")
    assert code == 2 and out == ""
    assert "take no value" in _one_line_error(err)


@pytest.mark.parametrize("command", [[], ["forecast"], ["convert"], ["runs", "diff"], ["simulate"], ["whatif"],
                                     ["report"], ["models"], ["advise"], ["backtest", "cases"]])  # fmt: skip
def test_help_shows_no_python_type_names(capsys, command):
    code, out, _ = run(capsys, *command, "--help")
    assert code == 0
    for raw in ("<bool>", "<str>", "<int>", "<list[str]>", "<path>", "<float>"):
        assert raw not in out, (command, raw)
    usage = next(line for line in out.splitlines() if "Usage:" in line)
    assert "{" not in usage, usage  # arguments as NAME, not {name}


def test_convert_help_lists_the_formats_it_writes(capsys):
    from realpolitik.scenario.writers import writer_formats

    code, out, _ = run(capsys, "convert", "--help")
    flat = " ".join(out.split())
    for name, exts in writer_formats().items():
        assert name in flat and all(f".{e}" in flat for e in exts), name


# ------------------------------------------------------------------ 10: assumed scale
def test_a_flat_table_without_a_scale_says_which_scale_it_assumed(capsys):
    Path("six.csv").write_text("Actor,Capability,Position,Salience\nA,10,20,50\nB,20,40,60\nC,30,70,70\n"
                               "D,5,30,40\nE,15,50,50\nF,25,60,80\n")  # fmt: skip
    code, out, _ = run(capsys, "validate", "six.csv")
    assert code == 0 and "takes the range of its positions, 20-70" in out and "# scale: MIN-MAX" in out
    code, out, _ = run(capsys, "validate", "six.csv", "--json")
    assert json.loads(out)["notes"] and "20-70" in json.loads(out)["notes"][0]
    code, out, _ = run(capsys, "forecast", "six.csv", "-m", "weighted-mean")
    assert "20-70" in " ".join(out.split()[:40])  # in the header, before the tables
    Path("set.csv").write_text("# scale: 0-100\n" + Path("six.csv").read_text())
    code, out, _ = run(capsys, "validate", "set.csv")
    assert "note" not in out
    from realpolitik.scenario import load_scenario

    s = load_scenario("set.csv")
    assert (s.issues[0].min, s.issues[0].max) == (0, 100) and s.load_notes == ()


# ------------------------------------------------------------------ start-up
def test_the_model_index_names_every_registered_model_and_its_module():
    from realpolitik.models import available_models
    from realpolitik.models.base import MODEL_MODULES

    reg = available_models()
    assert set(MODEL_MODULES) == set(reg)
    for name, module in MODEL_MODULES.items():
        assert reg[name].__module__.startswith(f"realpolitik.models.{module}"), name


def test_the_version_is_the_installed_one():
    from importlib.metadata import version

    import realpolitik

    assert realpolitik.__version__ == version("realpolitik")


def test_version_and_one_model_import_only_what_they_need():
    """``--version`` imports no numpy; one baseline imports no scipy, no other model, no matplotlib and none
    of the heavy libraries only some commands need (numba, scikit-learn, WeasyPrint, pandas)."""
    code = ("import sys; from realpolitik.cli import main; main(['--version']); "
            "print(sorted(m for m in ('numpy', 'scipy', 'pydantic', 'sqlalchemy', 'numba', 'sklearn') if m in sys.modules))")  # fmt: skip
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60).stdout
    assert out.strip().endswith("[]"), out
    code = ("import sys; from realpolitik.cli import main; main(['forecast', 'ec-emissions', '-m', 'weighted-mean']);"
            "print([m for m in ('scipy', 'matplotlib', 'realpolitik.models.expected_utility', 'realpolitik.models.war',"
            " 'realpolitik.models.smp', 'openpyxl', 'jinja2', 'numba', 'sklearn', 'weasyprint', 'pandas')"
            " if m in sys.modules])")  # fmt: skip
    env = dict(os.environ, REALPOLITIK_DB="off")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, env=env).stdout
    assert out.strip().splitlines()[-1] == "[]", out


def test_draft_stays_the_function_after_its_package_is_imported():
    import realpolitik as rp
    import realpolitik.draft.offline  # noqa: F401 - binds the subpackage to the parent

    assert callable(rp.draft) and rp.draft.__module__ == "realpolitik.api"


# ------------------------------------------------------------------ 5: whatif --event
def test_whatif_event_of_the_docs_applies_to_the_default_scenario(capsys):
    """docs/analysis.md: ``whatif --event kursk_failure`` (its war battle was tied to the event)."""
    from realpolitik.analysis.whatif import WhatIf, apply_whatif, parse_event
    from realpolitik.scenario import load_scenario

    code, out, err = run(capsys, "whatif", "--event", "kursk_failure", "-m", "weighted-mean")
    assert code == 0, err
    assert "event kursk_failure from the start" in " ".join(out.split())
    base = load_scenario()
    changed = apply_whatif(base, WhatIf(events=(parse_event("kursk_failure"),)))
    assert "kursk_failure" not in {e.id for e in changed.events}
    tied = [b for b in base.war.battles if b.event == "kursk_failure"]
    assert tied, "the default scenario ties a battle to the Kursk event"
    for b in tied:
        now = next(x for x in changed.war.battles if x.id == b.id)
        assert now.event is None and (now.month == 0 or now.date is not None)
    assert changed.actor("russian_public").positions["settlement"] != base.actor("russian_public").positions["settlement"]


# ------------------------------------------------------------------ 6: kinds of runs
def test_runs_list_show_and_diff_say_which_kind_each_run_is(capsys):
    assert main(["forecast", "ec-emissions", "-m", "expected-utility", "--seed", "2"]) == 0
    assert main(["simulate", "ec-emissions", "-m", "expected-utility", "--draws", "50", "--seed", "2", "-q"]) == 0
    capsys.readouterr()
    code, out, _ = run(capsys, "runs", "list", "--json")
    listed = json.loads(out)
    assert [r["kind"] for r in listed] == ["Monte Carlo (50 draws)", "point forecast"]
    mc, point = listed[0]["id"], listed[1]["id"]
    code, out, _ = run(capsys, "runs", "list")
    assert "Monte" in out and "draws" in out and "point" in out
    code, out, _ = run(capsys, "runs", "show", str(mc))
    assert "Monte Carlo (50 draws)" in out
    code, out, _ = run(capsys, "runs", "diff", str(point), str(mc))
    flat = " ".join(out.split())
    assert "same kind" not in flat and "same model, options, seed" not in flat
    assert "point forecast" in flat and "Monte Carlo (50 draws)" in flat
    code, out, _ = run(capsys, "runs", "diff", str(point), str(mc), "--json")
    d = json.loads(out)
    assert d["kinds"] == ["point forecast", "Monte Carlo (50 draws)"]
    assert {"field": "kind", "a": "point forecast", "b": "Monte Carlo (50 draws)"} in d["settings"]


# ------------------------------------------------------------------ 7: --workers
def test_workers_default_is_what_the_help_says_for_both_engines(capsys):
    from realpolitik.engine import DaskEngine, LocalEngine, ProcessEngine

    cores = max(1, os.cpu_count() or 1)
    assert ProcessEngine().workers == cores and DaskEngine(processes=False).workers == cores
    assert LocalEngine().workers == cores  # threads
    code, out, _ = run(capsys, "simulate", "--help")
    assert "default: every core" in " ".join(out.split())
    # the run says how many threads the local engine had (and nothing when it had one)
    code, _, err = run(capsys, "simulate", "-m", "weighted-mean", "--draws", "40", "-q", "--workers", "3")
    assert code == 0 and "draws/s, 3 threads)" in err
    code, _, err = run(capsys, "simulate", "-m", "weighted-mean", "--draws", "40", "-q", "--workers", "1")
    assert code == 0 and "draws/s)" in err and "threads" not in err


# ------------------------------------------------------------------ 9: convert writes distributions
def test_convert_writes_distribution_columns_back(capsys):
    from realpolitik.scenario import load_scenario

    Path("d.csv").write_text("# scale: 0-100\nActor,Issue,Capability,Position,Position_low,Position_high,Salience,"
                             "Salience_low,Salience_mode,Salience_high,Capability_sd\n"
                             "A,x,10,30,20,40,50,40,50,70,2\nA,y,10,60,,,50,,,,\n"
                             "B,x,20,60,50,70,60,,,,\nB,y,20,10,0,30,40,,,,\nC,x,30,80,,,70,,,,\nC,y,30,5,,,20,,,,\n")  # fmt: skip
    code, _, err = run(capsys, "convert", "d.csv", "back.csv")
    assert code == 0, err
    a, b = load_scenario("d.csv"), load_scenario("back.csv")
    assert a.uncertainty and a.to_data() == b.to_data()
    header = next(ln for ln in Path("back.csv").read_text().splitlines() if ln.startswith("Actor,"))
    assert "Position_low" in header and "Salience_mode" in header and "Capability_sd" in header
    code, _, err = run(capsys, "convert", "d.csv", "d.yaml")
    code, _, err = run(capsys, "convert", "d.yaml", "again.csv")
    assert code == 0, err
    assert load_scenario("again.csv").uncertainty == a.uncertainty


# ------------------------------------------------------------------ 11: SMP at max_iter
OSCILLATES = "# scale: 0-100\nActor,Capability,Position,Salience\nA,63.6,51.4,65.6\nB,68.7,86.3,57.2\nC,57.5,77.2,26.8\n"


def test_smp_warns_when_it_stops_at_max_iter_while_oscillating(capsys):
    """A small scenario on which KTAB's SMP cycles between two states: the run stops at
    max_iter, and that is said in the result, on stderr and in the model's table."""
    from realpolitik.models import get_model
    from realpolitik.scenario import load_scenario

    Path("osc.csv").write_text(OSCILLATES)
    r = get_model("smp").run(load_scenario("osc.csv"))
    stop = r.details["stop"]
    assert stop["reason"] == "max_iter" and stop["cycle"] == 2 and stop["turns"] == 100
    assert r.details["warnings"] == [stop["message"]] and "oscillates" in stop["message"]
    code, out, err = run(capsys, "forecast", "osc.csv", "-m", "smp", "-m", "weighted-mean")
    assert code == 0 and "warning smp: SMP stopped at max_iter=100" in " ".join(err.split())
    assert "oscillates" in " ".join(out.split())  # the summary table carries it without --details
    settled = get_model("smp").run(load_scenario("ec-emissions"))
    assert settled.details["stop"]["reason"] == "converged" and "warnings" not in settled.details


# ------------------------------------------------------------------ 12: huge capabilities
def test_huge_capabilities_are_refused_and_the_largest_allowed_computes(capsys):
    import math
    import warnings

    from realpolitik.models import get_model
    from realpolitik.scenario import load_scenario
    from realpolitik.scenario.uncertainty import MAX_CAPABILITY

    Path("huge.csv").write_text("# scale: 0-100\nActor,Capability,Position,Salience\nA,1e308,0,50\nB,1e308,100,50\n")
    code, _, err = run(capsys, "validate", "huge.csv")
    lines = [x for x in err.splitlines() if x.strip()]
    assert code == 2 and len(lines) == 2 and all("expected at most 1e+15" in x for x in lines), err
    Path("big.csv").write_text(f"# scale: 0-100\nActor,Capability,Position,Salience\nA,{MAX_CAPABILITY:g},0,50\n"
                               f"B,{MAX_CAPABILITY:g},100,50\nC,{MAX_CAPABILITY / 2:g},50,50\n")  # fmt: skip
    scen = load_scenario("big.csv")
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)  # no overflow anywhere
        for name in ("weighted-mean", "weighted-median", "nash", "expected-utility", "smp", "exchange"):
            x = get_model(name).run(scen, rng=1).forecast["issue"]
            assert math.isfinite(x) and 0 <= x <= 100, name
            small = get_model(name).run(load_scenario("big.csv").replace(actors=[
                a.model_copy(update={"capability": a.capability / MAX_CAPABILITY * 100}) for a in scen.actors]), rng=1)
            assert x == pytest.approx(small.forecast["issue"], abs=1e-6), name  # capabilities are relative
    Path("dist.yaml").write_text("title: t\nissues: [{id: x}]\nactors:\n"
                                 "  - {id: a, capability: {min: 1, max: 100000000000000000000}, positions: {x: 10}, saliences: {x: 50}}\n"
                                 "  - {id: b, capability: 5, positions: {x: 90}, saliences: {x: 50}}\n")  # fmt: skip
    code, _, err = run(capsys, "validate", "dist.yaml")
    assert code == 2 and "1e+15" in err


# ------------------------------------------------------------------ models, models NAME
def test_models_lists_every_model_without_markup_and_fits_80_columns(capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")
    code, out, _ = run(capsys, "models")
    assert code == 0 and all(len(line) <= 80 for line in out.splitlines())
    assert "``" not in out and ":class:" not in out and "…" not in out  # nothing raw, nothing cropped
    from realpolitik.models import available_models

    assert all(n in out for n in available_models())


def test_models_name_shows_options_with_allowed_values_and_defaults(capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")
    code, out, _ = run(capsys, "models", "smp")
    flat = " ".join(out.split())
    assert code == 0 and all(len(line) <= 80 for line in out.splitlines())
    assert "voting_rule" in flat and "Binary, PropBin, Prop, PropCbc, Cubic, ASymProsp" in flat
    assert "default: Prop*" in flat and "default: None" not in flat  # SMP's KTAB defaults, not None
    assert "a whole number >= 2 and <= 10 000" in flat  # max_iter's bounds
    code, out, _ = run(capsys, "models", "expected-utility", "--json")
    info = json.loads(out)
    by = {o["name"]: o for o in info["options"]}
    assert by["probability_mode"]["allowed"] == "paper, all-pairs" and by["rounds"]["default"] == 10
    assert "``" not in info["summary"]
    code, _, err = run(capsys, "models", "nope")
    assert code == 2 and "unknown model 'nope'" in err


# ------------------------------------------------------------------ 80 columns
def _lines_of(capsys, *args) -> list[str]:
    code, out, err = run(capsys, *args)
    assert code == 0, err
    return out.splitlines()


@pytest.fixture
def cols80(monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")
    import realpolitik.cli as cli_mod
    from rich.console import Console

    monkeypatch.setattr(cli_mod, "out", Console(width=80))
    for mod in ("realpolitik.commands.analysis", "realpolitik.commands.advise", "realpolitik.commands.timeline"):
        m = __import__(mod, fromlist=["out"])
        monkeypatch.setattr(m, "out", cli_mod.out)


def _ids_whole(lines: list[str], ids) -> None:
    """Every id appears whole on some line: no table split it."""
    text = "\n".join(lines)
    for i in ids:
        assert i in text, f"{i!r} split or missing"


def test_forecast_overview_reads_in_80_columns(capsys, cols80):
    """The default overview: 80 columns, short labels with the full label once below, ids whole,
    and each issue's block (its models' table and notes) fits a 40-line screen."""
    from realpolitik.scenario import load_scenario

    scen = load_scenario()
    lines = _lines_of(capsys, "forecast", "--seed", "3", "-o", "draws=40")
    assert max(map(len, lines)) <= 80
    _ids_whole(lines, scen.issue_ids)
    text = "\n".join(lines)
    head = text[: text.index("Terms of a settlement: the models")]
    assert "40: Armistice on the…" in head
    assert text.count("40: Armistice on the current front line, no recognition") >= 1
    starts = [k for k, ln in enumerate(lines) if "in the ensemble (" in ln]
    ends = starts[1:] + [next(k for k, ln in enumerate(lines) if ln.startswith("War bargaining"))]
    assert len(starts) == len(scen.issues)
    assert all(b - a <= 40 for a, b in zip(starts, ends)), [b - a for a, b in zip(starts, ends)]


def test_analysis_tables_keep_ids_whole_in_80_columns(capsys, cols80):
    from realpolitik.scenario import load_scenario

    scen = load_scenario()
    lines = _lines_of(capsys, "whatif", "--leave-one-out", "-m", "weighted-median")
    assert max(map(len, lines)) <= 80
    _ids_whole(lines, scen.actor_ids)
    lines = _lines_of(capsys, "sensitivity", "-m", "weighted-mean", "--method", "morris", "--samples", "4")
    assert max(map(len, lines)) <= 80
    lines = _lines_of(capsys, "timeline", "--every", "12", "-o", "draws=300")
    assert max(map(len, lines)) <= 80
    lines = _lines_of(capsys, "advise", "putin", "-m", "weighted-mean", "-n", "20", "--seed", "1", "-i", "settlement")
    assert max(map(len, lines)) <= 80
    _ids_whole(lines, ["putin", "settlement"])


def test_an_excel_file_without_a_scale_says_which_scale_it_assumed(capsys):
    """Flat sheets as flat CSV files; a workbook whose issues come only from the actors sheet too."""
    import openpyxl

    flat = openpyxl.Workbook()
    for row in (["Actor", "Capability", "Position", "Salience"], ["A", 10, 20, 50], ["B", 20, 70, 60]):
        flat.active.append(row)
    flat.save("flat.xlsx")
    code, out, _ = run(capsys, "validate", "flat.xlsx")
    assert code == 0 and "takes the range of its positions, 20-70" in " ".join(out.split())
    book = openpyxl.Workbook()
    book.active.title = "actors"
    for row in (["Actor", "Issue", "Capability", "Position", "Salience"], ["a", "tax", 10, 20, 50],
                ["b", "tax", 20, 70, 60]):  # fmt: skip
        book.active.append(row)
    book.save("book.xlsx")
    code, out, _ = run(capsys, "validate", "book.xlsx")
    flat_out = " ".join(out.split())
    assert code == 0 and "no 'issues' sheet: issue 'tax' takes the range of its positions, 20-70" in flat_out
    code, out, _ = run(capsys, "forecast", "book.xlsx", "-m", "weighted-mean")
    assert code == 0 and "20-70" in " ".join(out.split()[:40])



@pytest.mark.parametrize("bins", ["20", "60"])
def test_simulate_sparklines_never_wrap_in_80_columns(capsys, cols80, bins):
    """The histogram column is one line per issue whatever the bins (adjacent bins merged to fit)."""
    from realpolitik.scenario import load_scenario

    lines = _lines_of(capsys, "simulate", "-m", "weighted-mean", "-n", "100", "--seed", "1", "--bins", bins, "-q")
    assert max(map(len, lines)) <= 80
    ids = load_scenario().issue_ids
    for iid in ids:
        row = next(ln for ln in lines if ln.startswith(f"│ {iid} "))
        nxt = lines[lines.index(row) + 1]  # the next issue's row or the table's bottom rule
        assert any(b in row for b in "▁▂▃▄▅▆▇█"), row
        assert nxt.startswith("└") or nxt.split("│")[1].strip() in ids, f"{iid}: its sparkline wrapped: {nxt!r}"


# ------------------------------------------------------------------ set-up: dependencies, system packages
ROOT = Path(__file__).resolve().parents[1]


def test_every_library_the_package_imports_is_declared():
    """A library imported by realpolitik's own code is a dependency of pyproject.toml (pandas was not):
    one that arrives only as another's dependency may vanish when that one changes."""
    import ast
    import re
    import tomllib
    from importlib.metadata import packages_distributions

    imported = set()
    for f in (ROOT / "src" / "realpolitik").rglob("*.py"):
        for n in ast.walk(ast.parse(f.read_text(encoding="utf-8"))):
            if isinstance(n, ast.Import):
                imported |= {a.name.split(".")[0] for a in n.names}
            elif isinstance(n, ast.ImportFrom) and n.level == 0 and n.module:
                imported.add(n.module.split(".")[0])
    imported -= set(sys.stdlib_module_names) | {"realpolitik", "__future__"}
    deps = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["dependencies"]

    def norm(name: str) -> str:
        return re.sub(r"[-_.]+", "-", name).lower()

    declared = set()
    for d in deps:  # "dask[distributed]>=2024.1" declares dask and its extra's distributed
        m = re.match(r"\s*([A-Za-z0-9_.-]+)(?:\[([^\]]*)\])?", d)
        declared |= {norm(m.group(1))} | {norm(x) for x in (m.group(2) or "").split(",") if x.strip()}
    dists = packages_distributions()
    undeclared = sorted(m for m in imported if not {norm(d) for d in dists.get(m, [m])} & declared)
    assert not undeclared, f"imported by src/realpolitik but not in pyproject's dependencies: {undeclared}"


def test_the_readme_names_every_debian_package_make_test_installs():
    import re

    script = (ROOT / "scripts" / "install-system-deps.sh").read_text(encoding="utf-8")
    packages = set(re.findall(r"need\+=\(([^)]+)\)", script))
    assert {"chromium", "chromium-driver", "postgresql"} <= packages
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert not [p for p in sorted(packages) if f"`{p}`" not in readme], "README.md must name each Debian package"
