/* realpolitik workbench page: the model form built from each model's pydantic option schema,
   runs and analyses as jobs (progress, cancel), the answer first (one card per issue), then the
   details, charts and side-by-side views.  Plain JavaScript; plotly.js from the installed package. */
"use strict";
(function () {
  const boot = JSON.parse(document.getElementById("boot").textContent);
  const $ = function (id) { return document.getElementById(id); };
  const previous = {};    // last result per (model, kind): the change column compares like with like
  let current = null;     // the latest run's view
  let busy = false;
  let leaving = false;    // a saved copy opens: no warning

  /* ------------------------------------------------------------ editor and unsaved edits */
  function markDirty() {
    const tl = $("timeline-btn");
    if (tl) tl.classList.toggle("hidden", !RPEditor.data().war);
    const d = RPEditor.dirty();
    $("dirty-flag").textContent = d ? "edited (not saved)" : "as loaded";
    $("dirty-flag").className = d ? "tag warn" : "";
  }
  RPEditor.init(boot.data, markDirty);
  window.addEventListener("beforeunload", function (ev) {
    if (!leaving && RPEditor.dirty()) { ev.preventDefault(); ev.returnValue = "Your edits are not saved."; return ev.returnValue; }
  });
  $("reset").addEventListener("click", function () {
    if (RPEditor.dirty() && !window.confirm("Discard your edits and go back to the scenario as loaded?")) return;
    RPEditor.reset();
  });
  $("save-copy").addEventListener("click", async function () {
    const name = window.prompt("Name of the copy", (boot.name || "scenario") + " (edited)");
    if (!name) return;
    const r = await RP.call("/api/scenarios/save", { method: "POST", headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ name: name, data: RPEditor.data() }) });
    if (r.ok) { leaving = true; window.location.href = "/workbench?scenario=" + encodeURIComponent(r.body.ref); }
    else RPEditor.showProblems(r.body);
  });

  /* ------------------------------------------------------------ model options from the pydantic schema */
  function resolveSchema(prop, schema) {
    let p = prop;
    if (p.$ref) p = schema.$defs[p.$ref.split("/").pop()] || p;
    if (p.anyOf) {
      const nonNull = p.anyOf.filter(function (x) { return x.type !== "null"; });
      if (nonNull.length === 1) p = Object.assign({}, nonNull[0].$ref ? schema.$defs[nonNull[0].$ref.split("/").pop()] : nonNull[0], { description: prop.description, default: prop.default, title: prop.title });
    }
    if (prop.allOf && prop.allOf.length === 1 && prop.allOf[0].$ref) p = Object.assign({}, schema.$defs[prop.allOf[0].$ref.split("/").pop()], prop);
    return p;
  }
  function shown(v) { return Array.isArray(v) ? v.join(", ") : String(v); }

  function renderOptions() {
    const m = boot.models.find(function (x) { return x.name === $("model").value; });
    $("model-summary").textContent = m ? m.summary : "";
    const schema = m ? m.schema : { properties: {} };
    const props = schema.properties || {};
    const defaults = (m && m.defaults) || {};
    let h = "";
    Object.keys(props).forEach(function (k) {
      const raw = props[k], p = resolveSchema(raw, schema);
      const def = defaults[k] !== undefined && defaults[k] !== null ? defaults[k] : (raw.default !== undefined ? raw.default : p.default);
      const hint = def === undefined || def === null ? "(set by the preset)" : "default: " + shown(def);
      const id = "opt-" + k;
      const desc = raw.description || p.description || "";
      h += "<div class=\"opt\"><label for=\"" + id + "\">" + RP.esc(raw.title || k) + " <span class=\"muted small\">" + RP.esc(k) + "</span></label>";
      if (p.enum || p.type === "boolean") {
        const vals = p.enum || [true, false];
        h += "<select id=\"" + id + "\" data-opt=\"" + RP.esc(k) + "\" data-kind=\"json\"><option value=\"\">" + RP.esc(hint) + "</option>" +
          vals.map(function (v) { return "<option value=\"" + RP.esc(JSON.stringify(v)) + "\">" + RP.esc(shown(v)) + "</option>"; }).join("") + "</select>";
      } else if (p.type === "array") {
        const item = (p.items && p.items.type) || ((p.prefixItems || [])[0] || {}).type || "number";
        h += "<input id=\"" + id + "\" data-opt=\"" + RP.esc(k) + "\" data-kind=\"array\" data-item=\"" + item + "\" placeholder=\"" + RP.esc(hint) + "\" title=\"values separated by commas\">";
      } else {
        const kind = (p.type === "integer" || p.type === "number") ? p.type : "text";
        const bounds = (p.minimum !== undefined ? " min=\"" + p.minimum + "\"" : "") + (p.maximum !== undefined ? " max=\"" + p.maximum + "\"" : "");
        h += "<input id=\"" + id + "\" data-opt=\"" + RP.esc(k) + "\" data-kind=\"" + kind + "\" " + (kind !== "text" ? "type=\"number\" step=\"any\"" + bounds : "") + " placeholder=\"" + RP.esc(hint) + "\">";
      }
      h += RP.helpHtml(desc) + "</div>";
    });
    $("options").innerHTML = h || "<p class=\"muted small\">This model has no options.</p>";
  }

  /* only options the analyst set: a preset fills the others */
  function chosenOptions() {
    const out = {};
    $("options").querySelectorAll("[data-opt]").forEach(function (el) {
      const v = el.value.trim();
      if (v === "") return;
      const kind = el.dataset.kind;
      if (kind === "json") out[el.dataset.opt] = JSON.parse(v);
      else if (kind === "array") out[el.dataset.opt] = v.split(/[,;\s]+/).filter(Boolean).map(function (x) { return el.dataset.item === "string" ? x : (isFinite(Number(x)) ? Number(x) : x); });
      else if (kind === "integer" || kind === "number") out[el.dataset.opt] = isFinite(Number(v)) ? Number(v) : v;
      else out[el.dataset.opt] = v;
    });
    return out;
  }

  $("model").innerHTML = boot.models.map(function (m) {
    return "<option value=\"" + RP.esc(m.name) + "\">" + RP.esc(m.label) + " (" + RP.esc(m.name) + ")</option>";
  }).join("");
  $("model").value = boot.model;
  $("model").addEventListener("change", renderOptions);
  renderOptions();

  /* ------------------------------------------------------------ jobs: progress and cancel */
  function setBusy(on, text) {
    busy = on;
    ["run-btn", "run-all", "whatif-btn", "sens-btn", "timeline-btn"].forEach(function (id) { if ($(id)) $(id).disabled = on; });
    $("job").classList.toggle("hidden", !on);
    if (on) { $("job-bar").style.width = "0%"; $("status").className = "status"; $("status").textContent = text || "running ..."; }
  }
  function progress(label) {
    return function (snap) {
      const f = snap.progress && snap.progress.fraction;
      $("job-bar").style.width = (f === null || f === undefined ? 3 : Math.round(100 * f)) + "%";
      $("status").textContent = label + " \u2013 " + snap.state + (f !== null && f !== undefined ? " " + Math.round(100 * f) + "%" : "") +
        (snap.elapsed ? " (" + snap.elapsed.toFixed(1) + " s)" : "");
    };
  }
  $("cancel-btn").addEventListener("click", function () { RP.cancelJob(); });

  function baseBody(extra) {
    const body = Object.assign({ model: $("model").value, data: RPEditor.data(), options: chosenOptions(), source: "web" }, extra || {});
    const seedText = $("seed").value.trim();
    if (seedText !== "") body.seed = Number(seedText);
    return body;
  }
  function mcBody(body) {
    const draws = Number($("draws").value || 0);
    if (draws > 0) { body.draws = draws; body.spread = Number($("spread").value || 0); }
    return body;
  }

  /* a job's problem: scenario problems outline cells; others go to the status line */
  function failed(r, what) {
    $("status").className = "status bad-text";
    if (r.job && r.job.state === "cancelled") { $("status").textContent = what + " cancelled"; return; }
    if (r.job && r.job.state === "timeout") { $("status").textContent = what + ": " + (r.body.detail || "over its time budget"); return; }
    const scen = ((r.body && r.body.problems) || []).some(function (p) { return /^scenario/.test(p.location || ""); });
    $("status").textContent = scen ? "not run: see the problems above" : what + " not run: " + ((r.body && r.body.detail) || r.status);
    RPEditor.showProblems(r.body);
    $("problems").scrollIntoView({ block: "nearest" });
  }

  /* ------------------------------------------------------------ a run, answer first */
  async function run() {
    if (busy) return;
    const body = mcBody(baseBody({ kind: "run" }));
    const label = $("model").value + (body.draws ? " (Monte Carlo, " + body.draws + " draws)" : "");
    setBusy(true, "running " + label + " ...");
    const t0 = performance.now();
    const r = await RP.job(body, progress(label));
    setBusy(false);
    if (!r.ok) { failed(r, label); return; }
    RPEditor.clearProblems();
    $("status").className = "status ok-text";
    $("status").textContent = "done in " + ((performance.now() - t0) / 1000).toFixed(2) + " s" + (r.body.run_id ? " \u00b7 run " + r.body.run_id + " stored" : "");
    const key = r.body.result.model + "|" + r.body.kind;
    const prev = previous[key] || null;
    previous[key] = r.body;
    current = r.body;
    showAnswer(prev);
  }
  $("run-btn").addEventListener("click", run);

  function downloads(id) {
    return id ? ("<a class=\"btn small ghost\" href=\"/api/runs/" + id + "/result.json\">JSON</a>" +
      "<a class=\"btn small ghost\" href=\"/api/runs/" + id + "/result.csv\">CSV</a>" +
      "<a class=\"btn small ghost\" href=\"/api/runs/" + id + "/report\" target=\"_blank\">Report</a>" +
      "<a class=\"btn small ghost\" href=\"/api/runs/" + id + "/report?format=pdf\">PDF</a>" +
      "<a class=\"btn small ghost\" href=\"/runs/" + id + "\">Run page</a>") : "<span class=\"muted small\">run history off: no downloads</span>";
  }

  function showAnswer(prev) {
    $("answer").classList.remove("hidden");
    $("answer-title").textContent = "Forecast: " + current.label + (current.run_id ? " (run " + current.run_id + ")" : "");
    $("cards").innerHTML = RP.cardsHtml(current.cards);
    $("downloads").innerHTML = downloads(current.run_id);
    const unstable = current.cards.filter(function (c) { return !c.stable || c.warnings.length; }).length;
    $("answer-note").textContent = unstable ? unstable + " issue(s) carry a caveat: see the flags on the cards." : "";
    showDetails(prev);
    $("answer").scrollIntoView({ block: "start", behavior: "smooth" });
  }

  function showDetails(prev) {
    $("results").classList.remove("hidden");
    $("results-title").textContent = "Details: " + current.label;
    const mc = current.forecast_rows.some(function (r) { return r.p10 !== null && r.p10 !== undefined; });
    const pres = prev ? prev.result : null;
    let h = "<thead><tr><th>issue</th><th class=\"num\">" + RP.esc(current.kind) + "</th>" +
      (mc ? "<th class=\"num\">interval</th>" : "") + "<th>nearest labelled point</th>" +
      (pres ? "<th class=\"num\">previous " + RP.esc(pres.model) + " " + RP.esc(prev.kind) + "</th><th class=\"num\">change</th>" : "") + "</tr></thead><tbody>";
    current.forecast_rows.forEach(function (row) {
      h += "<tr data-issue=\"" + RP.esc(row.issue) + "\"><td>" + RP.esc(row.label) + "</td><td class=\"num forecast-value\"><strong>" + RP.fmt(row.value) + "</strong></td>" +
        (mc ? "<td class=\"num\">" + RP.fmt(row.p10) + " \u2013 " + RP.fmt(row.p90) + "</td>" : "") + "<td>" + RP.esc(row.point) + "</td>";
      if (pres) {
        const pv = (pres.forecast || {})[row.issue];
        const d = (typeof pv === "number" && typeof row.value === "number") ? row.value - pv : null;
        h += "<td class=\"num\">" + RP.fmt(pv) + "</td><td class=\"num change " + (d > 0.05 ? "up" : (d < -0.05 ? "down" : "")) + "\">" +
          (d === null ? "-" : (d >= 0 ? "+" : "") + d.toFixed(1)) + "</td>";
      }
      h += "</tr>";
    });
    $("forecast-table").innerHTML = h + "</tbody>";
    const sel = $("chart-issue");
    const keep = sel.value;
    const issues = RPEditor.data().issues;
    sel.innerHTML = issues.map(function (i) { return "<option value=\"" + RP.esc(i.id) + "\">" + RP.esc(i.label || i.id) + "</option>"; }).join("");
    if (keep) sel.value = keep;
    drawCharts();
    $("model-tables").innerHTML = (current.tables || []).map(RP.tableHtml).join("");
  }

  function drawCharts() {
    if (!current) return;
    const iid = $("chart-issue").value;
    const c = current.charts || {};
    RP.plot($("chart-positions"), (c.positions || {})[iid]);
    RP.plot($("chart-forecast"), (c.forecast || {})[iid]);
    RP.plot($("chart-map"), (c.actor_map || {})[iid]);
    RP.plot($("chart-settlement"), c.settlement);
    RP.plot($("chart-histogram"), (c.histogram || {})[iid]);
    RP.plot($("chart-tornado"), (c.tornado || {})[iid]);
  }
  $("chart-issue").addEventListener("change", drawCharts);

  function issueSelect(sel, draw) {
    const issues = RPEditor.data().issues;
    if (!sel.options.length) sel.innerHTML = issues.map(function (i) { return "<option value=\"" + RP.esc(i.id) + "\">" + RP.esc(i.label || i.id) + "</option>"; }).join("");
    sel.onchange = draw;
  }

  /* ------------------------------------------------------------ what-if: loaded vs edited */
  let whatif = null;
  async function runWhatif() {
    if (busy) return;
    const body = mcBody(baseBody({ kind: "whatif", baseline: RPEditor.original() }));
    setBusy(true, "what-if ...");
    const r = await RP.job(body, progress("what-if"));
    setBusy(false);
    if (!r.ok) { failed(r, "what-if"); return; }
    RPEditor.clearProblems();
    $("status").className = "status ok-text";
    $("status").textContent = "what-if done" + (r.body.run_id ? " \u00b7 run " + r.body.run_id + " stored" : "");
    whatif = r.body;
    $("whatif").classList.remove("hidden");
    $("whatif-title").textContent = "What-if: " + whatif.label;
    const iv = whatif.draws > 0;
    $("whatif-note").textContent = iv ? "Monte Carlo means and the middle 80% of " + whatif.draws + " paired draws (same seed)" : "point forecasts, same seed";
    let h = "<thead><tr><th>issue</th><th class=\"num\">as loaded</th>" + (iv ? "<th class=\"num\">80% of draws</th>" : "") +
      "<th class=\"num\">edited</th>" + (iv ? "<th class=\"num\">80% of draws</th>" : "") + "<th class=\"num\">change</th><th>nearest labelled point (edited)</th></tr></thead><tbody>";
    whatif.rows.forEach(function (row) {
      const rng = function (x) { return x ? RP.fmt(x[0]) + " \u2013 " + RP.fmt(x[1]) : "-"; };
      h += "<tr data-issue=\"" + RP.esc(row.issue) + "\"><td>" + RP.esc(row.label) + "</td><td class=\"num\">" + RP.fmt(row.baseline) + "</td>" +
        (iv ? "<td class=\"num\">" + rng(row.baseline_interval) + "</td>" : "") + "<td class=\"num\"><strong>" + RP.fmt(row.whatif) + "</strong></td>" +
        (iv ? "<td class=\"num\">" + rng(row.whatif_interval) + "</td>" : "") +
        "<td class=\"num change " + (row.change > 0.05 ? "up" : (row.change < -0.05 ? "down" : "")) + "\">" + (row.change === null ? "-" : (row.change >= 0 ? "+" : "") + row.change.toFixed(1)) + "</td>" +
        "<td>" + RP.esc(row.whatif_point) + "</td></tr>";
    });
    $("whatif-table").innerHTML = h + "</tbody>";
    $("whatif-changes").innerHTML = whatif.changes.length ? "<strong>Edits:</strong> " + whatif.changes.map(function (c) {
      return RP.esc(c.what + (c.actor ? " " + c.actor : "") + (c.issue ? " on " + c.issue : "") + (c.a !== undefined || c.b !== undefined ? ": " + RP.fmt(c.a) + " \u2192 " + RP.fmt(c.b) : ""));
    }).join("; ") : "<span class=\"muted\">No edits: both columns are the scenario as loaded. Change values in the table first.</span>";
    issueSelect($("whatif-issue"), drawWhatif);
    drawWhatif();
    $("whatif").scrollIntoView({ block: "start", behavior: "smooth" });
  }
  function drawWhatif() {
    if (!whatif) return;
    const iid = $("whatif-issue").value;
    const fig = whatif.charts[iid] ? JSON.parse(JSON.stringify(whatif.charts[iid])) : null;
    if (fig && fig.data && fig.data[0] && fig.data[0].y) fig.data[0].y = ["as loaded", "edited"].slice(0, fig.data[0].y.length);
    if (fig) fig.layout.title = { text: "As loaded and edited: " + iid };
    RP.plot($("chart-whatif"), fig);
    const hh = (whatif.histograms || {})[iid];
    if (!hh) { RP.plot($("chart-whatif-hist"), null); return; }
    const bar = function (h, name, color) {
      const e = h.edges; return { type: "bar", name: name, x: e.slice(0, -1).map(function (v, k) { return (v + e[k + 1]) / 2; }), y: h.counts, opacity: 0.55, marker: { color: color } };
    };
    RP.plot($("chart-whatif-hist"), { data: [bar(hh.baseline, "as loaded", "#7f7f7f"), bar(hh.whatif, "edited", "#1f5fa8")],
      layout: { barmode: "overlay", title: { text: "Monte Carlo draws: as loaded and edited" }, xaxis: { title: { text: iid } }, yaxis: { title: { text: "draws" } }, height: 360 } });
  }
  $("whatif-btn").addEventListener("click", runWhatif);

  /* ------------------------------------------------------------ sensitivity: tornado and indices */
  let sens = null;
  async function runSens() {
    if (busy) return;
    const body = baseBody({ kind: "sensitivity", method: $("sens-method").value, samples: Number($("sens-samples").value || 64) });
    setBusy(true, "sensitivity ...");
    const r = await RP.job(body, progress("sensitivity"));
    setBusy(false);
    if (!r.ok) { failed(r, "sensitivity"); return; }
    RPEditor.clearProblems();
    $("status").className = "status ok-text";
    $("status").textContent = "sensitivity done: " + r.body.runs + " model runs" + (r.body.run_id ? " \u00b7 run " + r.body.run_id + " stored" : "");
    sens = r.body;
    $("sensitivity").classList.remove("hidden");
    $("sens-title").textContent = sens.label;
    $("sens-note").textContent = sens.runs + " model runs, " + sens.method + " N = " + sens.samples;
    $("sens-tables").innerHTML = sens.tables.map(RP.tableHtml).join("");
    issueSelect($("sens-issue"), drawSens);
    drawSens();
    $("sensitivity").scrollIntoView({ block: "start", behavior: "smooth" });
  }
  function drawSens() { if (sens) RP.plot($("chart-tornado-sens"), sens.tornado[$("sens-issue").value]); }
  $("sens-btn").addEventListener("click", runSens);

  /* ------------------------------------------------------------ war timeline */
  async function runTimeline() {
    if (busy) return;
    const body = baseBody({ kind: "timeline", model: "war", options: $("model").value === "war" ? chosenOptions() : {} });
    setBusy(true, "war timeline ...");
    const r = await RP.job(body, progress("timeline"));
    setBusy(false);
    if (!r.ok) { failed(r, "timeline"); return; }
    $("status").className = "status ok-text";
    $("status").textContent = "timeline done" + (r.body.run_id ? " \u00b7 run " + r.body.run_id + " stored" : "");
    $("timeline").classList.remove("hidden");
    $("timeline-warn").textContent = r.body.war_note + " " + r.body.note;
    RP.plot($("chart-timeline"), r.body.chart);
    $("timeline-table").innerHTML = RP.tableHtml(r.body.table);
    $("timeline").scrollIntoView({ block: "start", behavior: "smooth" });
  }
  $("timeline-btn").addEventListener("click", runTimeline);

  /* ------------------------------------------------------------ every standard model, side by side */
  let compared = [];
  async function runAll() {
    if (busy) return;
    const models = boot.standard || [];
    if (!models.length) return;
    const done = [], failedModels = [];
    setBusy(true);
    const data = RPEditor.data();
    for (let k = 0; k < models.length; k++) {
      const body = { kind: "run", model: models[k], data: data, source: "web" };
      const seedText = $("seed").value.trim();
      if (seedText !== "") body.seed = Number(seedText);
      const r = await RP.job(body, progress(models[k] + " (" + (k + 1) + " of " + models.length + ")"));
      if (r.ok) done.push(r.body);
      else if (r.job && r.job.state === "cancelled") { failedModels.push(models[k] + ": cancelled"); break; }
      else if (r.status === 422 && r.body && (r.body.problems || []).some(function (p) { return /^scenario/.test(p.location || ""); })) {
        setBusy(false); failed(r, models[k]); return;
      } else failedModels.push(models[k] + ": " + ((r.body && r.body.detail) || r.status));
    }
    setBusy(false);
    RPEditor.clearProblems();
    compared = done;
    $("status").className = "status ok-text";
    $("status").textContent = done.length + " models run and stored" + (failedModels.length ? "; failed: " + failedModels.join("; ") : "");
    showCompare();
  }
  $("run-all").addEventListener("click", runAll);

  function showCompare() {
    $("compare").classList.remove("hidden");
    const issues = RPEditor.data().issues;
    let h = "<thead><tr><th>issue</th>" + compared.map(function (c) {
      return "<th class=\"num\">" + RP.esc(c.label) + "<span class=\"sub\">" + RP.esc(c.kind) + (c.run_id ? " \u00b7 <a href=\"/runs/" + c.run_id + "\">run " + c.run_id + "</a>" : "") + "</span></th>";
    }).join("") + "</tr></thead><tbody>";
    issues.forEach(function (iss, c) {
      h += "<tr data-issue=\"" + RP.esc(iss.id) + "\"><td>" + RP.esc(iss.label || iss.id) + "</td>" + compared.map(function (res) {
        const row = res.forecast_rows[c];
        return "<td class=\"num\"><strong>" + RP.fmt(row.value) + "</strong>" + (row.point ? "<span class=\"sub\">~ " + RP.esc(row.point) + "</span>" : "") + "</td>";
      }).join("") + "</tr>";
    });
    $("compare-table").innerHTML = h + "</tbody>";
    const war = compared.some(function (c) { return /war/.test(c.kind); });
    $("compare-note").textContent = "default options" + ($("seed").value.trim() ? ", seed " + $("seed").value.trim() : "") +
      (war ? " \u00b7 the war layer's terms hold only for wars that end in a deal" : "");
    issueSelect($("compare-issue"), drawCompare);
    drawCompare();
    $("compare").scrollIntoView({ block: "start", behavior: "smooth" });
  }

  /* one dot per model on the issue's labelled scale: the layout of a model's own forecast chart */
  function drawCompare() {
    const iid = $("compare-issue").value;
    const base = compared.find(function (c) { return c.charts && c.charts.forecast && c.charts.forecast[iid]; });
    if (!base) { RP.plot($("chart-compare"), null); return; }
    const fig = JSON.parse(JSON.stringify(base.charts.forecast[iid]));
    const pts = compared.map(function (c) { return { name: c.label, v: (c.result.forecast || {})[iid] }; })
      .filter(function (p) { return typeof p.v === "number"; });
    fig.data = [{ type: "scatter", mode: "markers+text", x: pts.map(function (p) { return p.v; }), y: pts.map(function (p) { return p.name; }),
      text: pts.map(function (p) { return p.v.toFixed(1); }), textposition: "top center", showlegend: false,
      marker: { size: 14, color: pts.map(function (_, k) { return RP.PALETTE[k % RP.PALETTE.length]; }) },
      hovertemplate: "%{y}: %{x:.2f}<extra></extra>" }];
    fig.layout.height = 200 + 45 * pts.length;
    fig.layout.title = { text: "Forecasts side by side: " + ((RPEditor.data().issues.find(function (i) { return i.id === iid; }) || {}).label || iid) };
    RP.plot($("chart-compare"), fig);
  }
})();
