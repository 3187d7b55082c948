// Home's "what needs you now": its panels are server partials (htmx `hx-get` on
// load); this module reloads them when the socket says something changed — a new
// notification, a chat message, a routed question — at most once a second, and
// when the socket comes back (whatever happened while it was away).

import { connect, on } from "./socket.js";

const DEBOUNCE_MS = 1000;
let timer = null;

function refreshSoon() {
  if (timer) return;
  timer = window.setTimeout(() => {
    timer = null;
    document.body.dispatchEvent(new CustomEvent("tandem:refresh"));
  }, DEBOUNCE_MS);
}

if (document.querySelector("[data-home]")) {
  let seenHello = false;
  on("hello", () => {
    if (seenHello) refreshSoon(); // the first hello comes with the page itself
    seenHello = true;
  });
  for (const type of ["notification", "notification.count", "message.new", "read.updated", "conversation.joined"]) {
    on(type, refreshSoon);
  }
  document.addEventListener("htmx:afterSettle", (event) => {
    event.target.closest?.("[data-home-panel]")?.setAttribute("aria-busy", "false");
  });
  connect();
}
