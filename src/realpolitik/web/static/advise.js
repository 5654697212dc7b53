/* realpolitik workbench: the advise page (plain JavaScript). */
"use strict";
(function () {
  const boot = JSON.parse(document.getElementById("boot").textContent);
  const $ = function (id) { return document.getElementById(id); };
  const fill = function (sel, items, chosen) {
    sel.innerHTML = items.map(function (it) {
      return "<option value=\"" + RP.esc(it.value) + "\"" + (it.value === chosen ? " selected" : "") + ">" +
        RP.esc(it.label) + "</option>";
    }).join("");
  };
  fill($("actor"), boot.actors.map(function (a) { return { value: a.id, label: a.label + " (" + a.id + ")" }; }), boot.actor);
  fill($("model"), boot.models.map(function (m) { return { value: m, label: m }; }), boot.model);
  boot.issues.forEach(function (i) {
    const o = document.createElement("option");
    o.value = i.id; o.textContent = i.label + " (" + i.min + "-" + i.max + ")";
    $("goal-issue").appendChild(o);
  });
  $("scenario").addEventListener("change", function () {
    window.location = "/advise?scenario=" + encodeURIComponent($("scenario").value);
  });

  const table = function (t) {
    let h = "<h3>" + RP.esc(t.title) + "</h3><div class=\"scroll\"><table class=\"list\"><thead><tr>";
    h += t.columns.map(function (c) { return "<th>" + RP.esc(c) + "</th>"; }).join("") + "</tr></thead><tbody>";
    h += t.rows.map(function (r) {
      return "<tr>" + r.map(function (c) { return "<td>" + RP.esc(c) + "</td>"; }).join("") + "</tr>";
    }).join("");
    h += "</tbody></table></div>";
    if (t.note) h += "<p class=\"muted small\">" + RP.esc(t.note) + "</p>";
    return h;
  };

  $("run").addEventListener("click", async function () {
    const issue = $("goal-issue").value;
    const target = $("target").value;
    const body = {
      scenario: boot.ref, actor: $("actor").value, model: $("model").value,
      steps: [Number($("step").value || 10)], draws: Number($("draws").value || 100),
      capability: $("capability").checked, persuade: $("persuade").checked,
      issues: issue ? [issue] : [], target: {}
    };
    if ($("seed").value !== "") body.seed = Number($("seed").value);
    if (issue && target !== "") body.target[issue] = Number(target);
    $("problems").classList.add("hidden");
    $("results").innerHTML = "";
    $("charts").innerHTML = "";
    $("status").textContent = "advising " + body.actor + " with " + body.model + " (" + body.draws + " draws) ...";
    $("run").disabled = true;
    const res = await RP.call("/api/advise", {
      method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body)
    });
    $("run").disabled = false;
    if (!res.ok) {
      $("status").textContent = "";
      $("problems").innerHTML = RP.problemsHtml(res.body);
      $("problems").classList.remove("hidden");
      return;
    }
    const adv = res.body.advice;
    $("status").textContent = adv.levers.length + " levers x " + adv.draws + " draws, seed " + adv.seed +
      " · " + RP.fmt(adv.elapsed, 1) + " s · reproduce the top lever: " + adv.reproduce;
    $("results").innerHTML = res.body.tables.map(table).join("");
    const add = function (fig) {
      const div = document.createElement("div");
      div.className = "chart";
      $("charts").appendChild(div);
      RP.plot(div, fig);
    };
    add(res.body.charts.levers);
    (res.body.charts.quadrants || []).forEach(add);
  });
})();
