"""End to end in a real headless Chromium (Debian's ``chromium``, driven by Playwright).

Open the app, load the default scenario, run the expected-utility model (a baseline
when it is not registered), see the chart, change a salience, run again and see the
forecast change; enter a bad value and see it outlined; upload a malformed CSV and see
the inline error while the app keeps working; compare every standard model side by
side; compare two runs from the history.  Screenshots go to ``artifacts/``.
"""

from __future__ import annotations

import os
import shutil
import sys
import time
import urllib.request
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))  # tests/hostile.py, tests/webserver.py

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]  # fmt: skip
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="needs Debian's chromium (scripts/install-system-deps.sh)"),
]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    from webserver import start_server, stop

    proc, base = start_server(tmp_path_factory.mktemp("web") / "runs.sqlite")
    try:
        yield base
    finally:
        stop(proc)


@pytest.fixture(scope="module")
def page(server):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        pg = browser.new_page(viewport={"width": 1400, "height": 1000})
        pg.set_default_timeout(60_000)
        yield pg
        browser.close()


def _model_and_edit():
    """The model to run and a salience edit that moves its forecast on some issue."""
    from realpolitik.models import available_models, get_model
    from realpolitik.scenario import load_scenario

    name = "expected-utility" if "expected-utility" in available_models() else "weighted-mean"
    scen = load_scenario(None)
    model = get_model(name)
    base = model.run(scen).forecast
    for iid in scen.issue_ids:
        for a in sorted(scen.actors, key=lambda a: -a.capability):
            if iid not in a.positions:
                continue
            for value in (0.0, 100.0):
                if abs(a.saliences[iid] - value) < 1:
                    continue
                new = model.run(scen.with_value(a.id, "salience", value, iid)).forecast[iid]
                if abs(new - base[iid]) > 0.05:
                    return name, scen, a.id, iid, value, base[iid], new
    pytest.fail(f"no single salience edit moves the {name} forecast")


def _forecast_cell(page, issue):
    return page.locator(f'#forecast-table tr[data-issue="{issue}"] td.forecast-value')


def test_default_scenario_run_edit_rerun_and_bad_upload(server, page):
    name, scen, actor, issue, value, before, after = _model_and_edit()
    ARTIFACTS.mkdir(exist_ok=True)

    # the library lists the default scenario; open it in the workbench
    page.goto(server + "/")
    assert "Scenario library" in page.content()
    page.click("#open-default")
    page.wait_for_selector("#editor tbody tr")
    assert page.locator("#scenario-title").inner_text() == scen.title
    assert page.locator("#editor tbody tr").count() == len(scen.actors)

    # run the model; the forecast and the chart appear
    page.select_option("#model", name)
    page.click("#run-btn")
    page.wait_for_selector("#results:not(.hidden)")
    page.wait_for_selector("#chart-forecast .main-svg")
    assert float(_forecast_cell(page, issue).inner_text()) == pytest.approx(before, abs=0.051)
    if name == "expected-utility":
        page.wait_for_selector("#chart-positions .main-svg")  # the trajectory chart
    assert page.locator("#chart-map .main-svg").count() >= 1
    assert "stored" in page.locator("#status").inner_text()

    # change one salience in the table, run again: the forecast moves, the change is shown
    row = scen.actor_ids.index(actor)
    cell = page.locator(f'#editor tbody tr:nth-child({row + 1}) input[data-field="saliences"][data-issue="{issue}"]')
    cell.fill(f"{value:g}")
    assert "edited" in page.locator("#dirty-flag").inner_text()
    page.click("#run-btn")
    page.wait_for_function(
        "([iss, old]) => { const c = document.querySelector(`#forecast-table tr[data-issue='${iss}'] td.forecast-value`);"
        " return c && Math.abs(parseFloat(c.textContent) - old) > 0.05; }",
        arg=[issue, round(before, 1)],
    )
    assert float(_forecast_cell(page, issue).inner_text()) == pytest.approx(after, abs=0.051)
    change = page.locator(f'#forecast-table tr[data-issue="{issue}"] td.change').inner_text()
    assert change != "-" and float(change) == pytest.approx(after - before, abs=0.11)
    page.wait_for_selector("#chart-forecast .main-svg")
    page.locator("#results").scroll_into_view_if_needed()
    page.screenshot(path=str(ARTIFACTS / "web-results.png"), full_page=True)

    # a bad value is refused with the cell outlined and the message shown inline
    cell.fill("lots")
    page.click("#run-btn")
    page.wait_for_selector("#problems:not(.hidden)")
    assert "salience" in page.locator("#problems").inner_text().lower()
    assert "bad" in (cell.get_attribute("class") or "")
    cell.fill(f"{value:g}")

    # upload a malformed CSV: the errors show inline and the app keeps working
    page.goto(server + "/")
    page.set_input_files("#upload-file", files=[{
        "name": "broken.csv", "mimeType": "text/csv",
        "buffer": b"Actor,Capability,Position,Salience\nA,10,50,80\nB,-2,40,abc\n"}])  # fmt: skip
    page.click("#upload-btn")
    page.wait_for_selector("#upload-result.errors")
    text = page.locator("#upload-result").inner_text()
    assert "broken.csv was not loaded" in text and "broken.csv:" in text
    page.screenshot(path=str(ARTIFACTS / "web-upload-error.png"), full_page=True)
    page.click("#open-default")
    page.wait_for_selector("#editor tbody tr")
    # every standard model side by side
    from realpolitik.cli import DEFAULT_FORECAST_MODELS
    from realpolitik.models import available_models

    standard = [m for m in DEFAULT_FORECAST_MODELS if m in available_models()]
    page.click("#run-all")
    page.wait_for_selector("#compare:not(.hidden)")
    page.wait_for_selector("#chart-compare .main-svg")
    assert page.locator("#compare-table thead th").count() == len(standard) + 1
    assert f"{len(standard)} models run and stored" in page.locator("#status").inner_text()
    page.locator("#compare").screenshot(path=str(ARTIFACTS / "web-compare.png"))

    # the run history shows the runs; a run page draws its charts
    page.goto(server + "/runs")
    rows = page.locator("#runs-table tbody tr")
    assert rows.count() == 2 + len(standard)
    # tick the two expected-utility runs: their comparison opens, with the salience change listed
    page.locator("input.pick").nth(rows.count() - 1).check()
    page.locator("input.pick").nth(rows.count() - 2).click()  # the second tick navigates
    page.wait_for_url("**/runs/diff?a=1&b=2")
    assert actor in page.locator("main").inner_text()
    page.goto(server + "/runs")
    page.locator("#runs-table tbody tr a").first.click()
    page.wait_for_selector("#charts .main-svg")
    page.screenshot(path=str(ARTIFACTS / "web-run-page.png"), full_page=True)


def test_advise_and_draft_pages(server, page):
    """Advise an actor and draft a scenario from a text, in the browser."""
    ARTIFACTS.mkdir(exist_ok=True)
    page.goto(server + "/advise?actor=putin")
    page.select_option("#model", "weighted-mean")
    page.fill("#draws", "20")
    page.select_option("#goal-issue", "settlement")
    page.click("#run")
    page.wait_for_selector("#results h3")
    assert "Levers of putin" in page.locator("#results").inner_text()
    page.wait_for_selector("#charts .main-svg")
    assert "reproduce the top lever: realpolitik whatif" in page.locator("#status").inner_text()
    page.screenshot(path=str(ARTIFACTS / "advise.png"), full_page=True)

    page.goto(server + "/draft")
    page.fill("#text", "Prime Minister Anna Berg insisted that only NATO membership can protect the country. "
                       "President Karl Ode rejects any alliance and wants the country neutral.")  # fmt: skip
    page.click("#run")
    page.wait_for_selector("#summary p")
    assert "2 actors" in page.locator("#summary").inner_text()
    assert "DRAFT" in page.locator("#yaml").inner_text()
    page.click("#open")
    page.wait_for_selector("#editor tbody tr")
    assert page.locator("#editor tbody tr").count() == 2
    page.screenshot(path=str(ARTIFACTS / "draft.png"), full_page=True)

def test_ledger_pages_seal_resolve_and_show_problems_inline(server, page):
    """The ledger in a real browser: seal a shipped question's forecasts from its page, see an
    early resolution refused inline (one located problem), resolve it, read scores and charts."""
    page.goto(server + "/ledger")
    page.click("text=Will Russia use its armed forces")
    page.fill("#seal input[name=models]", "weighted-mean weighted-median")
    page.fill("#seal input[name=draws]", "20")
    page.click("#seal button")
    page.wait_for_selector("#forecasts")
    assert page.locator("#forecasts tbody tr").count() == 2
    page.fill("#resolve input[name=value]", "no")
    page.fill("#resolve input[name=source]", "a news report")
    page.click("#resolve button")
    page.wait_for_selector("#msg li")
    assert "--early" in page.inner_text("#msg")
    page.check("#resolve input[name=early]")
    page.click("#resolve button")
    page.wait_for_selector("text=Resolved: no")
    page.wait_for_selector("#chart-scores-ru-me-intervention-2027 .main-svg")
    page.goto(server + "/ledger")
    page.wait_for_selector("#chart-reliability .main-svg")
    assert "chain intact" in page.inner_text("main")


# ------------------------------------------------------------------ issue 16: analyses, jobs, hostile files
def _leave(page, url):
    """Go to ``url``, confirming the warning about unsaved edits if the page asks."""
    from playwright.sync_api import Error as PlaywrightError

    def accept(d):
        d.accept()

    page.on("dialog", accept)
    # Chromium may drop the navigation a just-dismissed beforeunload prompt aborted instead of asking
    # again: go again until the page is there (the prompt is accepted each time it shows)
    for _ in range(3):
        try:
            page.goto(url)
        except PlaywrightError:
            pass  # the confirmed navigation replaces the aborted one
        try:
            page.wait_for_url(url, timeout=10_000)
            break
        except PlaywrightError:
            continue
    page.wait_for_url(url)
    page.remove_listener("dialog", accept)


def _open_default(page, server):
    _leave(page, server + "/workbench")
    page.wait_for_selector("#editor tbody tr")


def _run_and_wait(page, button="#run-btn", section="#answer"):
    page.click(button)
    page.wait_for_function("() => !document.querySelector('#run-btn').disabled", timeout=120_000)
    if page.locator(section).is_hidden():
        pytest.fail(f"{section} not shown: {page.locator('#status').inner_text()} {page.locator('#problems').inner_text()}")


def test_whatif_sensitivity_and_ensemble_views(server, page):
    ARTIFACTS.mkdir(exist_ok=True)
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    _open_default(page, server)
    scen = __import__("realpolitik.scenario", fromlist=["load_scenario"]).load_scenario(None)
    issue = scen.issue_ids[0]
    actor = max(scen.actors, key=lambda a: a.capability).id

    # the answer first: one card per issue with its labelled point, interval and flag
    page.select_option("#model", "weighted-mean")
    page.locator("#mc-box summary").click()
    page.fill("#draws", "300")
    _run_and_wait(page)
    assert page.locator("#cards .fcard").count() == len(scen.issues)
    card = page.locator(f'#cards .fcard[data-issue="{issue}"]')
    assert "80% of Monte Carlo draws" in card.inner_text() and "nearest labelled point" in card.inner_text()
    assert page.locator("#answer").bounding_box()["y"] < 400  # above the editor

    # what-if: the loaded scenario against an edit, side by side (under uncertainty: paired draws)
    row = scen.actor_ids.index(actor)
    page.locator(f'#editor tbody tr:nth-child({row + 1}) input[data-field="saliences"][data-issue="{issue}"]').fill("5")
    _run_and_wait(page, "#whatif-btn", "#whatif")
    text = page.locator("#whatif").inner_text()
    assert "as loaded" in text and "edited" in text and "80% of draws" in text
    assert f"salience {actor} on {issue}" in page.locator("#whatif-changes").inner_text()
    page.wait_for_selector("#chart-whatif .main-svg")
    page.wait_for_selector("#chart-whatif-hist .main-svg")
    page.locator("#whatif").screenshot(path=str(ARTIFACTS / "web-whatif.png"))

    # sensitivity: tornado and indices
    page.fill("#sens-samples", "16")
    _run_and_wait(page, "#sens-btn", "#sensitivity")
    page.wait_for_selector("#chart-tornado-sens .main-svg")
    assert "ST" in page.locator("#sens-tables").inner_text()
    page.locator("#sensitivity").screenshot(path=str(ARTIFACTS / "web-sensitivity.png"))

    # the ensemble with its calibrated intervals and components
    page.fill("#draws", "0")
    page.select_option("#model", "ensemble")
    page.fill("#opt-draws", "40")
    _run_and_wait(page)
    assert "calibrated 80% interval" in page.locator("#cards").inner_text()
    assert page.locator("#model-tables h3").count() >= 1
    page.locator("#answer").screenshot(path=str(ARTIFACTS / "web-ensemble.png"))
    page.screenshot(path=str(ARTIFACTS / "web-ensemble-page.png"), full_page=True)
    assert not [e for e in errors if "Content Security Policy" in e or "Refused" in e], errors


def test_job_progress_cancel_options_and_actor_removal(server, page):
    _open_default(page, server)
    # a long Monte Carlo run shows progress and is cancelled
    page.select_option("#model", "expected-utility")
    page.locator("#mc-box summary").click()
    page.fill("#draws", "60000")
    page.click("#run-btn")
    page.wait_for_function("() => parseFloat(document.querySelector('#job-bar').style.width) > 3", timeout=60_000)
    page.click("#cancel-btn")
    page.wait_for_function("() => /cancelled/.test(document.querySelector('#status').textContent)", timeout=20_000)
    page.fill("#draws", "0")
    # an integer enum option (EU T = 0) is sent as a number; the run works
    page.select_option("#opt-T", "0")
    _run_and_wait(page)
    assert "stored" in page.locator("#status").inner_text()
    # removing an actor named by the war section and by distributions leaves a runnable scenario
    scen = __import__("realpolitik.scenario", fromlist=["load_scenario"]).load_scenario(None)
    named = {u.actor for u in scen.uncertainty}
    victim = next(a.id for a in scen.actors if a.id in named and scen.without_actor(a.id).war is not None)
    n = page.locator("#editor tbody tr").count()
    page.locator(f'#editor tbody tr[data-id="{victim}"] button.x').click()
    page.wait_for_function(f"() => document.querySelectorAll('#editor tbody tr').length === {n - 1}")
    page.select_option("#model", "weighted-median")
    _run_and_wait(page)
    assert page.locator("#problems").is_hidden()
    # a tuple option (war horizons) from the form
    page.select_option("#model", "war")
    page.fill("#opt-horizons", "6, 12")
    page.fill("#opt-wars", "500")
    _run_and_wait(page)
    assert "wars that end in a negotiated deal" in page.locator("#cards").inner_text()
    # the timeline of the war
    _run_and_wait(page, "#timeline-btn", "#timeline")
    page.wait_for_selector("#chart-timeline .main-svg")
    assert "end in a negotiated deal" in page.locator("#timeline-warn").inner_text()
    # unsaved edits: leaving asks first
    from playwright.sync_api import Error as PlaywrightError

    dialogs: list[str] = []
    page.once("dialog", lambda d: (dialogs.append(d.type), d.dismiss()))
    try:
        page.goto(server + "/runs")
    except PlaywrightError:
        pass  # the analyst chose to stay
    assert dialogs == ["beforeunload"] and "/workbench" in page.url
    _leave(page, server + "/runs")
    page.wait_for_selector("#runs-table")


def test_hostile_uploads_from_the_browser(server, page):
    import hostile as H

    for name, raw in (("dimension.xlsx", H.xlsx_huge_dimension()), ("alias-bomb.yaml", H.yaml_alias_bomb()),
                      ("actors.csv", H.csv_many_actors())):  # fmt: skip
        _leave(page, server + "/")
        page.set_input_files("#upload-file", files=[{"name": name, "mimeType": "application/octet-stream", "buffer": raw}])
        t0 = time.perf_counter()
        page.click("#upload-btn")
        page.wait_for_selector("#upload-result.errors", timeout=10_000)
        took = time.perf_counter() - t0
        t1 = time.perf_counter()
        urllib.request.urlopen(server + "/healthz", timeout=2).read()
        assert time.perf_counter() - t1 < 1.0
        assert took < 5.0, (name, took)
        assert f"{name} was not loaded" in page.locator("#upload-result").inner_text()
    page.screenshot(path=str(ARTIFACTS / "web-hostile-upload.png"), full_page=True)
