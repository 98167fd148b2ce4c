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

// Buttons marked data-copy put the text of the element with that id on the clipboard.
document.addEventListener("click", (event) => {
  const button = event.target.closest && event.target.closest("button[data-copy]");
  if (!button) {
    return;
  }
  const source = document.getElementById(button.dataset.copy);
  if (source && navigator.clipboard) {
    navigator.clipboard.writeText(source.textContent.trim()).then(() => {
      button.textContent = "Copied";
    });
  }
});
