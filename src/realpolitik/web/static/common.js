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

RP.plot = function (el, fig) {
  if (!el) return;
  if (!fig || typeof Plotly === "undefined") { el.innerHTML = ""; el.classList.add("hidden"); return; }
  el.classList.remove("hidden");
  const layout = Object.assign({}, fig.layout || {}, { autosize: true });
  Plotly.react(el, fig.data || [], layout, { responsive: true, displaylogo: false });
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
  Object.keys(charts.histogram || {}).forEach(function (k) { add(k, charts.histogram[k]); });
  Object.keys(charts.tornado || {}).forEach(function (k) { add(k, charts.tornado[k]); });
  Object.keys(charts.actor_map || {}).forEach(function (k) { add(k, charts.actor_map[k]); });
};
