"""Scenario formats: round trips (YAML, JSON, Excel, CSV), the BDM anchor tables, Excel layouts."""

from __future__ import annotations

import io
import string
from pathlib import Path

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from realpolitik.errors import ScenarioError
from realpolitik.scenario import Scenario, builtin_names, load_bytes, load_scenario
from realpolitik.scenario.fidelity import _canonical_actor, lost_content
from realpolitik.scenario.writers import render_scenario, write_scenario

HERE = Path(__file__).resolve().parent
ANCHORS = HERE / "data" / "anchors"  # tests/data/SOURCES.md
FULL = HERE / "data" / "foundation_full.yaml"
#: what a flat CSV cannot hold (the writer refuses unless lossy=True)
CSV_LOSES = ("events", "sources", "extensions", "uncertainty", "war")


def via(scenario: Scenario, fmt: str, lossy: bool = False) -> Scenario:
    return load_bytes(render_scenario(scenario, fmt, lossy=lossy), f"converted.{fmt}")


def csv_view(data: dict) -> dict:
    """The part of ``Scenario.to_data()`` a flat CSV holds."""
    out = {k: v for k, v in data.items() if k not in CSV_LOSES}
    out["issues"] = [{k: v for k, v in i.items() if k != "points"} for i in data["issues"]]
    out["actors"] = [_canonical_actor({k: v for k, v in a.items() if k != "notes"}) for a in data["actors"]]
    return out


# ------------------------------------------------------------------ built-ins and the fixture
SCENARIOS = [*builtin_names(), str(FULL)]


@pytest.mark.parametrize("source", SCENARIOS)
@pytest.mark.parametrize("fmt", ["json", "xlsx", "yaml"])
def test_yaml_to_format_to_yaml_loses_nothing(source, fmt):
    s = load_scenario(source)
    back = via(s, fmt)
    again = via(back, "yaml")
    assert again.to_data() == s.to_data()
    assert again.content_hash() == s.content_hash()


@pytest.mark.parametrize("source", SCENARIOS)
def test_yaml_to_csv_to_yaml_keeps_actors_and_issues(source):
    s = load_scenario(source)
    back = via(via(s, "csv", lossy=True), "yaml")
    assert csv_view(back.to_data()) == csv_view(s.to_data())


def test_csv_writer_names_what_would_be_lost():
    s = load_scenario(str(FULL))
    with pytest.raises(ScenarioError) as exc:
        render_scenario(s, "csv")
    (problem,) = exc.value.problems
    msg = problem.message
    for what in ("events (2)", "sources (2)", "labelled points (1 issue: settlement)", "notes (1 actor: alpha)", "--lossy"):
        assert what in msg
    assert "\n" not in str(exc.value)


def test_csv_writer_without_losses_needs_no_flag():
    s = load_scenario(str(FULL))
    plain = s.replace(events=(), sources=(), issues=[i.model_copy(update={"points": ()}) for i in s.issues],
                      actors=[a.model_copy(update={"notes": ()}) for a in s.actors])
    text = render_scenario(plain, "csv").decode()
    assert "# scale.tempo: -5..5" in text
    assert "# status_quo.settlement: 40" in text
    assert via(plain, "csv").to_data() == plain.to_data()


def test_csv_written_saliences_are_declared_0_100():
    # all saliences <= 1 would otherwise be read as a 0-1 scale
    s = Scenario.model_validate(
        {
            "title": "small saliences",
            "issues": [{"id": "x"}],
            "actors": [
                {"id": "a", "capability": 1, "positions": {"x": 0}, "saliences": {"x": 0.5}},
                {"id": "b", "capability": 1, "positions": {"x": 100}, "saliences": {"x": 1}},
            ],
        }
    )
    assert "# salience_scale: 0-100" in render_scenario(s, "csv").decode()
    assert via(s, "csv").to_data() == s.to_data()


def test_write_scenario_refuses_without_touching_the_target(tmp_path):
    target = tmp_path / "out.csv"
    with pytest.raises(ScenarioError):
        write_scenario(load_scenario(str(FULL)), target)
    assert list(tmp_path.iterdir()) == []


# ------------------------------------------------------------------ random scenarios
ident = st.from_regex(r"[a-z][a-z0-9_.-]{0,6}( [a-z0-9]{1,3})?", fullmatch=True)
text = st.text(alphabet=string.ascii_letters + string.digits + " ,.;:'()=-/&", min_size=1, max_size=30).map(
    str.strip
).filter(bool)
finite = st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False)


@st.composite
def scenarios(draw) -> Scenario:
    n_issues = draw(st.integers(1, 3))
    issue_ids = draw(st.lists(ident, min_size=n_issues, max_size=n_issues, unique=True))
    issues = []
    for iid in issue_ids:
        lo = draw(finite)
        hi = lo + draw(st.floats(1e-3, 1e6))
        item = {"id": iid, "min": lo, "max": hi, "label": draw(st.one_of(st.just(""), text))}
        if draw(st.booleans()):
            item["status_quo"] = draw(st.floats(lo, hi))
        if draw(st.booleans()):
            item["description"] = draw(text)
        if draw(st.booleans()):
            vals = sorted(set(draw(st.lists(st.floats(lo, hi), min_size=1, max_size=3))))
            item["points"] = [{"value": v, "label": draw(text)} for v in vals]
        issues.append(item)
    n_actors = draw(st.integers(2, 5))
    actor_ids = draw(st.lists(ident, min_size=n_actors, max_size=n_actors, unique=True))
    actors = []
    for aid in actor_ids:
        taken = draw(st.lists(st.sampled_from(issues), min_size=1, max_size=len(issues), unique_by=lambda i: i["id"]))
        taken = [i for i in issues if i in taken]  # scenario order
        a = {
            "id": aid,
            "capability": draw(st.floats(1e-3, 1e4)),
            "positions": {i["id"]: draw(st.floats(i["min"], i["max"])) for i in taken},
            "saliences": {i["id"]: draw(st.floats(0, 100)) for i in taken},
        }
        if len(taken) > 1 and draw(st.booleans()):
            a["capability_by_issue"] = {taken[-1]["id"]: draw(st.floats(1e-3, 1e4))}
        for key in ("name", "group", "description"):
            if draw(st.booleans()):
                a[key] = draw(text)
        if draw(st.booleans()):
            a["notes"] = [{"field": "capability", "text": draw(text), "source": "s1"}]
        actors.append(a)
    if draw(st.booleans()):
        actors[-1]["parent"] = actors[0]["id"]
        # nested-actor rule: a sub-actor's capability is a share of its parent's (on every issue)
        parent = actors[0]
        top = min([parent["capability"], *parent.get("capability_by_issue", {}).values()])
        actors[-1]["capability"] = top / 2
        actors[-1].pop("capability_by_issue", None)
    data = {"title": draw(text), "issues": issues, "actors": actors}
    if draw(st.booleans()):
        data["as_of"] = draw(st.dates()).isoformat()
    if draw(st.booleans()):
        data["description"] = draw(text) + "\nsecond line"
    if draw(st.booleans()):
        data["sources"] = [{"id": "s1", "title": draw(text), "quote": "=not a formula"}]
    if draw(st.booleans()):
        data["events"] = [
            {
                "round": draw(st.integers(0, 10)),
                "description": draw(text),
                "changes": [{"actor": actors[0]["id"], "field": "capability", "value": draw(st.floats(0.1, 10))}],
            }
        ]
    return Scenario.model_validate(data)


ROUND = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


@ROUND
@given(scenarios(), st.sampled_from(["json", "xlsx", "yaml"]))
def test_random_scenarios_round_trip_exactly(s, fmt):
    assert via(via(s, fmt), "yaml").to_data() == s.to_data()


@ROUND
@given(scenarios())
def test_random_scenarios_round_trip_through_csv(s):
    data = s.to_data()
    back = via(s, "csv", lossy=True)
    assert csv_view(back.to_data()) == csv_view(data)
    lossless = csv_view(data) == {**data, "actors": [_canonical_actor(a) for a in data["actors"]]}
    try:
        render_scenario(s, "csv")
        refused = False
    except ScenarioError:
        refused = True
    assert refused == (not lossless)


# ------------------------------------------------------------------ the BDM tables
BDM_TABLES = sorted(
    p for p in [ANCHORS / "bdm" / "emission_inputs.csv", *(ANCHORS / "bdm" / "cases").glob("*.csv")]
    if "reference" not in p.name
)


@pytest.mark.skipif(not BDM_TABLES, reason="shared anchors not present")
@pytest.mark.parametrize("path", BDM_TABLES, ids=lambda p: p.name)
def test_every_bdm_table_loads(path):
    import csv

    s = load_scenario(path)
    with open(path, newline="", encoding="utf-8-sig") as fh:
        rows = [r for r in csv.reader(fh) if r and any(c.strip() for c in r)]
    assert len(s.actors) == len(rows) - 1
    assert len(s.issues) == 1
    a = s.arrays()
    assert (a.capability > 0).all() and ((a.salience >= 0) & (a.salience <= 1)).all()


def test_bdm_column_aliases_and_unit_saliences():
    hond = load_scenario(ANCHORS / "bdm" / "cases" / "honduras_crisis.csv")  # Stakeholder/Resources, 0-1
    cr = hond.actor("Costa_Rica")
    assert cr.name == "Costa Rica"
    assert cr.saliences["issue"] == pytest.approx(30.0)
    assert cr.capability == pytest.approx(0.0001189)
    iran = load_scenario(ANCHORS / "bdm" / "cases" / "iran_election_2013.csv")  # Name,x,c,s
    assert iran.actor("Jalili").positions["issue"] == 1 and iran.actor("Jalili").capability == 0.24
    greece = load_scenario(ANCHORS / "bdm" / "cases" / "greece_debt_2015.csv")  # Clout, 0-100
    assert greece.actor("Greece").saliences["issue"] == 100.0
    ec = load_scenario(ANCHORS / "bdm" / "emission_inputs.csv")
    builtin = load_scenario("ec-emissions")
    assert ec.arrays().position.tolist() == builtin.arrays().position.tolist()


# ------------------------------------------------------------------ Excel layouts
def book(sheets: dict[str, list[list]]) -> bytes:
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for title, rows in sheets.items():
        ws = wb.create_sheet(title)
        for r in rows:
            ws.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def test_xlsx_single_flat_sheet_like_a_bdm_table():
    raw = book(
        {
            "Sheet1": [
                ["# title: China 1989 (excerpt)"],
                ["# scale: 0-100"],
                ["Stakeholder", "Resources", "Position", "Salience"],
                ["Zeming", 80, 25, 50],
                ["Lipeng", 90, 15, 80],
                [None],
                ["Deng Xiaoping", 100, 40, 90],
            ]
        }
    )
    s = load_bytes(raw, "china.xlsx")
    assert s.title == "China 1989 (excerpt)"
    assert s.actor_ids == ("Zeming", "Lipeng", "Deng_Xiaoping")
    assert (s.issues[0].min, s.issues[0].max) == (0, 100)


def test_xlsx_flat_sheet_errors_name_sheet_row_and_column():
    raw = book({"Data": [["Actor", "Clout", "Position", "Salience"], ["A", "lots", 1, 50], ["B", 2, 3, 500]]})
    with pytest.raises(ScenarioError) as exc:
        load_bytes(raw, "case.xlsx")
    lines = exc.value.lines()
    assert lines[0] == "case.xlsx:Data:2:Clout: capability 'lots' is not a number; expected a number greater than 0"
    assert any(line.startswith("case.xlsx:Data:3:Salience: salience is 500") for line in lines)
    assert len(lines) == 2


def test_xlsx_workbook_errors_name_the_cell():
    s = load_scenario(str(FULL))
    wb = openpyxl.load_workbook(io.BytesIO(render_scenario(s, "xlsx")))
    ws = wb["actors"]
    ws["D2"] = "ten"  # Capability of alpha
    ws["G4"] = 250  # Salience of 'alpha military'
    ws.append(["zeta", None, "nowhere", 1, None, 5, 50])
    wb["events"]["H2"] = "omega"  # an event's actor
    buf = io.BytesIO()
    wb.save(buf)
    with pytest.raises(ScenarioError) as exc:
        load_bytes(buf.getvalue(), "full.xlsx")
    lines = exc.value.lines()
    assert "full.xlsx:actors!D2: capability 'ten' is not a number; expected a number greater than 0" in lines
    assert any(line.startswith("full.xlsx:actors!G4: salience is 250; expected a number in 0-100") for line in lines)
    assert any(line.startswith("full.xlsx:actors!C8: unknown issue id 'nowhere'") for line in lines)
    assert any(line.startswith("full.xlsx:events!H2: event refers to unknown actor 'omega'") for line in lines)
    assert len(lines) == 4, lines


def test_xlsx_text_that_looks_like_a_formula_stays_text():
    s = load_scenario(str(FULL))
    s2 = s.replace(description="=SUM(A1:A3) is not a formula")
    assert via(s2, "xlsx").description == "=SUM(A1:A3) is not a formula"


def test_xlsx_missing_actors_columns():
    raw = book({"actors": [["Actor", "Capability"], ["a", 1]]})
    with pytest.raises(ScenarioError) as exc:
        load_bytes(raw, "x.xlsx")
    assert exc.value.lines() == [
        "x.xlsx:actors!1: missing required column(s): Position, Salience; found columns: Actor, Capability"
    ]


def test_xlsx_actors_sheet_without_issue_column():
    raw = book(
        {
            "meta": [["Key", "Value"], ["title", "One issue"], ["salience_scale", "0-1"]],
            "issues": [["Id", "Min", "Max"], ["oil", 0, 50]],
            "actors": [
                ["Actor", "Capability", "Position", "Salience"],
                ["EUR/JPN", 0.5, 12.85, 0.4],
                ["USA", 0.9, 13, 0.8],
            ],
        }
    )
    s = load_bytes(raw, "one.xlsx")
    assert s.actor_ids == ("EURJPN", "USA")
    assert s.actor("EURJPN").name == "EUR/JPN"
    assert s.actor("USA").saliences == {"oil": 80.0}
    two = book({"issues": [["Id"], ["a"], ["b"]], "actors": [["Actor", "Capability", "Position", "Salience"]]})
    with pytest.raises(ScenarioError, match="needs an Issue column: the issues sheet has 2 issues"):
        load_bytes(two, "two.xlsx")


def test_xlsx_garbage_is_not_a_workbook():
    with pytest.raises(ScenarioError) as exc:
        load_bytes(b"PK\x03\x04" + b"\x00garbage" * 100, "x.xlsx")
    assert exc.value.lines()[0].startswith("x.xlsx: not a readable Excel workbook")
    with pytest.raises(ScenarioError) as exc:
        load_bytes(b"plain text", "x.xlsx")
    assert "not an Excel workbook" in exc.value.lines()[0]


# ------------------------------------------------------------------ CSV metadata
def test_csv_metadata_keys_per_issue():
    raw = b"""# title: Two issues
# issues: b, a
# scale.a: 0-10
# label.a: Issue A
# status_quo.a: 2.5
# scale.b: -1..1
# description.b: "line one\\nline two"
Actor,Issue,Capability,Position,Salience
X,a,1,3,50
X,b,1,0.5,40
Y,a,2,7,60
Y,b,2,-0.5,80
"""
    s = load_bytes(raw, "two.csv")
    assert s.issue_ids == ("b", "a")
    a, b = s.issue("a"), s.issue("b")
    assert (a.min, a.max, a.label, a.status_quo) == (0, 10, "Issue A", 2.5)
    assert (b.min, b.max, b.description) == (-1, 1, "line one\nline two")


def test_fidelity_names_every_kind_of_loss():
    s = load_scenario(str(FULL)).to_data()
    poorer = {**s, "events": [], "issues": [dict(s["issues"][0], points=[]), s["issues"][1]]}
    poorer.pop("events")
    lost = lost_content(s, poorer)
    assert lost == ["events (2)", "labelled points (1 issue: settlement)"]


ALL_BDM_FILES = sorted(p for d in (ANCHORS / "bdm", ANCHORS / "bdm" / "cases") if d.is_dir() for p in d.iterdir() if p.is_file())


@pytest.mark.skipif(not ALL_BDM_FILES, reason="shared anchors not present")
@pytest.mark.parametrize("path", ALL_BDM_FILES, ids=lambda p: p.name)
def test_every_file_in_the_bdm_anchors_loads_or_says_why_not(path):
    """Input tables load; reference outputs and notes fail with one-line messages, never a crash."""
    try:
        s = load_scenario(path)
    except ScenarioError as exc:
        assert path not in BDM_TABLES
        assert exc.problems and all("\n" not in line for line in exc.lines())
        assert all(line.startswith(str(path)) for line in exc.lines())
    else:
        assert path in BDM_TABLES and len(s.actors) >= 2


def test_excel_holds_uncertain_events(tmp_path):
    """Issue 13: the default scenario's Kursk hardening is uncertain; Excel keeps it."""
    s = load_scenario("russia-ukraine-2024")
    ev = s.events[0]
    assert any(ch.distribution is not None for ch in ev.changes)
    back = via(s, "xlsx")
    assert [ch.distribution for ch in back.events[0].changes] == [ch.distribution for ch in ev.changes]
    data = s.model_dump()
    data["events"][0]["probability"] = 0.7
    data["events"][0]["changes"][0]["distribution"] = {"dist": "normal", "mean": 80.0, "sd": 5.0}
    s2 = type(s).model_validate(data)
    back2 = via(s2, "xlsx")
    assert back2.events[0].probability == 0.7
    assert back2.events[0].changes[0].distribution.dist == "normal" and back2.events[0].changes[0].distribution.sd == 5.0
