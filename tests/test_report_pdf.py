"""The PDF report is the HTML report on A4 pages (issue 15): same content, nothing clipped or cut.

Text is extracted from the PDF with pypdf: every piece of text of the HTML report (outside
its charts) must be in the PDF, and no run of text may start beyond a page's edge.
"""

from __future__ import annotations

import io
import re
from html.parser import HTMLParser

import pytest

pypdf = pytest.importorskip("pypdf")

from realpolitik.models import get_model  # noqa: E402
from realpolitik.models.base import Table  # noqa: E402
from realpolitik.report.html import render_html, render_pdf  # noqa: E402
from realpolitik.scenario import load_scenario  # noqa: E402


class _Text(HTMLParser):
    """The text nodes of an HTML document outside its head, charts and styles."""

    SKIP = {"head", "style", "script", "svg", "title"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.depth = 0
        self.nodes: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag in self.SKIP:
            self.depth += 1

    def handle_endtag(self, tag):
        if tag in self.SKIP:
            self.depth -= 1

    def handle_data(self, data):
        if self.depth == 0 and data.strip():
            self.nodes.append(data)


def html_text(html: str) -> list[str]:
    p = _Text()
    p.feed(html)
    return p.nodes


def compact(text: str) -> str:
    return re.sub(r"\s+", "", text)


def pdf_pages(pdf: bytes):
    return pypdf.PdfReader(io.BytesIO(pdf)).pages


def runs_past_the_edge(pdf: bytes) -> list[tuple[int, float, str]]:
    """Runs of text whose start lies off the page or whose end (estimated) lies past its right edge."""
    bad = []
    for n, page in enumerate(pdf_pages(pdf), 1):
        width = float(page.mediabox.width)
        found = []

        def visit(text, cm, tm, font, size, found=found):
            if text.strip():
                x = tm[4] * cm[0] + tm[5] * cm[2] + cm[4]
                eff = size * (abs(tm[0] * cm[0]) or 1)
                found.append((x, eff, text.strip()))

        page.extract_text(visitor_text=visit)
        bad += [(n, x, t) for x, eff, t in found if x < -1 or x + 0.45 * eff * len(t) > width + 2]
    return bad


@pytest.fixture(scope="module")
def report():
    """ec-emissions with models whose own tables are long (moves, bargains), plus a table of
    120 rows and one of 14 wide columns."""
    scen = load_scenario("ec-emissions")
    models = [get_model(n) for n in ("weighted-mean", "expected-utility", "smp", "exchange")]
    results = [m.run(scen, rng=3) for m in models]
    tables = {m.name: m.describe(r, scen) for m, r in zip(models, results)}
    long = Table("A long table", ["row", "value"], [[f"row-{k:03d}", f"value {k}"] for k in range(120)])
    wide = Table("A wide table", [f"column heading {c}" for c in range(14)],
                 [[f"cell-{r}-{c} somewhat-long-words" for c in range(14)] for r in range(3)])  # fmt: skip
    tables["weighted-mean"] = [*tables["weighted-mean"], long, wide]
    html = render_html(scen, results, tables=tables)
    pdf = render_pdf(scen, results, tables=tables)
    return html, pdf


def test_the_pdf_is_a_paged_pdf(report):
    _, pdf = report
    assert pdf.startswith(b"%PDF") and len(pdf_pages(pdf)) >= 4


def test_the_pdf_carries_every_text_of_the_html_report(report):
    html, pdf = report
    text = compact("".join(p.extract_text() for p in pdf_pages(pdf)))
    missing = [node.strip() for node in html_text(html) if compact(node) not in text]
    assert not missing, f"{len(missing)} pieces of the HTML report are not in the PDF, e.g. {missing[:5]}"


def test_no_table_is_cut_after_40_rows(report):
    _, pdf = report
    text = compact("".join(p.extract_text() for p in pdf_pages(pdf)))
    assert all(f"row-{k:03d}" in text for k in range(120))


def test_no_text_runs_off_the_page(report):
    _, pdf = report
    assert runs_past_the_edge(pdf) == []


def test_the_edge_check_sees_a_table_that_runs_off_the_page():
    """The check above would catch a clipped table (a fixed-width table wider than A4)."""
    from weasyprint import HTML

    cells = "".join(f"<td>clipped-cell-{c}</td>" for c in range(30))
    pdf = HTML(string=f"<table style='width:2000px;table-layout:fixed'><tr>{cells}</tr></table>").write_pdf()
    assert runs_past_the_edge(pdf)
