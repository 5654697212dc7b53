"""The ledger in the workbench (issue 14): pages and JSON API over the same ledger as the CLI."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from realpolitik.ledger import Ledger
from realpolitik.web.app import create_app

QUESTION = {
    "id": "web-q", "title": "Settlement at or above 50?", "type": "binary",
    "resolution_criteria": "Resolves yes if the agreed terms sit at or above 50 on the settlement scale.",
    "scheduled_close_time": "2099-01-31",
    "realpolitik": {"scenario": "russia-ukraine-2024", "issue": "settlement", "mapping": [
        {"models": ["*"], "run": "monte-carlo", "distribution": "default", "threshold": {"op": ">=", "value": 50}}]},
}  # fmt: skip


@pytest.fixture()
def client(tmp_path):
    url = f"sqlite:///{tmp_path / 'web.sqlite'}"
    return TestClient(create_app(db_url=url), base_url="http://127.0.0.1:8000"), url  # Host allow-list


def test_add_seal_resolve_and_score_in_the_workbench(client):
    c, url = client
    r = c.post("/api/ledger/questions", json=QUESTION)
    assert r.status_code == 200, r.text
    r = c.post("/api/ledger/questions/web-q/forecasts", json={"models": ["weighted-mean", "weighted-median"], "draws": 20, "seed": 1})
    assert r.status_code == 200, r.text
    assert [s["model"] for s in r.json()["sealed"]] == ["weighted-mean", "weighted-median"]
    r = c.post("/api/ledger/questions/web-q/resolution", json={"value": "yes", "source": "news"})
    assert r.status_code == 422 and "--early" in r.json()["problems"][0]["message"]
    r = c.post("/api/ledger/questions/web-q/resolution", json={"value": "yes", "source": "news", "early": True})
    assert r.status_code == 200, r.text
    scores = c.get("/api/ledger/scores").json()
    assert scores["questions"][0]["id"] == "web-q" and len(scores["questions"][0]["rows"]) == 2
    assert c.get("/api/ledger/verify").json()["ok"] is True
    page = c.get("/ledger", headers={"accept": "text/html"})
    assert page.status_code == 200 and "chain intact" in page.text and "web-q" in page.text
    assert "reliability" in page.text and "scores-web-q" in page.text
    q = c.get("/ledger/web-q", headers={"accept": "text/html"})
    assert q.status_code == 200 and "Resolved: yes" in q.text and "weighted-median" in q.text
    assert len(Ledger.open(url).entries()) == 4  # the same ledger the CLI reads


def test_web_mistakes_name_the_place(client):
    c, _ = client
    r = c.get("/api/ledger/questions/nope")
    assert r.status_code == 422 and "unknown question 'nope'" in r.json()["problems"][0]["message"]
    bad = {**QUESTION, "id": "Bad Id"}
    r = c.post("/api/ledger/questions", json=bad)
    assert r.status_code == 422 and r.json()["problems"][0]["location"] == "question:id"
    page = c.get("/ledger", headers={"accept": "text/html"})
    assert "ru-ua-ceasefire-2027" in page.text  # the shipped questions are listed
