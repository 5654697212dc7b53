/* realpolitik workbench: shared helpers (plain JavaScript, no dependencies). */
"use strict";
const RP = {};

RP.esc = function (s) {
  return String(s === null || s === undefined ? "" : s)
    .replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;").replace(/'/g, "&#39;");
};

RP.fmt = function (v, digits) {
  if (v === null || v === undefined || (typeof v === "number" && !isFinite(v))) return "-";
  if (typeof v === "number") return v.toFixed(digits === undefined ? 1 : digits);
  return String(v);
};

/* fetch JSON; resolves {ok, status, body} and never throws on HTTP errors */
RP.call = async function (url, opts) {
  let resp;
  try {
    resp = await fetch(url, opts || {});
  } catch (e) {
    return { ok: false, status: 0, body: { detail: "the workbench server cannot be reached", problems: [] } };
  }
  let body = null;
  try { body = await resp.json(); } catch (e) { body = { detail: resp.statusText, problems: [] }; }
  return { ok: resp.ok, status: resp.status, body: body };
};

RP.problemsHtml = function (body) {
  const probs = (body && body.problems) || [];
  let html = "<strong>" + RP.esc((body && body.detail) || "error") + "</strong>";
  if (probs.length) {
    html += "<ul>" + probs.map(function (p) {
      return "<li>" + (p.location ? "<code>" + RP.esc(p.location) + "</code> " : "") + RP.esc(p.message) + "</li>";
    }).join("") + "</ul>";
  }
  return html;
};

/* actor colours: one per actor id for the whole page (set from the scenario as loaded) */
RP.PALETTE = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
  "#bcbd22", "#17becf", "#aec7e8", "#ff9896", "#98df8a", "#ffbb78", "#c5b0d5", "#c49c94", "#f7b6d2", "#c7c7c7", "#dbdb8d", "#9edae5"];
RP.actorColors = {};      // trace name (actor id or name) -> colour
RP.actorColorsById = {};
RP.setActors = function (actors) {
  actors.forEach(function (a) {
    if (!(a.id in RP.actorColorsById)) {
      RP.actorColorsById[a.id] = RP.PALETTE[Object.keys(RP.actorColorsById).length % RP.PALETTE.length];
    }
    RP.actorColors[a.id] = RP.actorColorsById[a.id];
    if (a.name) RP.actorColors[a.name] = RP.actorColorsById[a.id];
  });
};

RP.plot = function (el, fig) {
  if (!el) return;
  if (!fig || typeof Plotly === "undefined") { el.innerHTML = ""; el.classList.add("hidden"); return; }
  el.classList.remove("hidden");
  const layout = Object.assign({}, fig.layout || {}, { autosize: true });
  /* labels are never clipped: every axis makes room for its tick labels and title */
  Object.keys(layout).forEach(function (k) {
    if (/^[xy]axis\d*$/.test(k)) layout[k] = Object.assign({}, layout[k], { automargin: true });
  });
  if (!layout.xaxis) layout.xaxis = { automargin: true };
  if (!layout.yaxis) layout.yaxis = { automargin: true };
  if (layout.title && typeof layout.title === "object") layout.title = Object.assign({}, layout.title, { automargin: true });
  const data = (fig.data || []).map(function (t) {
    const c = t.name !== undefined ? RP.actorColors[t.name] : undefined;
    if (!c) return t;
    const out = Object.assign({}, t);
    if (out.line) out.line = Object.assign({}, out.line, { color: c });
    if (out.marker && !Array.isArray(out.marker.color)) out.marker = Object.assign({}, out.marker, { color: c });
    return out;
  });
  Plotly.react(el, data, layout, { responsive: true, displaylogo: false });
};

/* a table {title, columns, rows, note} as HTML */
RP.tableHtml = function (t) {
  return "<h3>" + RP.esc(t.title) + "</h3><div class=\"scroll\"><table class=\"list\"><thead><tr>" +
    t.columns.map(function (c) { return "<th>" + RP.esc(c) + "</th>"; }).join("") + "</tr></thead><tbody>" +
    t.rows.map(function (r) { return "<tr>" + r.map(function (c) { return "<td>" + RP.esc(c) + "</td>"; }).join("") + "</tr>"; }).join("") +
    "</tbody></table></div>" + (t.note ? "<p class=\"muted small\">" + RP.esc(t.note) + "</p>" : "");
};

/* one card per issue: forecast, labelled point, interval on the scale, stability, warnings */
RP.cardsHtml = function (cards) {
  return cards.map(function (c) {
    const span = (c.max - c.min) || 1;
    const pct = function (v) { return Math.max(0, Math.min(100, 100 * (v - c.min) / span)); };
    let bar = "<div class=\"scale\" aria-hidden=\"true\">";
    if (c.interval) bar += "<span class=\"iv\" style=\"left:" + pct(c.interval[0]) + "%;width:" + Math.max(0.8, pct(c.interval[1]) - pct(c.interval[0])) + "%\"></span>";
    if (c.value !== null) bar += "<span class=\"pt\" style=\"left:" + pct(c.value) + "%\"></span>";
    bar += "</div><div class=\"scale-ends small muted\"><span>" + RP.fmt(c.min, 0) + "</span><span>" + RP.fmt(c.max, 0) + "</span></div>";
    return "<article class=\"fcard" + (c.warnings.length ? " warn" : "") + "\" data-issue=\"" + RP.esc(c.issue) + "\">" +
      "<h3>" + RP.esc(c.label) + "</h3>" +
      "<div class=\"big\"><span class=\"value\">" + RP.fmt(c.value) + "</span> <span class=\"muted small\">" + RP.esc(c.kind) + "</span></div>" +
      (c.point ? "<div class=\"point\">nearest labelled point <strong>" + RP.esc(c.point) + "</strong></div>" : "") +
      bar +
      (c.interval ? "<div class=\"small interval\">" + RP.esc(c.interval_label) + ": " + RP.fmt(c.interval[0]) + " \u2013 " + RP.fmt(c.interval[1]) + "</div>" :
        "<div class=\"small muted interval\">no interval: run with Monte Carlo draws (or the ensemble) for one</div>") +
      "<div class=\"flag " + (c.stable ? "ok" : "bad") + "\">" + (c.stable ? "settled" : "not settled") + "</div>" +
      (c.warnings.length ? "<ul class=\"warnings\">" + c.warnings.map(function (w) { return "<li>" + RP.esc(w) + "</li>"; }).join("") + "</ul>" : "") +
      (c.note ? "<p class=\"warnnote small\">" + RP.esc(c.note) + "</p>" : "") +
      "</article>";
  }).join("");
};

/* start a job and watch it (server-sent events); resolves {ok, status, body} like RP.call */
RP.job = function (body, onProgress) {
  return new Promise(function (resolve) {
    RP.call("/api/jobs", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) }).then(function (r) {
      if (!r.ok) { resolve(r); return; }
      const job = r.body;
      RP.currentJob = job.id;
      if (onProgress) onProgress(job);
      const es = new EventSource("/api/jobs/" + job.id + "/events");
      let ended = false;
      const finish = function (snap) {
        if (ended) return;
        ended = true;
        es.close();
        RP.currentJob = null;
        if (snap.state === "done") resolve({ ok: true, status: 200, body: snap.result, job: snap });
        else {
          const e = snap.error || { status: 0, detail: snap.message || snap.state, problems: [] };
          resolve({ ok: false, status: e.status, body: e, job: snap });
        }
      };
      es.addEventListener("progress", function (ev) { if (onProgress) onProgress(JSON.parse(ev.data)); });
      es.addEventListener("end", function (ev) { finish(JSON.parse(ev.data)); });
      es.onerror = function () {
        if (ended) return;
        /* the stream broke (server restarting?): ask once for the job's end */
        RP.call("/api/jobs/" + job.id).then(function (s) {
          if (s.ok && ["done", "failed", "cancelled", "timeout"].indexOf(s.body.state) >= 0) finish(s.body);
        });
      };
    });
  });
};

RP.cancelJob = function () {
  if (!RP.currentJob) return Promise.resolve(null);
  return RP.call("/api/jobs/" + RP.currentJob + "/cancel", { method: "POST" });
};

/* plain-language option help: the first sentence shown, equations and the rest folded away */
RP.helpHtml = function (text) {
  if (!text) return "";
  const plain = function (t) {
    return RP.esc(t).replace(/``([^`]+)``/g, "<code>$1</code>").replace(/:math:`([^`]+)`/g, "<code>$1</code>").replace(/`([^`]+)`/g, "<code>$1</code>");
  };
  const m = /^(.*?[.;:])\s+(.*)$/.exec(text);
  const hasMath = /eq\.|\(\d+[a-z]?\)|[_^=]|sum_|:math:/.test(text);
  if (!m && !hasMath) return "<div class=\"muted small\">" + plain(text) + "</div>";
  const head = m ? m[1] : text.split(/[(:]/)[0];
  return "<div class=\"muted small\">" + plain(head.replace(/\s*\(.*$/, "")) +
    " <details class=\"more\"><summary>details</summary>" + plain(text) + "</details></div>";
};

/* all charts of a stored run into one container (run page) */
RP.renderCharts = function (container, charts) {
  if (!container || !charts) return;
  const add = function (title, fig) {
    const div = document.createElement("div");
    div.className = "chart";
    container.appendChild(div);
    RP.plot(div, fig);
  };
  Object.keys(charts.positions || {}).forEach(function (k) { add(k, charts.positions[k]); });
  Object.keys(charts.forecast || {}).forEach(function (k) { add(k, charts.forecast[k]); });
  if (charts.settlement) add("settlement", charts.settlement);
  if (charts.timeline) add("timeline", charts.timeline);
  Object.keys(charts.histogram || {}).forEach(function (k) { add(k, charts.histogram[k]); });
  Object.keys(charts.tornado || {}).forEach(function (k) { add(k, charts.tornado[k]); });
  Object.keys(charts.actor_map || {}).forEach(function (k) { add(k, charts.actor_map[k]); });
};
