/* Submission pages, progressive enhancement only (the pages work without it):
 * - the upload form's button is disabled after the first click (the server also treats a
 *   repeated idempotency key as the same submission);
 * - a result block with data-poll-url is refreshed from the session JSON endpoint until
 *   the status is final, so results appear without reloading the page. */
(function () {
  "use strict";

  function guardForm(form) {
    form.addEventListener("submit", function () {
      var button = form.querySelector("button[type=submit]");
      if (button) {
        window.setTimeout(function () { button.disabled = true; }, 0);
      }
    });
  }

  function poll(block) {
    var url = block.getAttribute("data-poll-url");
    var delay = 1000;
    function tick() {
      fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (response) {
          if (!response.ok) { throw new Error("HTTP " + response.status); }
          return response.json();
        })
        .then(function (body) {
          // Rendered by the server with autoescaping: the same markup a reload would show.
          block.innerHTML = body.html;
          if (body.final) {
            block.removeAttribute("data-poll-url");
            return;
          }
          delay = Math.min(delay * 1.5, 10000);
          window.setTimeout(tick, delay);
        })
        .catch(function () {
          delay = Math.min(delay * 2, 30000);
          window.setTimeout(tick, delay);
        });
    }
    window.setTimeout(tick, delay);
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("form.submit-form").forEach(guardForm);
    document.querySelectorAll("[data-poll-url]").forEach(poll);
  });
})();
