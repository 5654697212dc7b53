"""Validation that helps (issue 9, part 4): every bad input, one line naming the place, exit 2."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from realpolitik.cli import main
from realpolitik.errors import ScenarioError
from realpolitik.scenario import load_bytes, load_scenario

HEADER = "Actor,Capability,Position,Salience\n"
GOOD_ROWS = "A,1,10,50\nB,2,90,60\n"

YAML_OK = """title: t
issues:
  - id: a
    min: 0
    max: 100
actors:
  - id: A
    capability: 1
    positions: {a: 10}
    saliences: {a: 50}
  - id: B
    capability: 2
    positions: {a: 90}
    saliences: {a: 60}
"""


def problems(content: bytes | str, name: str) -> list[str]:
    raw = content.encode() if isinstance(content, str) else content
    with pytest.raises(ScenarioError) as exc:
        load_bytes(raw, name)
    return exc.value.lines()


def run_cli(args: list[str], capsys) -> tuple[int, str, str]:
    code = main(args)
    cap = capsys.readouterr()
    return code, cap.out, cap.err


# (case, file name, content, the one expected line)
CASES = [
    (
        "missing required column",
        "m.csv",
        "Actor,Capability,Position\nA,1,10\nB,2,90\n",
        "m.csv:1: missing required column(s): salience (salience/s/sal); found columns: Actor, Capability, Position",
    ),
    (
        "non-numeric value",
        "n.csv",
        HEADER + "A,lots,10,50\nB,2,90,60\n",
        "n.csv:2:Capability: capability 'lots' is not a number; expected a number greater than 0",
    ),
    ("NaN", "nan.csv", HEADER + "A,1,nan,50\nB,2,90,60\n", "nan.csv:2:Position: position is nan; expected a finite number"),
    (
        "infinity",
        "inf.csv",
        HEADER + "A,1,10,50\nB,inf,90,60\n",
        "inf.csv:3:Capability: capability is inf; expected a finite number",
    ),
    (
        "negative capability",
        "neg.csv",
        HEADER + "A,-3,10,50\nB,2,90,60\n",
        "neg.csv:2:Capability: capability is -3; expected a number greater than 0",
    ),
    (
        "zero capability",
        "zero.csv",
        HEADER + "A,1,10,50\nB,0,90,60\n",
        "zero.csv:3:Capability: capability is 0; expected a number greater than 0",
    ),
    (
        "salience out of range",
        "sal.csv",
        HEADER + "A,1,10,50\nB,2,90,160\n",
        "sal.csv:3:Salience: salience is 160; expected a number in 0-100 (or in 0-1 when the file declares "
        "salience_scale: 0-1)",
    ),
    (
        "position outside the issue scale",
        "pos.csv",
        "# scale: 0-100\n" + HEADER + "A,1,10,50\nB,2,190,60\n",
        "pos.csv:4:Position: position 190 lies outside the issue scale [0, 100]",
    ),
    (
        "duplicate actor id",
        "dup.csv",
        HEADER + GOOD_ROWS + "A,3,20,30\n",
        "dup.csv:4:Actor: duplicate actor id 'A' (first on row 2)",
    ),
    (
        "unknown issue id",
        "unk.yaml",
        YAML_OK.replace("positions: {a: 90}\n    saliences: {a: 60}", "positions: {a: 90, b: 3}\n    saliences: {a: 60, b: 5}"),
        "unk.yaml:13 (actors.1.positions.b): unknown issue id 'b' (known: a)",
    ),
    ("fewer than two actors", "one.csv", HEADER + "A,1,10,50\n", "one.csv: at least two actors are required, found 1"),
    ("empty file", "empty.csv", "", "empty.csv: file is empty"),
    ("blank file", "blank.yaml", "  \n\n", "blank.yaml: file is empty"),
    (
        "unknown file type",
        "scenario.docx",
        "hello",
        "scenario.docx: unknown file type .docx: expected one of "
        + ", ".join("." + e for e in sorted({e for f in __import__("realpolitik.scenario.io", fromlist=["x"]).formats().values() for e in f.extensions})),
    ),
    (
        "wrong delimiter",
        "semi.csv",
        "Actor;Capability;Position;Salience\nA;1;10;50\nB;2;90;60\n",
        "semi.csv:1: wrong delimiter: the header is separated by semicolons, expected commas (save as "
        "'CSV UTF-8 (comma delimited)')",
    ),
    ("binary garbage", "junk.csv", bytes(range(256)) * 8, "junk.csv: file is not text (binary content); expected a csv file"),
    ("binary garbage yaml", "junk.yaml", b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4, "junk.yaml: file is not text (binary content); expected a yaml file"),
    (
        "event refers to an unknown actor",
        "ev.yaml",
        YAML_OK + "events:\n  - round: 1\n    changes:\n      - {actor: Z, field: salience, issue: a, value: 10}\n",
        "ev.yaml:18 (events.0.changes.0.actor): event refers to unknown actor 'Z' (not an actor of the scenario "
        "nor one that enters in an event)",
    ),
]


@pytest.mark.parametrize("case,name,content,expected", CASES, ids=[c[0] for c in CASES])
def test_each_bad_input_gives_one_line_naming_the_place(case, name, content, expected):
    assert problems(content, name) == [expected]


@pytest.mark.parametrize("case,name,content,expected", CASES, ids=[c[0] for c in CASES])
def test_cli_validate_exits_2_with_the_message(tmp_path, capsys, case, name, content, expected):
    path = tmp_path / name
    path.write_bytes(content.encode() if isinstance(content, str) else content)
    code, out, err = run_cli(["validate", str(path)], capsys)
    assert code == 2
    assert out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1
    assert lines[0] == "error " + expected.replace(name, str(path), 1)
    assert "Traceback" not in err


def test_file_over_50_mb(tmp_path, capsys):
    path = tmp_path / "huge.csv"
    with open(path, "wb") as fh:  # sparse: no 50 MB written
        fh.truncate(50 * 1024 * 1024 + 1)
    with pytest.raises(ScenarioError) as exc:
        load_scenario(path)
    assert exc.value.lines() == [f"{path}: file is 52.4 MB; the limit is 50 MB"]
    code, _, err = run_cli(["validate", str(path)], capsys)
    assert code == 2 and "the limit is 50 MB" in err
    with pytest.raises(ScenarioError, match="the limit is 50 MB"):
        load_bytes(b"x" * (50 * 1024 * 1024 + 1), "big.yaml")


def test_all_errors_in_a_file_are_reported_together():
    csv = (
        "# scale: 0-100\n"
        + HEADER
        + "A,abc,10,50\n"  # non-numeric capability
        + "B,2,150,60\n"  # position outside the scale
        + "C,-1,20,300\n"  # negative capability and salience out of range
        + "D,1,nan,40\n"  # NaN
        + "A,1,30,30\n"  # duplicate
    )
    assert problems(csv, "many.csv") == [
        "many.csv:3:Capability: capability 'abc' is not a number; expected a number greater than 0",
        "many.csv:4:Position: position 150 lies outside the issue scale [0, 100]",
        "many.csv:5:Capability: capability is -1; expected a number greater than 0",
        "many.csv:5:Salience: salience is 300; expected a number in 0-100 (or in 0-1 when the file declares "
        "salience_scale: 0-1)",
        "many.csv:6:Position: position is nan; expected a finite number",
        "many.csv:7:Actor: duplicate actor id 'A' (first on row 3)",
    ]


def test_yaml_errors_carry_the_line_and_cross_checks_run_despite_field_errors():
    text = YAML_OK.replace("capability: 2", "capability: 0").replace("{a: 90}", "{a: 900}") + (
        "  - id: A\n    capability: 1\n    positions: {a: 1}\n    saliences: {a: 1}\n"
    )
    got = problems(text, "s.yaml")
    assert got == [
        "s.yaml:12 (actors.1.capability): capability is 0; expected a number greater than 0",
        "s.yaml:13 (actors.1.positions.a): position 900 lies outside the issue scale [0, 100]",
        "s.yaml:15 (actors.2.id): duplicate actor id 'A' (first at actors.0)",
    ]


def test_yaml_syntax_error_names_line_and_column():
    assert problems("title: t\nissues: [ {id: a\n", "broken.yaml") == [
        "broken.yaml:3:1: invalid YAML: did not find expected ',' or '}'"
    ]


def test_json_errors_carry_the_line():
    text = (
        '{"title": "t",\n "issues": [{"id": "a"}],\n "actors": [\n'
        '  {"id": "A", "capability": 1, "positions": {"a": 5}, "saliences": {"a": 50}},\n'
        '  {"id": "B", "capability": "x", "positions": {"a": 5}, "saliences": {"a": 50}}\n ]\n}\n'
    )
    assert problems(text, "s.json") == [
        "s.json:5 (actors.1.capability): capability 'x' is not a number; expected a number greater than 0"
    ]
    assert problems('{"title": 1,', "t.json")[0].startswith("t.json:1:13: invalid JSON")


def test_one_bad_cell_gives_one_message():
    # a non-numeric capability used to add "capability must be finite" / "valid number"
    assert len(problems(HEADER + "A,abc,10,50\nB,2,90,60\n", "c.csv")) == 1
    # every cell of a row bad: still one message per cell, nothing about the actor
    assert problems(HEADER + "A,x,y,z\nB,2,90,60\nC,1,3,4\n", "r.csv") == [
        "r.csv:2:Capability: capability 'x' is not a number; expected a number greater than 0",
        "r.csv:2:Position: position 'y' is not a number; expected a number on the issue's scale",
        "r.csv:2:Salience: salience 'z' is not a number; expected a number in 0-100 (or 0-1)",
    ]


def test_salience_scale_declared_0_1():
    got = problems("# salience_scale: 0-1\n" + HEADER + "A,1,10,0.5\nB,2,90,40\n", "u.csv")
    assert got == ["u.csv:4:Salience: salience 40 is outside 0-1 (the file declares salience_scale: 0-1)"]


def test_unknown_yaml_field_and_bad_id():
    text = YAML_OK.replace("  - id: B\n", "  - id: 'B/2'\n    colour: red\n")
    assert problems(text, "f.yaml") == [
        "f.yaml:11 (actors.1.id): id 'B/2' is not a valid id; expected letters, digits, '_', '.', '-' or spaces, "
        "starting with a letter, digit or '_'",
        "f.yaml:12 (actors.1.colour): unknown field 'colour'",
    ]


def test_no_such_file_or_builtin(capsys):
    code, _, err = run_cli(["validate", "no-such-thing.yaml"], capsys)
    assert code == 2
    assert err.startswith("error no-such-thing.yaml: no such file or built-in scenario (built-ins: ")


def test_subprocess_exit_code_and_no_traceback(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text(HEADER + "A,abc,10,50\n")
    env = {**os.environ, "COLUMNS": "200"}
    proc = subprocess.run(
        [sys.executable, "-m", "realpolitik", "validate", str(bad)], capture_output=True, text=True, env=env, timeout=120
    )
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert "Traceback" not in proc.stderr
    assert proc.stderr.strip().splitlines() == [
        f"error {bad}:2:Capability: capability 'abc' is not a number; expected a number greater than 0",
        f"error {bad}: at least two actors are required, found 1",
    ]


def test_messages_are_one_line_each(tmp_path):
    for case, name, content, _ in CASES:
        for line in problems(content, name):
            assert "\n" not in line, case
    assert Path(tmp_path).exists()


def test_utf16_text_is_read_not_called_binary():
    raw = (HEADER + GOOD_ROWS).encode("utf-16")  # with a byte-order mark, as Excel's "Unicode text"
    assert load_bytes(raw, "u16.csv").actor_ids == ("A", "B")
    assert problems(("Actor\tCapability\tPosition\tSalience\nA\t1\t2\t3\n").encode("utf-16"), "tabs.csv") == [
        "tabs.csv:1: wrong delimiter: the header is separated by tabs, expected commas (save as "
        "'CSV UTF-8 (comma delimited)')"
    ]


def test_csv_issue_metadata_errors_name_the_issue():
    text = "# scale.a: 0-100\n# status_quo.a: 150\n# scale.b: ten-20\n" + (
        "Actor,Issue,Capability,Position,Salience\nA,a,1,10,50\nB,a,2,90,60\nA,b,1,1,1\nB,b,1,1,1\n"
    )
    assert problems(text, "iss.csv") == [
        "iss.csv: # scale.b: scale 'ten-20' is not of the form MIN-MAX",
        "iss.csv: issue 'a': status quo 150 lies outside the scale [0, 100]",
    ]


def test_containers_of_the_wrong_kind():
    text = "title: t\nissues: 5\nactors:\n  - 3\n  - {id: B, capability: 1, positions: [1, 2], saliences: {a: 1}}\n"
    assert problems(text, "k.yaml") == [
        "k.yaml:2 (issues): issues must be a list, found a number",
        "k.yaml:4 (actors.0): each entry of actors must be a mapping, found a number",
        "k.yaml:5 (actors.1.positions): positions must be a mapping of issue id to number, found a list",
    ]


_leaf = st.one_of(
    st.none(), st.integers(-5, 200), st.floats(allow_nan=False), st.text(max_size=5), st.booleans(),
    st.sampled_from(["a", "A", "position", "salience", "enter", "leave", "0-1", "2024-01-01"]),
)
_keys = st.sampled_from(
    ["title", "issues", "actors", "events", "id", "min", "max", "points", "value", "label", "capability", "positions",
     "saliences", "capability_by_issue", "a", "round", "changes", "actor", "field", "issue", "actor_data", "parent",
     "status_quo", "salience_scale", "sources", "uncertainty", "path", "low", "high"]
)
_tree = st.recursive(_leaf, lambda c: st.one_of(st.lists(c, max_size=4), st.dictionaries(_keys, c, max_size=5)), max_leaves=25)
_BASE = yaml.safe_load(YAML_OK)


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.dictionaries(_keys, _tree, max_size=6), st.booleans())
def test_any_yaml_mapping_loads_or_fails_with_located_lines(extra, merge):
    data = {**_BASE, **extra} if merge else extra
    raw = yaml.safe_dump(data).encode()
    try:
        load_bytes(raw, "fuzz.yaml")
    except ScenarioError as exc:
        assert exc.problems
        assert all("\n" not in line and line.startswith("fuzz.yaml") for line in exc.lines())
