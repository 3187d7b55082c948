// The header's Menu button below 1024 px (a disclosure: aria-expanded on the
// button, the menu follows it). Enter/Space open it and move focus to the first
// link; Escape closes it and returns focus to the button; a click outside or a
// resize to the wide layout closes it.

const toggle = document.querySelector("[data-menu-toggle]");
const menu = document.querySelector("[data-menu]");
const WIDE = window.matchMedia("(min-width: 1024px)");

function setOpen(open, { focus = false } = {}) {
  toggle.setAttribute("aria-expanded", String(open));
  menu.classList.toggle("is-open", open);
  if (open && focus) menu.querySelector("a, summary, button")?.focus();
}

if (toggle && menu) {
  toggle.addEventListener("click", (event) => {
    const open = toggle.getAttribute("aria-expanded") !== "true";
    // a keyboard "click" has detail 0: move focus into the menu for keyboard users
    setOpen(open, { focus: open && event.detail === 0 });
  });
  document.addEventListener("keydown", (event) => {
    if (event.key !== "Escape" || toggle.getAttribute("aria-expanded") !== "true") return;
    if (WIDE.matches) return;
    setOpen(false);
    toggle.focus();
  });
  document.addEventListener("click", (event) => {
    if (toggle.getAttribute("aria-expanded") !== "true") return;
    if (menu.contains(event.target) || toggle.contains(event.target)) return;
    setOpen(false);
  });
  WIDE.addEventListener("change", () => setOpen(false));
}
