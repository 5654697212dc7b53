/* realpolitik workbench page: the actors x issues editor, the model form built
   from each model's pydantic option schema, runs, results and charts.
   Plain JavaScript; plotly.js is served from the installed plotly package. */
"use strict";
(function () {
  const boot = JSON.parse(document.getElementById("boot").textContent);
  const original = boot.data;                       // the scenario as loaded (Scenario.to_data())
  const issues = original.issues.map(function (i) { return i.id; });
  const $ = function (id) { return document.getElementById(id); };
  let lastRun = null;                               // previous result, to show the change
  let current = null;                               // current response of /api/runs
  let newCount = 0;

  /* ------------------------------------------------------------ editor */
  function numText(v) { return v === undefined || v === null ? "" : String(v); }

  function headerHtml() {
    let h1 = "<tr><th rowspan=\"2\"></th><th rowspan=\"2\">actor</th><th rowspan=\"2\" class=\"num\">capability</th>";
    let h2 = "<tr>";
    original.issues.forEach(function (iss) {
      h1 += "<th colspan=\"2\" class=\"issue\" title=\"" + RP.esc(iss.label || iss.id) + "\">" + RP.esc(iss.id) +
        " <span class=\"muted\">" + (iss.min === undefined ? 0 : iss.min) + "-" + (iss.max === undefined ? 100 : iss.max) + "</span></th>";
      h2 += "<th class=\"num subh\">position</th><th class=\"num subh\">salience</th>";
    });
    return "<thead>" + h1 + "</tr>" + h2 + "</tr></thead>";
  }

  function rowHtml(actor, key) {
    const pos = actor.positions || {}, sal = actor.saliences || {};
    let h = "<tr data-key=\"" + RP.esc(key) + "\">";
    h += "<td><button type=\"button\" class=\"x\" title=\"Remove this actor\" aria-label=\"remove " + RP.esc(actor.id) + "\">&times;</button></td>";
    h += "<td class=\"actor\"><input class=\"aid\" data-field=\"id\" value=\"" + RP.esc(actor.id) + "\" aria-label=\"actor id\">" +
      (actor.name ? "<span class=\"sub\">" + RP.esc(actor.name) + "</span>" : "") + "</td>";
    const perIssue = actor.capability_by_issue && Object.keys(actor.capability_by_issue).length > 0;
    if (perIssue) {
      // capability differs per issue (e.g. a Decide file): one number would not say what the model uses
      const txt = Object.keys(actor.capability_by_issue).map(function (k) { return k + " " + actor.capability_by_issue[k]; }).join(", ");
      h += "<td><input class=\"num\" data-field=\"capability\" value=\"" + RP.esc(numText(actor.capability)) + "\" disabled title=\"capability per issue: " +
        RP.esc(txt) + " (edit it in the scenario file)\" aria-label=\"capability of " + RP.esc(actor.id) + "\"><span class=\"sub\">per issue</span></td>";
    } else {
      h += "<td><input class=\"num\" data-field=\"capability\" value=\"" + RP.esc(numText(actor.capability)) + "\" aria-label=\"capability of " + RP.esc(actor.id) + "\"></td>";
    }
    issues.forEach(function (iid) {
      h += "<td><input class=\"num\" data-field=\"positions\" data-issue=\"" + RP.esc(iid) + "\" value=\"" + RP.esc(numText(pos[iid])) +
        "\" aria-label=\"position of " + RP.esc(actor.id) + " on " + RP.esc(iid) + "\"></td>";
      h += "<td><input class=\"num sal\" data-field=\"saliences\" data-issue=\"" + RP.esc(iid) + "\" value=\"" + RP.esc(numText(sal[iid])) +
        "\" aria-label=\"salience of " + RP.esc(actor.id) + " on " + RP.esc(iid) + "\"></td>";
    });
    return h + "</tr>";
  }

  function renderEditor(data) {
    const rows = data.actors.map(function (a) { return rowHtml(a, "orig:" + a.id); }).join("");
    $("editor").innerHTML = headerHtml() + "<tbody>" + rows + "</tbody>";
    clearProblems();
    markDirty();
  }

  function parseNum(text) {
    const t = String(text).trim();
    if (t === "") return null;
    const v = Number(t);
    return isFinite(v) && !/^0x/i.test(t) ? v : t;   // non-numbers go to the server, which names them
  }

  /* the edited scenario as data: original fields kept, actors from the table */
  function currentData() {
    const data = JSON.parse(JSON.stringify(original));
    const byId = {};
    original.actors.forEach(function (a) { byId[a.id] = a; });
    const rows = Array.from($("editor").querySelectorAll("tbody tr"));
    const kept = new Set();
    const actors = rows.map(function (tr) {
      const key = tr.dataset.key;
      const base = key.indexOf("orig:") === 0 ? JSON.parse(JSON.stringify(byId[key.slice(5)])) : {};
      if (key.indexOf("orig:") === 0) kept.add(key.slice(5));
      const a = Object.assign(base, { positions: {}, saliences: {} });
      tr.querySelectorAll("input").forEach(function (inp) {
        const f = inp.dataset.field;
        if (f === "id") a.id = inp.value.trim();
        else if (f === "capability") a.capability = parseNum(inp.value);
        else {
          const v = parseNum(inp.value);
          if (v !== null) a[f][inp.dataset.issue] = v;
        }
      });
      if (a.capability === null) delete a.capability;
      return a;
    });
    // like Scenario.without_actor: children and events of removed actors follow them out
    const removed = original.actors.map(function (a) { return a.id; }).filter(function (id) { return !kept.has(id); });
    actors.forEach(function (a) { if (a.parent && removed.indexOf(a.parent) >= 0) delete a.parent; });
    if (data.events) {
      data.events = data.events.map(function (e) {
        return Object.assign({}, e, { changes: (e.changes || []).filter(function (c) { return removed.indexOf(c.actor) < 0; }) });
      });
    }
    data.actors = actors;
    return data;
  }

  function markDirty() {
    const same = JSON.stringify(currentData().actors) === JSON.stringify(original.actors);
    $("dirty-flag").textContent = same ? "as loaded" : "edited (not saved)";
    $("dirty-flag").className = same ? "" : "tag warn";
  }

  function clearProblems() {
    $("problems").classList.add("hidden");
    $("problems").innerHTML = "";
    document.querySelectorAll("#editor .bad").forEach(function (el) { el.classList.remove("bad"); el.removeAttribute("title"); });
  }

  /* show problems inline: the message list, and each named cell outlined */
  function showProblems(body) {
    clearProblems();
    $("problems").innerHTML = RP.problemsHtml(body);
    $("problems").classList.remove("hidden");
    const rows = Array.from($("editor").querySelectorAll("tbody tr"));
    ((body && body.problems) || []).forEach(function (p) {
      const m = /actors\.(\d+)(?:\.(\w+))?(?:\.([^.\s]+))?/.exec(p.location || "");
      if (!m) return;
      const tr = rows[Number(m[1])];
      if (!tr) return;
      let sel = null;
      if (m[2] === "positions" || m[2] === "saliences") sel = "input[data-field=\"" + m[2] + "\"][data-issue=\"" + (m[3] || "") + "\"]";
      else if (m[2] === "capability" || m[2] === "id") sel = "input[data-field=\"" + m[2] + "\"]";
      const cell = sel ? tr.querySelector(sel) : null;
      const target = cell || tr;
      target.classList.add("bad");
      target.title = p.message;
    });
  }

  $("editor").addEventListener("input", function (ev) {
    ev.target.classList.remove("bad");
    markDirty();
  });
  $("editor").addEventListener("click", function (ev) {
    if (ev.target.classList.contains("x")) {
      ev.target.closest("tr").remove();
      markDirty();
    }
  });
  $("add-actor").addEventListener("click", function () {
    newCount += 1;
    const tb = $("editor").querySelector("tbody");
    tb.insertAdjacentHTML("beforeend", rowHtml({ id: "new_actor_" + newCount, capability: 10, positions: {}, saliences: {} }, "new:" + newCount));
    tb.lastElementChild.querySelector("input.aid").select();
    markDirty();
  });
  $("reset").addEventListener("click", function () { renderEditor(original); });
  $("save-copy").addEventListener("click", async function () {
    const name = window.prompt("Name of the copy", (boot.name || "scenario") + " (edited)");
    if (!name) return;
    const r = await RP.call("/api/scenarios/save", {
      method: "POST", headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ name: name, data: currentData() }),
    });
    if (r.ok) window.location.href = "/workbench?scenario=" + encodeURIComponent(r.body.ref);
    else showProblems(r.body);
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

  function renderOptions() {
    const m = boot.models.find(function (x) { return x.name === $("model").value; });
    $("model-summary").textContent = m ? m.summary : "";
    const schema = m ? m.schema : { properties: {} };
    const props = schema.properties || {};
    let h = "";
    Object.keys(props).forEach(function (k) {
      const raw = props[k], p = resolveSchema(raw, schema);
      const def = raw.default !== undefined ? raw.default : p.default;
      const hint = def === undefined ? "(from preset)" : (def === null ? "(none)" : "(default " + def + ")");
      const id = "opt-" + k;
      h += "<div class=\"opt\"><label for=\"" + id + "\" title=\"" + RP.esc(raw.description || p.description || "") + "\">" + RP.esc(k) + "</label>";
      if (p.enum || p.type === "boolean") {
        const vals = p.enum || [true, false];
        h += "<select id=\"" + id + "\" data-opt=\"" + RP.esc(k) + "\" data-kind=\"" + (p.type === "boolean" ? "bool" : "enum") + "\"><option value=\"\">" + RP.esc(hint) + "</option>" +
          vals.map(function (v) { return "<option value=\"" + RP.esc(v) + "\">" + RP.esc(v) + "</option>"; }).join("") + "</select>";
      } else {
        const kind = (p.type === "integer" || p.type === "number") ? p.type : "text";
        h += "<input id=\"" + id + "\" data-opt=\"" + RP.esc(k) + "\" data-kind=\"" + kind + "\" " + (kind !== "text" ? "type=\"number\" step=\"any\"" : "") + " placeholder=\"" + RP.esc(hint) + "\">";
      }
      if (raw.description || p.description) h += "<div class=\"muted small\">" + RP.esc(raw.description || p.description) + "</div>";
      h += "</div>";
    });
    $("options").innerHTML = h || "<p class=\"muted small\">This model has no options.</p>";
  }

  /* only options the analyst set: a preset fills the others */
  function chosenOptions() {
    const out = {};
    $("options").querySelectorAll("[data-opt]").forEach(function (el) {
      const v = el.value;
      if (v === "") return;
      const kind = el.dataset.kind;
      if (kind === "bool") out[el.dataset.opt] = v === "true";
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

  /* ------------------------------------------------------------ run and results */
  async function run() {
    const btn = $("run-btn");
    btn.disabled = true;
    $("status").className = "status";
    $("status").textContent = "running " + $("model").value + " ...";
    const seedText = $("seed").value.trim();
    const body = { model: $("model").value, data: currentData(), options: chosenOptions(), source: "web" };
    if (seedText !== "") body.seed = Number(seedText);
    const draws = Number($("draws").value || 0);
    if (draws > 0) { body.draws = draws; body.spread = Number($("spread").value || 0); }
    const t0 = performance.now();
    const r = await RP.call("/api/runs", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
    btn.disabled = false;
    if (!r.ok) {
      $("status").className = "status bad-text";
      $("status").textContent = "not run: see the problems above";
      showProblems(r.body);
      $("problems").scrollIntoView({ block: "nearest" });
      return;
    }
    clearProblems();
    $("status").className = "status ok-text";
    $("status").textContent = "done in " + ((performance.now() - t0) / 1000).toFixed(2) + " s" + (r.body.run_id ? " · run " + r.body.run_id + " stored" : "");
    if (current) lastRun = current;
    current = r.body;
    showResults();
  }
  $("run-btn").addEventListener("click", run);

  function showResults() {
    const res = current.result;
    $("results").classList.remove("hidden");
    $("results-title").textContent = "Forecast: " + current.label + (current.run_id ? " (run " + current.run_id + ")" : "");
    const prev = lastRun ? lastRun.result : null;
    const mc = current.forecast_rows.some(function (r) { return r.p10 !== null && r.p10 !== undefined; });
    let h = "<thead><tr><th>issue</th><th class=\"num\">forecast" + (mc ? " (mean)" : "") + "</th>" +
      (mc ? "<th class=\"num\">80% of draws</th>" : "") + "<th>nearest labelled point</th>" +
      (prev ? "<th class=\"num\">previous run (" + RP.esc(prev.model) + ")</th><th class=\"num\">change</th>" : "") + "</tr></thead><tbody>";
    current.forecast_rows.forEach(function (row) {
      h += "<tr data-issue=\"" + RP.esc(row.issue) + "\"><td>" + RP.esc(row.label) + "</td><td class=\"num forecast-value\"><strong>" + RP.fmt(row.value) + "</strong></td>" +
        (mc ? "<td class=\"num\">" + RP.fmt(row.p10) + " \u2013 " + RP.fmt(row.p90) + "</td>" : "") + "<td>" + RP.esc(row.point) + "</td>";
      if (prev) {
        const pv = (prev.forecast || {})[row.issue];
        const d = (typeof pv === "number" && typeof row.value === "number") ? row.value - pv : null;
        h += "<td class=\"num\">" + RP.fmt(pv) + "</td><td class=\"num change " + (d > 0.05 ? "up" : (d < -0.05 ? "down" : "")) + "\">" +
          (d === null ? "-" : (d >= 0 ? "+" : "") + d.toFixed(1)) + "</td>";
      }
      h += "</tr>";
    });
    $("forecast-table").innerHTML = h + "</tbody>";
    const id = current.run_id;
    $("downloads").innerHTML = id ? (
      "<a class=\"btn small ghost\" href=\"/api/runs/" + id + "/result.json\">JSON</a>" +
      "<a class=\"btn small ghost\" href=\"/api/runs/" + id + "/result.csv\">CSV</a>" +
      "<a class=\"btn small ghost\" href=\"/api/runs/" + id + "/report\" target=\"_blank\">Report</a>" +
      "<a class=\"btn small ghost\" href=\"/api/runs/" + id + "/report?format=pdf\">PDF</a>" +
      "<a class=\"btn small ghost\" href=\"/runs/" + id + "\">Run page</a>") : "<span class=\"muted small\">run history off: no downloads</span>";
    const sel = $("chart-issue");
    const keep = sel.value;
    sel.innerHTML = original.issues.map(function (i) { return "<option value=\"" + RP.esc(i.id) + "\">" + RP.esc(i.label || i.id) + "</option>"; }).join("");
    if (keep) sel.value = keep;
    drawCharts();
    $("model-tables").innerHTML = (current.tables || []).map(function (t) {
      return "<h3>" + RP.esc(t.title) + "</h3><div class=\"scroll\"><table class=\"list\"><thead><tr>" +
        t.columns.map(function (c) { return "<th>" + RP.esc(c) + "</th>"; }).join("") + "</tr></thead><tbody>" +
        t.rows.map(function (r) { return "<tr>" + r.map(function (c) { return "<td>" + RP.esc(c) + "</td>"; }).join("") + "</tr>"; }).join("") +
        "</tbody></table></div>" + (t.note ? "<p class=\"muted small\">" + RP.esc(t.note) + "</p>" : "");
    }).join("");
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

  /* ------------------------------------------------------------ every standard model, side by side */
  let compared = [];
  async function runAll() {
    const btn = $("run-all");
    const models = boot.standard || [];
    if (!models.length) return;
    btn.disabled = true;
    $("run-btn").disabled = true;
    const data = currentData();
    const seedText = $("seed").value.trim();
    const done = [];
    const failed = [];
    for (let k = 0; k < models.length; k++) {
      $("status").className = "status";
      $("status").textContent = "running " + models[k] + " (" + (k + 1) + " of " + models.length + ") ...";
      const body = { model: models[k], data: data, source: "web" };
      if (seedText !== "") body.seed = Number(seedText);
      const r = await RP.call("/api/runs", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
      if (r.ok) done.push(r.body);
      else if (r.status === 422 && r.body && (r.body.problems || []).some(function (p) { return /^scenario/.test(p.location || ""); })) {
        btn.disabled = false; $("run-btn").disabled = false;
        $("status").className = "status bad-text";
        $("status").textContent = "not run: see the problems above";
        showProblems(r.body);
        return;
      } else failed.push(models[k] + ": " + ((r.body && r.body.detail) || r.status));
    }
    btn.disabled = false;
    $("run-btn").disabled = false;
    clearProblems();
    compared = done;
    $("status").className = "status ok-text";
    $("status").textContent = done.length + " models run and stored" + (failed.length ? "; failed: " + failed.join("; ") : "");
    showCompare();
  }
  $("run-all").addEventListener("click", runAll);

  function showCompare() {
    $("compare").classList.remove("hidden");
    let h = "<thead><tr><th>issue</th>" + compared.map(function (c) {
      return "<th class=\"num\">" + RP.esc(c.label) + (c.run_id ? "<span class=\"sub\"><a href=\"/runs/" + c.run_id + "\">run " + c.run_id + "</a></span>" : "") + "</th>";
    }).join("") + "</tr></thead><tbody>";
    original.issues.forEach(function (iss, c) {
      h += "<tr data-issue=\"" + RP.esc(iss.id) + "\"><td>" + RP.esc(iss.label || iss.id) + "</td>" + compared.map(function (res) {
        const row = res.forecast_rows[c];
        return "<td class=\"num\"><strong>" + RP.fmt(row.value) + "</strong>" + (row.point ? "<span class=\"sub\">~ " + RP.esc(row.point) + "</span>" : "") + "</td>";
      }).join("") + "</tr>";
    });
    $("compare-table").innerHTML = h + "</tbody>";
    $("compare-note").textContent = "default options" + ($("seed").value.trim() ? ", seed " + $("seed").value.trim() : "");
    const sel = $("compare-issue");
    if (!sel.options.length) sel.innerHTML = original.issues.map(function (i) { return "<option value=\"" + RP.esc(i.id) + "\">" + RP.esc(i.label || i.id) + "</option>"; }).join("");
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
    const palette = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f"];
    fig.data = [{ type: "scatter", mode: "markers+text", x: pts.map(function (p) { return p.v; }), y: pts.map(function (p) { return p.name; }),
      text: pts.map(function (p) { return p.v.toFixed(1); }), textposition: "top center", showlegend: false,
      marker: { size: 14, color: pts.map(function (_, k) { return palette[k % palette.length]; }) },
      hovertemplate: "%{y}: %{x:.2f}<extra></extra>" }];
    fig.layout.height = 200 + 45 * pts.length;
    fig.layout.title = { text: "Forecasts side by side: " + ((original.issues.find(function (i) { return i.id === iid; }) || {}).label || iid) };
    fig.layout.margin = Object.assign({}, fig.layout.margin || {}, { l: 220 });
    RP.plot($("chart-compare"), fig);
  }
  $("compare-issue").addEventListener("change", drawCompare);

  renderEditor(original);
})();
