// Filters the opportunities list by industry, unit, size and text, using the JSON index
// embedded in the page at build time. Without JavaScript the full list shows.
(function () {
  "use strict";
  var form = document.getElementById("filters");
  var data = document.getElementById("index");
  if (!form || !data) { return; }
  var index = JSON.parse(data.textContent);
  var cards = {};
  Array.prototype.forEach.call(document.querySelectorAll("#projects > li"), function (li) {
    var link = li.querySelector("a");
    if (link) { cards[link.getAttribute("href").split("/").slice(-2)[0]] = li; }
  });
  var shown = document.getElementById("shown");
  var none = document.getElementById("none");
  function apply() {
    var industry = form.elements.industry.value;
    var unit = form.elements.unit.value;
    var size = form.elements.size.value;
    var q = form.elements.q.value.trim().toLowerCase();
    var count = 0;
    index.forEach(function (p) {
      var ok = (!industry || p.industry === industry) && (!unit || p.unit === unit) &&
        (!size || p.size === size) && (!q || p.text.indexOf(q) !== -1);
      var li = cards[p.code];
      if (li) { li.hidden = !ok; }
      if (ok) { count += 1; }
    });
    shown.textContent = String(count);
    none.hidden = count !== 0;
  }
  form.hidden = false;
  form.addEventListener("input", apply);
  form.addEventListener("change", apply);
  form.addEventListener("submit", function (e) { e.preventDefault(); apply(); });
}());
