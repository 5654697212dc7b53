"""The Foundation CLI: forecast, validate, scenarios, convert, --version, --help (issue 9, part 7)."""

from __future__ import annotations

import json
from pathlib import Path

import click
import pytest
import typer
from typer.testing import CliRunner

import realpolitik
from realpolitik.cli import app, main
from realpolitik.models.base import Result
from realpolitik.scenario import DEFAULT_SCENARIO, builtin_names, load_scenario

HERE = Path(__file__).resolve().parent
FULL = HERE / "data" / "foundation_full.yaml"
ARCH_KEYS = {"model", "options", "version", "seed", "scenario", "issues", "actors", "forecast", "history", "details"}
runner = CliRunner()


def cli(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    cap = capsys.readouterr()
    return code, cap.out, cap.err


def command_paths(group: click.Group, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    paths = []
    for name, cmd in group.commands.items():
        paths.append(prefix + (name,))
        if isinstance(cmd, click.Group):
            paths.extend(command_paths(cmd, prefix + (name,)))
    return paths


COMMANDS = command_paths(typer.main.get_command(app))


def test_version(capsys):
    code, out, _ = cli(capsys, "--version")
    assert code == 0
    assert out.strip() == f"realpolitik {realpolitik.__version__}"


def test_the_foundation_commands_exist():
    assert {("forecast",), ("validate",), ("scenarios",), ("convert",), ("models",)} <= set(COMMANDS)


@pytest.mark.parametrize("path", [(), *COMMANDS], ids=lambda p: " ".join(p) or "root")
def test_help_on_every_command(path):
    res = runner.invoke(app, [*path, "--help"])
    assert res.exit_code == 0, res.output
    assert "Usage" in res.output


# ------------------------------------------------------------------ forecast
def test_forecast_default_scenario_prints_each_issue(capsys):
    code, out, err = cli(capsys, "forecast", "--model", "weighted-mean", "--model", "nash")
    assert code == 0, err
    s = load_scenario()
    for issue in s.issues:
        assert (issue.label or issue.id) in out
    assert "~" in out or any(p.label[:20] in out for i in s.issues for p in i.points)


def test_forecast_json_has_the_architecture_keys(capsys):
    code, out, _ = cli(capsys, "forecast", "ec-emissions", "--model", "weighted-mean", "--json", "--seed", "7")
    assert code == 0
    doc = json.loads(out)  # one shape whatever the number of models: {scenario, seed, results}
    assert set(doc) == {"scenario", "seed", "results"} and doc["seed"] == 7 and len(doc["results"]) == 1
    data = doc["results"][0]
    assert ARCH_KEYS <= set(data)
    assert data["model"] == "weighted-mean"
    assert data["seed"] == 7
    assert data["version"] == realpolitik.__version__
    assert data["scenario"]["hash"].startswith("sha256:")
    assert data["forecast"]["emission"] == pytest.approx(7.389955686853767)
    back = Result.from_dict(data)
    assert back.forecast == {"emission": pytest.approx(7.389955686853767)}


def test_forecast_json_several_models(capsys):
    code, out, _ = cli(capsys, "forecast", "ec-emissions", "-m", "weighted-mean", "-m", "weighted-median", "--json")
    assert code == 0
    data = json.loads(out)
    assert set(data) == {"scenario", "seed", "results"}
    assert all(r["seed"] == data["seed"] for r in data["results"])  # one drawn seed, in every result
    assert [r["model"] for r in data["results"]] == ["weighted-mean", "weighted-median"]
    assert all(ARCH_KEYS <= set(r) for r in data["results"])


def test_forecast_every_default_model_on_the_default_scenario(capsys):
    code, out, err = cli(capsys, "forecast", "--json")
    assert code == 0, err
    data = json.loads(out)
    results = data["results"] if "results" in data else [data]
    assert {"weighted-mean", "weighted-median", "nash"} <= {r["model"] for r in results}
    issues = set(load_scenario(DEFAULT_SCENARIO).issue_ids)
    for r in results:
        assert r["forecast"] and set(r["forecast"]) <= issues  # a model may forecast some issues only
        if r["model"] in ("weighted-mean", "weighted-median", "nash"):
            assert set(r["forecast"]) == issues


def test_forecast_out_writes_result_files(tmp_path, capsys):
    out_dir = tmp_path / "results"
    code, _, err = cli(capsys, "forecast", "ec-emissions", "-m", "weighted-mean", "-m", "nash", "--out", str(out_dir))
    assert code == 0, err
    files = sorted(p.name for p in out_dir.iterdir())
    assert files == ["nash.json", "weighted-mean.json"]  # no temporary files left
    data = json.loads((out_dir / "nash.json").read_text())
    assert ARCH_KEYS <= set(data)


@pytest.mark.parametrize(
    "args",
    [
        ["forecast", "missing.yaml", "-m", "weighted-mean"],
        ["forecast", "ec-emissions", "-m", "no-such-model"],
        ["forecast", "ec-emissions", "-m", "nash", "-o", "utility=cubic"],
    ],
    ids=["bad scenario", "unknown model", "bad option"],
)
def test_forecast_out_writes_nothing_when_the_run_fails(tmp_path, capsys, args):
    out_dir = tmp_path / "results"
    code, out, err = cli(capsys, *args, "--out", str(out_dir))
    assert code == 2
    assert out == ""
    assert err.startswith("error ")
    assert "Traceback" not in err
    assert not out_dir.exists()


def test_forecast_bad_scenario_json_prints_nothing_on_stdout(tmp_path, capsys):
    bad = tmp_path / "bad.csv"
    bad.write_text("Actor,Capability,Position,Salience\nA,x,1,2\nB,1,2,3\n")
    code, out, err = cli(capsys, "forecast", str(bad), "--json")
    assert code == 2 and out == ""
    assert f"{bad}:2:Capability" in err


# ------------------------------------------------------------------ validate, scenarios, models
def test_validate_ok_and_json(capsys):
    code, out, _ = cli(capsys, "validate", str(FULL), "--json")
    assert code == 0
    data = json.loads(out)
    assert data == {
        "file": str(FULL),
        "valid": True,
        "title": "Full-format fixture: a two-issue dispute",
        "actors": 4,
        "issues": 2,
        "events": 2,
        "hash": load_scenario(FULL).content_hash(),
        "notes": [],  # what the loader assumed (a flat table's scale); nothing for a YAML file
    }
    code, out, _ = cli(capsys, "validate", "ec-emissions")
    assert code == 0 and out.startswith("ok ec-emissions")


def test_scenarios_lists_the_builtins(capsys):
    code, out, _ = cli(capsys, "scenarios", "--json")
    assert code == 0
    rows = json.loads(out)
    assert [r["name"] for r in rows] == builtin_names()
    assert {"ec-emissions", DEFAULT_SCENARIO} <= {r["name"] for r in rows}
    assert [r["name"] for r in rows if r["default"]] == [DEFAULT_SCENARIO]
    code, out, _ = cli(capsys, "scenarios")
    assert code == 0 and "ec-emissions" in out


def test_models_lists_the_baselines(capsys):
    code, out, _ = cli(capsys, "models", "--json")
    assert code == 0
    names = {r["name"] for r in json.loads(out)}
    assert {"weighted-mean", "weighted-median", "nash", "status-quo"} <= names


# ------------------------------------------------------------------ convert
def test_convert_yaml_xlsx_json_yaml(tmp_path, capsys):
    for target in ("s.xlsx", "s.json"):
        code, _, err = cli(capsys, "convert", str(FULL), str(tmp_path / target))
        assert code == 0, err
        code, _, err = cli(capsys, "convert", str(tmp_path / target), str(tmp_path / (target + ".yaml")))
        assert code == 0, err
        assert load_scenario(tmp_path / (target + ".yaml")).to_data() == load_scenario(FULL).to_data()


def test_convert_to_csv_needs_lossy(tmp_path, capsys):
    target = tmp_path / "s.csv"
    code, out, err = cli(capsys, "convert", str(FULL), str(target))
    assert code == 2 and out == ""
    assert err.startswith("error convert: csv cannot hold: ")
    assert "--lossy" in err
    assert not target.exists()
    code, _, err = cli(capsys, "convert", str(FULL), str(target), "--lossy")
    assert code == 0, err
    assert load_scenario(target).actor("alpha").capability_on("tempo") == 12.5


def test_convert_with_to_and_unknown_format(tmp_path, capsys):
    code, _, _ = cli(capsys, "convert", "ec-emissions", str(tmp_path / "plain.txt"), "--to", "yaml")
    assert code == 0
    assert load_scenario(tmp_path / "plain.txt", fmt="yaml").title == "EC emission standards (BDM 1994)"
    code, _, err = cli(capsys, "convert", "ec-emissions", str(tmp_path / "x.pdf"))
    assert code == 2 and "cannot write format 'pdf'" in err
    assert not (tmp_path / "x.pdf").exists()


# ------------------------------------------------------------------ Python API
def test_python_api_forecast():
    results = realpolitik.forecast("ec-emissions", models=["weighted-mean", "nash"], utility="linear")
    assert [r.model for r in results] == ["weighted-mean", "nash"]
    assert results[1].options == {"utility": "linear"}
    one = realpolitik.forecast("ec-emissions", models="weighted-median")
    assert one.forecast == {"emission": 7.0}
    s = realpolitik.load_scenario("ec-emissions")
    assert realpolitik.forecast(s, models="weighted-mean").forecast["emission"] == pytest.approx(7.389955686853767)
    with pytest.raises(realpolitik.OptionError):
        realpolitik.forecast("ec-emissions", models="weighted-mean", nonsense=1)


def test_error_lines_are_printed_literally(tmp_path, capsys):
    # rich would read ":100:" as an emoji and "[bold]" as markup
    bad = tmp_path / "mk.csv"
    bad.write_text("Actor,Capability,Position,Salience\nA,[bold]x,1,2\nB,1,2,3\n")
    code, _, err = cli(capsys, "validate", str(bad))
    assert code == 2
    assert err.strip() == f"error {bad}:2:Capability: capability '[bold]x' is not a number; expected a number greater than 0"
    lines = ["title: t", "issues: [{id: a}]", "actors:"] + ["  # padding"] * 96 + ["  - {id: A, capability: 0, positions: {a: 1}, saliences: {a: 1}}"]
    big = tmp_path / "emoji.yaml"
    big.write_text("\n".join(lines) + "\n  - {id: B, capability: 1, positions: {a: 1}, saliences: {a: 1}}\n")
    code, _, err = cli(capsys, "validate", str(big))
    assert code == 2
    assert f"{big}:100 (actors.0.capability)" in err
