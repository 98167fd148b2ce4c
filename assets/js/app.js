// Small enhancements only: every action works without JavaScript.
"use strict";

// Forms with data-confirm ask before they submit (destructive actions).
document.addEventListener("submit", (event) => {
  const message = event.target.dataset && event.target.dataset.confirm;
  if (message && !window.confirm(message)) {
    event.preventDefault();
  }
});
