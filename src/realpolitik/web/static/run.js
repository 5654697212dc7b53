/* one stored run: its cards and charts */
"use strict";
(function () {
  const boot = JSON.parse(document.getElementById("boot").textContent);
  RP.setActors(boot.actors || []);
  document.getElementById("cards").innerHTML = RP.cardsHtml(boot.cards || []);
  RP.renderCharts(document.getElementById("charts"), boot.charts);
})();
