"""`realpolitik forecast` leads with one calibrated answer per issue (issue 12)."""

import json
import subprocess
import sys

import pytest

from realpolitik.models import get_model
from realpolitik.report.overview import overview_tables, war_note
from realpolitik.scenario import load_scenario


@pytest.fixture(scope="module")
def default_output():
    env = {"REALPOLITIK_DB": "off", "COLUMNS": "80", "PATH": ""}
    proc = subprocess.run([sys.executable, "-m", "realpolitik", "forecast", "--seed", "3"], capture_output=True,
                          text=True, env=env, timeout=300)  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def test_forecast_leads_with_the_ensemble_and_its_intervals_on_every_issue(default_output):
    lines = default_output.splitlines()
    first_table = next(k for k, line in enumerate(lines) if "Ensemble forecast" in line)
    assert first_table <= 3  # right after the title
    head = "\n".join(lines[first_table: first_table + 30])
    assert "80% interval" in head and "50% interval" in head
    scen = load_scenario()
    for iid in scen.issue_ids:
        assert f"│ {iid}" in head
    assert "equal weights: 5 independent outcomes" in default_output
    assert "the models in the ensemble" in default_output


def test_headline_readable_in_80_columns(default_output):
    assert max(len(line) for line in default_output.splitlines()) <= 80


def test_war_layer_shown_apart_and_labelled(default_output):
    assert "Not averaged in: the war layer" in " ".join(default_output.split())
    assert "holds only for wars that end in a deal" in " ".join(default_output.split())


def test_nash_at_the_status_quo_is_said_in_the_headline(default_output):
    text = " ".join(default_output.split())
    assert "= status quo" in default_output and "Nash solution is the status quo" in text


def test_overview_tables_need_the_ensemble():
    scen = load_scenario("ec-emissions")
    r = get_model("weighted-mean").run(scen)
    assert overview_tables(scen, [r]) == []
    ens = get_model("ensemble", draws=20).run(scen, rng=1)
    tables = overview_tables(scen, [ens])
    assert tables[0].title.startswith("Ensemble forecast") and len(tables) == 1 + len(scen.issues)
    assert war_note(None, "emission") is None


def test_json_of_the_default_forecast_has_the_ensemble_first():
    env = {"REALPOLITIK_DB": "off", "PATH": ""}
    proc = subprocess.run([sys.executable, "-m", "realpolitik", "forecast", "--seed", "3", "--json"],
                          capture_output=True, text=True, env=env, timeout=300)  # fmt: skip
    data = json.loads(proc.stdout)
    ens = data["results"][0]
    assert ens["model"] == "ensemble"
    for iid, e in ens["details"]["issues"].items():
        assert e["interval80"][0] <= e["interval50"][0] <= ens["forecast"][iid] <= e["interval50"][1] <= e["interval80"][1]


def test_workbench_runs_the_ensemble_first_with_its_headline(tmp_path):
    from fastapi.testclient import TestClient

    from realpolitik.web.app import create_app

    c = TestClient(create_app(db_url=f"sqlite:///{tmp_path / 'w.sqlite'}"), base_url="http://127.0.0.1:8000")  # Host allow-list
    r = c.post("/api/runs", json={"model": "ensemble", "options": {"draws": 20}, "seed": 1})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["tables"][0]["title"].startswith("Ensemble forecast")
    assert any("the models in the ensemble" in t["title"] for t in body["tables"])
    ens = body["result"]["details"]["issues"]
    for row in body["forecast_rows"]:
        assert [row["p10"], row["p90"]] == pytest.approx(ens[row["issue"]]["interval80"])
    page = c.get("/")
    assert page.status_code == 200


def test_forecast_takes_a_calibration_file_and_refuses_a_bad_one(tmp_path):
    from typer.testing import CliRunner

    from realpolitik.cli import app
    from realpolitik.models.ensemble import shipped_calibration

    cal = {**shipped_calibration(), "weights": {"weighted-mean": 1.0}, "weight_reason": "only the compromise model"}
    f = tmp_path / "cal.json"
    f.write_text(json.dumps(cal))
    r = CliRunner().invoke(app, ["forecast", "ec-emissions", "-m", "ensemble", "--calibration", str(f), "--json"],
                           env={"REALPOLITIK_DB": "off"})  # fmt: skip
    assert r.exit_code == 0, r.output
    wm = get_model("weighted-mean").run(load_scenario("ec-emissions")).forecast["emission"]
    doc = json.loads(r.stdout)["results"][0]  # the forecast document: {scenario, seed, results} (issue 15)
    assert doc["forecast"]["emission"] == pytest.approx(wm)
    f.write_text(json.dumps({"weights": {"nash": 2}}))
    from realpolitik.cli import main

    assert main(["forecast", "-m", "ensemble", "--calibration", str(f)]) == 2
