"""Run history (realpolitik.store): round trips, transactions, diff, CLI."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest

from realpolitik.cli import main
from realpolitik.models import get_model
from realpolitik.models.base import Result
from realpolitik.scenario import load_scenario
from realpolitik.store import RunStore, diff_runs, record_runs, record_runs_safely

SCEN = "ec-emissions"


@pytest.fixture()
def scen():
    return load_scenario(SCEN)


@pytest.fixture()
def url(tmp_path):
    return f"sqlite:///{tmp_path / 'runs.sqlite'}"


def test_save_and_read_back_everything(scen, url):
    store = RunStore(url)
    res = get_model("weighted-median").run(scen, rng=7)
    (rid,) = store.save(scen, [res], source="api")
    rec = store.get_run(rid)
    assert rec.model == "weighted-median"
    assert rec.source == "api"
    assert rec.seed == 7
    assert rec.version == res.version and rec.version
    assert rec.elapsed == pytest.approx(res.elapsed)
    assert rec.scenario_hash == scen.content_hash()
    assert rec.forecast == pytest.approx(res.forecast)
    # the full result and the scenario itself come back exactly
    assert Result.from_dict(rec.result).forecast == pytest.approx(res.forecast)
    assert rec.result["options"] == res.to_dict()["options"]
    from realpolitik.scenario import Scenario

    assert Scenario.model_validate(rec.scenario).content_hash() == scen.content_hash()
    assert rec.created_at.tzinfo is not None


def test_scenario_stored_once_and_listing(scen, url):
    store = RunStore(url)
    ids = []
    for name in ("weighted-mean", "nash", "weighted-mean"):
        ids += store.save(scen, [get_model(name).run(scen)])
    assert ids == sorted(ids) and len(set(ids)) == 3
    listed = store.list_runs()
    assert [r.id for r in listed] == ids[::-1]  # newest first
    assert [r.id for r in store.list_runs(model="weighted-mean")] == [ids[2], ids[0]]
    assert len(store.list_runs(limit=1)) == 1
    with store.engine.connect() as c:
        from sqlalchemy import text

        assert c.execute(text("select count(*) from scenarios")).scalar() == 1


def test_interrupted_save_leaves_no_partial_record(scen, url):
    store = RunStore(url)
    good = get_model("weighted-mean").run(scen)

    class Exploding:
        def to_dict(self):
            raise KeyboardInterrupt  # Ctrl+C in the middle of the write

    with pytest.raises(KeyboardInterrupt):
        store.save(scen, [good, Exploding()])
    assert store.count() == 0
    assert store.get_scenario_data(scen.content_hash()) is None  # scenario row rolled back too


def test_killed_process_leaves_no_partial_record(tmp_path, url):
    """A process killed (os._exit) after the first rows are flushed commits nothing."""
    code = f"""
import os
from realpolitik.scenario import load_scenario
from realpolitik.models import get_model
from realpolitik.store import RunStore
s = load_scenario({SCEN!r})
good = get_model("weighted-mean").run(s)
class Dies:
    def to_dict(self):
        os._exit(3)
RunStore({url!r}).save(s, [good, good, Dies()])
"""
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, timeout=120)
    assert proc.returncode == 3, proc.stderr.decode()
    store = RunStore(url)
    assert store.count() == 0
    assert store.list_runs() == []


def test_non_finite_values_stored_as_null(scen, url):
    res = get_model("weighted-mean").run(scen)
    res.forecast["emission"] = math.nan
    (rid,) = RunStore(url).save(scen, [res])
    rec = RunStore(url).get_run(rid)
    assert rec.forecast["emission"] is None


def test_diff_names_settings_inputs_and_forecast_change(scen, url):
    store = RunStore(url)
    changed = scen.with_value("Germany", "salience", 10.0, "emission")
    (a,) = store.save(scen, [get_model("weighted-mean").run(scen, rng=1)])
    (b,) = store.save(changed, [get_model("weighted-mean").run(changed, rng=2)])
    d = diff_runs(store.get_run(a), store.get_run(b))
    fields = {s["field"] for s in d["settings"]}
    assert fields == {"seed", "scenario_hash"}
    assert d["scenario_changes"] == [
        {"what": "salience", "actor": "Germany", "issue": "emission",
         "a": scen.actor("Germany").saliences["emission"], "b": 10.0}
    ]  # fmt: skip
    (f,) = d["forecast"]
    assert f["delta"] == pytest.approx(f["b"] - f["a"]) and f["delta"] != 0
    # Germany wants the earliest standards: giving it less weight delays them
    assert f["delta"] > 0


def test_record_runs_safely_warns_and_never_fails(scen, capsys, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    ids = record_runs_safely(scen, [get_model("weighted-mean").run(scen)], url=f"sqlite:///{blocker}/sub/runs.sqlite")
    assert ids == []
    err = capsys.readouterr().err
    assert err.startswith("warning: run not recorded") and err.count("\n") == 1


def test_switched_off(scen, monkeypatch):
    monkeypatch.setenv("REALPOLITIK_DB", "off")
    assert record_runs(scen, [get_model("weighted-mean").run(scen)]) == []


def test_bad_url_is_a_user_error():
    from realpolitik.errors import OptionError

    with pytest.raises(OptionError, match="--db"):
        RunStore("not a url")


# ------------------------------------------------------------------ CLI
def _cli(args, capsys):
    code = main(args)
    cap = capsys.readouterr()
    return code, cap.out, cap.err


def test_cli_forecast_is_recorded_and_runs_commands(monkeypatch, capsys, url):
    monkeypatch.setenv("REALPOLITIK_DB", url)
    code, out, _ = _cli(["forecast", SCEN, "-m", "weighted-mean", "-m", "nash", "--seed", "5", "--json"], capsys)
    assert code == 0
    forecasts = {r["model"]: r["forecast"] for r in json.loads(out)["results"]}
    code, out, _ = _cli(["runs", "list", "--json"], capsys)
    assert code == 0
    listed = json.loads(out)
    assert [r["model"] for r in listed] == ["nash", "weighted-mean"]
    assert all(r["seed"] == 5 and r["source"] == "cli" for r in listed)
    assert listed[0]["forecast"] == pytest.approx(forecasts["nash"])
    code, out, _ = _cli(["runs", "show", str(listed[1]["id"]), "--json"], capsys)
    shown = json.loads(out)
    assert shown["result"]["forecast"] == pytest.approx(forecasts["weighted-mean"])
    assert shown["scenario"]["title"] == load_scenario(SCEN).title
    code, out, _ = _cli(["runs", "diff", str(listed[1]["id"]), str(listed[0]["id"]), "--json"], capsys)
    d = json.loads(out)
    assert {"field": "model", "a": "weighted-mean", "b": "nash"} in d["settings"]
    code, out, _ = _cli(["runs", "diff", str(listed[1]["id"]), str(listed[0]["id"])], capsys)
    assert code == 0 and "weighted-mean" in out and "nash" in out


def test_cli_unknown_run_is_exit_2_one_line(monkeypatch, capsys, url):
    monkeypatch.setenv("REALPOLITIK_DB", url)
    code, out, err = _cli(["runs", "show", "4711"], capsys)
    assert code == 2 and out == ""
    assert "no run 4711" in err and "Traceback" not in err
    code, _, err = _cli(["runs", "show", "abc"], capsys)
    assert code == 2 and "not a run id" in err


def test_cli_forecast_survives_unwritable_db(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    env = dict(os.environ, REALPOLITIK_DB=f"sqlite:///{blocker}/x/runs.sqlite")
    exe = Path(sys.executable).with_name("realpolitik")
    proc = subprocess.run([str(exe), "forecast", SCEN, "-m", "weighted-mean", "--json"], capture_output=True,
                          env=env, timeout=120)  # fmt: skip
    assert proc.returncode == 0, proc.stderr.decode()
    assert json.loads(proc.stdout)["results"][0]["model"] == "weighted-mean"  # the document: {scenario, seed, results}
    assert b"warning: run not recorded" in proc.stderr


def test_schema_is_portable_to_postgresql():
    """Only portable column types: the DDL compiles for PostgreSQL (no server needed)."""
    from sqlalchemy.dialects import postgresql
    from sqlalchemy.schema import CreateTable

    from realpolitik.store.db import Base

    for table in Base.metadata.sorted_tables:
        ddl = str(CreateTable(table).compile(dialect=postgresql.dialect()))
        assert "CREATE TABLE" in ddl
    assert [t.name for t in Base.metadata.sorted_tables] == ["jobs", "scenarios", "library", "runs", "ledger_entries"]


def test_records_from_other_layers(url, scen):
    """Anything with the Result JSON layout (e.g. an analysis result as a dict) is stored."""
    payload = get_model("weighted-mean").run(scen).to_dict()
    payload["details"] = {"analysis": "monte-carlo", "histograms": {"emission": {"edges": [4, 10], "counts": [5]}}}
    (rid,) = RunStore(url).save(scen, [payload], source="backtest")
    rec = RunStore(url).get_run(rid)
    assert rec.source == "backtest" and rec.result["details"]["analysis"] == "monte-carlo"


def test_unopenable_database_is_a_user_error(tmp_path, capsys):
    # a directory where the database file should be
    assert main(["runs", "list", "--db", f"sqlite:///{tmp_path}"]) == 2
    err = capsys.readouterr().err
    assert "cannot open the run history" in err and "Traceback" not in err
