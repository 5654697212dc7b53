"""Bounded parsing (issue 16): hostile files end in one located line, fast and small.

Every file of tests/hostile.py goes through ``load_bytes`` (what the CLI and the web
app share) in a child process with a 2 GB address-space cap, so a regression is a
failed test, not a frozen or killed test run.
"""

from __future__ import annotations

import multiprocessing as mp
import pickle
import time

import pytest

import hostile as H
from realpolitik.errors import Problem, ScenarioError
from realpolitik.scenario import load_bytes, load_scenario
from realpolitik.scenario import limits
from realpolitik.scenario.writers import to_yaml

CASES = {
    "dimension.xlsx": (H.xlsx_huge_dimension, "declares its size as A1:XFD1048576"),
    "far-cell.xlsx": (H.xlsx_far_cell, "beyond the limit of 256 columns"),
    "zip-bomb.xlsx": (H.xlsx_zip_bomb, "expands to 678 MB when unzipped"),
    "huge-cell.xlsx": (H.xlsx_huge_cell, "expands to 1,024 MB when unzipped"),
    "long-cell.xlsx": (H.xlsx_long_cell, "a cell of 200,000 characters"),
    "actors.csv": (H.csv_many_actors, "more than 1,000 actors"),
    "alias-bomb.yaml": (H.yaml_alias_bomb, "once anchors and aliases are expanded"),
    "extensions-bomb.yaml": (lambda: H.yaml_alias_bomb(under_extensions=True), "once anchors and aliases are expanded"),
    "deep.json": (H.json_deep, "nested more than 40 levels"),
    "deep.yaml": (lambda: b"title: t\nx: " + b"[" * 60 + b"]" * 60 + b"\n", "nested more than 40 levels"),
    "deep-block.yaml": (lambda: b"title: t\n" + b"".join(b"  " * k + b"k:\n" for k in range(60)) + b"  " * 60 + b"v: 1\n",
                        "nested more than 40 levels"),
}


def _load_capped(raw: bytes, name: str, out) -> None:
    import resource

    resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))
    t0 = time.perf_counter()
    try:
        load_bytes(raw, name)
        out.put(("loaded", "", time.perf_counter() - t0))
    except ScenarioError as exc:
        out.put(("error", "\n".join(exc.lines()), time.perf_counter() - t0))
    except BaseException as exc:  # noqa: BLE001 - the test names what escaped
        out.put(("crash", f"{type(exc).__name__}: {exc}", time.perf_counter() - t0))


@pytest.mark.parametrize("name", sorted(CASES))
def test_hostile_file_is_one_located_line_within_a_second(name):
    make, needle = CASES[name]
    raw = make()
    ctx = mp.get_context("fork")
    q = ctx.Queue()
    p = ctx.Process(target=_load_capped, args=(raw, name, q))
    p.start()
    kind, text, seconds = q.get(timeout=30)
    p.join(10)
    assert kind == "error", (kind, text)
    assert needle in text and text.startswith(name), text
    assert len(text.splitlines()) == 1
    assert seconds < 2.0, seconds


def test_hostile_files_are_small():
    assert len(H.xlsx_huge_dimension()) < 2048
    assert len(H.yaml_alias_bomb()) < 3000
    assert len(H.xlsx_zip_bomb()) < 3 * 1024 * 1024
    assert 3_000_000 < len(H.csv_many_actors()) < 3_500_000


def test_line_map_does_not_expand_aliases():
    """Errors in a file with anchors are located without walking aliased nodes again."""
    import yaml

    from realpolitik.scenario.loaders._yaml_lines import SAFE_LOADER, line_map

    node = yaml.compose(H.yaml_alias_bomb().decode().replace("*a6", "*a0"), Loader=SAFE_LOADER)
    lines = line_map(node)
    assert len(lines) < 400  # 10 million paths if aliases were walked
    assert lines[("a7",)] == 8


def test_anchors_within_the_caps_still_load_with_lines():
    text = ("title: anchors\nissues:\n  - {id: x, min: 0, max: 100}\nextensions: {sal: &s {x: 50}}\nactors:\n"
            "  - {id: A, capability: 10, positions: {x: 10}, saliences: *s}\n"
            "  - {id: B, capability: -1, positions: {x: 90}, saliences: *s}\n")  # fmt: skip
    with pytest.raises(ScenarioError) as exc:
        load_bytes(text.encode(), "a.yaml")
    assert exc.value.problems[0].location.startswith("a.yaml:7")
    ok = load_bytes(text.replace("-1", "5").encode(), "a.yaml")
    assert ok.actor("B").saliences["x"] == 50


def test_caps_on_actors_issues_and_events_from_any_format():
    s = load_scenario("ec-emissions")
    data = s.to_data()
    data["actors"] = [{**data["actors"][0], "id": f"a{i}"} for i in range(limits.MAX_ACTORS + 1)]
    with pytest.raises(ScenarioError, match="1,001 actors: the limit is 1,000"):
        load_bytes(__import__("json").dumps(data).encode(), "many.json")
    data = s.to_data()
    data["events"] = [{"round": 1, "changes": []}] * (limits.MAX_EVENTS + 1)
    with pytest.raises(ScenarioError, match="events: the limit"):
        load_bytes(to_yaml(s) + b"\nevents: " + __import__("json").dumps(data["events"]).encode(), "ev.yaml")


def test_depth_check_counts_shared_structures():
    shared: list = [1] * 1000
    wide = {"x": [shared] * 1000}  # a million values reached through one list
    with pytest.raises(ScenarioError, match="more than 250,000 values"):
        limits.check_depth(wide, "data")
    limits.check_depth({"a": [[1, 2], {"b": 3}]}, "data")


def test_json_depth_ignores_brackets_in_strings():
    assert limits.json_depth(b'{"a": "[[[[[[[[", "b": [1, [2]]}') == 3
    assert limits.json_depth(b'{"a": "\\"[[[[[[", "b": {}}') == 2
    assert limits.json_depth(b"[" * 100 + b"]" * 100) == limits.MAX_DEPTH + 1


def test_scenario_error_keeps_its_places_across_processes():
    err = ScenarioError([Problem("f.csv:3:Salience", "salience is empty"), Problem("f.csv:4", "x")])
    back = pickle.loads(pickle.dumps(err))
    assert back.problems == err.problems and type(back) is ScenarioError
