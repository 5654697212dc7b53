/* Run history: two ticked runs open their comparison; runs can be named and deleted. */
"use strict";
(function () {
  document.querySelectorAll("input.pick").forEach(function (box) {
    box.addEventListener("change", function () {
      const ids = Array.from(document.querySelectorAll("input.pick:checked")).map(function (b) { return Number(b.value); });
      if (ids.length === 2) { ids.sort(function (x, y) { return x - y; }); window.location.href = "/runs/diff?a=" + ids[0] + "&b=" + ids[1]; }
    });
  });
  const table = document.getElementById("runs-table");
  if (!table) return;
  table.addEventListener("click", async function (ev) {
    const tr = ev.target.closest("tr[data-id]");
    if (!tr) return;
    const id = tr.dataset.id;
    if (ev.target.classList.contains("run-delete")) {
      if (!window.confirm("Delete run " + id + " from the history?")) return;
      const r = await RP.call("/api/runs/" + id, { method: "DELETE" });
      if (r.ok) tr.remove(); else window.alert(r.body.detail);
    } else if (ev.target.classList.contains("run-rename")) {
      const name = window.prompt("Name of run " + id, ev.target.dataset.name || "");
      if (name === null) return;
      const r = await RP.call("/api/runs/" + id, { method: "PATCH", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ name: name }) });
      if (r.ok) window.location.reload(); else window.alert(r.body.detail);
    }
  });
})();
