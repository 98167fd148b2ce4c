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

// On a phone the header's menu starts closed, so the page starts at the top of the screen;
// without JavaScript it stays open (the layout renders it open) and still closes by hand.
const menu = document.querySelector("details[data-menu]");
if (menu && window.matchMedia("(max-width: 640px)").matches) {
  menu.open = false;
}

// On a phone, table rows stack into label–value lines: each cell is labelled with its column's
// header, unless the template named the label itself (data-label).
document.querySelectorAll("table.table").forEach((table) => {
  const heads = Array.from(table.querySelectorAll("thead th")).map((th) => th.textContent.trim());
  if (heads.length === 0) return;
  table.querySelectorAll("tbody tr").forEach((tr) => {
    let col = 0;
    Array.from(tr.children).forEach((cell) => {
      if (!cell.hasAttribute("data-label") && heads[col]) cell.setAttribute("data-label", heads[col]);
      col += cell.colSpan || 1;
    });
  });
});

// On a phone, a list's filters start folded when none is in use, so the list comes first.
if (window.matchMedia("(max-width: 640px)").matches) {
  document.querySelectorAll("details[data-fold-on-phone]").forEach((d) => { d.open = false; });
}

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
