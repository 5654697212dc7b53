"""advise: levers ranked under uncertainty, power indices, perception quadrants.

The central check: the top lever applied with ``whatif`` (same model, draws, seed)
reproduces the gain and the forecast change that ``advise`` reported.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from realpolitik.analysis.advise import advise, candidate_levers, classify, power_indices, REGIONS
from realpolitik.analysis.advise.levers import gains
from realpolitik.analysis.advise.power import majority_indices
from realpolitik.analysis.whatif import compare_distributions, parse_set, WhatIf
from realpolitik.cli import main
from realpolitik.errors import OptionError
from realpolitik.models import get_model
from realpolitik.scenario import load_scenario


@pytest.fixture(scope="module")
def default():
    return load_scenario(None)


@pytest.fixture(scope="module")
def putin_advice(default):
    return advise(default, "putin", "expected-utility", draws=60, seed=11)


# ------------------------------------------------------------------ power indices: textbook games
def test_eec_council_1958():
    # Felsenthal & Machover (1998), ch. 3: France, Germany, Italy 4; Belgium, Netherlands 2;
    # Luxembourg 1; quota 12. Luxembourg is a dummy.
    r = power_indices([4, 4, 4, 2, 2, 1], 12)
    np.testing.assert_allclose(r.shapley_shubik[0], [7 / 30] * 3 + [3 / 20] * 2 + [0], atol=1e-12)
    np.testing.assert_allclose(r.banzhaf[0], [5 / 21] * 3 + [3 / 21] * 2 + [0], atol=1e-12)
    np.testing.assert_allclose(r.banzhaf_absolute[0], [10 / 32] * 3 + [6 / 32] * 2 + [0], atol=1e-12)


def test_un_security_council():
    # Straffin (1993), ch. 16: five permanent members (weight 7), ten others (1), quota 39.
    r = power_indices([7] * 5 + [1] * 10, 39)
    assert r.shapley_shubik[0, 0] == pytest.approx(421 / 2145, abs=1e-12)  # 0.1963
    assert r.shapley_shubik[0, 5] == pytest.approx(4 / 2145, abs=1e-12)  # 0.0019
    assert r.banzhaf[0, 0] == pytest.approx(0.1669, abs=5e-5)
    assert r.banzhaf[0, 5] == pytest.approx(0.0165, abs=5e-5)
    assert r.shapley_shubik.sum() == pytest.approx(1.0)


def test_nassau_county_board():
    # Banzhaf (1965): weights 9, 9, 7, 3, 1, 1, quota 16: the three small members are dummies.
    r = power_indices([9, 9, 7, 3, 1, 1], 16)
    np.testing.assert_allclose(r.banzhaf[0], [1 / 3] * 3 + [0] * 3, atol=1e-12)
    np.testing.assert_allclose(r.shapley_shubik[0], [1 / 3] * 3 + [0] * 3, atol=1e-12)


def test_majority_game_is_strict_and_batched():
    # weights 50/50: neither holds more than half alone, together they do: equal power
    r = majority_indices(np.array([[50.0, 50.0], [60.0, 40.0]]))
    np.testing.assert_allclose(r.shapley_shubik, [[0.5, 0.5], [1.0, 0.0]])
    assert r.method == "exact"


def test_monte_carlo_indices_agree_with_exact():
    w = [7] * 5 + [1] * 10
    exact = power_indices(w, 39)
    mc = power_indices(w, 39, method="monte-carlo", samples=40_000, rng=3)
    assert mc.method == "monte-carlo" and mc.samples == 40_000
    assert np.all(np.abs(mc.shapley_shubik - exact.shapley_shubik) < 4 * mc.shapley_shubik_se + 1e-3)
    assert np.all(np.abs(mc.banzhaf - exact.banzhaf) < 4 * mc.banzhaf_se + 1e-3)
    again = power_indices(w, 39, method="monte-carlo", samples=40_000, rng=3)
    np.testing.assert_array_equal(mc.shapley_shubik, again.shapley_shubik)


def test_power_rejects_bad_weights():
    with pytest.raises(ValueError, match="non-negative"):
        power_indices([1, -1], 1)
    with pytest.raises(ValueError, match="unknown method"):
        power_indices([1, 1], 1, method="guess")


# ------------------------------------------------------------------ quadrants
def test_regions_follow_fig6():
    a = np.array([0.5, 0.2, 0.5, -0.2, -0.5, -0.1, 0.0])
    b = np.array([0.3, -0.5, -0.2, 0.5, 0.2, -0.1, 0.0])
    names = [REGIONS[k] for k in classify(a, b)]
    assert names == ["conflict", "compel", "compromise (upper hand)", "compromise (concede)", "capitulate",
                     "stalemate", "agree"]  # fmt: skip


def test_quadrants_match_the_models_move_log():
    """On the emission case, the chosen dyads' E(U) are those the model logs for its round-1 moves."""
    from realpolitik.models.base import ScenarioBatch

    m = get_model("expected-utility")
    for name in ("ec-emissions", None):  # the default scenario has nested actors and a round-1 event
        s = load_scenario(name)
        moves = m.run(s).details["moves"][0]
        per = m.perceptions_batch(ScenarioBatch.repeat(s, 2))
        assert moves
        for mv in moves:
            p = per[mv["issue"]]
            i, j = p["actors"].index(mv["actor"]), p["actors"].index(mv["toward"])
            assert p["eu_challenge"][0, i, j] == pytest.approx(mv["eu_challenge"], abs=1e-12)
            assert p["eu_challenged"][1, i, j] == pytest.approx(mv["eu_challenged"], abs=1e-12)
    s = load_scenario("ec-emissions")
    p = m.perceptions_batch(ScenarioBatch.repeat(s, 2))[s.issue_ids[0]]
    # Belgium compromises with France in round 1 (Scholz et al. 2011): b > 0 > a, b > |a|
    bel, fra = p["actors"].index("Belgium"), p["actors"].index("France")
    assert REGIONS[classify(p["eu_challenge"][0, bel, fra], p["eu_challenged"][0, bel, fra])] == "compromise (concede)"


# ------------------------------------------------------------------ levers
def test_candidate_levers(default):
    goal = {"settlement": 60.0}
    levers = candidate_levers(default, "putin", goal, steps=(10,), capability=True)
    paths = {lv.path for lv in levers}
    assert {"putin.position.settlement", "putin.salience.settlement", "putin.capability"} <= paths
    z = [lv for lv in levers if lv.actor == "zelensky" and lv.field == "position"]
    assert [lv.new for lv in z] == [10.0]  # up one step; down from 0 is clipped to no move and left out
    w = [lv.new for lv in levers if lv.actor == "washington" and lv.field == "position"]
    assert w == [25.0, 5.0]
    assert all(lv.effort > 0 for lv in levers)
    assert not candidate_levers(default, "putin", goal, persuade=False, steps=(10,)) == levers


def test_gains_weighted_and_signed():
    F = np.array([[[50.0, 10.0]], [[55.0, 10.0]], [[45.0, 20.0]]])  # baseline, two levers; one draw
    g = gains(F, np.array([60.0, 0.0]), np.array([0.5, 0.5]), np.array([100.0, 100.0]))
    np.testing.assert_allclose(g[:, 0], [0.5 * 5, 0.5 * -5 + 0.5 * -10])


def test_top_lever_is_reproduced_by_whatif(default, putin_advice):
    """The acceptance test of issue 18: whatif, same seed, reproduces the reported gain."""
    adv = putin_advice
    top = adv.top
    assert top is not None and top.mean > 0
    m = get_model(adv.model, **adv.options)
    wi = WhatIf(set=(parse_set(top.lever.path + f"={top.lever.new!r}"),))
    dist = compare_distributions(default, m, wi, adv.draws, seed=adv.seed, chunk_size=adv.chunk_size)
    iid = list(default.issue_ids)
    F = np.stack([dist.baseline.draws, dist.result.draws])
    g = gains(F, np.array([adv.goal.get(i, np.nan) for i in iid]), np.array([adv.goal_weights.get(i, 0) for i in iid]),
              np.array([i.span for i in default.issues]))[0]  # fmt: skip
    np.testing.assert_allclose(g, top.gain, atol=1e-9)
    assert g.mean() == pytest.approx(top.mean, abs=1e-9)
    for c, i in enumerate(iid):
        change = dist.result.summary()[i]["mean"] - dist.baseline.summary()[i]["mean"]
        assert change == pytest.approx(top.change[i], abs=1e-9)
    # the baseline is the Monte Carlo of simulate with the same seed
    from realpolitik.analysis.montecarlo import simulate

    mc = simulate(default, m, draws=adv.draws, seed=adv.seed, chunk_size=adv.chunk_size)
    np.testing.assert_allclose(mc.draws, adv.baseline_draws, atol=1e-12)
    # and the point forecast is the model's
    assert adv.baseline_point == pytest.approx(m.run(default).forecast)


def test_every_lever_is_paired_with_the_baseline(default, putin_advice):
    """Levers on values without a distribution change only their own issue in issue-by-issue models."""
    for lr in putin_advice.levers:
        if lr.lever.field == "capability":
            continue
        others = [i for i in default.issue_ids if i != lr.lever.issue]
        assert all(abs(lr.change[i]) < 1e-9 for i in others), lr.lever.label
    assert putin_advice.levers == sorted(putin_advice.levers, key=lambda r: -r.per_effort)


def test_advice_uncertainty_and_tables(putin_advice):
    adv = putin_advice
    assert len(adv.levers) > 50
    wide = [lr for lr in adv.levers if lr.quantiles()[2] - lr.quantiles()[0] > 0.1]
    assert wide, "levers on uncertain issues have a spread of gains"
    assert all(0 <= lr.p_helps <= 1 and 0 <= lr.p_hurts <= 1 for lr in adv.levers)
    # events that reset a value are flagged (the Kursk event sets russian_public's settlement position)
    flagged = [lr for lr in adv.levers if lr.lever.path == "russian_public.position.settlement"]
    assert flagged and flagged[0].overridden_by.startswith("kursk_failure")
    titles = [t.title for t in adv.tables()]
    assert any("pivotal on settlement" in t for t in titles) and any("perception" in t for t in titles)
    data = json.loads(json.dumps(adv.to_dict(), allow_nan=False))
    assert data["analysis"] == "advise" and data["levers"][0]["whatif"].startswith("--set ")
    assert data["reproduce"].startswith("realpolitik whatif --set ")
    piv = {p["issue"]: p for p in data["pivotality"]}
    ss = [a["shapley_shubik"] for a in piv["settlement"]["actors"]]
    assert sum(ss) == pytest.approx(1.0)
    # the weights are the models' own: the constituencies' shares are carved out of Putin's
    from realpolitik.scenario.nested import one_level_capability

    d = load_scenario(None)
    own = one_level_capability(d)[:, 0] * d.arrays().salience[:, 0]
    shares = {a["actor"]: a["weight_share"] for a in piv["settlement"]["actors"]}
    assert shares["putin"] == pytest.approx(own[0] / own.sum())
    regions = {d["region"] for d in data["quadrants"]}
    assert regions <= set(REGIONS)


def test_target_goal_and_capability(default):
    adv = advise(default, "zelensky", "weighted-mean", target={"settlement": 20}, draws=20, seed=1, capability=True,
                 pivotality=False, perception=False)  # fmt: skip
    assert adv.goal == {"settlement": 20.0} and adv.goal_weights == {"settlement": 1.0}
    # weighted mean: pulling anyone toward 20 helps; raising Zelensky's capability helps on average, but a
    # lever sets a definite value: where the draw of his (uncertain) capability lies above it, it hurts
    cap = [lr for lr in adv.levers if lr.lever.field == "capability" and lr.lever.new > lr.lever.old]
    assert cap and cap[0].mean > 0 and 0.5 < cap[0].p_helps < 1.0 and cap[0].overridden_by is None
    # the weighted mean lies above 20: moving any actor with a fixed position down helps, up hurts
    uncertain = {u.path for u in default.uncertainty}
    fixed = [lr for lr in adv.levers if lr.lever.field == "position" and lr.lever.path not in uncertain]
    assert fixed and all((lr.mean > 0) == (lr.lever.new < lr.lever.old) for lr in fixed)
    assert all(lr.p_hurts == 0 for lr in fixed if lr.lever.new < lr.lever.old)


def test_bad_input_is_a_one_line_error(default):
    with pytest.raises(OptionError, match="unknown actor"):
        advise(default, "nobody", draws=5)
    with pytest.raises(OptionError, match="outside the issue scale"):
        advise(default, "putin", target={"settlement": 150}, draws=5)
    with pytest.raises(OptionError, match="step"):
        advise(default, "putin", steps=(0,), draws=5)
    with pytest.raises(OptionError, match="unknown issue"):
        advise(default, "putin", issues=["moon"], draws=5)


# ------------------------------------------------------------------ CLI
def test_cli_advise_prints_ranked_levers(capsys, tmp_path):
    plot = tmp_path / "adv.png"
    code = main(["advise", "putin", "-m", "weighted-mean", "-n", "30", "--seed", "3", "-i", "settlement",
                 "--plot", str(plot), "-q"])  # fmt: skip
    assert code == 0
    text = capsys.readouterr().out
    assert "Levers of putin, ranked by expected gain per unit of effort" in text
    assert "Reproduce the top lever: realpolitik whatif --set" in text.replace("\n", " ").replace("  ", " ")
    assert plot.exists() and (tmp_path / "adv-quadrants.png").exists()


def test_cli_advise_json_and_whatif_agree(capsys):
    assert main(["advise", "putin", "-m", "weighted-median", "-n", "40", "--seed", "5", "--json", "-i", "operations"]) == 0
    adv = json.loads(capsys.readouterr().out)
    top = adv["levers"][0]
    assert main(["whatif", "-m", "weighted-median", top["whatif"].split()[0], top["whatif"].split()[1],
                 "-n", "40", "--seed", "5", "--json"]) == 0  # fmt: skip
    wi = json.loads(capsys.readouterr().out)["distributions"]
    change = wi["whatif"]["forecast"]["operations"] - wi["baseline"]["forecast"]["operations"]
    assert change == pytest.approx(top["forecast_change"]["operations"], abs=1e-9)


def test_cli_advise_errors():
    assert main(["advise", "nobody"]) == 2
    assert main(["advise", "putin", "--target", "settlement"]) == 2
    assert main(["advise", "putin", "--plot", "x.txt"]) == 2


# ------------------------------------------------------------------ report and plots
def test_report_section_html_and_pdf(default):
    from realpolitik.report.advise import advice_section, mpl_quadrants, plotly_levers, plotly_quadrants
    from realpolitik.report.html import render_report

    adv = advise(default, "putin", "weighted-mean", draws=20, seed=2, issues=["settlement", "alignment"])
    sec = advice_section(adv, top=8)
    assert sec["label"].startswith("Advice for putin") and len(sec["figures"]) == 2
    html = render_report(default, [get_model("weighted-mean").run(default)], "html", extra_sections=[sec]).decode()
    assert "Advice for putin" in html and "Levers of putin" in html and "Who is pivotal on settlement" in html
    assert html.count("<svg") >= 4
    pdf = render_report(default, [], "pdf", extra_sections=[advice_section(adv)])
    assert pdf.startswith(b"%PDF")
    data = adv.to_dict()
    assert plotly_levers(data)["data"] and len(plotly_quadrants(data)) == 2
    assert mpl_quadrants({"actor": "x", "quadrants": []}) is None


def test_cli_report_with_advice(tmp_path):
    out = tmp_path / "r.html"
    assert main(["report", "-m", "weighted-mean", "--advise", "israel", "--seed", "1", "--out", str(out)]) == 0
    assert "Advice for israel" in out.read_text()


def test_uncertain_events_keep_their_draws_in_the_stacked_batch():
    """An event that happens with probability 0.5 and a drawn value: advise's baseline draws are simulate's,
    and its top lever is still reproduced by whatif draw by draw (the stacked batch carries the drawn schedule)."""
    from realpolitik.analysis.montecarlo import simulate

    data = load_scenario(None).model_dump()
    ev = data["events"][0]
    ev["probability"] = 0.5
    ev["changes"][0]["distribution"] = {"dist": "triangular", "low": 60, "mode": 80, "high": 95}
    from realpolitik.scenario.model import Scenario

    s = Scenario.model_validate(data)
    m = get_model("expected-utility")
    adv = advise(s, "putin", m, issues=["settlement"], draws=40, seed=5, pivotality=False)
    mc = simulate(s, m, draws=40, seed=5, chunk_size=adv.chunk_size)
    np.testing.assert_allclose(mc.draws, adv.baseline_draws, atol=1e-12)
    top = adv.top
    dist = compare_distributions(s, m, WhatIf(set=(parse_set(f"{top.lever.path}={top.lever.new!r}"),)), 40, seed=5,
                                 chunk_size=adv.chunk_size)  # fmt: skip
    c = s.issue_ids.index("settlement")
    assert (dist.result.draws[:, c] - dist.baseline.draws[:, c]).mean() == pytest.approx(top.change["settlement"], abs=1e-9)


def test_readme_advise_and_draft_examples_run(tmp_path, monkeypatch):
    """The README's `realpolitik advise` and `realpolitik draft` lines, run as written (in a scratch folder)."""
    import shlex
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    shared = root.parent / "shared"
    if not (shared / "seed").is_dir():
        pytest.skip(f"seed folder {shared / 'seed'} not present")
    lines = [ln.split("#")[0].strip() for ln in (root / "README.md").read_text(encoding="utf-8").splitlines()]
    cmds = [ln for ln in lines if ln.startswith(("realpolitik advise", "realpolitik draft"))]
    assert len(cmds) >= 3
    monkeypatch.chdir(tmp_path)
    for cmd in cmds:
        args = shlex.split(cmd.replace("../shared", str(shared)))[1:]
        assert main(args + (["-q"] if args[0] == "advise" else [])) == 0, cmd
    assert (tmp_path / "advice.png").exists() and (tmp_path / "draft.yaml").exists()
