"""The workbench's advise and draft pages and their JSON API (FastAPI's TestClient)."""

from __future__ import annotations

import warnings

import pytest

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

from realpolitik.web.app import create_app


@pytest.fixture()
def client(tmp_path):
    app = create_app(db_url=f"sqlite:///{tmp_path / 'web.sqlite'}")
    with TestClient(app, raise_server_exceptions=False, base_url="http://127.0.0.1:8000") as c:  # Host allow-list
        yield c


def test_advise_api_matches_the_python_api(client):
    from realpolitik.analysis.advise import advise
    from realpolitik.scenario import load_scenario

    body = {"scenario": "builtin:russia-ukraine-2024", "actor": "putin", "model": "weighted-mean", "draws": 20,
            "seed": 3, "issues": ["settlement"], "top": 5}
    r = client.post("/api/advise", json=body)
    assert r.status_code == 200, r.text
    out = r.json()
    direct = advise(load_scenario(None), "putin", "weighted-mean", issues=["settlement"], draws=20, seed=3)
    assert out["advice"]["levers"][0]["lever"] == direct.levers[0].lever.label
    assert out["advice"]["levers"][0]["gain_mean"] == pytest.approx(direct.levers[0].mean)
    assert out["advice"]["reproduce"].startswith("realpolitik whatif russia-ukraine-2024 --set ")
    titles = [t["title"] for t in out["tables"]]
    assert any(t.startswith("Levers of putin") for t in titles) and any("pivotal" in t for t in titles)
    assert out["charts"]["levers"]["data"] and len(out["charts"]["quadrants"]) == 1


def test_advise_api_errors_are_located(client):
    r = client.post("/api/advise", json={"actor": "nobody", "draws": 5})
    assert r.status_code in (400, 422) and "unknown actor" in r.text
    r = client.post("/api/advise", json={"actor": "putin", "target": {"settlement": 500}, "draws": 5})
    assert r.status_code in (400, 422) and "outside the issue scale" in r.text
    assert client.post("/api/advise", json={"actor": "putin", "draws": 100000}).status_code == 422
    assert "Traceback" not in r.text


def test_draft_api_and_library(client, seed_text):
    r = client.post("/api/draft", json={"text": seed_text, "name": "seed.txt"})
    assert r.status_code == 200, r.text
    out = r.json()
    assert out["summary"]["numbers_with_quote"] == 26 and out["ref"] is None
    assert out["yaml"].startswith("# ====") and out["data"]["title"].startswith("DRAFT - ")
    r = client.post("/api/draft", json={"text": seed_text, "name": "seed.txt", "save": True})
    ref = r.json()["ref"]
    assert ref.startswith("lib:")
    page = client.get(f"/workbench?scenario={ref}")
    assert page.status_code == 200 and "DRAFT" in page.text
    bad = client.post("/api/draft", json={"text": "Nothing happened on Tuesday."})
    assert bad.status_code in (400, 422) and "nothing to draft" in bad.text


def test_pages(client):
    r = client.get("/advise?actor=zelensky")
    assert r.status_code == 200 and "Advise an actor" in r.text and '"actor": "zelensky"' in r.text
    r = client.get("/draft")
    assert r.status_code == 200 and "Draft a scenario" in r.text
    home = client.get("/")
    assert 'href="/advise"' in home.text and 'href="/draft"' in home.text
    assert client.get("/static/advise.js").status_code == 200 and client.get("/static/draft.js").status_code == 200
