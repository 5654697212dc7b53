"""The war's past: its validation, and forecasts conditioned on it (issue 13, items 1-2).

Conditioning is rejection sampling: every draw is simulated from the war's start through
the record (coded battles forced, the others drawn) and kept only if no deal and no
military end happened before the origin and every refused offer would have been refused.
The tests pin the choice against a brute-force long simulation, the exact posterior of
the true odds, the effective sample size, hazards and the absence of a lump at month 0.
"""

from __future__ import annotations

import re

import numpy as np
import pytest

from realpolitik.errors import ScenarioError
from realpolitik.models import get_model
from realpolitik.models.war.inputs import DomesticTimeline
from realpolitik.models.war.setup import WarSetup
from realpolitik.models.war.simulator import SETTLED, simulate_war
from realpolitik.scenario import load_scenario
from test_war_model import SMALL, small

HISTORY = """
  history:
    start: 2023-01-01
    periods:
      - {start: 2023-01-01, end: 2023-03-01, winner: A}
      - {start: 2023-03-01, end: 2023-05-01, winner: B}
    talks:
      - {date: 2023-06-01, offered_by: B, terms: 45}
    ceasefires:
      - {name: truce, start: 2023-07-01, broken: 2023-08-01, broken_by: B}
"""
# at the war's start the sides disagree more than in SMALL (B expects to win), and the
# analyst is unsure of both beliefs: some draws fight on, others would have settled
SMALL_H = (
    SMALL.replace("belief: {war_win: 0.4, concentration: 20}", "belief: {war_win: 0.15, concentration: 20, spread: 0.8}")
    .replace("belief: {war_win: 0.7, concentration: 20}", "belief: {war_win: 0.7, concentration: 20, spread: 0.8}")
    .rstrip("\n")
    + "\n"
    + HISTORY.strip("\n")
    + "\n"
)


def hist(tmp_path, text=SMALL_H):
    return small(tmp_path, text)


def run(scen, **opts):
    opts.setdefault("draws", 800)
    opts.setdefault("what_if", False)
    return get_model("war", **opts).run(scen, rng=4)


# ------------------------------------------------------------------ validation
def test_history_is_valid_and_counted(tmp_path):
    r = run(hist(tmp_path))
    rec = r.details["record"]
    # 12 months of two-month battles before as_of, two of them coded
    assert rec["conditioned"] and rec["battles_in_record"] == 6
    assert rec["coded_battles"] == {"A": 1, "B": 1} and rec["uncoded_battles"] == 4
    assert rec["elapsed_months"] == pytest.approx(12.0, abs=0.05)
    assert rec["failed_talks"] == 1 and rec["broken_ceasefires"] == {"A": 1}


@pytest.mark.parametrize(
    "old,new,where,what",
    [
        ("start: 2023-01-01\n", "start: 2024-03-01\n", "war.history.start", "is not before the scenario's as_of"),
        ("end: 2023-05-01, winner: B", "end: 2024-02-01, winner: B", "war.history.periods.1.end", "after the scenario's as_of"),
        ("{start: 2023-03-01, end: 2023-05-01", "{start: 2023-02-01, end: 2023-04-01", "war.history.periods.1.start",
         "periods must be in date order"),
        ("end: 2023-05-01, winner: B", "end: 2023-09-01, winner: B", "war.history.periods.1", "a period is one battle"),
        ("winner: A}", "winner: C}", "war.history.periods.0.winner", "not a side id"),
        ("{start: 2023-01-01, end: 2023-03-01", "{start: 2022-12-01, end: 2023-02-01", "war.history.periods.0.start",
         "before the war's start"),
        ("date: 2023-06-01", "date: 2022-06-01", "war.history.talks.0.date", "outside the war's record"),
        ("offered_by: B", "offered_by: C", "war.history.talks.0.offered_by", "not a side id"),
        ("terms: 45}", "terms: 140}", "war.history.talks.0.terms", "outside the issue scale"),
        ("broken: 2023-08-01", "broken: 2023-06-01", "war.history.ceasefires.0.broken", "before the ceasefire's start"),
        ("broken: 2023-08-01", "broken: 2024-08-01", "war.history.ceasefires.0.broken", "after the scenario's as_of"),
        ("broken_by: B}", "broken_by: C}", "war.history.ceasefires.0.broken_by", "not a side id"),
        ("start: 2023-01-01\n", "start: 2023-01-01\n    elapsed_months: 20\n", "war.history.elapsed_months",
         "disagrees with start"),
        ("as_of: 2024-01-01\n", "", "war.history.start", "needs an as_of date"),
        ("cost_per_month: 0.003,", "cost_per_month: 0.003, ratification_threshold: 0.5,", "war.sides.0",
         "replaced by autonomy"),
        ("cost_per_month: 0.003,", "cost_per_month: 0.003, autonomy: {low: 0.5, mode: 0.2, high: 0.9},",
         "war.sides.0.autonomy", "lies outside low"),
    ],
)
def test_bad_histories_are_one_located_line(tmp_path, old, new, where, what):
    assert old in SMALL_H
    with pytest.raises(ScenarioError) as exc:
        hist(tmp_path, SMALL_H.replace(old, new, 1))
    lines = exc.value.lines()
    assert all("\n" not in ln for ln in lines)
    assert any(where in ln and what in ln and re.search(r"small\.yaml:\d+", ln) for ln in lines), lines


def test_two_periods_in_one_battle(tmp_path):
    text = SMALL_H.replace(
        "    talks:",
        "      - {start: 2023-05-01, end: 2023-06-03}\n      - {start: 2023-06-03, end: 2023-07-05}\n    talks:",
    )
    with pytest.raises(ScenarioError) as exc:
        hist(tmp_path, text)
    assert any("war.history.periods.3" in ln and "same 2-month battle as periods.2" in ln for ln in exc.value.lines())


def test_bad_history_in_the_cli_is_one_line(tmp_path, capsys):
    from realpolitik.cli import main

    p = tmp_path / "bad.yaml"
    p.write_text(SMALL_H.replace("winner: A}", "winner: Z}"))
    assert main(["validate", str(p)]) == 2
    err = capsys.readouterr().err
    assert "war.history.periods.0.winner" in err and "Traceback" not in err


# ------------------------------------------------------------------ conditioning
def test_without_a_record_nothing_is_conditioned(tmp_path):
    r = run(small(tmp_path))
    rec = r.details["record"]
    assert rec["conditioned"] is False and rec["proposed_wars"] == rec["effective_sample_size"] == 800


@pytest.mark.parametrize("which", ["small", "default"])
def test_a_war_under_way_puts_no_lump_on_month_zero(tmp_path, which):
    scen = hist(tmp_path) if which == "small" else load_scenario()
    d = run(scen).details
    assert d["settlement_by_month"]["months"][0] == 0.0 and d["settlement_by_month"]["probability"][0] == 0.0
    assert d["hazards"]["periods"][0]["settlement_hazard"] == 0.0
    # the hazards and the cumulative curve agree
    n = d["wars"]
    cum = 0.0
    for row in d["hazards"]["periods"][1:]:
        cum += row["settlement_hazard"] * row["at_risk"] / n
        assert row["cumulative_settlement"] == pytest.approx(cum)
    assert d["settlement_by_month"]["probability"][-1] == pytest.approx(cum)


def test_two_phases_equal_one_long_simulation_filtered(tmp_path):
    """The choice, pinned: conditioning through the record and then forecasting is the same
    as simulating every draw from the war's start over record and forecast together and
    keeping the paths still at war at the origin (equal in distribution, 4 standard errors)."""
    text = SMALL_H.replace("winner: A}", "}").replace("winner: B}", "}")
    text = text[: text.index("    talks:")]  # no talks, no ceasefire: nothing but the record
    scen = hist(tmp_path, text)
    model = get_model("war", draws=6000, what_if=False)
    setup = model.setup(scen)
    cond = setup.condition(21)
    cut = setup.months(np.arange(setup.max_battles + 1))
    two = setup.future(cond)
    p_two = np.array([np.mean((two.outcome == SETTLED) & (two.end_step <= t)) for t in range(cut.size)])
    # brute force: one simulation over record + forecast, fresh draws
    n = 60_000
    prop = setup.proposals((99, 0), n)
    tl = setup.timeline(autonomy=prop.autonomy)
    R = setup.R
    events = [(b.step, b.a_won, prop.weights[b.index]) for b in setup.battles if b.phase != "prior"]
    params = setup._params(tl, R + setup.max_battles, slice(0, R + 1 + setup.max_battles), events)
    pA, pB = setup.premiums(prop.u_rho)
    long = simulate_war(params, prop.p_true, prop.belief_A, prop.belief_B, pA, pB, np.random.default_rng(5))
    alive = long.end_step > R
    assert 0.05 < alive.mean() < 0.95  # the record does reject draws
    end, out = long.end_step[alive] - R, long.outcome[alive]
    p_one = np.array([np.mean((out == SETTLED) & (end <= t)) for t in range(cut.size)])
    se = np.sqrt(p_two * (1 - p_two) / cond.size + p_one * (1 - p_one) / alive.sum()) + 1e-9
    assert np.all(np.abs(p_two - p_one) <= 4 * se), (p_two, p_one)
    assert cond.consistent / cond.proposals == pytest.approx(alive.mean(), abs=4 * np.sqrt(0.25 / cond.proposals))


def test_coded_battles_fix_the_front_and_update_the_true_odds(tmp_path):
    """All six battles coded (4 won by A): the front at the origin is the start + 2, and the
    true odds of the kept draws are the conjugate Beta posterior (the consistency of a fully
    coded record does not depend on the true odds)."""
    periods = "".join(
        f"      - {{start: {a}, end: {b}, winner: {w}}}\n"
        for a, b, w in [("2023-01-01", "2023-03-01", "A"), ("2023-03-01", "2023-05-01", "B"),
                        ("2023-05-01", "2023-07-01", "A"), ("2023-07-01", "2023-09-01", "A"),
                        ("2023-09-01", "2023-11-01", "B"), ("2023-11-01", "2024-01-01", "A")]
    )  # fmt: skip
    text = SMALL_H[: SMALL_H.index("    periods:")] + "    periods:\n" + periods
    scen = hist(tmp_path, text)
    setup = get_model("war", draws=5000, what_if=False).setup(scen)
    cond = setup.condition(8)
    assert np.all(cond.k == 5 + 2)
    a, b = 0.52 * 50 + 4, 0.48 * 50 + 2  # true_odds {battle_win: 0.52, concentration: 50}
    mean, var = a / (a + b), a * b / ((a + b) ** 2 * (a + b + 1))
    assert cond.p_true.mean() == pytest.approx(mean, abs=4 * np.sqrt(var / cond.size))


def test_refused_offers_condition_the_draws(tmp_path):
    # B offered A everything: every draw's A would have accepted -> nothing is consistent
    scen = hist(tmp_path, SMALL_H.replace("terms: 45}", "terms: 100}"))
    with pytest.raises(ScenarioError) as exc:
        run(scen)
    (line,) = exc.value.lines()
    assert line.startswith("war.history:") and "only 0 of" in line and "noise" in line
    # an offer no draw's A would accept changes nothing
    base = run(hist(tmp_path, SMALL_H.replace("    talks:\n      - {date: 2023-06-01, offered_by: B, terms: 45}\n", "")))
    same = run(hist(tmp_path, SMALL_H.replace("terms: 45}", "terms: 0}")))
    assert same.details["settlement_probability"] == base.details["settlement_probability"]


def test_more_draws_until_the_target_is_reached():
    d = run(load_scenario(), draws=500).details
    rec = d["record"]
    assert rec["consistent_share"] < 0.5 and rec["batches"] >= 2
    assert d["effective_sample_size"] == d["wars"] == 500 and rec["consistent_wars"] >= 500


def _hard_first_group(setup):
    """Proposals of the default scenario; group 0's domestic bounds removed (deals come
    easier: about 3% of its draws are consistent with the record, 10% of the others')."""

    def build(key, owner):
        prop = setup.proposals(key, owner.size)
        tl = setup.timeline(autonomy=prop.autonomy, record_only=True)
        hard = (owner == 0)[:, None]
        lower, upper = np.where(hard, -np.inf, tl.lower), np.where(hard, np.inf, tl.upper)
        return prop, DomesticTimeline(lower, upper, tl.ratifiers, tl.start, tl.past)

    return build


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_each_scenario_draw_proposes_by_its_own_acceptance(seed):
    """A batch's scenario draws are conditioned together, but each is proposed as many
    simulated wars as its own acceptance asks for: one unlikely draw does not make every
    draw propose as many (before: every round proposed the largest need to all)."""
    setup = get_model("war", what_if=False).setup(load_scenario())
    G = 20
    c = setup.condition(seed, target=64, groups=G, build=_hard_first_group(setup), strict=False, max_proposals=6400)
    assert np.array_equal(np.bincount(c.group, minlength=G), np.full(G, 64))
    assert c.proposed.sum() == c.proposals and np.all(c.proposed <= 6400)
    # group 0 needs about 3x the proposals of a group at 10%, the others what their own luck asks
    assert c.proposed[0] > 2 * np.median(c.proposed[1:])
    assert np.median(c.proposed[1:]) < 64 / 0.105 * 1.5
    assert c.proposals < 0.5 * G * c.proposed.max()


def test_a_batch_draws_kept_wars_are_the_runs_distribution():
    """However the proposals are cut into rounds, each scenario draw keeps its first
    consistent wars of an i.i.d. stream: pooled over a batch of the scenario as given they
    are a sample of the same conditioned distribution as a run's (4 standard errors)."""
    setup = get_model("war", what_if=False).setup(load_scenario())
    G, per = 100, 64
    batch = setup.condition(17, target=per, groups=G, strict=False)
    run_ = setup.condition(18, target=G * per)
    assert np.array_equal(np.bincount(batch.group, minlength=G), np.full(G, per)) and run_.size == G * per
    for name, f in (("true odds", lambda c: c.p_true), ("front", lambda c: c.k),
                    ("A's belief", lambda c: c.aA / (c.aA + c.bA)), ("B's belief", lambda c: c.aB / (c.aB + c.bB)),
                    ("A's battles", lambda c: c.wins)):  # fmt: skip
        x, y = f(batch).astype(float), f(run_).astype(float)
        se = np.sqrt(x.var() / x.size + y.var() / y.size)
        assert abs(x.mean() - y.mean()) <= 4 * se, (name, x.mean(), y.mean(), se)


def test_too_few_consistent_draws_is_an_error_not_a_forecast(capsys):
    with pytest.raises(ScenarioError) as exc:
        run(load_scenario(), draws=500, max_proposals=300, min_ess=200)
    (line,) = exc.value.lines()
    assert line.startswith("war.history: only") and "of 300 simulated wars" in line
    from realpolitik.cli import main

    assert main(["forecast", "-m", "war", "-o", "max_proposals=300", "-o", "what_if=false"]) == 2
    err = capsys.readouterr().err
    assert "war.history: only" in err and "Traceback" not in err


def test_broken_ceasefires_count_as_broken_agreements(tmp_path):
    scen = hist(tmp_path)  # A's credibility: broken 2, plus the truce B broke
    manual = hist(tmp_path, SMALL_H.replace("broken: 2,", "broken: 3,").replace("broken_by: B}", "broken_by: A}"))
    u = (np.linspace(0.01, 0.99, 50), np.linspace(0.01, 0.99, 50))
    opts = get_model("war").options
    pa, _ = WarSetup(scen, scen.war, opts).premiums(u)
    pm, _ = WarSetup(manual, manual.war, opts).premiums(u)
    assert np.array_equal(pa, pm)


def test_what_ifs_are_interventions_at_the_origin():
    d = run(load_scenario(), draws=1000, what_if=True).details
    rows = {w["name"]: w for w in d["what_if"]}
    assert rows["baseline"]["settlement_probability"] == d["settlement_probability"]
    for h in ("6", "12", "24"):
        base = rows["baseline"]["settlement_probability"][h]
        assert rows["no domestic constraint"]["settlement_probability"][h] >= base
        assert rows["credible agreements"]["settlement_probability"][h] >= base
        assert rows["twice the broken agreements"]["settlement_probability"][h] <= base


def test_a_later_origin_extends_the_record(tmp_path):
    scen = hist(tmp_path)
    later = run(scen, as_of="2024-05-15").details
    rec = later["record"]
    # 4.5 months after as_of: two more (uncoded) battles without a deal are part of the record
    assert rec["battles_in_record"] == 8 and rec["battles_before_as_of"] == 6
    assert later["origin"] == "2024-05-15"
    # horizons count from the origin: the first chance of a deal is 1.5 months after it
    assert later["settlement_by_month"]["months"][:2] == pytest.approx([0.0, 3 * 2 - 135 / (365.25 / 12)])
    with pytest.raises(ScenarioError) as exc:
        run(scen, as_of="2023-06-01")
    assert "--as-of" in exc.value.lines()[0] and "before the scenario's as_of" in exc.value.lines()[0]


# ------------------------------------------------------------------ labels
def test_terms_are_labelled_as_holding_only_for_wars_that_end_in_a_deal():
    model = get_model("war", draws=400, what_if=False)
    scen = load_scenario()
    r = model.run(scen, rng=1)
    assert "if a deal is reached" in model.label
    assert "only for wars that end in a negotiated settlement" in r.details["settlement_terms"]["note"]
    assert "only for wars that end in a negotiated settlement" in r.details["forecast_note"]
    terms_table = next(t for t in model.describe(r, scen) if "expected terms" in t.title)
    assert "only for the wars that end in one" in terms_table.title


UNCERTAIN_BATTLE = SMALL_H.replace(
    "{id: early, date: 2023-12-01, winner: A, weight: 2}",
    "{id: early, date: 2023-12-01, winner: A, weight: {low: 1, mode: 2, high: 4}, probability: 0.5}",
)


@pytest.mark.parametrize("which", ["small", "default", "uncertain battle"])
def test_record_consistency_equals_a_per_draw_sequential_reference(tmp_path, which):
    """Exact: the vectorised record (paths laid out first, steps checked out of order) keeps
    the same draws as walking each draw through the record battle by battle."""
    from realpolitik.models.war.simulator import CounterLuck, Record, _acceptable, condition_on_record

    scen = {"small": lambda: hist(tmp_path), "default": load_scenario,
            "uncertain battle": lambda: hist(tmp_path, UNCERTAIN_BATTLE)}[which]()  # fmt: skip
    setup = get_model("war").setup(scen)
    key, n = (3, 0), 400
    prop = setup.proposals(key, n)
    p_true, A, B = prop.p_true, prop.belief_A, prop.belief_B
    tl = setup.timeline(autonomy=prop.autonomy, record_only=True)
    params = setup._params(tl, setup.R, slice(0, setup.R + 1))
    pA, pB = setup.premiums(prop.u_rho)
    luck = CounterLuck((*key, 10))
    record = Record(setup.record.forced, setup.record.talks,
                    tuple((b.step, b.a_won, prop.weights[b.index]) for b in setup.battles if b.phase == "record"))
    rec = condition_on_record(params, record, p_true, A, B, pA, pB, None, integrator=setup.integrator, luck=luck)
    lo, hi = params.bounds()
    events = {}
    for b in setup.battles:
        if b.phase == "record":
            events.setdefault(b.step, []).append((b.a_won, np.broadcast_to(prop.weights[b.index], (n,))))
    talks = {}
    for g, side, x in setup.record.talks:
        talks.setdefault(g, []).append((side, x))
    for d in range(n):
        aA, bA, aB, bB, k, ok = A[0][d], A[1][d], B[0][d], B[1][d], params.k0, True
        for t in range(setup.R + 1):
            for a_won, w in events.get(t, ()):
                w = w[d]
                aA, aB, bA, bB = (aA + w, aB + w, bA, bB) if a_won else (aA, aB, bA + w, bB + w)
            one = lambda v: np.array([v], float)  # noqa: E731
            war_lo, war_hi, lower, upper, _, _ = _acceptable(
                params, setup.integrator, lo[t], hi[t], one(aA), one(bA), one(aB), one(bB), np.array([k]),
                one(pA[d]), one(pB[d]),
            )  # fmt: skip
            lower, upper = np.ravel(lower), np.ravel(upper)
            wl, wh = min(max(war_lo[0], 0), 1), min(max(war_hi[0], 0), 1)
            if war_lo[0] <= war_hi[0] and max(wl, lower[0]) <= min(wh, upper[0]):
                ok = False
            for side, x in talks.get(t, ()):
                if (x >= max(wl, lower[0])) if side == 1 else (x <= min(wh, upper[0])):
                    ok = False
            if not ok or t == setup.R:
                break
            f = setup.record.forced[t]
            won = (f > 0) if f else bool(luck(np.array([d]), t)[0] < p_true[d])
            k += 1 if won else -1
            aA, aB, bA, bB = (aA + 1, aB + 1, bA, bB) if won else (aA, aB, bA + 1, bB + 1)
            if k <= 0 or k >= params.N:
                ok = False
                break
        assert ok == rec.consistent[d], d
        if ok:
            assert (k, aA, bB) == (rec.k[d], pytest.approx(rec.aA[d]), pytest.approx(rec.bB[d]))
    assert 0 < rec.consistent.sum() < n


def test_uncertain_battles_are_drawn_per_draw(tmp_path):
    assert "probability: 0.5" in UNCERTAIN_BATTLE
    scen = hist(tmp_path, UNCERTAIN_BATTLE)
    setup = get_model("war").setup(scen)
    w = setup.weights((1, 0), 20_000)[0]
    # counts in half the draws, then with a triangular(1, 2, 4) weight (mean 7/3)
    assert np.mean(w == 0) == pytest.approx(0.5, abs=0.02)
    assert w[w > 0].mean() == pytest.approx(7 / 3, abs=0.03) and w.max() <= 4 and w[w > 0].min() >= 1
    r = run(scen)
    assert r.details["inputs"]["battle_weights"]["early"] == pytest.approx(0.5 * 7 / 3, abs=0.25)
    # the 'without the battle updates' what-if removes each draw's own evidence
    d = run(scen, what_if=True).details
    assert {w["name"] for w in d["what_if"]} >= {"without the battle updates"}


@pytest.mark.parametrize(
    "new,where,what",
    [
        ("weight: {low: 3, mode: 2, high: 4}", "war.battles.0.weight", "lies outside low"),
        ("weight: 2, probability: 0", "war.battles.0.probability", "greater than 0"),
        ("weight: {low: 1, high: 3}", "war.battles.0.weight", "mode"),
    ],
)
def test_bad_battle_uncertainty_is_located(tmp_path, new, where, what):
    text = SMALL_H.replace("weight: 2}", new + "}", 1)
    assert text != SMALL_H
    with pytest.raises(ScenarioError) as exc:
        hist(tmp_path, text)
    assert any(where in ln and what in ln for ln in exc.value.lines()), exc.value.lines()
