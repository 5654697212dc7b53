"""The Decide #A/#P/#M/#D reader and writer (issue 9 part 3, issue 4 item 6)."""

from __future__ import annotations

from pathlib import Path

import pytest

from realpolitik.errors import ScenarioError
from realpolitik.scenario.io import load_bytes, load_scenario
from realpolitik.scenario.writers import render_scenario

ANCHORS = Path(__file__).resolve().parent / "data" / "anchors" / "decide"  # tests/data/SOURCES.md
INPUTS = ANCHORS / "inputs"

GOOD = """#O\tToy
#/\ta comment
#A\ta\tActor A
#A\tb\tActor B
#A\tc\tActor C
#P\tx\tIssue X
#M\tx\t0\tnone
#M\tx\t10\tall
#P\ty\tIssue Y
#D\ta\tx\t2\t0.57\t1
#D\tb\tx\t8\t0.5\t2
#D\tc\tx\t5\t0.9\t1
#D\ta\ty\t20\t0.3\t3
#D\tb\ty\t80\t0.6\t2
"""


def load_text(text: str, name: str = "toy.csv"):
    return load_bytes(text.encode(), name)


def errors_of(text: str, name: str = "bad.csv") -> list[str]:
    with pytest.raises(ScenarioError) as exc:
        load_text(text, name)
    return exc.value.lines()


@pytest.mark.parametrize(
    "fname, n_actors, n_issues", [("sample_data.txt", 10, 6), ("copenhagen.csv", 11, 7), ("cop21.csv", 15, 13)]
)
def test_reads_the_package_inputs(fname, n_actors, n_issues):
    s = load_scenario(INPUTS / fname)
    assert (len(s.actors), len(s.issues)) == (n_actors, n_issues)
    assert s.extensions["decide"]["row_order"]


def test_quoted_variant_scale_power_and_salience():
    s = load_scenario(INPUTS / "sample_data.txt")
    toll = s.issue("tol-hoogte")
    assert (toll.min, toll.max) == (0.5, 7.0)  # from the #M points
    w = s.actor("Willems")
    assert w.positions["tolheffing-binnenstad"] == 100.0
    assert w.saliences["tolheffing-binnenstad"] == 95.0  # 0-1 in the file, 0-100 stored
    gl = s.actor("GL")
    assert gl.capability == 0.6 and gl.capability_by_issue == {}
    assert s.issue("wanneer-tol").description == "Wat is dit voor onzin?"


def test_missing_rows_mean_absent_and_ids_slugged():
    s = load_scenario(INPUTS / "copenhagen.csv")
    eu = s.actor("EU_incl_Norway")
    assert eu.name == "EU (incl Norway)"
    russia = s.actor("Russia")
    assert "Commitments" not in russia.positions  # no #D row: does not take part
    a = s.arrays()
    assert not a.active[s.actor_ids.index("Russia"), s.issue_ids.index("Commitments")]


def test_cop21_row_order_kept():
    s = load_scenario(INPUTS / "cop21.csv")
    order = s.extensions["decide"]["row_order"]["differentiation"]
    assert sorted(order) == sorted(s.actor_ids)
    assert order != list(s.actor_ids)  # cop21 swaps two actors in its #D rows


def test_exact_decimal_salience_and_per_issue_power():
    s = load_text(GOOD)
    assert s.title == "Toy"
    a = s.actor("a")
    assert a.saliences["x"] == 57.0  # not 56.99999999999999
    assert a.capability == 1.0 and a.capability_by_issue == {"y": 3.0}
    x = s.issue("x")
    assert [p.label for p in x.points] == ["none", "all"] and (x.min, x.max) == (0, 10)
    assert "y" not in s.actor("c").positions


def test_file_with_errors_reports_every_error_one_line_each():
    lines = errors_of((INPUTS / "copenhagen_with_errors.csv").read_text(), "copenhagen_with_errors.csv")
    assert lines == [
        "copenhagen_with_errors.csv:86:position: position 160 lies outside the scale of 'Control' [0, 100]",
        "copenhagen_with_errors.csv:87:power: power -0.247 must be greater than 0",
    ]


@pytest.mark.parametrize(
    "old, new, expected",
    [
        ("#D\tb\tx\t8\t0.5\t2", "#D\tb\tx\t8\t-0.5\t2", "bad.csv:11:salience: salience -0.5 is negative"),
        ("#D\tb\tx\t8\t0.5\t2", "#D\tb\tx\t8\t0\t2", "bad.csv:11:salience: salience is 0"),
        ("#D\tb\tx\t8\t0.5\t2", "#D\tb\tx\t8\t1.5\t2", "bad.csv:11:salience: salience 1.5 is above 1"),
        ("#D\tb\tx\t8\t0.5\t2", "#D\tzz\tx\t8\t0.5\t2", "bad.csv:11:actor: unknown actor 'zz'"),
        ("#D\tb\tx\t8\t0.5\t2", "#D\tb\tq\t8\t0.5\t2", "bad.csv:11:issue: unknown issue 'q'"),
        ("#D\tb\tx\t8\t0.5\t2", "#D\tb\tx\t12\t0.5\t2", "bad.csv:11:position: position 12 lies outside"),
        ("#D\tb\tx\t8\t0.5\t2", "#D\tb\tx\tabc\t0.5\t2", "bad.csv:11:position: position 'abc' is not a number"),
        ("#D\tb\tx\t8\t0.5\t2", "#D\tb\tx\t8\t0.5\t0", "bad.csv:11:power: power 0 must be greater than 0"),
        ("#D\tb\tx\t8\t0.5\t2", "#D\tb\tx\t8\t0.5", "bad.csv:11:power: #D row needs 5 field(s)"),
        ("#M\tx\t10\tall", "#M\tx\t-5\tall", "bad.csv:8:value: scale points of 'x' must be ascending"),
        ("#D\tb\tx\t8\t0.5\t2", "#D\tb\tx\t8\t0.5\t2\n#D\tb\tx\t7\t0.5\t2", "bad.csv:12:actor: duplicate #D row"),
        ("#O\tToy", "# my data set, collected 2009", "bad.csv:1: not a Decide record"),
    ],
)
def test_bad_rows_get_located_errors(old, new, expected):
    assert old in GOOD
    lines = errors_of(GOOD.replace(old, new, 1))
    assert any(line.startswith(expected) for line in lines), lines
    assert all("\n" not in line for line in lines)


def test_all_errors_reported_together():
    text = GOOD.replace("#D\tb\tx\t8\t0.5\t2", "#D\tb\tx\t8\t-0.5\t2").replace("#D\ta\ty\t20\t0.3\t3", "#D\ta\ty\t200\t0.3\t3")
    lines = errors_of(text)
    assert len(lines) == 2 and ":11:salience" in lines[0] and ":13:position" in lines[1]


def test_cli_reports_errors_exit_2(capsys):
    from realpolitik.cli import main

    code = main(["validate", str(INPUTS / "copenhagen_with_errors.csv")])
    assert code == 2
    err = capsys.readouterr().err
    assert ":86:position" in err and ":87:power" in err and "Traceback" not in err


@pytest.mark.parametrize("fname", ["sample_data.txt", "copenhagen.csv", "cop21.csv"])
def test_round_trip_decide_yaml_decide(fname, tmp_path):
    s = load_scenario(INPUTS / fname)
    text = render_scenario(s, "decide")
    back = load_bytes(text, "back.txt")
    assert back.to_data() == s.to_data()
    yml = render_scenario(back, "yaml")
    again = load_bytes(yml, "again.yaml")
    assert again.to_data() == s.to_data()


def test_round_trip_toy_with_labels():
    s = load_text(GOOD)
    back = load_bytes(render_scenario(s, "decide"), "back.txt")
    assert back.to_data() == s.to_data()


def test_writer_refuses_to_lose_content_unless_lossy():
    s = load_text(GOOD)
    s2 = s.replace(issues=[s.issues[0].model_copy(update={"status_quo": 5.0}), s.issues[1]])
    with pytest.raises(ScenarioError, match="status quo"):
        render_scenario(s2, "decide")
    assert render_scenario(s2, "decide", lossy=True).startswith(b"#O\tToy")


def test_semicolon_variant_and_crlf():
    text = GOOD.replace("\t", ";").replace("\n", "\r\n")
    s = load_text(text, "toy.txt")
    assert s.actor("a").saliences["x"] == 57.0 and len(s.actors) == 3


def test_single_scale_point_is_an_error():
    lines = errors_of(GOOD.replace("#M\tx\t10\tall\n", ""))
    assert any(":7:value" in line and "two different #M" in line for line in lines)


def test_flat_csv_is_not_taken_for_decide():
    from realpolitik.scenario.loaders.decide import sniff_decide

    assert not sniff_decide(b"# title: t\nActor,Capability,Position,Salience\na,1,2,3\n")
    assert sniff_decide((INPUTS / "copenhagen_with_errors.csv").read_bytes())
    assert sniff_decide(b"# my notes\n'#A'\t'x'\t'x'\n")
