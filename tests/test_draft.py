"""draft: a scenario from a commentary, every number with a quote found in the text.

The endpoint back-end is tested against a stub OpenAI-compatible server on loopback.
"""

from __future__ import annotations

import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import yaml

from realpolitik.cli import main
from realpolitik.draft import draft_scenario
from realpolitik.draft.assemble import assemble
from realpolitik.draft.endpoint import EndpointBackend, chat_url
from realpolitik.draft.measure import measure
from realpolitik.draft.offline import OfflineBackend
from realpolitik.draft.quotes import QuoteIndex, sentences
from realpolitik.draft.schema import Proposal
from realpolitik.errors import OptionError, ScenarioError
from realpolitik.scenario import load_scenario

SHORT = (
    "Prime Minister Anna Berg insisted that only NATO membership can protect the country. "
    "President Karl Ode rejects any alliance and wants the country neutral. "
    "Berg may accept security guarantees for now."
)


def _all_quotes(scen):
    for a in scen.actors:
        for n in a.notes:
            yield a.id, n


# ------------------------------------------------------------------ quotes
def test_quotes_are_found_verbatim_up_to_whitespace():
    idx = QuoteIndex("He said:  “we  will\nnot move”.\nThen he left.")
    assert idx.find("“we will not move”") == "“we  will\nnot move”"
    assert idx.find('"we will not move"') is None  # straight quotes are not the text's
    assert idx.find("we will not budge") is None
    assert idx.find("") is None and idx.find(None) is None
    assert sentences("One. Two! “Three?” Four") == ["One.", "Two!", "“Three?”", "Four"]


# ------------------------------------------------------------------ offline on the seed
@pytest.fixture(scope="module")
def seed_draft(seed_text):
    return draft_scenario(seed_text, "seed.txt")


def test_offline_draft_of_the_seed_is_valid_and_quoted(seed_draft, seed_text, tmp_path):
    d = seed_draft
    s = d.scenario
    assert s.title.startswith("DRAFT - ") and "DRAFT to be reviewed" in s.description
    assert s.extensions["draft"]["status"] == "draft - review before use"
    # every number either carries a quote found in the text or is a listed placeholder
    for aid, n in _all_quotes(s):
        if n.text.startswith("PLACEHOLDER"):
            assert n.quote is None
            assert f"{aid}.{n.field}" in d.placeholders
        else:
            assert n.quote and n.quote in seed_text, (aid, n.field)
    for ev in s.events:
        assert ev.quote in seed_text
    fields = {(a.id, n.field) for a, n in ((a, n) for a in s.actors for n in a.notes)}
    for a in s.actors:
        for iid in a.positions:
            assert (a.id, f"position.{iid}") in fields and (a.id, f"salience.{iid}") in fields
        assert (a.id, "capability") in fields
    assert len(d.kept) + len(d.placeholders) == sum(2 * len(a.positions) + 1 for a in s.actors) + sum(
        len(e.changes) for e in s.events)
    # never a probability of an outcome
    text = d.to_yaml().decode()
    assert not any("prob" in k.lower() for k in _keys(yaml.safe_load(text)))
    # it loads back as a valid scenario
    out = tmp_path / "d.yaml"
    out.write_bytes(d.to_yaml())
    assert load_scenario(out).content_hash() == s.content_hash()


def _keys(obj):
    if isinstance(obj, dict):
        for k, v in obj.items():
            yield str(k)
            yield from _keys(v)
    elif isinstance(obj, list):
        for v in obj:
            yield from _keys(v)


def test_offline_draft_finds_the_seeds_players(seed_draft):
    s = seed_draft.scenario
    names = " ".join(a.name for a in s.actors)
    for who in ("Putin", "Zelensky", "Russian public", "Russian military", "Russian political elites", "Israel"):
        assert who in names
    # the commentators are sources, not actors
    assert not any(w in names for w in ("Helmer", "Doctorow", "Mercouris"))
    assert any("Helmer" in x for x in seed_draft.left_for_analyst)
    putin = next(a for a in s.actors if a.id == "putin")
    assert putin.positions["settlement"] == 60  # "recognition of existing realities"
    assert putin.positions["alignment"] == 100  # rejects NATO membership; "demilitarize"
    assert {a.parent for a in s.actors if "russia_" in a.id} == {"putin"}
    zel = next(a for a in s.actors if a.id == "zelensky")
    assert zel.positions["alignment"] == 0 and zel.saliences["alignment"] == 85  # "insisted ... only NATO membership"


def test_the_measured_figures_in_docs_draft_md(seed_draft, seed_text):
    """The figures docs/draft.md reports for the seed text (update both together)."""
    d = seed_draft
    m = measure(d.scenario, load_scenario(None), len(d.kept), len(d.placeholders), len(d.dropped))
    assert len(m["actors_found"]) == 6 and m["reference_actors"] == 10
    assert sorted(m["actors_missed"]) == ["iran", "nato_europe", "syria", "washington"]
    assert m["issue_match"] == {"alignment": "alignment", "settlement": "settlement", "operations": "operations",
                                "regional_posture": "middle_east"}  # fmt: skip
    assert m["position_mean_distance"] == pytest.approx(11.54, abs=0.01)
    assert m["salience_mean_distance"] == pytest.approx(20.38, abs=0.01)
    assert (m["numbers_with_valid_quote"], m["numbers"]) == (26, 32)
    assert m["share_of_proposed_quotes_found"] == 1.0


def test_offline_needs_no_network(monkeypatch, seed_text):
    def refuse(*a, **k):
        raise AssertionError("the offline back-end opened a socket")

    monkeypatch.setattr(socket, "socket", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    d = draft_scenario(seed_text, "seed.txt")
    assert len(d.scenario.actors) >= 2


def test_offline_on_another_text():
    d = draft_scenario(SHORT, "short.txt")
    ids = {a.id for a in d.scenario.actors}
    assert {"berg", "ode"} <= ids
    berg = d.scenario.actor("berg")
    assert berg.positions["alignment"] == 0  # "insisted that only NATO membership"
    ode = d.scenario.actor("ode")
    assert ode.positions["alignment"] >= 80  # "wants the country neutral"
    with pytest.raises(ScenarioError, match="nothing to draft"):
        draft_scenario("The weather was fine on Tuesday. Nobody said anything.", "weather.txt")


# ------------------------------------------------------------------ assembling a proposal
def _proposal(quote_ok: str, quote_bad: str) -> dict:
    return {
        "title": "Test",
        "issues": [{"id": "alignment", "label": "Alignment", "points": [{"value": 0, "label": "in NATO"},
                                                                       {"value": 100, "label": "neutral"}],
                    "quote": quote_ok}],  # fmt: skip
        "actors": [
            {"id": "berg", "name": "Anna Berg", "quote": "Prime Minister Anna Berg",
             "capability": {"value": 60, "quote": "a paraphrase not in the text", "rationale": "x"}},
            {"id": "ode", "name": "Karl Ode", "quote": "President Karl Ode"},
        ],
        "stances": [
            {"actor": "berg", "issue": "alignment", "position": {"value": 0, "quote": quote_ok, "rationale": "r"},
             "salience": {"value": 90, "quote": quote_ok, "rationale": "insisted"}},
            {"actor": "ode", "issue": "alignment", "position": {"value": 95, "quote": "President Karl Ode rejects any alliance",
                                                               "rationale": "r"},
             "salience": {"value": 80, "quote": quote_bad, "rationale": "made up"}},
        ],
        "events": [{"id": "talks", "description": "d", "quote": quote_bad, "changes": []}],
        "left_for_analyst": ["capabilities"],
    }  # fmt: skip


def test_a_quote_not_in_the_text_drops_its_number():
    ok = "only NATO membership can protect the country"
    p = Proposal.model_validate(_proposal(ok, "Ode said he would never join"))
    d = assemble(p, SHORT, "short.txt", "test")
    what = {x["what"]: x["reason"] for x in d.dropped}
    assert what["berg.capability"] == "quote not found in the text"
    assert what["ode.salience.alignment"] == "quote not found in the text"
    assert what["event talks"] == "quote not found in the text"
    assert d.scenario.actor("berg").capability == 50.0 and "berg.capability" in d.placeholders
    assert d.scenario.actor("ode").saliences["alignment"] == 50.0 and "ode.salience.alignment" in d.placeholders
    assert d.scenario.actor("ode").positions["alignment"] == 95
    assert d.scenario.events == ()
    assert d.quoted_share() == pytest.approx(3 / 6)  # 3 quoted; berg.capability, ode.capability, ode.salience placeholders


# ------------------------------------------------------------------ the endpoint back-end, against a stub
class _Stub:
    """A stub OpenAI-compatible server on 127.0.0.1 that answers with a canned proposal."""

    def __init__(self, answer: dict, refuse_schema: bool = False, status: int = 200):
        self.answer, self.refuse_schema, self.status = answer, refuse_schema, status
        self.requests: list[dict] = []
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's name
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                stub.requests.append({"path": self.path, "auth": self.headers.get("Authorization"), "body": body})
                if stub.status != 200:
                    return self._send(stub.status, {"error": {"message": "model overloaded"}})
                if stub.refuse_schema and body["response_format"]["type"] == "json_schema":
                    return self._send(400, {"error": {"message": "response_format json_schema is not supported"}})
                content = json.dumps(stub.answer)
                self._send(200, {"choices": [{"message": {"role": "assistant", "content": content}}]})

            def _send(self, code, data):
                raw = json.dumps(data).encode()
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            def log_message(self, *a):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/v1"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


def test_endpoint_backend_against_a_stub(monkeypatch):
    monkeypatch.setenv("RP_TEST_KEY", "sekret")
    answer = _proposal("only NATO membership can protect the country", "Ode said he would never join")
    with _Stub(answer) as stub:
        be = EndpointBackend(stub.url, "stub-model", api_key_env="RP_TEST_KEY", timeout=10)
        d = draft_scenario(SHORT, "short.txt", be)
    req = stub.requests[0]
    assert req["path"] == "/v1/chat/completions" and req["auth"] == "Bearer sekret"
    assert req["body"]["model"] == "stub-model" and req["body"]["temperature"] == 0
    assert req["body"]["response_format"]["type"] == "json_schema"
    assert "stances" in json.dumps(req["body"]["response_format"]["json_schema"]["schema"])
    assert SHORT in req["body"]["messages"][1]["content"]
    assert d.backend.startswith("endpoint: model stub-model")
    assert {x["what"] for x in d.dropped} == {"berg.capability", "ode.salience.alignment", "event talks"}
    for aid, n in _all_quotes(d.scenario):
        assert n.quote is None or n.quote in SHORT


def test_endpoint_falls_back_to_json_object_and_reports_errors(monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    answer = _proposal("only NATO membership can protect the country", "x")
    with _Stub(answer, refuse_schema=True) as stub:
        d = draft_scenario(SHORT, "short.txt", EndpointBackend(stub.url, "m", timeout=10))
        assert [r["body"]["response_format"]["type"] for r in stub.requests] == ["json_schema", "json_object"]
        assert stub.requests[0]["auth"] is None
    assert len(d.scenario.actors) == 2
    with _Stub(answer, status=503) as stub:
        with pytest.raises(OptionError, match="HTTP 503: .*model overloaded"):
            EndpointBackend(stub.url, "m", timeout=10).propose(SHORT)
    with _Stub({"not": "a proposal", "actors": "many"}) as stub:
        with pytest.raises(OptionError, match="not a proposal"):
            EndpointBackend(stub.url, "m", timeout=10).propose(SHORT)
    port = _free_port()
    with pytest.raises(OptionError, match="cannot reach the endpoint"):
        EndpointBackend(f"http://127.0.0.1:{port}/v1", "m", timeout=2).propose(SHORT)
    with pytest.raises(OptionError, match="http"):
        EndpointBackend("ftp://x", "m")
    assert chat_url("http://h/v1/") == "http://h/v1/chat/completions"
    assert chat_url("http://h/v1/chat/completions") == "http://h/v1/chat/completions"


def _free_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


# ------------------------------------------------------------------ CLI
def test_cli_draft_offline_writes_a_valid_file(tmp_path, capsys, seed_text):
    src = tmp_path / "commentary.txt"
    src.write_text(seed_text, encoding="utf-8")
    out = tmp_path / "draft.yaml"
    assert main(["draft", str(src), "-o", str(out), "--compare", "russia-ukraine-2024"]) == 0
    captured = capsys.readouterr()
    assert out.read_text().startswith("# ====") and "DRAFT" in out.read_text()
    assert "The draft against russia-ukraine-2024" in captured.out
    assert main(["validate", str(out)]) == 0
    capsys.readouterr()
    assert main(["draft", str(src), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["summary"]["numbers_with_quote"] == 26 and data["written"] is None


def test_cli_draft_endpoint_and_errors(tmp_path, capsys):
    src = tmp_path / "short.txt"
    src.write_text(SHORT, encoding="utf-8")
    out = tmp_path / "d.json"
    with _Stub(_proposal("only NATO membership can protect the country", "x")) as stub:
        assert main(["draft", str(src), "--endpoint", stub.url, "--model", "m", "-o", str(out)]) == 0
    assert json.loads(out.read_text())["title"] == "DRAFT - Test"
    assert main(["draft", str(tmp_path / "missing.txt")]) == 2
    assert main(["draft", str(src), "--model", "m"]) == 2  # a model needs --endpoint
    assert main(["draft", str(src), "--endpoint", "http://127.0.0.1:1/v1"]) == 2  # no --model
    empty = tmp_path / "empty.txt"
    empty.write_text("  \n", encoding="utf-8")
    assert main(["draft", str(empty)]) == 2
    # a failed draft leaves no file behind
    bad = tmp_path / "never.yaml"
    assert main(["draft", str(empty), "-o", str(bad)]) == 2 and not bad.exists()
    assert "error" in capsys.readouterr().err
