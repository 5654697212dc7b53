/* realpolitik workbench: the draft page (plain JavaScript). */
"use strict";
(function () {
  const boot = JSON.parse(document.getElementById("boot").textContent);
  const $ = function (id) { return document.getElementById(id); };
  let name = "commentary";
  $("file").addEventListener("change", function () {
    const f = $("file").files[0];
    if (!f) return;
    name = f.name;
    const reader = new FileReader();
    reader.onload = function () { $("text").value = reader.result; };
    reader.readAsText(f);
  });
  if (!boot.history) {
    $("open").title = "the run history is off: drafts cannot be kept in the library";
  }
  const request = async function (save) {
    const body = { text: $("text").value, name: name, title: $("title").value, save: save };
    $("problems").classList.add("hidden");
    $("status").textContent = save ? "keeping the draft in the library ..." : "drafting ...";
    const res = await RP.call("/api/draft", {
      method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body)
    });
    $("status").textContent = "";
    if (!res.ok) {
      $("problems").innerHTML = RP.problemsHtml(res.body);
      $("problems").classList.remove("hidden");
      return null;
    }
    return res.body;
  };
  $("run").addEventListener("click", async function () {
    const out = await request(false);
    if (!out) return;
    const s = out.summary;
    let h = "<p><strong>" + s.actors + " actors, " + s.issues + " issues, " + s.events + " event(s)</strong>: " +
      s.numbers_with_quote + " numbers with a quote found in the text, " + s.placeholders +
      " placeholders for the analyst, " + s.dropped + " dropped (quote not in the text).</p>";
    h += "<h3>Left for the analyst</h3><ul>" + out.left_for_analyst.map(function (x) {
      return "<li>" + RP.esc(x) + "</li>";
    }).join("") + "</ul>";
    $("summary").innerHTML = h;
    $("yaml").textContent = out.yaml;
    $("open").disabled = !boot.history;
  });
  $("open").addEventListener("click", async function () {
    const out = await request(true);
    if (out && out.ref) window.location = "/workbench?scenario=" + encodeURIComponent(out.ref);
  });
})();
