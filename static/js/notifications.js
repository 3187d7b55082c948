// The notification bell: keeps the unread count in the nav live.
//
// The count is rendered by the server (works without JS). This module listens on
// the /ws/ socket for `notification` and `notification.count` frames
// (docs/api.md "Notifications") and announces new ones in a polite live region.
// On pages with a chat panel, chat.js already owns the tab's one socket, so the
// bell re-reads the count over REST instead (when the tab becomes visible and
// every minute).
//
// The tab's one socket is shared with other modules (routing.js) through two
// DOM events, whichever module owns it (this one or chat.js): every frame is
// re-dispatched as `tandem:frame` (detail: the frame), and a module sends with
// `tandem:send` (detail: {frame, sent: false}; `sent` becomes true if it went out).

const bell = document.querySelector("[data-notification-bell]");

function setCount(count) {
  const badge = bell.querySelector("[data-notification-count]");
  const number = bell.querySelector("[data-notification-number]");
  if (!badge || !number || typeof count !== "number") return;
  number.textContent = String(count);
  badge.classList.toggle("is-empty", count === 0);
}

function announce(text) {
  const live = bell.querySelector("[data-notification-live]");
  if (!live) return;
  live.textContent = "";
  // a fresh text node after clearing makes screen readers announce a repeat too
  window.setTimeout(() => { live.textContent = text; }, 50);
}

async function refresh() {
  try {
    const response = await fetch(bell.dataset.api, { credentials: "same-origin", headers: { Accept: "application/json" } });
    if (response.ok) setCount((await response.json()).unread_count);
  } catch {
    // offline: the next refresh catches up
  }
}

let current = null; // the open socket, once the server said hello

function sendShared(event) {
  if (!current || current.readyState !== WebSocket.OPEN || !event.detail || !event.detail.frame) return;
  current.send(JSON.stringify(event.detail.frame));
  event.detail.sent = true;
}

function connect(attempt = 0) {
  const scheme = window.location.protocol === "https:" ? "wss:" : "ws:";
  const socket = new WebSocket(`${scheme}//${window.location.host}${bell.dataset.wsPath}`);
  let opened = false;
  socket.addEventListener("open", () => { opened = true; });
  socket.addEventListener("message", (event) => {
    let frame;
    try { frame = JSON.parse(event.data); } catch { return; }
    if (frame.type === "hello") current = socket;
    document.dispatchEvent(new CustomEvent("tandem:frame", { detail: frame }));
    if (frame.type === "hello") {
      refresh(); // anything that arrived while disconnected
    } else if (frame.type === "notification") {
      setCount(frame.unread_count);
      announce(`New notification: ${frame.title}. ${frame.unread_count} unread.`);
    } else if (frame.type === "notification.count") {
      setCount(frame.unread_count);
    }
  });
  socket.addEventListener("close", (event) => {
    if (current === socket) current = null;
    if (event.code === 4401 || event.code === 4403) return; // signed out: nothing to show
    const next = opened ? 0 : attempt + 1;
    const cap = Math.min(30000, 500 * 2 ** next);
    window.setTimeout(() => connect(next), cap / 2 + Math.random() * (cap / 2));
  });
}

if (bell) {
  // The socket brings notifications live; the minute-by-minute re-read covers
  // pages whose socket belongs to chat.js and wake-ups that cannot reach this
  // process (the in-memory channel layer of the embedded default).
  window.setInterval(refresh, 60000);
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible") refresh();
  });
  if (!document.querySelector("[data-chat]")) {
    document.addEventListener("tandem:send", sendShared);
    connect();
  }
}
