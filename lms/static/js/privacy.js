// The printable learner record: <button data-print> opens the browser's print dialog.
"use strict";

document.addEventListener("click", function (event) {
  if (event.target.closest("[data-print]")) {
    window.print();
  }
});
