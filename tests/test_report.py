"""Reports: one self-contained HTML file with plots embedded; PDF; the report command."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest

from realpolitik.cli import main
from realpolitik.models import get_model
from realpolitik.report.html import render_html, render_pdf, render_report
from realpolitik.scenario import load_scenario


@pytest.fixture(scope="module")
def scen():
    return load_scenario("ec-emissions")


@pytest.fixture(scope="module")
def results(scen):
    rs = [get_model(n).run(scen, rng=3) for n in ("weighted-mean", "weighted-median")]
    # a trajectory as a round-based model would report it
    a = scen.arrays()
    med = float(np.nanmedian(a.position))
    rs[1].history = {"positions": [(a.position * (1 - t) + t * med).tolist() for t in (0, 0.5, 1)],
                     "median": {"emission": [med, med, med]}}  # fmt: skip
    return rs


def test_html_is_self_contained_with_embedded_plots(scen, results):
    html = render_html(scen, results)
    assert html.startswith("<!doctype html>")
    # nothing is fetched: no external scripts, stylesheets, images or fonts
    assert not re.search(r"<script[^>]*\bsrc=", html)
    assert "<link" not in html
    assert not re.search(r"""(src|href)=["']?https?://""", html)
    assert "@import" not in html and "url(http" not in html
    # forecast chart + one actor map per issue + one trajectory
    assert html.count("<svg") == 1 + len(scen.issues) + 1
    assert "Trajectory" in html


def test_html_holds_scenario_forecasts_and_sources(scen, results):
    html = render_html(scen, results)
    for r in results:
        assert f"{r.forecast['emission']:.1f}" in html
    assert "Weighted mean" in html and "Weighted median" in html  # model labels
    for a in scen.actors:
        assert a.label in html
    for s in scen.sources:
        assert s.title.replace("&", "&amp;").replace("'", "&#39;") in html or s.title in html
    iss = scen.issues[0]
    p = iss.nearest_point(results[0].forecast["emission"])
    assert f"~ {p.value:g}: {p.label}" in html  # forecast read on the labelled scale
    assert scen.content_hash() in html


def test_user_text_is_escaped(scen, results):
    evil = scen.replace(title="<script>alert(1)</script>", description="a & b <b>")
    html = render_html(evil, [get_model("weighted-mean").run(evil)])
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_report_from_stored_result_dicts(scen, results):
    html = render_report(scen, [r.to_dict() for r in results], fmt="html").decode()
    assert "Weighted median" in html and "<svg" in html


def test_pdf(scen, results):
    pdf = render_pdf(scen, results)
    assert pdf.startswith(b"%PDF") and pdf.rstrip().endswith(b"%%EOF")
    # the HTML report on A4 pages (WeasyPrint compresses its page objects: count them with pypdf)
    import io

    import pypdf

    assert len(pypdf.PdfReader(io.BytesIO(pdf)).pages) >= 4


def test_unknown_format(scen, results):
    with pytest.raises(ValueError, match="html or pdf"):
        render_report(scen, results, fmt="docx")


def test_report_command_html_pdf_and_errors(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("REALPOLITIK_DB", f"sqlite:///{tmp_path / 'runs.sqlite'}")
    out = tmp_path / "r.html"
    assert main(["report", "ec-emissions", "-m", "weighted-mean", "-m", "nash", "--out", str(out)]) == 0
    html = out.read_text()
    assert "Nash bargaining" in html and "<svg" in html
    pdf = tmp_path / "r.pdf"
    assert main(["report", "ec-emissions", "-m", "weighted-mean", "--out", str(pdf)]) == 0
    assert pdf.read_bytes().startswith(b"%PDF")
    other = tmp_path / "x.out"
    assert main(["report", "ec-emissions", "-m", "weighted-mean", "--out", str(other), "--format", "pdf"]) == 0
    assert other.read_bytes().startswith(b"%PDF")
    capsys.readouterr()
    assert main(["report", "ec-emissions", "--out", str(tmp_path / "r.docx")]) == 2
    assert "expected html or pdf" in capsys.readouterr().err
    assert main(["report", "no-such-scenario", "--out", str(out)]) == 2
    # the report's runs are in the history
    assert main(["runs", "list", "--json"]) == 0
    runs = json.loads(capsys.readouterr().out)
    assert sorted(r["model"] for r in runs) == ["nash", "weighted-mean", "weighted-mean", "weighted-mean"]


def test_report_shows_monte_carlo_sensitivity_and_war_results():
    """Results of the analysis layer and the war layer get their charts (integration)."""
    mc_mod = pytest.importorskip("realpolitik.analysis.montecarlo")
    sens_mod = pytest.importorskip("realpolitik.analysis.sensitivity")
    from realpolitik.models import available_models

    s = load_scenario(None)
    mc = mc_mod.simulate(s, get_model("weighted-mean"), draws=200, seed=1, spread=0.2)
    se = sens_mod.analyze(s, get_model("weighted-mean"), method="morris", samples=4, seed=1,
                          inputs=["putin.capability", "zelensky.capability"])
    results = [mc.to_dict(), se.to_dict()]
    if "war" in available_models():
        results.append(get_model("war").run(s, rng=1))
    html = render_html(s, results)
    assert "Monte Carlo distribution" in html and "monte carlo" in html
    assert html.count("Sensitivity: ") >= len(s.issues)
    if len(results) == 3:
        assert "Settlement over time" in html


def test_analysis_results_get_analysis_tables(scen):
    from realpolitik.report.html import model_tables

    d = get_model("weighted-mean").run(scen, rng=2).to_dict()
    d["details"] = {"analysis": "monte-carlo", "draws": 100, "spread": 0.1, "point_forecast": {"emission": 7.0},
                    "summary": {"emission": {"mean": 7.1, "median": 7.0, "sd": 0.3, "p10": 6.7, "p90": 7.5}},
                    "thresholds": {"emission>8": 0.05}}  # fmt: skip
    tabs = model_tables(d, scen)
    assert tabs[0].title.startswith("Monte Carlo: 100 draws")
    assert tabs[0].rows[0][1:] == [7.0, 7.1, 7.0, 0.3, 6.7, 7.5]
    assert tabs[1].rows == [["emission>8", 0.05]]
    d["details"] = {"analysis": "sensitivity", "method": "morris",
                    "tornado": {"emission": [{"name": "UK.capability", "low": 7.0, "high": 7.8, "swing": 0.8}]}}  # fmt: skip
    (t,) = model_tables(d, scen)
    assert t.rows == [["UK.capability", 7.0, 7.8, 0.8]]
