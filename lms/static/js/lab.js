/* "Open lab", progressive enhancement only (without it the form posts and the server
 * redirects when the lab is ready): the form is posted with fetch (Accept: JSON) while the
 * session endpoint data-progress-url is polled for the hub's spawn progress; the answer
 * {"redirect": url} is followed, {"error": message} is shown next to the button. */
(function () {
  "use strict";

  function enhance(form) {
    var button = form.querySelector("button[type=submit]");
    var bar = form.querySelector("[data-lab-progress]");
    var message = form.querySelector("[data-lab-message]");
    var timer = null;

    function show(text, value) {
      message.textContent = text;
      if (bar && typeof value === "number") { bar.hidden = false; bar.value = value; }
    }

    function poll() {
      fetch(form.getAttribute("data-progress-url"), {
        credentials: "same-origin", headers: { Accept: "application/json" }
      })
        .then(function (response) { return response.json(); })
        .then(function (body) {
          if (body.message) { show(body.message, body.progress); }
        })
        .catch(function () { /* the POST's answer decides */ })
        .then(function () { if (timer !== null) { timer = window.setTimeout(poll, 700); } });
    }

    function stop() {
      if (timer !== null) { window.clearTimeout(timer); }
      timer = null;
    }

    form.addEventListener("submit", function (event) {
      event.preventDefault();
      button.disabled = true;
      show(message.getAttribute("data-starting"), 0);
      timer = window.setTimeout(poll, 300);
      fetch(form.action, {
        method: "POST", credentials: "same-origin", body: new FormData(form),
        headers: { Accept: "application/json" }
      })
        .then(function (response) { return response.json(); })
        .then(function (body) {
          stop();
          if (body.redirect) {
            show(message.getAttribute("data-starting"), 100);
            window.location.assign(body.redirect);
            return;
          }
          show(body.error || message.getAttribute("data-failed"));
          button.disabled = false;
        })
        .catch(function () {
          stop();
          show(message.getAttribute("data-failed"));
          button.disabled = false;
        });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var forms = document.querySelectorAll("form[data-lab-open]");
    for (var i = 0; i < forms.length; i += 1) { enhance(forms[i]); }
  });
})();
