"""What-ifs and leave-one-out (issue 6, part 3)."""

from __future__ import annotations

import json

import pytest

from realpolitik.analysis.whatif import (
    EventAt,
    SetValue,
    WhatIf,
    apply_whatif,
    compare,
    leave_one_out,
    parse_actor,
    parse_event,
    parse_set,
)
from realpolitik.errors import OptionError
from realpolitik.models import available_models, get_model
from realpolitik.scenario import Scenario, load_scenario


def scenario(**extra) -> Scenario:
    return Scenario.model_validate(
        {
            "title": "what-if",
            "issues": [
                {"id": "x", "min": 0, "max": 100, "points": [{"value": 0, "label": "none"}, {"value": 100, "label": "all"}]},
                {"id": "y", "min": 0, "max": 10},
            ],
            "actors": [
                {"id": "a", "capability": 10, "positions": {"x": 20, "y": 2}, "saliences": {"x": 50, "y": 80}},
                {"id": "b", "capability": 20, "positions": {"x": 70, "y": 5}, "saliences": {"x": 90, "y": 30}},
                {"id": "c", "capability": 15, "positions": {"x": 40}, "saliences": {"x": 60}},
                {"id": "d", "capability": 5, "positions": {"x": 90, "y": 9}, "saliences": {"x": 40, "y": 50}},
            ],
            "events": [
                {"id": "shock", "round": 3, "changes": [{"actor": "a", "field": "position", "issue": "x", "value": 80}]},
                {"id": "exit", "round": 2, "changes": [{"actor": "d", "field": "leave"}]},
            ],
            **extra,
        }
    )


MODELS = [n for n in ("weighted-mean", "weighted-median", "nash", "expected-utility") if n in available_models()]


@pytest.mark.parametrize("name", MODELS)
def test_removing_an_actor_equals_running_without_it(name):
    s = scenario()
    m = get_model(name)
    cmp = compare(s, m, WhatIf(remove=("b",)), seed=1)
    direct = m.run(s.without_actor("b"), rng=1).forecast
    assert cmp.result.forecast == pytest.approx(direct, nan_ok=True)
    assert cmp.baseline.forecast == pytest.approx(m.run(s, rng=1).forecast, nan_ok=True)
    assert "b" not in cmp.changed.actor_ids


def test_removing_an_actor_on_the_default_scenario():
    s = load_scenario(None)
    m = get_model("weighted-median")
    cmp = compare(s, m, WhatIf(remove=("washington",)))
    assert cmp.result.forecast == m.run(s.without_actor("washington")).forecast


def test_set_value_equals_with_value_and_drops_the_distribution():
    s = scenario(uncertainty=[{"path": "a.salience.x", "dist": "uniform", "low": 40, "high": 60}])
    m = get_model("weighted-mean")
    cmp = compare(s, m, WhatIf(set=(parse_set("a.salience.x=100"), parse_set("b.capability=5"))))
    direct = s.with_value("a", "salience", 100, "x").with_value("b", "capability", 5)
    assert cmp.result.forecast == m.run(direct).forecast
    assert cmp.changed.uncertainty == ()
    # a takes x to 100 weight: the forecast moves toward a's position 20
    assert cmp.delta()["x"] < 0


def test_set_on_a_new_issue_needs_position_and_salience():
    s = scenario()
    with pytest.raises(OptionError, match="also set c.salience.y"):
        apply_whatif(s, WhatIf(set=(SetValue("c.position.y", 4),)))
    s2 = apply_whatif(s, WhatIf(set=(SetValue("c.position.y", 4), SetValue("c.salience.y", 70))))
    assert s2.actor("c").positions["y"] == 4


@pytest.mark.parametrize(
    "change, message",
    [
        (SetValue("zz.salience.x", 3), "unknown actor 'zz'"),
        (SetValue("a.salience.q", 3), "unknown issue 'q'"),
        (SetValue("a.salience.x", 130), "0-100"),
        (SetValue("a.position.y", 11), "outside the issue scale"),
        (SetValue("a.capability", 0), "greater than 0"),
    ],
)
def test_bad_sets_are_option_errors(change, message):
    with pytest.raises(OptionError, match=message):
        apply_whatif(scenario(), WhatIf(set=(change,)))


def test_add_actor():
    s = scenario()
    actor = parse_actor("{id: e, capability: 50, positions: {x: 100}, saliences: {x: 100}}")
    m = get_model("weighted-mean")
    cmp = compare(s, m, WhatIf(add=(actor,)))
    assert "e" in cmp.changed.actor_ids and cmp.delta()["x"] > 0 and cmp.delta()["y"] == pytest.approx(0)
    with pytest.raises(OptionError, match="already in the scenario"):
        apply_whatif(s, WhatIf(add=(parse_actor("{id: a, capability: 1, positions: {x: 1}, saliences: {x: 1}}"),)))
    with pytest.raises(OptionError, match="capability"):
        parse_actor("{id: f, capability: -1, positions: {x: 1}, saliences: {x: 1}}")


def test_event_from_the_start_is_applied_and_removed_from_the_list():
    s = scenario()
    s2 = apply_whatif(s, WhatIf(events=(EventAt("shock"),)))
    assert s2.actor("a").positions["x"] == 80
    assert [e.id for e in s2.events] == ["exit"]
    s3 = apply_whatif(s, WhatIf(events=(parse_event("exit"),)))
    assert "d" not in s3.actor_ids


def test_event_at_a_round_is_rescheduled_for_models_with_rounds():
    s = scenario()
    with pytest.raises(OptionError, match="does not run in rounds"):
        apply_whatif(s, WhatIf(events=(EventAt("shock", 5),)), get_model("weighted-mean"))
    if "expected-utility" not in available_models():
        pytest.skip("expected-utility not available")
    m = get_model("expected-utility")
    s2 = apply_whatif(s, WhatIf(events=(parse_event("shock@1"),)), m)
    assert {e.id: e.round for e in s2.events} == {"shock": 1, "exit": 2}
    cmp = compare(s, m, WhatIf(events=(parse_event("shock@1"),)))
    assert cmp.result.forecast == m.run(s2).forecast


def test_unknown_event_and_bad_parse():
    with pytest.raises(OptionError, match="no such event"):
        apply_whatif(scenario(), WhatIf(events=(EventAt("nope"),)))
    with pytest.raises(OptionError, match="not a whole number"):
        parse_event("shock@x")
    with pytest.raises(OptionError, match="expected ACTOR.FIELD"):
        parse_set("a.salience.x")
    with pytest.raises(OptionError, match="not a number"):
        parse_set("a.salience.x=lots")


def test_leave_one_out_finds_the_pivotal_actor():
    # weighted median on x: b (20 x 90 = 1800 of 4100) sits at the median position 70;
    # without b the median jumps to c's 40; without d nothing moves.
    s = scenario()
    res = leave_one_out(s, get_model("weighted-median"))
    for aid in s.actor_ids:
        assert res.without[aid] == get_model("weighted-median").run(s.without_actor(aid)).forecast
    ranking = res.ranking()
    assert ranking[0][0] in ("a", "b")
    assert dict(ranking)["d"] <= ranking[0][1]
    table = res.table()
    assert table.rows[0][0] == ranking[0][0]
    data = json.loads(json.dumps(res.to_dict()))
    assert data["ranking"][0]["actor"] == ranking[0][0]


def test_leave_one_out_skips_actors_whose_removal_is_invalid():
    s = Scenario.model_validate(
        {
            "title": "two",
            "issues": [{"id": "x"}],
            "actors": [
                {"id": "a", "capability": 1, "positions": {"x": 10}, "saliences": {"x": 50}},
                {"id": "b", "capability": 1, "positions": {"x": 90}, "saliences": {"x": 50}},
            ],
        }
    )
    res = leave_one_out(s, get_model("weighted-mean"))
    assert set(res.skipped) == {"a", "b"} and "at least two actors" in res.skipped["a"]


def test_cli_whatif(capsys):
    from realpolitik.cli import main

    code = main(["whatif", "-m", "weighted-median", "--remove", "washington", "--set", "putin.salience.settlement=100",
                 "--leave-one-out", "--json"])  # fmt: skip
    assert code == 0
    data = json.loads(capsys.readouterr().out)
    assert data["whatif"]["changes"] == ["without washington", "putin.salience.settlement = 100"]
    assert {r["actor"] for r in data["leave_one_out"]["ranking"]} == set(load_scenario(None).actor_ids)
    assert main(["whatif", "-m", "weighted-median", "--remove", "nobody"]) == 2
    assert "unknown actor" in capsys.readouterr().err
    assert main(["whatif", "-m", "weighted-median"]) == 2


def test_whatif_under_uncertainty():
    from realpolitik.analysis.whatif import compare_distributions

    s = scenario(uncertainty=[{"path": "a.position.x", "dist": "uniform", "low": 10, "high": 30}])
    m = get_model("weighted-mean")
    wi = WhatIf(remove=("d",))
    dist = compare_distributions(s, m, wi, draws=400, seed=5, spread=0.1)
    again = compare_distributions(s, m, wi, draws=400, seed=5, spread=0.1)
    assert (dist.result.draws == again.result.draws).all()
    from realpolitik.analysis.montecarlo import simulate

    direct = simulate(s.without_actor("d"), m, draws=400, seed=5, spread=0.1, chunk_size=dist.result.chunk_size)
    assert (direct.draws == dist.result.draws).all()
    # without spread or distributions both collapse to the point comparison
    flat = compare_distributions(scenario(), m, wi, draws=20, seed=1)
    point = compare(scenario(), m, wi)
    assert flat.result.summary()["x"]["mean"] == pytest.approx(point.result.forecast["x"])
    table = dist.table()
    assert table.rows[0][0] == "x" and len(table.rows) == 2
    assert json.loads(json.dumps(dist.to_dict()))["analysis"] == "what-if-monte-carlo"


def test_cli_whatif_with_draws(capsys):
    from realpolitik.cli import main

    code = main(["whatif", "-m", "weighted-median", "--remove", "washington", "-n", "300", "--spread", "0.1",
                 "--seed", "2", "--json"])  # fmt: skip
    assert code == 0
    data = json.loads(capsys.readouterr().out)
    assert data["distributions"]["baseline"]["details"]["draws"] == 300
    assert data["distributions"]["whatif"]["seed"] == 2
    assert main(["whatif", "-m", "weighted-median", "-n", "10"]) == 2
