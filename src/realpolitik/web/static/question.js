/* a ledger question's page: seal and resolve forms (boot comes from ledger.js) */
"use strict";
(function () {
  const msg = document.getElementById("msg");
  async function post(url, body) {
    msg.innerHTML = "working ...";
    const r = await RP.call(url, {method: "POST", headers: {"Content-Type": "application/json"}, body: JSON.stringify(body)});
    if (r.ok) { window.location.reload(); } else { msg.innerHTML = RP.problemsHtml(r.body); }
  }
  const seal = document.getElementById("seal");
  if (seal) seal.addEventListener("submit", function (e) {
    e.preventDefault();
    const f = new FormData(seal), models = String(f.get("models") || "").split(/[\s,]+/).filter(Boolean);
    const body = {draws: Number(f.get("draws") || 1000)};
    if (models.length) body.models = models;
    if (f.get("seed")) body.seed = Number(f.get("seed"));
    post("/api/ledger/questions/" + encodeURIComponent(boot.id) + "/forecasts", body);
  });
  const res = document.getElementById("resolve");
  if (res) res.addEventListener("submit", function (e) {
    e.preventDefault();
    const f = new FormData(res);
    post("/api/ledger/questions/" + encodeURIComponent(boot.id) + "/resolution",
         {value: String(f.get("value")), source: String(f.get("source")), early: f.get("early") === "on"});
  });
})();
