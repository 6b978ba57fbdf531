// kscan report filters: the page is complete without this script; it only
// shows the filter bar and hides what does not match.
(function () {
  "use strict";
  var form = document.getElementById("filters");
  if (!form) { return; }
  form.hidden = false;
  form.addEventListener("submit", function (e) { e.preventDefault(); });
  var selects = form.querySelectorAll("select[data-filter]");
  var search = document.getElementById("f-search");
  var shown = document.getElementById("shown");
  var rows = document.querySelectorAll("#findings .severity article.finding");
  var resources = document.querySelectorAll("#findings .resource");
  var groups = document.querySelectorAll("#findings section.severity");
  function apply() {
    var want = {};
    for (var i = 0; i < selects.length; i++) { want[selects[i].getAttribute("data-filter")] = selects[i].value; }
    var q = search.value.trim().toLowerCase();
    var n = 0;
    for (var j = 0; j < rows.length; j++) {
      var r = rows[j];
      var ok = (!want.sev || r.getAttribute("data-sev") === want.sev) &&
        (!want.rule || r.getAttribute("data-rule") === want.rule) &&
        (!want.ns || r.getAttribute("data-ns") === want.ns) &&
        (!want.src || r.getAttribute("data-src") === want.src) &&
        (!q || r.getAttribute("data-text").indexOf(q) >= 0);
      r.hidden = !ok;
      if (ok) { n++; }
    }
    for (var k = 0; k < resources.length; k++) {
      resources[k].hidden = !resources[k].querySelector("article.finding:not([hidden])");
    }
    for (var g = 0; g < groups.length; g++) {
      var visible = groups[g].querySelectorAll("article.finding:not([hidden])").length;
      groups[g].hidden = visible === 0;
      var c = groups[g].querySelector(".gcount");
      if (c) { c.textContent = String(visible); }
    }
    shown.textContent = n + " of " + rows.length + " findings shown";
  }
  for (var i = 0; i < selects.length; i++) { selects[i].addEventListener("change", apply); }
  search.addEventListener("input", apply);
  apply();
})();
