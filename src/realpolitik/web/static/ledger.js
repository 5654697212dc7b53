/* ledger pages: the charts from the boot JSON (a file, not an inline script: the CSP allows no inline script) */
"use strict";
const boot = JSON.parse(document.getElementById("boot").textContent);
const box = document.getElementById("charts");
Object.keys(boot.charts).forEach(function (k) {
  const div = document.createElement("div"); div.className = "chart"; div.id = "chart-" + k; box.appendChild(div);
  RP.plot(div, boot.charts[k]);
});
