"""KTAB's SMP file formats: CSV and XML readers (and the CSV writer)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from realpolitik.errors import ScenarioError
from realpolitik.scenario.io import load_bytes, load_scenario

KTAB = Path(__file__).resolve().parent / "data" / "anchors" / "ktab"  # tests/data/SOURCES.md
INPUTS = KTAB / "inputs"

needs_anchors = pytest.mark.skipif(not INPUTS.exists(), reason="shared KTAB anchors not present")

SIZES = {
    "dummyData_3Dim": (7, 3),
    "dummyData_3Dim-no-final-comma": (7, 3),
    "SOE-Policy": (26, 1),
    "SOE-Competitive": (34, 1),
    "SOE-Pol-Comp": (13, 2),
    "dummyData_6Dim": (27, 6),
    "dummyData-a040": (40, 1),
    "dummyData-a080": (80, 1),
    "dummyData-a160": (160, 1),
    "synth_n10_d3": (10, 3),
}


@needs_anchors
@pytest.mark.parametrize("stem", sorted(SIZES))
def test_every_ktab_csv_loads(stem):
    s = load_scenario(INPUTS / f"{stem}.csv")
    n, m = SIZES[stem]
    assert len(s.actors) == n and len(s.issues) == m
    a = s.arrays()
    assert np.all((a.position >= 0) & (a.position <= 100))
    assert np.all(a.salience.sum(axis=1) <= 1.0 + 1e-9)
    assert all(i.min == 0 and i.max == 100 for i in s.issues)
    assert s.extensions["ktab"]["format"] == "csv"


@needs_anchors
def test_csv_values_and_names():
    s = load_scenario(INPUTS / "SOE-Pol-Comp.csv")
    assert s.issue_ids == ("Policy", "Competitive")
    assert s.issues[0].label == "Policy Position"
    xj = s.actors[0]
    assert xj.id == "XJ" and xj.description == "Xi Jinping"
    assert xj.capability == 100.0
    assert xj.positions == {"Policy": 30.0, "Competitive": 20.0}
    assert xj.saliences == {"Policy": 24.0, "Competitive": 48.0}
    assert s.title == "China Policy/Competitive; scen 2"


@needs_anchors
def test_final_comma_is_optional():
    a = load_scenario(INPUTS / "dummyData_3Dim.csv").arrays()
    b = load_scenario(INPUTS / "dummyData_3Dim-no-final-comma.csv").arrays()
    np.testing.assert_array_equal(a.position, b.position)
    np.testing.assert_array_equal(a.salience, b.salience)
    np.testing.assert_array_equal(a.capability, b.capability)


GOOD = b"""T,desc,3,2,
Actor,Description,Power,A Position,A Salience,B Position,B Salience,
X,first,10,10,20,30,40,
Y,second,20,50,50,60,10,
Z,third,30,90,10,20,10,
"""


def test_small_csv_sniffed_as_ktab():
    s = load_bytes(GOOD, "t.csv")
    assert s.issue_ids == ("A", "B")
    assert [a.id for a in s.actors] == ["X", "Y", "Z"]


@pytest.mark.parametrize(
    "edit, where, words",
    [
        ((b"Y,second,20,50,50", b"Y,second,20,5x,50"), "t.csv:4:A Position", "not a number"),
        ((b"T,desc,3,2", b"T,desc,4,2"), "t.csv:1", "declares 4 actors"),
        ((b"Z,third,30,90,10,20,10,", b"Z,third,30,90,10,20,"), "t.csv:5", "expected 7"),
        ((b"Y,second,20,50,50,60,10", b"Y,second,20,50,60,60,50"), "t.csv:4", "at most 100"),
        ((b"X,first,10,10,20", b"X,first,10,110,20"), "t.csv:3:A Position", "outside"),
        ((b"T,desc,3,2", b"T,desc,3,3"), "t.csv:2", "dimension"),
    ],
)
def test_csv_errors_name_the_place(edit, where, words):
    raw = GOOD.replace(*edit)
    with pytest.raises(ScenarioError) as exc:
        load_bytes(raw, "t.csv")
    text = "\n".join(exc.value.lines())
    assert where in text and words in text, text


# ---------------------------------------------------------------------- XML
@needs_anchors
def test_xml_reads_parameters_seed_and_ideal_adjustment():
    s = load_scenario(INPUTS / "smpExample.xml")
    k = s.extensions["ktab"]
    assert k["prng_seed"] == 3507583219545544127
    assert k["parameters"]["voting_rule"] == "PropCbc"  # XML "PropCbc"
    assert k["parameters"]["state_transitions"] == "Stochastic"
    A = np.array(k["ideal_adjustment"])
    assert A.shape == (5, 5)
    assert A[0, 0] == 0.87 and A[1, 0] == 0.07 and A[2, 3] == 0.13 and A[3, 3] == 0.57
    assert A[4, 4] == 1.0  # actors without pairs keep the identity row
    assert s.issue_ids == ("FirstDim", "SecondDim", "YADN")
    assert s.actors[0].positions["FirstDim"] == 52.8


@needs_anchors
def test_xml_equals_csv_version():
    a = load_scenario(INPUTS / "dummyData_3Dim.xml").arrays()
    b = load_scenario(INPUTS / "dummyData_3Dim.csv").arrays()
    np.testing.assert_array_equal(a.position, b.position)
    np.testing.assert_array_equal(a.salience, b.salience)
    np.testing.assert_array_equal(a.capability, b.capability)


XML = """<?xml version="1.0" encoding="UTF-8"?>
<Scenario>
  <name>T</name><desc>d</desc><prngSeed>42</prngSeed>
  <ModelParameters>
    <VictoryProbModel>Linear</VictoryProbModel><PCEModel>Conditional</PCEModel>
    <StateTransitions>Deterministic</StateTransitions><VotingRule>Proportional</VotingRule>
    <BigRAdjust>No</BigRAdjust><BigRRange>Mid</BigRRange><ThirdPartyCommit>SemiCommit</ThirdPartyCommit>
    <InterVecBrgn>S2P2</InterVecBrgn><BargnModel>InitOnlyInterp</BargnModel>
  </ModelParameters>
  <Dimensions><dName>X</dName><dName>Y</dName></Dimensions>
  <Actors>
    <Actor><name>A</name><description>a</description><capability>10</capability>
      <Position><dCoord>10</dCoord><dCoord>20</dCoord></Position><Salience><dSal>30</dSal><dSal>20</dSal></Salience></Actor>
    <Actor><name>B</name><description>b</description><capability>20</capability>
      <Position><dCoord>50</dCoord><dCoord>60</dCoord></Position><Salience><dSal>40</dSal><dSal>40</dSal></Salience></Actor>
    <Actor><name>C</name><description>c</description><capability>30</capability>
      <Position><dCoord>90</dCoord><dCoord>10</dCoord></Position><Salience><dSal>50</dSal><dSal>10</dSal></Salience></Actor>
  </Actors>
  <IdealAdjustment><iaPair><adjustingIdeal>A</adjustingIdeal><referencePos>A</referencePos><adjust>0.8</adjust></iaPair>
    <iaPair><adjustingIdeal>A</adjustingIdeal><referencePos>B</referencePos><adjust>0.2</adjust></iaPair></IdealAdjustment>
</Scenario>
"""


def test_small_xml_and_aliases():
    s = load_bytes(XML.encode(), "t.xml")
    p = s.extensions["ktab"]["parameters"]
    assert p["voting_rule"] == "Prop" and p["big_r_adjust"] == "None"
    A = s.extensions["ktab"]["ideal_adjustment"]
    assert A[0] == [0.8, 0.2, 0.0] and A[1] == [0.0, 1.0, 0.0]  # pairs set entries of an identity matrix


@pytest.mark.parametrize(
    "edit, where, words",
    [
        (("<referencePos>B</referencePos>", "<referencePos>Zed</referencePos>"), "iaPair[2]/referencePos", "unknown actor"),
        (("<dCoord>50</dCoord><dCoord>60</dCoord>", "<dCoord>50</dCoord>"), "Actor[2] (B)/Position", "expected 2"),
        (("<PCEModel>Conditional</PCEModel>", "<PCEModel>Markov</PCEModel>"), "ModelParameters/PCEModel", "not one of"),
        (("<prngSeed>42</prngSeed>", "<prngSeed>-4</prngSeed>"), "prngSeed", "unsigned"),
        (("<dSal>40</dSal><dSal>40</dSal>", "<dSal>70</dSal><dSal>40</dSal>"), "Actor[2] (B)/Salience", "at most 100"),
        (("<capability>20</capability>", "<capability>lots</capability>"), "Actor[2] (B)/capability", "not a number"),
        (("<adjust>0.2</adjust>", "<adjust>0.5</adjust>"), "IdealAdjustment", "at most 1"),
    ],
)
def test_xml_errors_name_the_place(edit, where, words):
    with pytest.raises(ScenarioError) as exc:
        load_bytes(XML.replace(*edit).encode(), "t.xml")
    text = "\n".join(exc.value.lines())
    assert where in text and words in text, text


def test_malformed_xml_is_a_scenario_error():
    with pytest.raises(ScenarioError, match="malformed XML"):
        load_bytes(b"<Scenario><name>x</Scenario>", "t.xml")


def test_plain_table_csv_is_not_taken_for_ktab():
    raw = b"Actor,Capability,Position,Salience\nA,10,20,30\nB,20,40,50\n"
    s = load_bytes(raw, "flat.csv")
    assert "ktab" not in s.extensions


# ---------------------------------------------------------------------- writer
@needs_anchors
@pytest.mark.parametrize("stem", sorted(SIZES))
def test_ktab_csv_round_trip(stem):
    from realpolitik.scenario.writers import render_scenario

    s = load_scenario(INPUTS / f"{stem}.csv")
    raw = render_scenario(s, "ktab-csv")
    t = load_bytes(raw, "again.csv")
    a, b = s.arrays(), t.arrays()
    np.testing.assert_array_equal(a.position, b.position)
    np.testing.assert_array_equal(a.salience, b.salience)
    np.testing.assert_array_equal(a.capability, b.capability)
    assert t.title == s.title and t.issue_ids == s.issue_ids
    assert [x.name for x in t.actors] == [x.name for x in s.actors]


def test_writer_refuses_lossy_output_unless_asked():
    from realpolitik.scenario.writers import render_scenario

    text = b"""title: t
issues:
  - {id: a, min: 0, max: 10, status_quo: 5}
actors:
  - {id: x, capability: 10, positions: {a: 1}, saliences: {a: 90}}
  - {id: y, capability: 20, positions: {a: 6}, saliences: {a: 50}}
  - {id: z, capability: 30, positions: {a: 9}, saliences: {a: 20}}
"""
    s = load_bytes(text, "t.yaml")
    with pytest.raises(ScenarioError) as exc:
        render_scenario(s, "ktab-csv")
    assert "scales other than 0-100" in str(exc.value) and "status quo" in str(exc.value)
    t = load_bytes(render_scenario(s, "ktab-csv", lossy=True), "t.csv")
    assert t.actors[0].positions["a"] == pytest.approx(10.0)  # 1 on 0-10 -> 10 on 0-100
