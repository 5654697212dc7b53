/* Scenario library: upload a file; show its validation problems inline. */
"use strict";
(function () {
  const form = document.getElementById("upload-form");
  const out = document.getElementById("upload-result");
  if (!form) return;
  form.addEventListener("submit", async function (ev) {
    ev.preventDefault();
    const input = document.getElementById("upload-file");
    if (!input.files.length) return;
    const fd = new FormData();
    fd.append("file", input.files[0]);
    out.className = "status";
    out.textContent = "checking " + input.files[0].name + " ...";
    const r = await RP.call("/api/scenarios", { method: "POST", body: fd });
    if (r.ok) {
      out.className = "okbox";
      out.innerHTML = "Loaded <strong>" + RP.esc(r.body.title) + "</strong>: " + r.body.actors + " actors, " +
        r.body.issues + " issues. <a class=\"btn small\" id=\"open-upload\" href=\"/workbench?scenario=" +
        encodeURIComponent(r.body.ref) + "\">Open in the workbench</a>";
    } else {
      out.className = "errors";
      out.setAttribute("role", "alert");
      out.innerHTML = "<div>" + RP.esc(input.files[0].name) + " was not loaded.</div>" + RP.problemsHtml(r.body);
    }
  });
})();

/* Your scenarios: rename and delete */
(function () {
  const table = document.getElementById("library-table");
  if (!table) return;
  table.addEventListener("click", async function (ev) {
    const tr = ev.target.closest("tr[data-id]");
    if (!tr) return;
    const id = tr.dataset.id;
    if (ev.target.classList.contains("lib-delete")) {
      if (!window.confirm("Remove this scenario from your library? Runs made with it keep their copy.")) return;
      const r = await RP.call("/api/library/" + id, { method: "DELETE" });
      if (r.ok) tr.remove(); else window.alert(r.body.detail);
    } else if (ev.target.classList.contains("lib-rename")) {
      const name = window.prompt("New name", ev.target.dataset.name || "");
      if (!name) return;
      const r = await RP.call("/api/library/" + id, { method: "PATCH", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ name: name }) });
      if (r.ok) { tr.querySelector(".lib-name").textContent = r.body.name; ev.target.dataset.name = r.body.name; } else window.alert(r.body.detail);
    }
  });
})();
