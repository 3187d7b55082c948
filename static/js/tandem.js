// Tandem's shared page behaviour. Real-time features live in their own modules.
import "./app-menu.js";

document.addEventListener("htmx:responseError", (event) => {
  const target = event.detail.target;
  if (target) {
    target.setAttribute("role", "alert");
  }
});

// A table that scrolls inside its box must be reachable by keyboard.
function markScrollable(root = document) {
  for (const box of root.querySelectorAll(".overflow-auto")) {
    if (box.scrollWidth > box.clientWidth + 1) box.setAttribute("tabindex", "0");
  }
}
markScrollable();
window.addEventListener("resize", () => markScrollable());
document.addEventListener("htmx:afterSettle", (event) => markScrollable(event.target));
