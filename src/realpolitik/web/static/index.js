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
