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
  // Search text of each row: its resource heading, its rule and its text.
  // A row's severity is its section's, its namespace and source its
  // resource's (absent: cluster-scoped, and a file), its rule its link:
  // the page says each once.
  var texts = [], attrs = [];
  for (var t = 0; t < rows.length; t++) {
    var res = rows[t].parentNode, sec = res.parentNode;
    var h = res.querySelector("h4");
    texts.push(((h ? h.textContent : "") + " " + rows[t].textContent).toLowerCase());
    attrs.push({sev: sec.getAttribute("data-sev-group"), ns: res.getAttribute("data-ns") || "",
      src: res.getAttribute("data-src") || "file", rule: rows[t].querySelector("a").textContent});
  }
  function apply() {
    var want = {};
    for (var i = 0; i < selects.length; i++) { want[selects[i].getAttribute("data-filter")] = selects[i].value; }
    var q = search.value.trim().toLowerCase();
    var n = 0;
    for (var j = 0; j < rows.length; j++) {
      var r = rows[j];
      var a = attrs[j];
      var ok = (!want.sev || a.sev === want.sev) &&
        (!want.rule || a.rule === want.rule) &&
        (!want.ns || a.ns === want.ns) &&
        (!want.src || a.src === want.src) &&
        (!q || texts[j].indexOf(q) >= 0);
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
