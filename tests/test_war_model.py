"""The registered ``war`` model, the scenario's ``war`` section and the CLI wiring."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from realpolitik.errors import ScenarioError
from realpolitik.models import ScenarioBatch, get_model
from realpolitik.models.war.inputs import battle_odds_from_war_win, domestic_timeline
from realpolitik.models.war import mechanisms as m
from realpolitik.scenario import load_scenario


SMALL = """
title: small war
as_of: 2024-01-01
issues:
  - {id: terms, min: 0, max: 100, status_quo: 40}
actors:
  - {id: a_lead, capability: 100, positions: {terms: 70}, saliences: {terms: 90}}
  - {id: hawk, parent: a_lead, capability: 40, positions: {terms: 90}, saliences: {terms: 50}}
  - {id: dove, parent: a_lead, capability: 20, positions: {terms: 30}, saliences: {terms: 100}}
  - {id: b_lead, capability: 60, positions: {terms: 10}, saliences: {terms: 100}}
events:
  - id: shock
    date: 2024-07-01
    changes:
      - {actor: hawk, field: position, issue: terms, value: 100}
      - {actor: hawk, field: salience, issue: terms, value: 100}
war:
  issue: terms
  sides:
    - {id: A, leader: a_lead, domestic: a_lead, belief: {war_win: 0.7, concentration: 20}, cost_per_month: 0.003,
       credibility: {broken: 2, breach_loss: 0.01}}
    - {id: B, leader: b_lead, belief: {war_win: 0.4, concentration: 20}, cost_per_month: 0.004}
  true_odds: {battle_win: 0.52, concentration: 50}
  months_per_battle: 2
  max_months: 24
  battles:
    - {id: early, date: 2023-12-01, winner: A, weight: 2}
"""


def small(tmp_path, text=SMALL, name="small.yaml"):
    p = tmp_path / name
    p.write_text(text)
    return load_scenario(str(p))


@pytest.fixture(scope="module")
def default_result():
    scen = load_scenario()
    model = get_model("war", draws=1500)
    return scen, model, model.run(scen, rng=5)


# ------------------------------------------------------------------ applicability
def test_scenario_without_war_section_is_not_applicable():
    scen = load_scenario("ec-emissions")
    model = get_model("war")
    r = model.run(scen, rng=1)
    assert r.forecast == {} and r.details["applicable"] is False and "not applicable" in r.details["note"]
    assert model.describe(r, scen)[0].rows
    out = model.forecast_batch(ScenarioBatch.repeat(scen, 3))
    assert out.shape == (3, 1) and np.all(np.isnan(out))


# ------------------------------------------------------------------ default scenario
def test_default_scenario_result_shape_and_consistency(default_result):
    scen, model, r = default_result
    d = r.details
    assert d["applicable"] and d["issue"] == "settlement" and d["sides"] == {"A": "russia", "B": "ukraine"}
    assert set(d["settlement_probability"]) == {"6", "12", "24"}
    prev = -1.0
    for h in ("6", "12", "24"):
        s = d["settlement_probability"][h]
        c = d["war_continues_probability"][h]
        va = d["victory_probability_by_horizon"]["russia"][h]
        vb = d["victory_probability_by_horizon"]["ukraine"][h]
        assert s + c + va + vb == pytest.approx(1.0)
        lo, hi = d["settlement_probability_interval"][h]
        assert lo <= s <= hi
        assert s >= prev
        prev = s
    f = r.forecast["settlement"]
    if d["settlement_terms"]["settled_wars"]:
        assert 0 <= f <= 100 and d["settlement_terms"]["quantiles"]["5"] <= f <= d["settlement_terms"]["quantiles"]["95"]
    assert d["expected_duration_months"] <= 36 + 1e-9
    json.dumps(r.to_dict(), allow_nan=False)


def test_default_scenario_what_if_table(default_result):
    scen, model, r = default_result
    names = [w["name"] for w in r.details["what_if"]]
    for want in ("baseline", "credible agreements", "no domestic constraint", "domestic pressure up",
                 "without the battle updates", "without the battle events"):  # fmt: skip
        assert want in names
    rows = {w["name"]: w["settlement_probability"] for w in r.details["what_if"]}
    for h in ("6", "12", "24"):
        base = rows["baseline"][h]
        # common random numbers: a looser constraint can only settle earlier, draw by draw
        assert rows["no domestic constraint"][h] >= base >= rows["domestic pressure up"][h]
        assert rows["credible agreements"][h] >= base >= rows["twice the broken agreements"][h]
    titles = [t.title for t in model.describe(r, scen)]
    assert any("how the war ends" in t for t in titles) and any("what moves" in t for t in titles)
    note = " ".join(t.note or "" for t in model.describe(r, scen))
    assert "[D]" in note and "not a published" in note


def test_default_scenario_inputs(default_result):
    scen, model, r = default_result
    inp = r.details["inputs"]
    assert inp["domestic_constituencies"]["russia"] == ["russian_military", "russian_public", "russian_elites"]
    assert inp["domestic_constituencies"]["ukraine"] == []
    # Kursk is dated as_of: part of the record the forecast is conditioned on
    assert inp["battles_before_start"] == [] and inp["battles_in_record"] == ["kursk"]
    # both sides learnt from the 11 battles of the record and Kursk's extra evidence (weight 1
    # with probability 0.5, drawn per draw): each belief holds the weight of 10 (start) + 11
    # battles + the draw's Kursk weight at the origin
    kursk = inp["battle_weights"]["kursk"]
    assert 0.4 < kursk < 0.6
    for side in ("russia", "ukraine"):
        assert sum(inp["beta_counts"][side]) == pytest.approx(10 + 11 + kursk)
    assert r.details["record"]["battles_in_record"] == 11
    rep = r.details["reputation"]
    assert set(rep["theatres"]) == {"syria", "iran"}


def test_seeded_runs_repeat():
    scen = load_scenario()
    model = get_model("war", draws=500, what_if=False)
    a, b = model.run(scen, rng=9), model.run(scen, rng=9)
    assert a.to_dict()["details"] == b.to_dict()["details"]


# ------------------------------------------------------------------ two-level link
def test_domestic_winset_from_sub_actors_and_events(tmp_path):
    scen = small(tmp_path)
    war = scen.war
    tl = domestic_timeline(scen, war, max_battles=12)
    # pressure-weighted mean of the constituencies' positions (A-share), weights c*s:
    # hawk 0.9 (40 * 0.5 = 20), dove 0.3 (20 * 1.0 = 20) -> 0.6; autonomy 0.5 (default)
    # pulls the leader's 0.7 halfway: 0.65
    assert tl.lower[0] == pytest.approx(m.domestic_bound(0.7, [0.9, 0.3], [20.0, 20.0], 0.5))
    assert tl.lower[0] == pytest.approx(0.65)
    assert np.all(np.isinf(tl.upper))  # B has no constituencies
    # the shock (6 months = step 3) makes the hawk demand 1.0 with weight 40: pressure
    # (40 + 6) / 60 = 0.7667, bound 0.7333 - beyond the leader's own position (0.7)
    assert tl.lower[2] == pytest.approx(0.65) and tl.lower[3] == pytest.approx(0.35 + 0.5 * 46 / 60)
    assert tl.ratifiers == (("hawk", "dove"), ())


def test_audience_costs_tighten_the_bound(tmp_path):
    scen = small(tmp_path, SMALL.replace("cost_per_month: 0.003,", "cost_per_month: 0.003, audience_cost_rate: 0.1,"))
    tl = domestic_timeline(scen, scen.war, max_battles=12, use_events=False)
    assert tl.lower[0] == pytest.approx(0.65) and tl.lower[1] == pytest.approx(0.65 + 0.1 * 2 / 12)
    # never beyond the leader's own position (0.7)
    assert tl.lower[6] == pytest.approx(0.7) and tl.lower[12] == pytest.approx(0.7)
    assert np.all(np.diff(tl.lower) >= 0)


def test_battle_before_start_moves_both_priors(tmp_path):
    scen = small(tmp_path)
    r = get_model("war", draws=300).run(scen, rng=2)
    counts = r.details["inputs"]["beta_counts"]
    pA = battle_odds_from_war_win(0.7, 5, 10)
    assert counts["A"][0] == pytest.approx(pA * 20 + 2)
    assert counts["B"][0] == pytest.approx(battle_odds_from_war_win(0.4, 5, 10) * 20 + 2)


def test_forecast_batch_is_vectorised(tmp_path):
    scen = small(tmp_path)
    model = get_model("war", batch_paths=32)
    batch = ScenarioBatch.repeat(scen, 5)
    out = model.forecast_batch(batch, np.random.default_rng(0))
    assert out.shape == (5, 1)
    assert np.all((out[np.isfinite(out)] >= 0) & (out[np.isfinite(out)] <= 100))


# ------------------------------------------------------------------ validation
@pytest.mark.parametrize(
    "old,new,where,what",
    [
        ("leader: a_lead,", "leader: nobody,", "war.sides.0.leader", "unknown actor id 'nobody'"),
        ("winner: A,", "winner: C,", "war.battles.0.winner", "not a side id"),
        ("domestic: a_lead,", "domestic: nobody,", "war.sides.0.domestic", "no actor has parent"),
        ("issue: terms\n  sides", "issue: nope\n  sides", "war.issue", "unknown issue id"),
        ("{id: early, date: 2023-12-01,", "{id: early, event: nothing,", "war.battles.0.event", "unknown event id"),
        ("war_win: 0.4,", "war_win: 1.4,", "war.sides.1.belief.war_win", "less than 1"),
    ],
)
def test_bad_war_sections_are_located(tmp_path, old, new, where, what):
    assert old in SMALL
    with pytest.raises(ScenarioError) as exc:
        small(tmp_path, SMALL.replace(old, new, 1))
    lines = exc.value.lines()
    assert any(where in ln and what in ln and re.search(r"small\.yaml:\d+", ln) for ln in lines), lines


def test_removing_a_leader_drops_the_war_section(tmp_path):
    scen = small(tmp_path)
    assert scen.without_actor("a_lead").war is None
    assert scen.without_actor("hawk").war is not None
    no_kids = scen.without_actor("hawk").without_actor("dove")
    assert no_kids.war is not None and no_kids.war.sides[0].domestic is None


# ------------------------------------------------------------------ CLI
def test_cli_forecast_json_carries_horizon_keys_and_is_seeded():
    from realpolitik.cli import app

    runner = CliRunner()
    args = ["forecast", "-m", "war", "--json", "--seed", "3", "-o", "draws=400", "-o", "what_if=false"]
    a = runner.invoke(app, args)
    b = runner.invoke(app, args)
    assert a.exit_code == 0, a.output
    da, db = (json.loads(x.stdout)["results"][0] for x in (a, b))  # the document: {scenario, seed, results}
    assert da["details"] == db["details"] and da["seed"] == 3
    assert set(da["details"]["settlement_probability"]) == {"6", "12", "24"}
    assert "war_continues_probability" in da["details"] and "settlement" in da["forecast"]


def test_cli_bad_option_exits_2():
    from realpolitik.cli import main

    assert main(["forecast", "-m", "war", "-o", "belief_eval=magic"]) == 2


# ------------------------------------------------------------------ seed quotes
def test_war_section_quotes_the_seed_verbatim(seed_text):
    text = (Path(__file__).resolve().parents[1] / "src/realpolitik/scenarios/russia-ukraine-2024.yaml").read_text(
        encoding="utf-8"
    )
    section = text[text.index("\nwar:") - 800 :]
    quotes = re.findall(r'# Seed: "(.*)"\s*$', section, flags=re.M)
    assert len(quotes) >= 15
    for q in quotes:
        assert q in seed_text, q


def test_cli_reports_a_bad_war_section_in_one_line(tmp_path, capsys):
    from realpolitik.cli import main

    p = tmp_path / "bad.yaml"
    p.write_text(SMALL.replace("leader: b_lead,", "leader: ghost,"))
    assert main(["validate", str(p)]) == 2
    err = capsys.readouterr().err
    assert "war.sides.1.leader" in err and "ghost" in err and "Traceback" not in err


def test_horizons_beyond_the_simulation_are_flagged(tmp_path):
    scen = small(tmp_path)
    r = get_model("war", draws=200, what_if=False, horizons=[6, 48]).run(scen, rng=1)
    assert set(r.details["settlement_probability"]) == {"6", "48"}
    assert "48" in r.details["note"] and "beyond" in r.details["note"]
