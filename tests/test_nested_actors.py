"""Nested actors: a sub-actor's capability is a share of its parent's, in every one-level model."""

import numpy as np
import pytest

from realpolitik.errors import ScenarioError
from realpolitik.models import ScenarioBatch, available_models, get_model
from realpolitik.scenario import load_scenario
from realpolitik.scenario.model import Scenario
from realpolitik.scenario.nested import one_level_capability, own_capability, parent_matrix

#: the two-level war layer reads sub-actors as domestic pressure, not as shares of weight
ONE_LEVEL = sorted(n for n in available_models() if n != "war")


def nested_data(extra_kids: bool = True) -> dict:
    issues = [{"id": "p", "min": 0, "max": 100, "status_quo": 50}, {"id": "q", "min": 0, "max": 10}]
    actors = [
        {"id": "state", "capability": 100, "positions": {"p": 20, "q": 2}, "saliences": {"p": 80, "q": 60}},
        {"id": "rival", "capability": 90, "positions": {"p": 75, "q": 8}, "saliences": {"p": 70, "q": 50}},
        {"id": "third", "capability": 40, "positions": {"p": 55, "q": 6}, "saliences": {"p": 60, "q": 70}},
    ]
    if extra_kids:
        actors += [
            {"id": "army", "parent": "state", "capability": 30, "positions": {"p": 10, "q": 1},
             "saliences": {"p": 90, "q": 40}},
            {"id": "public", "parent": "state", "capability": 20, "positions": {"p": 35},
             "saliences": {"p": 50}},  # takes no part in q: its share stays with the state there
            {"id": "hawks", "parent": "army", "capability": 10, "positions": {"p": 0, "q": 0},
             "saliences": {"p": 95, "q": 30}},  # nested one level deeper
        ]  # fmt: skip
    return {"title": "nested", "issues": issues, "actors": actors}


def flattened(scen: Scenario) -> Scenario:
    """The same scenario with the rule applied by hand: own capabilities per issue, no parents."""
    own = one_level_capability(scen)
    data = scen.model_dump()
    for r, a in enumerate(data["actors"]):
        a["parent"] = None
        a["capability"] = float(own[r, 0])
        a["capability_by_issue"] = {iid: float(own[r, c]) for c, iid in enumerate(scen.issue_ids)
                                    if own[r, c] != own[r, 0]}  # fmt: skip
    return Scenario.model_validate(data)


def test_own_capability_by_hand():
    scen = Scenario.model_validate(nested_data())
    own = one_level_capability(scen)
    ids = list(scen.actor_ids)
    row = {a: own[ids.index(a)] for a in ids}
    # issue p: the state keeps 100 - 30 - 20 = 50; the army keeps 30 - 10 = 20
    assert row["state"][0] == 50 and row["army"][0] == 20 and row["hawks"][0] == 10 and row["public"][0] == 20
    # issue q: the public takes no part, so its 20 stays with the state
    assert row["state"][1] == 70
    # the family weighs what its parent weighs, on every issue where it takes part
    fam = [ids.index(a) for a in ("state", "army", "public", "hawks")]
    active = scen.arrays().active
    assert (own[fam, 0] * active[fam, 0]).sum() == 100 and (own[fam, 1] * active[fam, 1]).sum() == 100
    # a group label as parent names no capability to share
    data = nested_data(False)
    data["actors"][2]["group"] = "bloc"
    data["actors"][1]["parent"] = "bloc"
    flat = Scenario.model_validate(data)
    np.testing.assert_array_equal(one_level_capability(flat), flat.arrays().capability)


def test_vectorised_over_draws():
    scen = Scenario.model_validate(nested_data())
    a = scen.arrays()
    cap = np.stack([a.capability, 2 * a.capability])
    pos = np.stack([a.position, a.position])
    out = own_capability(cap, pos, parent_matrix(scen.actors))
    np.testing.assert_allclose(out[1], 2 * out[0])


@pytest.mark.parametrize("name", ONE_LEVEL)
def test_every_one_level_model_applies_the_rule(name):
    """Each one-level model forecasts the nested scenario as if its capabilities were the own
    shares written out by hand (no parents): the rule is applied, once, in every model."""
    scen = Scenario.model_validate(nested_data())
    opts = {"draws": 0} if name == "ensemble" else {}
    model = get_model(name, **opts)
    got = model.run(scen, rng=4).forecast
    want = model.run(flattened(scen), rng=4).forecast
    assert got == pytest.approx(want, nan_ok=True), name
    if name != "ensemble":  # the batch path applies it to every draw as well
        fc = model.forecast_batch(ScenarioBatch.repeat(scen, 2), np.random.default_rng(4))
        np.testing.assert_allclose(fc[0], [got[i] for i in scen.issue_ids], atol=1e-9)


def test_listing_constituencies_does_not_grow_a_country():
    """A country with its constituencies at its own position weighs what it weighed alone."""
    alone = Scenario.model_validate(nested_data(False))
    data = nested_data(False)
    data["actors"] += [{"id": f"c{k}", "parent": "state", "capability": 10, "positions": {"p": 20, "q": 2},
                        "saliences": {"p": 80, "q": 60}} for k in range(5)]  # fmt: skip
    listed = Scenario.model_validate(data)
    for name in ("weighted-mean", "weighted-median", "nash"):
        a, b = get_model(name).run(alone).forecast, get_model(name).run(listed).forecast
        assert a == pytest.approx(b), name


def test_validator_parent_must_keep_a_share(tmp_path):
    data = nested_data()
    data["actors"][3]["capability"] = 85  # army 85 + public 20 >= state 100
    with pytest.raises(ValueError, match="sub-actors of 'state' on issue 'p' .*sum 105.* less than its capability 100"):
        Scenario.model_validate(data)
    f = tmp_path / "bad.yaml"
    f.write_text(
        "title: t\nissues: [{id: p}]\nactors:\n"
        "  - {id: a, capability: 10, positions: {p: 1}, saliences: {p: 50}}\n"
        "  - {id: b, parent: a, capability: 12, positions: {p: 2}, saliences: {p: 50}}\n"
        "  - {id: c, capability: 5, positions: {p: 9}, saliences: {p: 50}}\n"
    )
    with pytest.raises(ScenarioError) as exc:
        load_scenario(f)
    lines = exc.value.lines()
    assert len(lines) == 1 and "bad.yaml" in lines[0] and "share of its parent's" in lines[0]


def test_validator_cycles_and_distribution_ends():
    data = nested_data(False)
    data["actors"][0]["parent"] = "rival"
    data["actors"][1]["parent"] = "state"
    with pytest.raises(ValueError, match="form a cycle"):
        Scenario.model_validate(data)
    data = nested_data()
    data["uncertainty"] = [{"path": "army.capability", "dist": "uniform", "low": 20, "high": 85}]
    with pytest.raises(ValueError, match="at the ends of their ranges .*army 85"):
        Scenario.model_validate(data)


def test_default_scenario_russia_weighs_the_kremlins_100():
    scen = load_scenario()
    own = one_level_capability(scen)
    ids = list(scen.actor_ids)
    russia = [ids.index(a) for a in ("putin", "russian_military", "russian_public", "russian_elites")]
    assert own[russia].sum(axis=0) == pytest.approx([100.0] * len(scen.issues))
    assert own[ids.index("putin"), 0] == pytest.approx(49.0)
