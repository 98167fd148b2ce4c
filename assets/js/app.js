// Small enhancements only: every action works without JavaScript.
"use strict";

// Forms with data-confirm ask before they submit (destructive actions).
document.addEventListener("submit", (event) => {
  const message = event.target.dataset && event.target.dataset.confirm;
  if (message && !window.confirm(message)) {
    event.preventDefault();
  }
});

// Selects marked data-autosubmit (the organization switcher, role changes) submit their form
// when changed; without JavaScript, the button next to them does it.
document.addEventListener("change", (event) => {
  const el = event.target;
  if (el.matches && el.matches("select[data-autosubmit]") && el.form) {
    if (!el.form.dataset.confirm || window.confirm(el.form.dataset.confirm)) {
      el.form.submit();
    }
  }
});
