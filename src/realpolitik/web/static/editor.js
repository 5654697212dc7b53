/* realpolitik workbench: the scenario editor - actors x issues, issues and their scales, events.
   RPEditor.data() is the edited scenario (Scenario.to_data() shape); the server validates it
   and names every bad cell.  Removing an actor goes through the server's Scenario.without_actor. */
"use strict";
const RPEditor = (function () {
  const $ = function (id) { return document.getElementById(id); };
  let original = null;   // as loaded
  let base = null;       // the data the tables were drawn from (original, or after a server edit)
  let newCount = 0;
  let onChange = function () {};

  function numText(v) { return v === undefined || v === null ? "" : String(v); }
  function parseNum(text) {
    const t = String(text).trim();
    if (t === "") return null;
    const v = Number(t);
    return isFinite(v) && !/^0x/i.test(t) ? v : t;   // non-numbers go to the server, which names them
  }
  function clone(x) { return JSON.parse(JSON.stringify(x)); }

  /* ------------------------------------------------------------ actors x issues */
  function issueIds() { return currentIssues().map(function (i) { return i.id; }); }

  function headerHtml(issues) {
    let h1 = "<tr><th rowspan=\"2\"></th><th rowspan=\"2\">actor</th><th rowspan=\"2\" class=\"num\">capability</th>";
    let h2 = "<tr>";
    issues.forEach(function (iss) {
      h1 += "<th colspan=\"2\" class=\"issue\" title=\"" + RP.esc(iss.label || iss.id) + "\">" + RP.esc(iss.id) +
        " <span class=\"muted\">" + (iss.min === undefined ? 0 : iss.min) + "-" + (iss.max === undefined ? 100 : iss.max) + "</span></th>";
      h2 += "<th class=\"num subh\">position</th><th class=\"num subh\">salience</th>";
    });
    return "<thead>" + h1 + "</tr>" + h2 + "</tr></thead>";
  }

  function rowHtml(actor, key, issues) {
    const pos = actor.positions || {}, sal = actor.saliences || {};
    let h = "<tr data-key=\"" + RP.esc(key) + "\" data-id=\"" + RP.esc(actor.id) + "\">";
    h += "<td><button type=\"button\" class=\"x\" title=\"Remove this actor\" aria-label=\"remove " + RP.esc(actor.id) + "\">&times;</button></td>";
    h += "<td class=\"actor\"><span class=\"swatch\" style=\"background:" + (RP.actorColorsById[actor.id] || "#ccc") + "\"></span>" +
      "<input class=\"aid\" data-field=\"id\" value=\"" + RP.esc(actor.id) + "\" aria-label=\"actor id\">" +
      (actor.name ? "<span class=\"sub\">" + RP.esc(actor.name) + "</span>" : "") + "</td>";
    const perIssue = actor.capability_by_issue && Object.keys(actor.capability_by_issue).length > 0;
    if (perIssue) {
      const txt = Object.keys(actor.capability_by_issue).map(function (k) { return k + " " + actor.capability_by_issue[k]; }).join(", ");
      h += "<td><input class=\"num\" data-field=\"capability\" value=\"" + RP.esc(numText(actor.capability)) + "\" disabled title=\"capability per issue: " +
        RP.esc(txt) + " (edit it in the scenario file)\" aria-label=\"capability of " + RP.esc(actor.id) + "\"><span class=\"sub\">per issue</span></td>";
    } else {
      h += "<td><input class=\"num\" data-field=\"capability\" value=\"" + RP.esc(numText(actor.capability)) + "\" aria-label=\"capability of " + RP.esc(actor.id) + "\"></td>";
    }
    issues.forEach(function (iss) {
      const iid = iss.id;
      h += "<td><input class=\"num\" data-field=\"positions\" data-issue=\"" + RP.esc(iid) + "\" value=\"" + RP.esc(numText(pos[iid])) +
        "\" aria-label=\"position of " + RP.esc(actor.id) + " on " + RP.esc(iid) + "\"></td>";
      h += "<td><input class=\"num sal\" data-field=\"saliences\" data-issue=\"" + RP.esc(iid) + "\" value=\"" + RP.esc(numText(sal[iid])) +
        "\" aria-label=\"salience of " + RP.esc(actor.id) + " on " + RP.esc(iid) + "\"></td>";
    });
    return h + "</tr>";
  }

  function renderActors(data) {
    $("editor").innerHTML = headerHtml(data.issues) + "<tbody>" +
      data.actors.map(function (a) { return rowHtml(a, "orig:" + a.id, data.issues); }).join("") + "</tbody>";
  }

  function actorsFromTable(data) {
    const byId = {};
    base.actors.forEach(function (a) { byId[a.id] = a; });
    const rows = Array.from($("editor").querySelectorAll("tbody tr"));
    return rows.map(function (tr) {
      const key = tr.dataset.key;
      const orig = key.indexOf("orig:") === 0 ? byId[key.slice(5)] : null;
      const a = Object.assign(orig ? clone(orig) : {}, { positions: {}, saliences: {} });
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
  }

  /* ------------------------------------------------------------ issues and scales */
  function pointsText(points) {
    return (points || []).map(function (p) { return p.value + ": " + p.label; }).join("\n");
  }
  function parsePoints(text) {
    return text.split("\n").map(function (l) { return l.trim(); }).filter(Boolean).map(function (l) {
      const m = /^(-?[0-9.eE+-]+)\s*[:=]\s*(.*)$/.exec(l);
      return m ? { value: parseNum(m[1]), label: m[2].trim() } : { value: l, label: "" };
    });
  }
  function renderIssues(data) {
    let h = "<thead><tr><th>id</th><th>label</th><th class=\"num\">min</th><th class=\"num\">max</th><th class=\"num\">status quo</th><th>labelled points (value: label)</th></tr></thead><tbody>";
    data.issues.forEach(function (iss, k) {
      h += "<tr data-k=\"" + k + "\"><td><input class=\"iid\" data-f=\"id\" value=\"" + RP.esc(iss.id) + "\"" + (k < base.issues.length ? " disabled title=\"an issue's id names it everywhere; add a new issue instead\"" : "") + " aria-label=\"issue id\"></td>" +
        "<td><input class=\"lbl\" data-f=\"label\" value=\"" + RP.esc(iss.label || "") + "\" aria-label=\"label of " + RP.esc(iss.id) + "\"></td>" +
        "<td><input class=\"num\" data-f=\"min\" value=\"" + RP.esc(numText(iss.min)) + "\" aria-label=\"scale min of " + RP.esc(iss.id) + "\"></td>" +
        "<td><input class=\"num\" data-f=\"max\" value=\"" + RP.esc(numText(iss.max)) + "\" aria-label=\"scale max of " + RP.esc(iss.id) + "\"></td>" +
        "<td><input class=\"num\" data-f=\"status_quo\" value=\"" + RP.esc(numText(iss.status_quo)) + "\" aria-label=\"status quo of " + RP.esc(iss.id) + "\"></td>" +
        "<td><textarea data-f=\"points\" rows=\"" + Math.max(2, (iss.points || []).length) + "\" aria-label=\"labelled points of " + RP.esc(iss.id) + "\">" + RP.esc(pointsText(iss.points)) + "</textarea></td></tr>";
    });
    $("issues-editor").innerHTML = h + "</tbody>";
  }
  function currentIssues() {
    const rows = Array.from($("issues-editor").querySelectorAll("tbody tr"));
    return rows.map(function (tr) {
      const k = Number(tr.dataset.k);
      const iss = k < base.issues.length ? clone(base.issues[k]) : {};
      tr.querySelectorAll("[data-f]").forEach(function (inp) {
        const f = inp.dataset.f;
        if (f === "id") iss.id = inp.value.trim();
        else if (f === "label") iss.label = inp.value;
        else if (f === "points") iss.points = parsePoints(inp.value);
        else {
          const v = parseNum(inp.value);
          if (v === null) delete iss[f]; else iss[f] = v;
        }
      });
      return iss;
    });
  }

  /* ------------------------------------------------------------ events */
  /* a distribution as the scenario file writes it: {low, mode, high} or {mean, sd}; the kind follows from the keys */
  function distText(d) {
    const o = {};
    Object.keys(d).forEach(function (k) { if (k !== "dist" && d[k] !== null && d[k] !== undefined) o[k] = d[k]; });
    return JSON.stringify(o);
  }
  function changeText(c) {
    if (c.field === "leave") return c.actor + " leave";
    if (c.field === "enter") return c.actor + " enter " + JSON.stringify(c.actor_data || {});
    const v = c.distribution ? distText(c.distribution) : (c.value !== null && typeof c.value === "object" ? distText(c.value) : c.value);
    return c.actor + " " + c.field + (c.issue ? " " + c.issue : "") + " = " + v;
  }
  function parseChange(line) {
    let m = /^(\S+)\s+leave$/.exec(line);
    if (m) return { actor: m[1], field: "leave" };
    m = /^(\S+)\s+enter\s+(\{.*\})$/.exec(line);
    if (m) { try { return { actor: m[1], field: "enter", actor_data: JSON.parse(m[2]) }; } catch (e) { return { actor: m[1], field: "enter", actor_data: m[2] }; } }
    m = /^(\S+)\s+(capability|position|salience)(?:\s+(\S+))?\s*=\s*(.+)$/.exec(line);
    if (m) {
      const ch = { actor: m[1], field: m[2] };
      if (m[3]) ch.issue = m[3];
      const raw = m[4].trim();
      if (raw.charAt(0) === "{") { try { ch.value = JSON.parse(raw); } catch (e) { ch.value = raw; } }
      else ch.value = parseNum(raw);
      return ch;
    }
    return { actor: line, field: "?" };   // the server names the line
  }
  function renderEvents(data) {
    const evs = data.events || [];
    $("events-editor").innerHTML = evs.length ? evs.map(function (e, k) {
      return "<fieldset class=\"event\" data-k=\"" + k + "\"><legend>event " + (k + 1) + " <button type=\"button\" class=\"x\" title=\"Remove this event\" aria-label=\"remove event " + (k + 1) + "\">&times;</button></legend>" +
        "<label>id <input data-f=\"id\" value=\"" + RP.esc(e.id || "") + "\"></label>" +
        "<label>round <input class=\"num\" data-f=\"round\" value=\"" + RP.esc(numText(e.round)) + "\"></label>" +
        "<label>date <input data-f=\"date\" value=\"" + RP.esc(e.date || "") + "\" placeholder=\"YYYY-MM-DD\"></label>" +
        "<label>probability <input class=\"num\" data-f=\"probability\" value=\"" + RP.esc(numText(e.probability)) + "\" placeholder=\"1\"></label>" +
        "<label class=\"wide\">description <input data-f=\"description\" value=\"" + RP.esc(e.description || "") + "\"></label>" +
        "<label class=\"wide\">changes <textarea data-f=\"changes\" rows=\"" + Math.max(2, (e.changes || []).length) + "\">" + RP.esc((e.changes || []).map(changeText).join("\n")) + "</textarea></label></fieldset>";
    }).join("") : "<p class=\"muted small\">No events.</p>";
  }
  function currentEvents() {
    const sets = Array.from($("events-editor").querySelectorAll("fieldset.event"));
    return sets.map(function (fs) {
      const k = Number(fs.dataset.k);
      const e = k < (base.events || []).length ? clone(base.events[k]) : {};
      fs.querySelectorAll("[data-f]").forEach(function (inp) {
        const f = inp.dataset.f, t = inp.value.trim();
        if (f === "changes") e.changes = t.split("\n").map(function (l) { return l.trim(); }).filter(Boolean).map(parseChange);
        else if (f === "round" || f === "probability") { const v = parseNum(t); if (v === null) delete e[f]; else e[f] = v; }
        else if (t === "") delete e[f]; else e[f] = t;
      });
      /* a change whose text did not change keeps its own fields (distribution, actor data) */
      const old = k < (base.events || []).length ? base.events[k].changes || [] : [];
      e.changes = e.changes.map(function (c, j) { return old[j] && changeText(old[j]) === changeText(c) ? old[j] : c; });
      return e;
    });
  }

  /* ------------------------------------------------------------ the whole scenario */
  /* a value the analyst edits is known: its distribution goes (as Scenario.with_value does) */
  function dropEditedDistributions(d) {
    if (!(d.uncertainty || []).length) return;
    const before = {};
    base.actors.forEach(function (a) { before[a.id] = a; });
    const edited = new Set();
    d.actors.forEach(function (a) {
      const b = before[a.id];
      if (!b) return;
      if (b.capability !== a.capability) edited.add(a.id + ".capability");
      [["positions", "position"], ["saliences", "salience"]].forEach(function (f) {
        const x = b[f[0]] || {}, y = a[f[0]] || {};
        Object.keys(Object.assign({}, x, y)).forEach(function (iid) { if (x[iid] !== y[iid]) edited.add(a.id + "." + f[1] + "." + iid); });
      });
    });
    d.uncertainty = d.uncertainty.filter(function (u) { return !edited.has(u.path); });
  }

  function data() {
    const d = clone(base);
    d.issues = currentIssues();
    d.actors = actorsFromTable(d);
    dropEditedDistributions(d);
    d.events = currentEvents();
    if (!d.events.length && !(base.events || []).length) delete d.events;
    return d;
  }

  function render(d) {
    base = clone(d);
    RP.setActors(d.actors);
    renderIssues(d);
    renderActors(d);
    renderEvents(d);
    clearProblems();
    onChange();
  }

  function dirty() { return JSON.stringify(data()) !== JSON.stringify(stripEmpty(original)); }
  function stripEmpty(d) { const c = clone(d); if (!(c.events || []).length) delete c.events; return c; }

  function clearProblems() {
    $("problems").classList.add("hidden");
    $("problems").innerHTML = "";
    document.querySelectorAll(".editor .bad").forEach(function (el) { el.classList.remove("bad"); el.removeAttribute("title"); });
  }

  /* show problems inline: the message list, and each named cell outlined */
  function showProblems(body) {
    clearProblems();
    $("problems").innerHTML = RP.problemsHtml(body);
    $("problems").classList.remove("hidden");
    const rows = Array.from($("editor").querySelectorAll("tbody tr"));
    const irows = Array.from($("issues-editor").querySelectorAll("tbody tr"));
    const evs = Array.from($("events-editor").querySelectorAll("fieldset.event"));
    ((body && body.problems) || []).forEach(function (p) {
      const loc = p.location || "";
      let m = /actors\.(\d+)(?:\.(\w+))?(?:\.([^.\s]+))?/.exec(loc);
      let target = null;
      if (m && rows[Number(m[1])]) {
        const tr = rows[Number(m[1])];
        let sel = null;
        if (m[2] === "positions" || m[2] === "saliences") sel = "input[data-field=\"" + m[2] + "\"][data-issue=\"" + (m[3] || "") + "\"]";
        else if (m[2] === "capability" || m[2] === "id") sel = "input[data-field=\"" + m[2] + "\"]";
        target = (sel ? tr.querySelector(sel) : null) || tr;
      } else if ((m = /issues\.(\d+)(?:\.(\w+))?/.exec(loc)) && irows[Number(m[1])]) {
        target = irows[Number(m[1])].querySelector("[data-f=\"" + (m[2] || "id") + "\"]") || irows[Number(m[1])];
      } else if ((m = /events\.(\d+)(?:\.(\w+))?/.exec(loc)) && evs[Number(m[1])]) {
        target = evs[Number(m[1])].querySelector("[data-f=\"" + (m[2] || "changes") + "\"]") || evs[Number(m[1])];
      }
      if (target) { target.classList.add("bad"); target.title = p.message; }
    });
  }

  function init(d, changed) {
    original = clone(d);
    onChange = changed || onChange;
    render(d);
    document.querySelector(".editor").addEventListener("input", function (ev) {
      ev.target.classList.remove("bad");
      onChange();
    });
    $("editor").addEventListener("click", async function (ev) {
      if (!ev.target.classList.contains("x")) return;
      const tr = ev.target.closest("tr");
      if (tr.dataset.key.indexOf("new:") === 0) { tr.remove(); onChange(); return; }
      /* as Scenario.without_actor: events, distributions, children and the war section follow */
      const current = data();
      const r = await RP.call("/api/scenarios/edit", { method: "POST", headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ data: current, remove_actor: tr.dataset.id }) });
      if (r.ok) render(r.body.data);
      else showProblems(r.body);
    });
    $("events-editor").addEventListener("click", function (ev) {
      if (ev.target.classList.contains("x")) { ev.target.closest("fieldset").remove(); onChange(); }
    });
    $("add-actor").addEventListener("click", function () {
      newCount += 1;
      const tb = $("editor").querySelector("tbody");
      tb.insertAdjacentHTML("beforeend", rowHtml({ id: "new_actor_" + newCount, capability: 10, positions: {}, saliences: {} }, "new:" + newCount, currentIssues()));
      tb.lastElementChild.querySelector("input.aid").select();
      onChange();
    });
    $("add-issue").addEventListener("click", function () {
      const d = data();
      d.issues.push({ id: "new_issue_" + (d.issues.length + 1), label: "", min: 0, max: 100, points: [] });
      /* the tables are drawn from d; base stays as it was, so the new issue's id is editable */
      renderIssues(d);
      renderActors(d);
      onChange();
    });
    $("add-event").addEventListener("click", function () {
      const d = data();
      d.events = (d.events || []).concat([{ id: "event_" + ((d.events || []).length + 1), round: 1, changes: [] }]);
      renderEvents(d);
      onChange();
    });
    document.querySelectorAll(".tab").forEach(function (b) {
      b.addEventListener("click", function () {
        document.querySelectorAll(".tab").forEach(function (x) { x.classList.toggle("active", x === b); });
        document.querySelectorAll(".tabpane").forEach(function (p) { p.classList.toggle("hidden", p.id !== b.dataset.tab); });
      });
    });
  }

  return { init: init, data: data, render: render, dirty: dirty, showProblems: showProblems, clearProblems: clearProblems,
    original: function () { return original; }, reset: function () { render(original); } };
})();
