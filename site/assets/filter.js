// Filters a list of cards on the page by the form above it: each <select> keeps the
// cards whose data attribute of the same name equals its value, the search box those
// whose data-text contains its words. The form names its list, counter and empty note
// (data-list, data-shown, data-none). Without JavaScript the full list shows.
(function () {
  "use strict";
  Array.prototype.forEach.call(document.querySelectorAll("form.filters[data-list]"), function (form) {
    var list = document.getElementById(form.getAttribute("data-list"));
    if (!list) { return; }
    var cards = Array.prototype.slice.call(list.children);
    var shown = document.getElementById(form.getAttribute("data-shown"));
    var none = document.getElementById(form.getAttribute("data-none"));
    function keeps(li) {
      return Array.prototype.every.call(form.elements, function (el) {
        if (!el.name || !el.value) { return true; }
        if (el.tagName === "SELECT") { return li.getAttribute("data-" + el.name) === el.value; }
        var q = el.value.trim().toLowerCase();
        return !q || (li.getAttribute("data-text") || "").indexOf(q) !== -1;
      });
    }
    function apply() {
      var count = 0;
      cards.forEach(function (li) {
        var ok = keeps(li);
        li.hidden = !ok;
        if (ok) { count += 1; }
      });
      if (shown) { shown.textContent = String(count); }
      if (none) { none.hidden = count !== 0; }
    }
    form.hidden = false;
    form.addEventListener("input", apply);
    form.addEventListener("change", apply);
    form.addEventListener("submit", function (e) { e.preventDefault(); apply(); });
  });
}());
