"""The default scenario (russia-ukraine-2024): content, provenance of every number, events.

The scenario encodes the seed commentary (The Duran, 17 October 2024).  These tests pin
what the issue asks of it: the actors and issues it must have, a note with a rationale
for every number, quotes that are verbatim in the seed, the Kursk event, and that the
baseline models run on it and forecast inside the actors' positions.
"""

from __future__ import annotations

import re

import numpy as np
import pytest

from realpolitik.scenario import load_scenario
from realpolitik.scenario.io import DEFAULT_SCENARIO, builtin_names, builtin_path

NAME = "russia-ukraine-2024"

REQUIRED_ACTORS = {
    "putin",
    "russian_military",
    "russian_public",
    "russian_elites",
    "zelensky",
    "washington",
    "nato_europe",
    "israel",
    "iran",
}
RUSSIAN_SUB_ACTORS = {"russian_military", "russian_public", "russian_elites"}
REQUIRED_ISSUES = ("settlement", "operations", "alignment", "middle_east")
BASELINES = ("weighted-mean", "weighted-median", "nash", "status-quo")


@pytest.fixture(scope="module")
def scen():
    return load_scenario(NAME)


def _all_quotes(scen) -> list[tuple[str, str]]:
    """Every quote in the scenario as (where, quote)."""
    out: list[tuple[str, str]] = []
    for s in scen.sources:
        if s.quote and s.id == "seed":
            out.append((f"sources.{s.id}", s.quote))
    for a in scen.actors:
        for n in a.notes:
            if n.quote:
                out.append((f"{a.id}.{n.field}", n.quote))
    for e in scen.events:
        if e.quote:
            out.append((f"events.{e.id}", e.quote))
    return out


# ------------------------------------------------------------------ loading
def test_is_the_default_and_a_builtin(scen):
    assert DEFAULT_SCENARIO == NAME
    assert NAME in builtin_names()
    assert load_scenario().content_hash() == scen.content_hash()


def test_metadata(scen):
    assert scen.as_of.isoformat() == "2024-10-17"
    assert "Kursk" in scen.title
    seed = next(s for s in scen.sources if s.id == "seed")
    for name in ("Duran", "Helmer", "Doctorow", "Mercouris", "17 October 2024"):
        assert name in (seed.title + " " + (seed.citation or "")), name
    assert any(s.id == "public-record" for s in scen.sources)


def test_no_war_section_yet_and_file_ends_cleanly():
    # The war layer appends its own ``war:`` section; this file must not pre-empt it.
    text = builtin_path(NAME).read_text(encoding="utf-8")
    assert text.endswith("\n")
    assert "extensions" not in text


# ------------------------------------------------------------------ issues
def test_issues_and_labelled_points(scen):
    assert scen.issue_ids == REQUIRED_ISSUES
    for iss in scen.issues:
        assert (iss.min, iss.max) == (0, 100), iss.id
        assert 4 <= len(iss.points) <= 6, iss.id
        assert iss.points[0].value == 0 and iss.points[-1].value == 100, iss.id
        assert iss.label and iss.description, iss.id
        assert iss.status_quo is not None, iss.id
    labels = {i.id: (i.points[0].label.lower(), i.points[-1].label.lower()) for i in scen.issues}
    assert "1991 borders" in labels["settlement"][0] and "nato" in labels["settlement"][0]
    assert "ceases to exist" in labels["settlement"][1]
    assert "ceasefire" in labels["operations"][0]
    assert "full military victory" in labels["operations"][1]
    assert labels["alignment"][0] == "nato membership"
    assert "neutral" in labels["alignment"][1] and "demilitarised" in labels["alignment"][1]
    assert "disengages" in labels["middle_east"][0]
    assert "deter attacks on partners" in labels["middle_east"][1]


# ------------------------------------------------------------------ actors
def test_required_actors_and_structure(scen):
    ids = set(scen.actor_ids)
    assert REQUIRED_ACTORS <= ids
    for aid in RUSSIAN_SUB_ACTORS:
        a = scen.actor(aid)
        assert a.parent == "putin", aid
        assert a.group == "russia", aid
    assert scen.actor("putin").parent is None
    for a in scen.actors:
        assert a.group in {"russia", "ukraine", "west", "middle_east"}, a.id
        assert a.name, a.id
        # every actor takes part in every issue (Israel and Iran too, at low salience)
        assert set(a.positions) == set(REQUIRED_ISSUES), a.id
    # Israel and Iran matter most on the Middle East issue
    for aid in ("israel", "iran"):
        sal = scen.actor(aid).saliences
        assert sal["middle_east"] == max(sal.values()) and sal["middle_east"] >= 80
        assert all(sal[i] <= 30 for i in ("settlement", "operations", "alignment"))


def test_every_number_has_a_note_with_rationale(scen):
    source_ids = {s.id for s in scen.sources}
    for a in scen.actors:
        expected = {"capability"}
        for iid in a.positions:
            expected |= {f"position.{iid}", f"salience.{iid}"}
        expected |= {f"capability.{iid}" for iid in a.capability_by_issue}
        fields = [n.field for n in a.notes]
        assert len(fields) == len(set(fields)), f"{a.id}: duplicate notes"
        assert set(fields) == expected, f"{a.id}: missing {expected - set(fields)}, extra {set(fields) - expected}"
        for n in a.notes:
            where = f"{a.id}.{n.field}"
            assert len(n.text.strip()) >= 15, f"{where}: rationale too short"
            assert "\n" not in n.text, f"{where}: rationale must be one line"
            assert n.source in source_ids, f"{where}: unknown source {n.source!r}"
            if n.quote is None:
                # where the seed is silent the rationale says so
                assert "judgement" in n.text, f"{where}: no quote and not marked as judgement"
                assert n.source == "public-record", where
            else:
                assert n.source == "seed", where


def test_every_quote_is_verbatim_in_the_seed(scen, seed_text):
    quotes = _all_quotes(scen)
    assert len(quotes) >= 30
    missing = [where for where, q in quotes if q not in seed_text]
    assert not missing, f"quotes not found verbatim in the seed: {missing}"


def test_quote_check_catches_a_paraphrase(seed_text):
    # The check above is meaningful: a paraphrase with straight apostrophes fails it.
    assert "Russia's national security" not in seed_text
    assert "Russia’s national security" in seed_text


def test_numbers_follow_the_seed_ordering(scen):
    """Orderings the seed states, independent of the exact numbers."""
    pos = {a.id: a.positions for a in scen.actors}
    # public and military may push beyond Putin's "existing realities"
    assert pos["russian_public"]["settlement"] > pos["putin"]["settlement"]
    assert pos["russian_military"]["settlement"] > pos["putin"]["settlement"]
    # Zelensky insists on NATO membership; Russia rejects it
    assert pos["zelensky"]["alignment"] == 0
    assert all(pos[a]["alignment"] >= 75 for a in {"putin"} | RUSSIAN_SUB_ACTORS)
    # Putin's "existing realities" lie on Russia's June 2024 terms
    iss = scen.issue("settlement")
    assert iss.nearest_point(pos["putin"]["settlement"]).label.startswith("Russia's June 2024 terms")
    # Israel presses Russia to stay low; Iran and Syria want protection
    assert pos["israel"]["middle_east"] < scen.issue("middle_east").status_quo < pos["iran"]["middle_east"]


def test_capability_index(scen):
    """Capability is indexed to the Kremlin (= 100); sub-actors weigh less than their parent,
    and the West, which commits no forces, sits below the Kremlin (docs/DECISIONS.md)."""
    cap = {a.id: a.capability for a in scen.actors}
    assert cap["putin"] == 100 == max(cap.values())
    assert all(cap[a] < cap["putin"] for a in RUSSIAN_SUB_ACTORS)
    assert cap["washington"] < cap["putin"] and cap["nato_europe"] < cap["washington"]
    assert not any(a.capability_by_issue for a in scen.actors)


# ------------------------------------------------------------------ events
def test_kursk_event(scen):
    ev = next(e for e in scen.events if e.id == "kursk_failure")
    assert ev.round in (0, 1)
    assert (ev.date.year, ev.date.month) == (2024, 10)
    assert "Kursk" in ev.description and ev.quote and ev.source == "seed"
    ids = set(scen.actor_ids)
    assert ev.changes
    for ch in ev.changes:
        assert ch.actor in ids
        assert ch.issue is None or ch.issue in scen.issue_ids
    after = scen.apply_event(ev)
    for aid in ("russian_public", "russian_military", "russian_elites"):
        before_x = scen.actor(aid).positions["settlement"]
        assert after.actor(aid).positions["settlement"] > before_x, aid  # hardens
        assert after.actor(aid).saliences["settlement"] >= scen.actor(aid).saliences["settlement"], aid
    assert after.actor("zelensky").capability < scen.actor("zelensky").capability
    # Putin is not moved directly: the pressure on him is for the models to derive
    assert after.actor("putin") == scen.actor("putin")


def test_only_seed_supported_events(scen):
    for e in scen.events:
        assert e.source == "seed" and e.quote, e.id


# ------------------------------------------------------------------ models
@pytest.mark.parametrize("model", BASELINES)
def test_baselines_forecast_within_positions(scen, model):
    from realpolitik.models import get_model

    result = get_model(model).run(scen)
    a = scen.arrays()
    lo = np.nanmin(a.position, axis=0)
    hi = np.nanmax(a.position, axis=0)
    for c, iid in enumerate(a.issues):
        x = result.forecast[iid]
        assert np.isfinite(x)
        assert lo[c] - 1e-9 <= x <= hi[c] + 1e-9, (model, iid, x)
    # the result serialises
    assert result.to_dict()["forecast"] == result.forecast


def test_weighted_mean_by_hand_on_settlement(scen):
    """The compromise model on one issue, computed from the file's numbers by hand, with the
    nested-actor rule: Putin's own capability is the Kremlin's 100 less his constituencies'."""
    from realpolitik.models import get_model

    def own(a):
        return a.capability - sum(b.capability for b in scen.actors if b.parent == a.id)

    assert own(scen.actor("putin")) == 100 - 27 - 15 - 9
    num = sum(own(a) * a.saliences["settlement"] * a.positions["settlement"] for a in scen.actors)
    den = sum(own(a) * a.saliences["settlement"] for a in scen.actors)
    got = get_model("weighted-mean").run(scen).forecast["settlement"]
    assert got == pytest.approx(num / den)


def test_cli_validate_and_forecast_default(capsys, monkeypatch):
    import json

    monkeypatch.setenv("REALPOLITIK_DB", "off")  # do not write to the user's run history

    from realpolitik.cli import main

    assert main(["validate", NAME, "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["valid"] and summary["actors"] >= 9 and summary["issues"] == 4
    assert main(["forecast", "--model", "weighted-mean", "--json"]) == 0
    payload = json.loads(capsys.readouterr().out)["results"][0]  # the one document shape
    assert set(payload["forecast"]) == set(REQUIRED_ISSUES)
    assert re.match(r"sha256:[0-9a-f]{64}$", payload["scenario"]["hash"])


def test_make_demo_command_runs(capsys, monkeypatch):
    """``make demo`` runs ``realpolitik forecast`` with no argument: every standard model on
    the default scenario must succeed and print one forecast per issue."""
    import json

    monkeypatch.setenv("REALPOLITIK_DB", "off")
    from realpolitik.cli import main

    assert main(["forecast", "--json", "--seed", "1"]) == 0
    payload = json.loads(capsys.readouterr().out)
    results = payload.get("results", [payload])
    assert len(results) >= 3
    by_model = {r["model"]: r for r in results}
    for name in ("weighted-mean", "weighted-median", "nash"):
        assert set(by_model[name]["forecast"]) == set(REQUIRED_ISSUES), name
    for r in results:
        # layers such as the war model may forecast a subset of the issues
        assert set(r["forecast"]) <= set(REQUIRED_ISSUES), r["model"]
        assert all(0 <= v <= 100 for v in r["forecast"].values()), r["model"]
