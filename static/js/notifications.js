// The notification bell: keeps the unread count in the nav live.
//
// The count is rendered by the server (works without JS). This module listens on
// the tab's socket (./socket.js) for `notification` and `notification.count`
// frames (docs/messaging.md "Notifications") and announces new ones in a polite live
// region. After every `hello` it re-reads the count over REST (whatever arrived
// while the socket was away), and again when the tab becomes visible and every
// minute, in case a wake-up was lost (the layer is a doorbell, not a record).

import { getJson } from "./http.js";
import { announce } from "./live-region.js";
import { connect, on } from "./socket.js";

const REFRESH_MS = 60_000;

const bell = document.querySelector("[data-notification-bell]");

function setCount(count) {
  const badge = bell.querySelector("[data-notification-count]");
  const number = bell.querySelector("[data-notification-number]");
  if (!badge || !number || typeof count !== "number") return;
  number.textContent = String(count);
  badge.classList.toggle("is-empty", count === 0);
}

async function refresh() {
  try {
    setCount((await getJson(bell.dataset.api)).unread_count);
  } catch {
    // offline: the next refresh catches up
  }
}

if (bell) {
  on("hello", refresh);
  on("notification", (frame) => {
    setCount(frame.unread_count);
    announce(bell.querySelector("[data-notification-live]"), `New notification: ${frame.title}. ${frame.unread_count} unread.`);
  });
  on("notification.count", (frame) => setCount(frame.unread_count));
  window.setInterval(refresh, REFRESH_MS);
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible") refresh();
  });
  connect();
}
