"""KTAB's SMP file formats: CSV and XML readers (and the CSV writer)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from realpolitik.errors import ScenarioError
from realpolitik.scenario.io import load_bytes, load_scenario

KTAB = Path(__file__).resolve().parents[1].parent / "shared" / "anchors" / "ktab"
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
