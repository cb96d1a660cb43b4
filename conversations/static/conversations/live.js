/* Keeps parts of an admin page up to date (the operator desk, the waiting list).
 *
 * Every data-live-every milliseconds an element's data-live-url is fetched; what came back
 * (or, with data-live-select, that part of a whole page) replaces the element's content when
 * it changed. While a fetch fails (the server is away, the session ended) the page's
 * [data-live-paused] note shows. Nothing runs while the tab is hidden.
 */
(function () {
  "use strict";

  function follow(region) {
    var every = Number(region.dataset.liveEvery) || 3000;
    var paused = document.querySelector("[data-live-paused]");
    var shown = null;

    function show(html) {
      if (region.dataset.liveSelect) {
        var page = new DOMParser().parseFromString(html, "text/html");
        var part = page.querySelector(region.dataset.liveSelect);
        if (!part) { throw new Error("no " + region.dataset.liveSelect); }
        html = part.innerHTML;
      }
      if (html !== shown) {
        region.innerHTML = html;
        shown = html;
      }
    }

    function refresh() {
      if (document.hidden) { return setTimeout(refresh, every); }
      fetch(region.dataset.liveUrl, { credentials: "same-origin" })
        .then(function (response) {
          if (!response.ok || response.redirected) { throw new Error(response.status); }
          return response.text();
        })
        .then(function (html) { show(html); if (paused) { paused.hidden = true; } })
        .catch(function () { if (paused) { paused.hidden = false; } })
        .then(function () { setTimeout(refresh, every); });
    }

    setTimeout(refresh, every);
  }

  document.querySelectorAll("[data-live-url]").forEach(follow);
})();
