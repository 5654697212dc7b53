"""The forecast ledger (issue 14): questions, sealed forecasts, resolution, scores, tamper checks."""

from __future__ import annotations

import datetime as dt
import json
import math
import sqlite3

import pytest

from realpolitik.cli import main
from realpolitik.errors import ScenarioError
from realpolitik.ledger import Context, Ledger, answer, forecast_question, ledger_scores, parse_question, shipped_questions
from realpolitik.ledger.chain import canonical, digest
from realpolitik.models import available_models, get_model
from realpolitik.scenario import load_scenario

UTC = dt.timezone.utc


@pytest.fixture()
def db(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'ledger.sqlite'}"
    monkeypatch.setenv("REALPOLITIK_DB", url)
    return url


def run(capsys, *args):
    code = main(list(args))
    cap = capsys.readouterr()
    return code, cap.out, cap.err


def one_error(err: str) -> str:
    lines = [ln for ln in err.strip().splitlines() if ln.strip()]
    assert len(lines) == 1, err
    assert "Traceback" not in err
    return lines[0]


BIN = ["question", "add", "--id", "q-bin", "--title", "Settlement at or above 50?", "--criteria",
       "Resolves yes if the agreed terms sit at or above 50 on the settlement scale.", "--close", "2099-01-31",
       "--threshold", "settlement>=50"]  # fmt: skip


def test_add_seal_resolve_score_verify_through_the_cli(db, capsys):
    assert run(capsys, *BIN)[0] == 0
    code, out, err = run(capsys, "forecast", "--question", "q-bin", "-m", "weighted-mean", "-m", "weighted-median",
                         "--draws", "50", "--seed", "3", "--json")  # fmt: skip
    assert code == 0, err
    sealed = json.loads(out)["sealed"]
    assert [s["model"] for s in sealed] == ["weighted-mean", "weighted-median"]
    assert all(0 <= s["forecast"]["p"] <= 1 for s in sealed)
    # before the close: refused without --early, one line naming the question
    code, _, err = run(capsys, "question", "resolve", "q-bin", "yes", "--source", "news")
    assert code == 2 and "q-bin" in one_error(err) and "--early" in err
    assert run(capsys, "question", "resolve", "q-bin", "yes", "--source", "news", "--early")[0] == 0
    code, out, _ = run(capsys, "ledger", "score", "--json")
    assert code == 0
    rep = json.loads(out)
    (qd,) = rep["questions"]
    assert qd["resolution"] == "yes" and qd["early"]
    assert {r["forecaster"] for r in qd["rows"]} == {"weighted-mean", "weighted-median"}
    assert qd["baseline"] == "uniform" and qd["baseline_scores"]["brier"] == pytest.approx(0.5)
    code, out, _ = run(capsys, "ledger", "verify")
    assert code == 0 and "4 ledger entries, chain intact" in out
    # a forecast after the resolution is refused
    code, _, err = run(capsys, "forecast", "--question", "q-bin", "-m", "weighted-mean", "--draws", "10")
    assert code == 2 and "resolved" in one_error(err)


def test_user_mistakes_are_one_line_errors(db, capsys, tmp_path):
    assert run(capsys, *BIN)[0] == 0
    cases = [
        (["forecast", "--question", "nope"], "unknown question 'nope'"),
        (["question", "show", "nope"], "unknown question 'nope'"),
        (["question", "resolve", "nope", "yes", "--source", "x"], "unknown question"),
        (["question", "resolve", "q-bin", "maybe", "--source", "x", "--early"], "not a binary resolution"),
        ([*BIN], "already in the ledger"),
        (["question", "add", "--id", "Bad Id", "--title", "A question", "--criteria", "Resolves yes when it happens.",
          "--close", "2099-01-01"], "is not a question id"),
        (["question", "add", "--id", "q2", "--title", "A question", "--criteria", "Resolves yes when it happens.",
          "--close", "next week"], "scheduled_close_time"),
        (["question", "add", "--id", "q3", "--title", "Numeric", "--type", "numeric", "--criteria",
          "The value on the scale.", "--close", "2099-01-01"], "--issue"),
        (["question", "add", "--id", "q4", "--title", "A question", "--criteria", "Resolves yes when it happens.",
          "--close", "2099-01-01", "--threshold", "nosuch>3"], "unknown issue"),
        (["ledger", "score", "--baseline", "median"], "--baseline"),
    ]  # fmt: skip
    for args, text in cases:
        code, _, err = run(capsys, *args)
        assert code == 2, args
        assert text in one_error(err), (args, err)
    num = ["question", "add", "--id", "q-num", "--type", "numeric", "--issue", "settlement", "--title", "Terms",
           "--criteria", "The point of the scale nearest the agreed terms.", "--close", "2099-01-31"]  # fmt: skip
    assert run(capsys, *num)[0] == 0
    code, _, err = run(capsys, "question", "resolve", "q-num", "140", "--source", "x", "--early")
    assert code == 2 and "outside the question's range 0-100" in one_error(err)
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"format": "realpolitik-questions/1", "questions": [
        {"id": "x1", "title": "Fine question", "type": "binary", "resolution_criteria": "Resolves yes when it happens.",
         "scheduled_close_time": "2099-01-01"},
        {"id": "x2", "title": "Bad question", "type": "binary", "resolution_criteria": "Resolves yes when it happens.",
         "scheduled_close_time": "2099-01-01", "realpolitik": {"mapping": [{"probability": "a", "curve": {"x": "b", "y": "c"}}]}},
    ]}))  # fmt: skip
    code, _, err = run(capsys, "question", "import", str(bad))
    assert code == 2 and f"{bad}:questions[1].realpolitik.mapping[0]" in one_error(err)
    assert "x1" not in run(capsys, "question", "list", "--json")[1]  # nothing half-imported


def test_forecast_after_close_is_refused_and_late_entries_do_not_count(db):
    book = Ledger.open(db)
    q = parse_question({"id": "q-late", "title": "Closed soon", "type": "binary", "scheduled_close_time": "2030-01-01",
                        "resolution_criteria": "Resolves yes if the settlement forecast is at least 50.",
                        "realpolitik": {"scenario": "ec-emissions", "mapping": [{"probability": "details.p"}]}})  # fmt: skip
    book.add_question(q, now=dt.datetime(2029, 1, 1, tzinfo=UTC))
    res = {"model": "m", "options": {}, "details": {"p": 0.7}}
    fc, _, _ = answer(q, "m", res, Context())
    book.seal("q-late", "m", res, fc, {}, now=dt.datetime(2029, 6, 1, tzinfo=UTC))
    with pytest.raises(ScenarioError, match="closed on 2030-01-01T23:59:59Z"):
        book.seal("q-late", "m", res, fc, {}, now=dt.datetime(2030, 1, 2, tzinfo=UTC))
    book.resolve("q-late", "yes", "a source", now=dt.datetime(2030, 2, 1, tzinfo=UTC))
    (qd,) = ledger_scores(book.states())["questions"]
    (row,) = qd["rows"]
    # open 2029-01-01 .. close 2030-01-01T23:59:59; baseline (0.5) until 2029-06-01, then 0.7
    t0, t1, t2 = dt.datetime(2029, 1, 1, tzinfo=UTC), dt.datetime(2029, 6, 1, tzinfo=UTC), q.close
    w = (t1 - t0).total_seconds() / (t2 - t0).total_seconds()
    assert row["time_avg"]["brier"] == pytest.approx(w * 0.5 + (1 - w) * 2 * 0.3**2)
    assert row["last_scores"]["brier"] == pytest.approx(2 * 0.3**2)


def _tamper(path: str, sql: str, *args) -> None:
    con = sqlite3.connect(path)
    con.execute(sql, args)
    con.commit()
    con.close()


def test_tampering_is_detected_at_the_first_broken_link(db, capsys, tmp_path):
    assert run(capsys, *BIN)[0] == 0
    assert run(capsys, "forecast", "--question", "q-bin", "-m", "weighted-mean", "-m", "nash", "--draws", "20")[0] == 0
    code, out, _ = run(capsys, "ledger", "verify", "--json")
    head = json.loads(out)["head"]
    path = str(tmp_path / "ledger.sqlite")
    con = sqlite3.connect(path)
    (body,) = con.execute("select body from ledger_entries where seq=2").fetchone()
    con.close()
    data = json.loads(body)
    data["forecast"]["p"] = 0.99
    _tamper(path, "update ledger_entries set body=? where seq=2", canonical(data))
    code, _, err = run(capsys, "ledger", "verify")
    assert code == 2 and one_error(err).startswith("error ledger verify: ledger entry 2:") and "edited" in err
    # a careful forger recomputes the entry's hash: the next entry no longer links to it
    _tamper(path, "update ledger_entries set hash=? where seq=2", digest(canonical(data)))
    code, _, err = run(capsys, "ledger", "verify")
    assert code == 2 and "ledger entry 3:" in one_error(err) and "does not link" in err
    # removing the last entry: only the noted head shows it
    fresh = tmp_path / "fresh.sqlite"
    url = f"sqlite:///{fresh}"
    assert run(capsys, *BIN, "--db", url)[0] == 0
    assert run(capsys, "question", "add", "--id", "q-two", "--title", "Second question", "--criteria",
               "Resolves yes when it happens.", "--close", "2099-01-01", "--db", url)[0] == 0  # fmt: skip
    head = json.loads(run(capsys, "ledger", "verify", "--json", "--db", url)[1])["head"]
    _tamper(str(fresh), "delete from ledger_entries where seq=2")
    assert run(capsys, "ledger", "verify", "--db", url)[0] == 0
    code, _, err = run(capsys, "ledger", "verify", "--head", head, "--db", url)
    assert code == 2 and "removed" in one_error(err)


def test_export_import_round_trip(db, capsys, tmp_path):
    assert run(capsys, *BIN)[0] == 0
    assert run(capsys, "question", "resolve", "q-bin", "no", "--source", "a report", "--early")[0] == 0
    f = tmp_path / "qs.json"
    assert run(capsys, "question", "export", "q-bin", "ru-ua-ceasefire-2027", "--out", str(f))[0] == 0
    data = json.loads(f.read_text())
    assert data["format"] == "realpolitik-questions/1"
    a, b = data["questions"]
    assert a["resolution"] == "no" and a["resolution_source"] == "a report" and a["scheduled_close_time"] == "2099-01-31T23:59:59Z"
    assert b["id"] == "ru-ua-ceasefire-2027" and "resolution" not in b
    other = f"sqlite:///{tmp_path / 'other.sqlite'}"
    assert run(capsys, "question", "import", str(f), "--db", other)[0] == 0
    shown = json.loads(run(capsys, "question", "show", "q-bin", "--json", "--db", other)[1])
    assert shown["realpolitik"] == a["realpolitik"] and "resolution" not in shown  # resolutions are not imported


def test_shipped_questions_are_unresolved_and_say_what_is_interpretation(db):
    qs = shipped_questions()
    assert sorted(qs) == ["ru-me-intervention-2027", "ru-terms-four-oblasts", "ru-ua-ceasefire-2027"]
    states = Ledger.open(db).states()
    for qid, q in qs.items():
        assert not states[qid].in_ledger and states[qid].resolution is None
        assert q.realpolitik.scenario == "russia-ukraine-2024" and q.type == "binary"
        assert "nterpretation" in q.realpolitik.mapping_note and len(q.resolution_criteria) > 200


def test_shipped_questions_read_real_results():
    """Each shipped question is answered by the models its rules name, from their real result keys."""
    scen = load_scenario()
    ctx = Context(issue=None, as_of=scen.as_of)
    qs = shipped_questions()
    war = get_model("war", draws=400).run(scen, rng=1).to_dict()
    fc, k, what = answer(qs["ru-ua-ceasefire-2027"], "war", war, ctx)
    months = war["details"]["settlement_by_month"]
    assert k == 0 and 0 <= fc.p <= 1 and "35.98 months" in what
    assert min(months["probability"]) <= fc.p <= max(months["probability"])
    q2 = qs["ru-terms-four-oblasts"]
    eu = get_model("expected-utility").run(scen).to_dict()
    fc, _, what = answer(q2, "expected-utility", eu, Context(issue="settlement", as_of=scen.as_of))
    putin = eu["history"]["positions"][-1][eu["actors"].index("putin")][eu["issues"].index("settlement")]
    assert fc.p == (1.0 if putin >= 59.5 else 0.0) and "history.positions.-1" in what
    fc, _, what = answer(q2, "war", war, Context(issue="settlement", as_of=scen.as_of))
    assert fc.p in (0.0, 1.0) and "domestic_bound" in what
    with pytest.raises(Exception, match="no mapping rule"):
        answer(q2, "weighted-mean", eu, Context(issue="settlement"))


def test_middle_east_question_from_monte_carlo_draws(db):
    book = Ledger.open(db)
    out = forecast_question(book, "ru-me-intervention-2027", models=["weighted-mean", "weighted-median"], seed=2,
                            draws=40, now=dt.datetime(2027, 1, 1, tzinfo=UTC))  # fmt: skip
    assert [o.model for o in out] == ["weighted-mean", "weighted-median"]
    assert all(o.run == "monte-carlo" and "40 draws" in o.what for o in out)
    st = book.state("ru-me-intervention-2027")
    assert st.in_ledger and len(st.forecasts) == 2  # the shipped question entered the ledger on its first forecast
    f = st.forecasts[0]
    assert f.entry["scenario"]["hash"] == load_scenario().content_hash()
    assert f.entry["seed"] == 2 and f.entry["version"] and "numpy" in f.entry["packages"]
    assert f.entry["how"]["draws"] == 40 and f.entry["run_id"] is not None


@pytest.mark.skipif("ensemble" not in available_models(), reason="the ensemble model (issue 12) is not installed")
def test_ensemble_intervals_are_read_as_quantiles():
    scen = load_scenario()
    res = get_model("ensemble", draws=40).run(scen, rng=3).to_dict()
    q = parse_question({"id": "ens", "title": "Settlement terms", "type": "numeric", "scheduled_close_time": "2099-01-01",
                        "resolution_criteria": "The point of the scale nearest the agreed terms.",
                        "scaling": {"range_min": 0, "range_max": 100},
                        "realpolitik": {"scenario": "russia-ukraine-2024", "issue": "settlement"}})  # fmt: skip
    fc, k, what = answer(q, "ensemble", res, Context(issue="settlement"))
    e = res["details"]["issues"]["settlement"]
    assert k == 0 and what.startswith("quantiles")
    d = fc.distribution
    assert d.quantile(0.1) == pytest.approx(e["interval80"][0]) and d.quantile(0.9) == pytest.approx(e["interval80"][1])
    assert d.quantile(0.25) == pytest.approx(e["interval50"][0]) and d.quantile(0.75) == pytest.approx(e["interval50"][1])


def test_report_and_plots_carry_the_ledger(db, capsys, tmp_path):
    assert run(capsys, *BIN)[0] == 0
    assert run(capsys, "forecast", "--question", "q-bin", "-m", "weighted-mean", "-m", "weighted-median", "--draws", "20")[0] == 0
    assert run(capsys, "question", "resolve", "q-bin", "yes", "--source", "news", "--early")[0] == 0
    code, _, err = run(capsys, "ledger", "score", "--plot", str(tmp_path / "s"))
    assert code == 0, err
    for name in ("s-reliability.png", "s-scores.png"):
        assert (tmp_path / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    out = tmp_path / "r.html"
    code, _, err = run(capsys, "report", "ec-emissions", "-m", "weighted-mean", "--ledger", "--out", str(out))
    assert code == 0, err
    html = out.read_text()
    assert "Forecast ledger" in html and "Reliability of sealed forecasts" in html and "q-bin" in html
    assert "chain" in html and "intact" in html


def test_readme_ledger_example_runs(db, tmp_path):
    """The README's ledger lines, run as a shell script against a fresh database."""
    import os
    import re
    import subprocess
    import sys
    from pathlib import Path

    text = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    block = re.search(r"<!-- ledger-example[^>]*-->\n```sh\n(.*?)```", text, re.S).group(1)
    bindir = Path(sys.executable).parent
    env = {**os.environ, "PATH": f"{bindir}{os.pathsep}{os.environ['PATH']}"}
    proc = subprocess.run(["bash", "-e", "-c", block], capture_output=True, text=True, env=env, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "chain intact" in proc.stdout and "settle-50" in proc.stdout


def test_multiple_choice_from_paths_and_from_option_ranges(db):
    """The war layer's outcomes at 12 months as options (paths), and the settlement scale's
    labelled points as options (ranges of a distribution); both scored after resolution."""
    scen = load_scenario()
    war = get_model("war", draws=400).run(scen, rng=4).to_dict()
    h = "12"
    q = parse_question({
        "id": "war-12", "title": "How does the war stand 12 months after as-of?", "type": "multiple_choice",
        "resolution_criteria": "The state of the war on the date, as the major agencies report it.",
        "scheduled_close_time": "2099-01-01",
        "options": ["settlement", "russia wins", "ukraine wins", "still at war"],
        "realpolitik": {"mapping": [{"models": ["war"], "probabilities": {
            "settlement": f"details.settlement_probability.{h}",
            "russia wins": f"details.victory_probability_by_horizon.russia.{h}",
            "ukraine wins": f"details.victory_probability_by_horizon.ukraine.{h}",
            "still at war": f"details.war_continues_probability.{h}"}}]}})  # fmt: skip
    fc, _, _ = answer(q, "war", war, Context())
    assert sum(fc.probabilities.values()) == pytest.approx(1.0)
    assert fc.probabilities["settlement"] == war["details"]["settlement_probability"][h]
    pts = [p.value for p in scen.issue("settlement").points]
    cuts = [0.0] + [(a + b) / 2 for a, b in zip(pts[:-1], pts[1:])] + [100.0]
    q2 = parse_question({
        "id": "terms-point", "title": "Which labelled point will the terms be nearest?", "type": "multiple_choice",
        "resolution_criteria": "The labelled point of the settlement scale nearest the agreed terms.",
        "scheduled_close_time": "2099-01-01",
        "options": [{"label": f"{v:g}", "range": [lo, hi]} for v, lo, hi in zip(pts, cuts[:-1], cuts[1:])],
        "realpolitik": {"scenario": "russia-ukraine-2024", "issue": "settlement"}})  # fmt: skip
    book = Ledger.open(db)
    book.add_question(q2)
    out = forecast_question(book, "terms-point", models=["weighted-mean"], draws=60, seed=1)
    (o,) = out
    assert o.run == "monte-carlo" and sum(o.forecast.probabilities.values()) == pytest.approx(1.0)
    book.resolve("terms-point", "40", "a treaty text", early=True)
    (qd,) = ledger_scores(book.states())["questions"]
    p40 = o.forecast.probabilities["40"]
    assert qd["rows"][0]["last_scores"]["log"] == pytest.approx(math.log(max(p40, 1e-4)))


def test_baselines_stated_and_overridden(db, capsys):
    args = [*BIN[:-2], "--threshold", "settlement>=50", "--baseline", "base-rate:0.3:COW wars settled within 3 years"]
    assert run(capsys, *args)[0] == 0
    assert run(capsys, "forecast", "--question", "q-bin", "-m", "weighted-mean", "-m", "weighted-median",
               "--draws", "30", "--seed", "5")[0] == 0  # fmt: skip
    assert run(capsys, "question", "resolve", "q-bin", "no", "--source", "news", "--early")[0] == 0
    own = json.loads(run(capsys, "ledger", "score", "--json")[1])["questions"][0]
    assert own["baseline"].startswith("base rate p=0.3") and own["baseline_scores"]["brier"] == pytest.approx(2 * 0.3**2)
    uni = json.loads(run(capsys, "ledger", "score", "--json", "--baseline", "uniform")[1])["questions"][0]
    assert uni["baseline_scores"]["brier"] == pytest.approx(0.5)
    vs = json.loads(run(capsys, "ledger", "score", "--json", "--baseline", "model:weighted-mean")[1])["questions"][0]
    rows = {r["forecaster"]: r for r in vs["rows"]}
    wm, med = rows["weighted-mean"], rows["weighted-median"]
    assert wm["vs_baseline"]["brier"] == pytest.approx(0.0)
    assert med["vs_baseline"]["brier"] == pytest.approx(wm["time_avg"]["brier"] - med["time_avg"]["brier"])


def test_multiple_choice_question_added_on_the_command_line(db, capsys):
    args = ["question", "add", "--id", "mc", "--type", "multiple-choice", "--issue", "settlement", "--title",
            "Where will the terms fall?", "--criteria", "The band of the settlement scale the agreed terms fall in.",
            "--close", "2099-01-01", "--option", "below 40=0:40", "--option", "40 to 60=40:60", "--option", "60 and up=60:100"]  # fmt: skip
    assert run(capsys, *args)[0] == 0
    code, out, err = run(capsys, "forecast", "--question", "mc", "-m", "weighted-mean", "--draws", "30", "--json")
    assert code == 0, err
    (s,) = json.loads(out)["sealed"]
    assert sum(s["forecast"]["probabilities"].values()) == pytest.approx(1.0)
    code, _, err = run(capsys, "question", "resolve", "mc", "between", "--source", "x", "--early")
    assert code == 2 and "not an option" in one_error(err)
    assert run(capsys, "question", "resolve", "mc", "2", "--source", "x", "--early")[0] == 0
    assert json.loads(run(capsys, "question", "show", "mc", "--json")[1])["resolution"] == "40 to 60"
