// The console works without this file. It counts down to deadlines
// (elements with data-deadline, Unix seconds) and reloads pages that ask
// for it (data-refresh on <body>, seconds).
"use strict";
(function () {
  function left(s) {
    if (s <= 0) return "due";
    var d = Math.floor(s / 86400), h = Math.floor(s % 86400 / 3600), m = Math.floor(s % 3600 / 60);
    var parts = [];
    if (d) parts.push(d + "d");
    if (d || h) parts.push(h + "h");
    parts.push(m + "m", Math.floor(s % 60) + "s");
    return "in " + parts.join(" ");
  }
  function tick() {
    var now = Date.now() / 1000;
    document.querySelectorAll("[data-deadline]").forEach(function (el) {
      el.textContent = left(Number(el.dataset.deadline) - now);
    });
  }
  tick();
  setInterval(tick, 1000);
  var every = Number(document.body.dataset.refresh || 0);
  if (every > 0) setTimeout(function () { location.reload(); }, every * 1000);
})();
