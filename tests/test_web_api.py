"""The web workbench's JSON API and pages (httpx through FastAPI's TestClient)."""

from __future__ import annotations

import csv
import io
import json
import warnings

import numpy as np
import pytest

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

from realpolitik.models import get_model
from realpolitik.models.base import _REGISTRY, Model, register
from realpolitik.scenario import load_scenario
from realpolitik.scenario.writers import to_yaml
from realpolitik.web.app import JobSettings, create_app

EC = "builtin:ec-emissions"


LOCAL = "http://127.0.0.1:8000"  # the Host allow-list refuses TestClient's default "testserver"


@pytest.fixture()
def client(tmp_path):
    # jobs in threads of this process: some tests register or patch models here
    app = create_app(db_url=f"sqlite:///{tmp_path / 'web.sqlite'}", max_upload_bytes=64 * 1024,
                     jobs=JobSettings(isolation="thread"))  # fmt: skip
    with TestClient(app, raise_server_exceptions=False, base_url=LOCAL) as c:
        yield c


@pytest.fixture(scope="module")
def ec():
    return load_scenario("ec-emissions")


def _no_traceback(r):
    assert "Traceback" not in r.text and 'File "' not in r.text


# ------------------------------------------------------------------ models and scenarios
def test_models_with_option_schemas(client):
    r = client.get("/api/models")
    assert r.status_code == 200
    models = {m["name"]: m for m in r.json()}
    assert {"weighted-mean", "weighted-median", "nash"} <= set(models)
    assert models["nash"]["schema"]["properties"]["utility"]["enum"] == ["quadratic", "linear"]


def test_a_model_registered_later_appears_with_its_options(client):
    from pydantic import BaseModel, ConfigDict

    class Opts(BaseModel):
        model_config = ConfigDict(extra="forbid")
        shift: float = 1.0

    class Shifted(Model):
        """Test model: the weighted mean shifted by ``shift``."""

        name = "test-shifted"
        label = "Shifted (test)"
        Options = Opts

        def _run(self, scenario, rng):
            base = get_model("weighted-mean").run(scenario).forecast
            return self.make_result(scenario, {k: v + self.options.shift for k, v in base.items()})

    register(Shifted)
    try:
        models = {m["name"]: m for m in client.get("/api/models").json()}
        assert models["test-shifted"]["schema"]["properties"]["shift"]["default"] == 1.0
        assert "test-shifted" in client.get("/workbench", params={"scenario": EC}).text
        r = client.post("/api/runs", json={"model": "test-shifted", "scenario": EC, "options": {"shift": 0.5}})
        assert r.status_code == 200
        wm = get_model("weighted-mean").run(load_scenario("ec-emissions")).forecast["emission"]
        assert r.json()["result"]["forecast"]["emission"] == pytest.approx(wm + 0.5)
    finally:
        _REGISTRY.pop("test-shifted", None)


def test_scenario_library_and_one_scenario(client, ec):
    lib = client.get("/api/scenarios").json()
    refs = [s["ref"] for s in lib["builtin"]]
    assert EC in refs and lib["default"] in refs
    assert sum(s["default"] for s in lib["builtin"]) == 1
    one = client.get(f"/api/scenarios/{EC}").json()
    assert one["hash"] == ec.content_hash() and one["data"]["title"] == ec.title


@pytest.mark.parametrize(
    "ref, status",
    [("builtin:no-such", 404), ("file:etc", 400), ("builtin:..", 400), ("lib:99", 404), ("lib:x", 400)],
)
def test_bad_scenario_references(client, ref, status):
    r = client.get(f"/api/scenarios/{ref}")
    assert r.status_code == status
    assert r.json()["detail"]
    _no_traceback(r)


def test_no_path_traversal_through_names(client):
    for ref in ("builtin:../../../etc/passwd", "builtin:..%2F..%2Fetc%2Fpasswd", "/etc/passwd", "builtin:/etc/passwd"):
        r = client.get("/workbench", params={"scenario": ref}, headers={"accept": "text/html"})
        assert r.status_code in (400, 404), ref
        assert "root:" not in r.text
        _no_traceback(r)
    assert client.get("/static/../app.py").status_code == 404
    assert client.get("/static/%2e%2e/app.py").status_code == 404


# ------------------------------------------------------------------ uploads
def test_upload_good_scenario_then_open_it(client, ec):
    r = client.post("/api/scenarios", files={"file": ("my case.yaml", to_yaml(ec), "application/x-yaml")})
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["ref"].startswith("lib:") and body["actors"] == len(ec.actors) and body["hash"] == ec.content_hash()
    lib = client.get("/api/scenarios").json()["library"]
    assert [e["ref"] for e in lib] == [body["ref"]] and lib[0]["origin"] == "upload"
    page = client.get("/workbench", params={"scenario": body["ref"]})
    assert page.status_code == 200 and ec.title in page.text
    assert body["ref"].replace(":", "%3A") in client.get("/").text


def test_upload_malformed_csv_gives_located_messages_and_server_keeps_serving(client):
    bad = b"Actor,Capability,Position,Salience\nA,10,50,80\nB,-3,40,abc\n"
    r = client.post("/api/scenarios", files={"file": ("bad.csv", bad, "text/csv")})
    assert 400 <= r.status_code < 500
    probs = r.json()["problems"]
    assert probs and all(p["location"].startswith("bad.csv") for p in probs)
    text = " ".join(p["message"] for p in probs)
    assert "capability" in text.lower() or "number" in text.lower()
    _no_traceback(r)
    assert client.get("/").status_code == 200
    assert client.get("/api/scenarios").json()["library"] == []  # nothing half-stored


def test_upload_limits_and_hostile_files(client):
    big = b"#" * (70 * 1024)
    r = client.post("/api/scenarios", files={"file": ("big.yaml", big)})
    assert r.status_code == 413 and "limit" in r.json()["detail"]
    r = client.post("/api/scenarios", files={"file": ("x.yaml", b"\x00\x01\x02garbage\xff" * 50)})
    assert r.status_code == 422
    evil = b"title: !!python/object/apply:os.system ['touch /tmp/rp-pwned']\nissues: []\nactors: []\n"
    r = client.post("/api/scenarios", files={"file": ("evil.yaml", evil)})
    assert r.status_code == 422  # YAML is loaded safely: the tag is refused, nothing runs
    import os

    assert not os.path.exists("/tmp/rp-pwned")
    r = client.post("/api/scenarios", files={"file": ("notes.docx", b"hello")})
    assert r.status_code == 422 and "unknown file type" in r.json()["problems"][0]["message"]
    r = client.post("/api/scenarios")  # no file field
    assert r.status_code == 422
    _no_traceback(r)


def test_upload_name_is_only_a_label(client, ec):
    r = client.post("/api/scenarios", files={"file": ("../../../etc/passwd.yaml", to_yaml(ec))})
    assert r.status_code == 201
    assert r.json()["name"] == "passwd.yaml"


# ------------------------------------------------------------------ runs
def test_run_default_scenario_is_stored_with_charts(client):
    r = client.post("/api/runs", json={"model": "weighted-median", "seed": 3})
    assert r.status_code == 200, r.text
    body = r.json()
    default = load_scenario(None)
    expect = get_model("weighted-median").run(default).forecast
    assert body["result"]["forecast"] == pytest.approx(expect)
    assert body["result"]["seed"] == 3
    assert set(body["charts"]["forecast"]) == set(default.issue_ids)
    assert set(body["charts"]["actor_map"]) == set(default.issue_ids)
    rec = client.get(f"/api/runs/{body['run_id']}").json()
    assert rec["model"] == "weighted-median" and rec["seed"] == 3 and rec["scenario_hash"] == default.content_hash()
    listed = client.get("/api/runs").json()
    assert listed[0]["id"] == body["run_id"]


def test_edited_salience_changes_the_forecast(client, ec):
    data = ec.to_data()
    k = [a["id"] for a in data["actors"]].index("Germany")
    data["actors"][k]["saliences"]["emission"] = 5
    r = client.post("/api/runs", json={"model": "weighted-mean", "data": data, "source": "web"})
    assert r.status_code == 200, r.text
    expect = get_model("weighted-mean").run(ec.with_value("Germany", "salience", 5.0, "emission")).forecast["emission"]
    got = r.json()["result"]["forecast"]["emission"]
    assert got == pytest.approx(expect)
    assert got != pytest.approx(get_model("weighted-mean").run(ec).forecast["emission"])
    rec = client.get(f"/api/runs/{r.json()['run_id']}").json()
    assert rec["source"] == "web" and rec["scenario"]["actors"][k]["saliences"]["emission"] == 5


def test_invalid_edits_are_located(client, ec):
    data = ec.to_data()
    data["actors"][3]["saliences"]["emission"] = 150
    data["actors"][1]["capability"] = "lots"
    data["actors"].append({"id": "Germany", "capability": 1, "positions": {"emission": 5}, "saliences": {"emission": 5}})
    r = client.post("/api/runs", json={"model": "weighted-mean", "data": data})
    assert r.status_code == 422
    locs = [p["location"] for p in r.json()["problems"]]
    assert "scenario:actors.3.saliences" in " ".join(locs) or any("actors.3" in x for x in locs)
    assert any("actors.1.capability" in x for x in locs)
    assert any("duplicate" in p["message"] for p in r.json()["problems"])
    v = client.post("/api/scenarios/validate", json={"data": data}).json()
    assert v["valid"] is False and v["problems"]
    assert client.post("/api/scenarios/validate", json={"data": ec.to_data()}).json()["valid"] is True


@pytest.mark.parametrize(
    "body, needle",
    [
        ({"model": "no-such-model", "scenario": EC}, "unknown model"),
        ({"model": "nash", "scenario": EC, "options": {"utility": "cubic"}}, "utility"),
        ({"model": "nash", "scenario": EC, "options": {"bogus": 1}}, "unknown option"),
        ({"model": "nash", "scenario": EC, "extra": 1}, "extra"),
        ({"model": "nash", "scenario": EC, "seed": -1}, "seed"),
    ],
)
def test_bad_run_requests(client, body, needle):
    r = client.post("/api/runs", json=body)
    assert r.status_code == 422
    assert needle in json.dumps(r.json()).lower()
    _no_traceback(r)


def test_save_edited_copy_to_library(client, ec):
    data = ec.to_data()
    data["actors"] = data["actors"][:-1]
    r = client.post("/api/scenarios/save", json={"name": "without Greece", "data": data})
    assert r.status_code == 201
    got = client.get(f"/api/scenarios/{r.json()['ref']}").json()
    assert len(got["data"]["actors"]) == len(ec.actors) - 1
    assert client.get("/api/scenarios").json()["library"][0]["origin"] == "edit"


# ------------------------------------------------------------------ downloads, history, diff
def test_downloads_and_pages(client, ec):
    from realpolitik.store import open_store

    rid = client.post("/api/runs", json={"model": "nash", "scenario": EC}).json()["run_id"]
    # a stored result with a trajectory, as a round-based model writes it
    res = get_model("weighted-mean").run(ec)
    a = ec.arrays()
    res.history = {"positions": [a.position.tolist(), np.full_like(a.position, 7.0).tolist()]}
    url = client.app.state.store.url
    (tid,) = open_store(url).save(ec, [res], source="api")

    j = client.get(f"/api/runs/{rid}/result.json")
    assert j.status_code == 200 and json.loads(j.text)["model"] == "nash"
    assert "attachment" in j.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(client.get(f"/api/runs/{tid}/result.csv").text)))
    kinds = {r["kind"] for r in rows}
    assert kinds == {"forecast", "position"}
    assert sum(r["kind"] == "position" for r in rows) == 2 * len(ec.actors)
    rep = client.get(f"/api/runs/{tid}/report")
    assert rep.status_code == 200 and "<svg" in rep.text and "Trajectory" in rep.text
    pdf = client.get(f"/api/runs/{rid}/report", params={"format": "pdf"})
    assert pdf.content.startswith(b"%PDF")
    assert client.get(f"/api/runs/{rid}/report", params={"format": "exe"}).status_code == 422
    charts = client.get(f"/api/runs/{tid}/charts").json()
    assert set(charts["positions"]) == {"emission"}
    page = client.get(f"/runs/{tid}")
    assert page.status_code == 200 and "/vendor/plotly.min.js" in page.text
    hist = client.get("/runs")
    assert f'href="/runs/{rid}"' in hist.text and f'href="/runs/{tid}"' in hist.text
    d = client.get("/api/runs/diff", params={"a": rid, "b": tid}).json()
    assert {"field": "model", "a": "nash", "b": "weighted-mean"} in d["settings"]
    assert client.get("/runs/diff", params={"a": rid, "b": tid}).status_code == 200
    assert client.get("/api/runs/9999").status_code == 404
    assert client.get("/runs/9999", headers={"accept": "text/html"}).status_code == 404


def test_assets_are_local(client):
    page = client.get("/workbench", params={"scenario": EC}).text
    import re

    for src in re.findall(r'(?:src|href)="([^"]+)"', page):
        assert not src.startswith(("http:", "https:", "//")), src
    js = client.get("/vendor/plotly.min.js")
    assert js.status_code == 200 and len(js.content) > 1_000_000
    for path in ("/static/app.css", "/static/common.js", "/static/workbench.js", "/static/index.js"):
        assert client.get(path).status_code == 200


def test_openapi(client):
    spec = client.get("/api/openapi.json").json()
    post = spec["paths"]["/api/scenarios"]["post"]
    assert "multipart/form-data" in post["requestBody"]["content"]
    assert {"/api/runs", "/api/models", "/api/runs/{run_id}/result.csv"} <= set(spec["paths"])
    assert client.get("/api/docs").status_code == 200


def test_a_bug_is_a_500_message_and_the_server_keeps_serving(client, monkeypatch):
    from realpolitik.models import baselines

    def boom(self, *a, **k):
        raise RuntimeError("secret internals")

    monkeypatch.setattr(baselines.WeightedMedian, "_run", boom)
    r = client.post("/api/runs", json={"model": "weighted-median", "scenario": EC})
    assert r.status_code == 500
    assert "RuntimeError" in r.json()["detail"] and "secret" not in r.text
    _no_traceback(r)
    assert client.get("/").status_code == 200
    assert client.post("/api/runs", json={"model": "weighted-mean", "scenario": EC}).status_code == 200


def test_without_history(tmp_path, monkeypatch):
    monkeypatch.setenv("REALPOLITIK_DB", "off")
    with TestClient(create_app(jobs=JobSettings(isolation="thread")), raise_server_exceptions=False, base_url=LOCAL) as c:
        r = c.post("/api/runs", json={"model": "weighted-mean", "scenario": EC})
        assert r.status_code == 200 and r.json()["run_id"] is None
        assert c.get("/api/runs").status_code == 503
        assert "switched off" in c.get("/").text


def test_serve_command_defaults_to_loopback():
    from typer.testing import CliRunner

    from realpolitik.cli import app

    help_text = CliRunner().invoke(app, ["serve", "--help"]).output
    assert "127.0.0.1" in help_text and "8000" in help_text


def test_any_large_body_is_refused(client, ec):
    data = ec.to_data()
    data["description"] = "x" * (200 * 1024)
    r = client.post("/api/runs", json={"model": "weighted-mean", "data": data})
    assert r.status_code == 413


def test_monte_carlo_run_from_the_web(client, ec):
    pytest.importorskip("realpolitik.analysis.montecarlo")
    body = {"model": "weighted-mean", "scenario": EC, "draws": 300, "spread": 0.2, "seed": 4}
    r = client.post("/api/runs", json=body)
    assert r.status_code == 200, r.text
    out = r.json()
    assert "Monte Carlo" in out["label"]
    assert out["result"]["details"]["draws"] == 300
    (row,) = out["forecast_rows"]
    assert row["p10"] < row["value"] < row["p90"]
    assert set(out["charts"]["histogram"]) == {"emission"}
    again = client.post("/api/runs", json=body).json()
    assert again["result"]["forecast"] == out["result"]["forecast"]  # the seed fixes every draw
    assert client.post("/api/runs", json={**body, "draws": 10**6}).status_code == 422
    page = client.get(f"/runs/{out['run_id']}")
    assert page.status_code == 200


@pytest.mark.parametrize("data", [{"actors": 5}, {"title": "t", "issues": [{"id": "a"}], "actors": [1, 2]}, {"issues": "x"}])
def test_malformed_scenario_outline_is_a_4xx(client, data):
    r = client.post("/api/runs", json={"model": "weighted-mean", "data": data})
    assert r.status_code == 422 and r.json()["problems"][0]["location"].startswith("scenario:")
    _no_traceback(r)


def test_serve_with_a_bad_db_is_exit_2(capsys):
    from realpolitik.cli import main

    assert main(["serve", "--db", "nonsense", "--port", "1"]) == 2
    assert "--db" in capsys.readouterr().err
