"""DEU III loader on a synthetic file in the published layout (the real file cannot be shipped)."""

from __future__ import annotations

import json

import numpy as np
import pytest
from typer.testing import CliRunner

from realpolitik.analysis.backtest import cases as bt
from realpolitik.analysis.backtest.deu import NAMES, NICE_WEIGHTS, load_deu, parse_deu
from realpolitik.cli import app
from realpolitik.errors import ScenarioError

CODES = list(NAMES)  # com, ep, then the 28 member states, as in DEU III
HEADER = ["isnr", "prnr", "prname", "proc", "intro", "finact", "rp", "out"] + [x for c in CODES for x in ("p" + c, "s" + c)]


def synthetic(n: int = 12, seed: int = 5) -> tuple[str, list[dict]]:
    """A DEU III-like file: 999 and blanks for missing values; returns text and the truth."""
    rng = np.random.default_rng(seed)
    lines, truth = [";".join(HEADER)], []
    for i in range(n):
        pos = {c: float(rng.choice([0, 30, 50, 70, 100])) for c in CODES}
        sal = {c: float(rng.integers(10, 100)) for c in CODES}
        missing = set(rng.choice(CODES, size=8, replace=False))
        out = "999" if i == 3 else ("" if i == 7 else str(int(rng.integers(0, 101))))
        rp = "999" if i % 4 == 0 else "0"
        cells = [str(i + 1), str(200 + i // 3), f"Proposal {i // 3}", "COD", "03-02-09", "15-06-11", rp, out]
        for c in CODES:
            if c in missing:
                cells += ["999", ""] if c != "de" else ["", "999"]
            elif c == "fr" and i == 5:
                cells += [str(int(pos[c])), "999"]  # position without salience
            else:
                cells += [str(int(pos[c])), str(int(sal[c]))]
        lines.append(";".join(cells))
        truth.append({"isnr": str(i + 1), "out": out, "rp": rp, "pos": pos, "sal": sal, "missing": missing})
    return "\n".join(lines) + "\n", truth


def test_loader_reads_the_layout(tmp_path):
    text, truth = synthetic()
    f = tmp_path / "DEU_III.csv"
    f.write_text(text)
    d = load_deu(f)
    assert d.rows == 12 and len(d.cases) == 10
    assert d.skipped == {"no outcome": ["4", "8"]}
    assert d.default_salience == 1  # France, row 6
    assert d.actors[:2] == ["com", "ep"] and len(d.actors) == 30
    c = d.cases[0]
    t = truth[0]
    scen = c.scenario
    assert c.outcomes[0].value == float(t["out"])
    assert scen.issues[0].status_quo is None  # rp 999 = missing
    assert d.cases[1].scenario.issues[0].status_quo == 0.0
    ids = set(scen.actor_ids)
    assert ids == set(CODES) - t["missing"]
    for a in scen.actors:
        assert a.positions["issue"] == t["pos"][a.id] and a.saliences["issue"] == t["sal"][a.id]
        assert a.capability == (29.0 if a.id in ("com", "ep") else NICE_WEIGHTS[a.id])
    assert c.outcomes[0].date.isoformat() == "2011-06-15"
    assert sum(NICE_WEIGHTS.values()) == 352  # Nice weights of the EU-28


def test_institution_weight_zero_leaves_the_institutions_out(tmp_path):
    text, _ = synthetic()
    d = parse_deu(text.encode(), "deu.csv", institution_weight=0)
    assert all(not {"com", "ep"} & set(c.scenario.actor_ids) for c in d.cases)


def test_compromise_model_mae_by_hand(tmp_path):
    text, truth = synthetic(n=20, seed=9)
    d = parse_deu(text.encode(), "deu.csv")
    res = bt.run_backtest(d.cases, bt.select_models(["weighted-mean"]), draws=0)
    errs = []
    for i, t in enumerate(truth):
        if t["out"] in ("999", ""):
            continue
        present = [c for c in CODES if c not in t["missing"]]
        cap = np.array([29.0 if c in ("com", "ep") else NICE_WEIGHTS[c] for c in present])
        sal = np.array([50.0 if (c == "fr" and i == 5) else t["sal"][c] for c in present])  # no salience: 50
        pos = np.array([t["pos"][c] for c in present])
        errs.append(abs((cap * sal * pos).sum() / (cap * sal).sum() - float(t["out"])))
    (row,) = res.leaderboard()
    assert row.n == len(errs) and row.mae == pytest.approx(np.mean(errs))


def test_located_errors():
    text, _ = synthetic(n=3)
    lines = text.splitlines()
    cells = lines[2].split(";")
    cells[HEADER.index("pit")] = "abc"
    cells[HEADER.index("out")] = "150"
    lines[2] = ";".join(cells)
    with pytest.raises(ScenarioError) as exc:
        parse_deu("\n".join(lines).encode(), "deu.csv")
    msgs = exc.value.lines()
    assert any(m.startswith("deu.csv:3:pit:") and "not a number" in m for m in msgs)
    assert any(m.startswith("deu.csv:3:out:") and "outside the DEU scale" in m for m in msgs)
    with pytest.raises(ScenarioError, match="missing column 'out'"):
        parse_deu(b"isnr;rp;pcom;scom;pep;sep\n1;2;3;4;5;6\n", "deu.csv")
    with pytest.raises(ScenarioError, match="semicolon-separated"):
        parse_deu(b"isnr,rp,out\n1,2,3\n", "deu.csv")


def test_cli_backtest_deu(tmp_path):
    text, _ = synthetic()
    f = tmp_path / "DEU_III.csv"
    f.write_text(text)
    r = CliRunner().invoke(app, ["backtest", "deu", str(f), "-m", "weighted-mean", "-m", "status-quo", "--json"])
    assert r.exit_code == 0, r.output
    data = json.loads(r.stdout)
    assert data["load"]["issues_used"] == 10 and data["load"]["skipped"] == {"no outcome": 2}
    models = {row["model"] for row in data["leaderboard"]}
    assert models == {"weighted-mean", "status-quo"}
    sq = next(row for row in data["leaderboard"] if row["model"] == "status-quo")
    assert sq["n"] == 7  # the issues with a reference point and an outcome
    assert data["stored_runs"] == 1
