// policywatch review pages: keyboard navigation between changes on a diff page (j / k), no other behaviour.
// Served as a static file so the Content-Security-Policy can forbid every inline script.
(function () {
  "use strict";
  var current = -1;

  function visible(el) {
    return el.offsetParent !== null || el.getClientRects().length > 0;
  }

  function changes() {
    return Array.prototype.filter.call(document.querySelectorAll(".diff .row.chg, .diff .row.fmt"), visible);
  }

  function go(step) {
    var list = changes();
    if (!list.length) return;
    var prev = document.querySelector(".row.current");
    if (prev) {
      prev.classList.remove("current");
      current = list.indexOf(prev);
    }
    current = Math.max(0, Math.min(list.length - 1, current + step));
    var row = list[current];
    row.classList.add("current");
    row.scrollIntoView({ block: "center" });
    if (row.id && history.replaceState) history.replaceState(null, "", "#" + row.id);
  }

  document.addEventListener("keydown", function (ev) {
    if (ev.ctrlKey || ev.metaKey || ev.altKey) return;
    var tag = (ev.target && ev.target.tagName) || "";
    if (tag === "INPUT" || tag === "SELECT" || tag === "TEXTAREA") return;
    if (ev.key === "j") { go(1); ev.preventDefault(); }
    else if (ev.key === "k") { go(-1); ev.preventDefault(); }
  });

  document.addEventListener("DOMContentLoaded", function () {
    var next = document.getElementById("next-change");
    var prev = document.getElementById("prev-change");
    if (next) next.addEventListener("click", function () { go(1); });
    if (prev) prev.addEventListener("click", function () { go(-1); });
    var target = location.hash && document.getElementById(location.hash.slice(1));
    if (target && target.classList.contains("row")) target.classList.add("current");
  });
})();
