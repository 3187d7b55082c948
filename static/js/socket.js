// The tab's one WebSocket to /ws/ (protocol: docs/messaging.md "The socket").
//
// Every module that talks to the server live imports this one: an ES module is
// evaluated once per URL and document, so the chat, the bell and "ask the
// network" share one socket, one reconnect loop and one heartbeat. (Load it
// only through `import … from "./socket.js"`, never with its own script tag.)
//
//   connect()                 open the socket; idempotent, so each feature calls it
//   on(type, handler)         frames by `type` ("*": every frame); returns an unsubscribe
//   onState(handler)          the connection state, at once and on every change:
//                             {state: "connecting" | "live" | "reconnecting" | "offline",
//                              delay (ms, reconnecting), reason ("signed-out" | "mfa-required" | "network", offline)}
//   onResume(hook)            runs after every `hello`, before queued frames go out:
//                             where the chat sends `resume` with the last seq it saw
//   send(frame, options)      "sent" now, "queued" until the next `hello`, or "dropped"
//
// Reconnects with exponential backoff and "equal jitter" (half fixed, half
// random, 0.5 s doubling to 30 s) so tabs that lost the server at once do not
// come back in lockstep; at once when the browser comes back online. Closed
// with 4401/4403 (signed out) or 4428 (the workspace requires two-factor
// authentication the person has not set up) it stays offline.

const PATH = "/ws/";
const BACKOFF_BASE_MS = 500;
const BACKOFF_MAX_MS = 30_000;
const HEARTBEAT_MS = 25_000;
const CLOSE_SIGNED_OUT = new Set([4401, 4403]);
const CLOSE_MFA_REQUIRED = 4428;

let socket = null; // the WebSocket of the current attempt
let started = false;
let live = false; // the server said hello on `socket`
let attempts = 0;
let retryTimer = null;
let heartbeatTimer = null;
let current = { state: "offline", reason: "not-started" };

const handlers = new Map(); // type -> Set of handlers
const stateHandlers = new Set();
const resumeHooks = [];
const queue = []; // {frame, key, onSent}

function report(error) {
  // one module's bug must not keep the frame from the others
  if (typeof window.reportError === "function") window.reportError(error);
  else setTimeout(() => { throw error; });
}

function call(handler, value) {
  try {
    handler(value);
  } catch (error) {
    report(error);
  }
}

function setState(next) {
  current = Object.freeze({ ...next });
  for (const handler of [...stateHandlers]) call(handler, current);
}

function dispatch(frame) {
  for (const key of [frame.type, "*"]) {
    for (const handler of [...(handlers.get(key) || [])]) call(handler, frame);
  }
}

function write(frame) {
  socket.send(JSON.stringify(frame));
}

function heartbeat() {
  send({ type: "presence.heartbeat", state: document.visibilityState === "visible" ? "online" : "away" }, { queue: false });
}

function onHello(frame) {
  attempts = 0;
  live = true;
  setState({ state: "live" });
  for (const hook of resumeHooks) call(hook, frame);
  // frames written while away, in the order they were written
  for (const item of queue.splice(0)) {
    write(item.frame);
    if (item.onSent) call(item.onSent, item.frame);
  }
  heartbeat();
  clearInterval(heartbeatTimer);
  heartbeatTimer = setInterval(heartbeat, HEARTBEAT_MS);
}

function open() {
  if (socket) return;
  const scheme = window.location.protocol === "https:" ? "wss:" : "ws:";
  const attempt = new WebSocket(`${scheme}//${window.location.host}${PATH}`);
  socket = attempt;
  if (current.state !== "reconnecting") setState({ state: "connecting" });
  attempt.addEventListener("message", (event) => {
    if (socket !== attempt) return;
    let frame;
    try {
      frame = JSON.parse(event.data);
    } catch {
      return;
    }
    if (!frame || typeof frame.type !== "string") return;
    if (frame.type === "hello") onHello(frame);
    dispatch(frame);
  });
  attempt.addEventListener("close", (event) => {
    if (socket !== attempt) return;
    socket = null;
    live = false;
    clearInterval(heartbeatTimer);
    if (CLOSE_SIGNED_OUT.has(event.code) || event.code === CLOSE_MFA_REQUIRED) {
      started = false; // a new page load (after logging in or setting up MFA) starts again
      queue.length = 0;
      setState({ state: "offline", reason: event.code === CLOSE_MFA_REQUIRED ? "mfa-required" : "signed-out" });
      return;
    }
    scheduleReconnect();
  });
}

function scheduleReconnect() {
  clearTimeout(retryTimer);
  if (navigator.onLine === false) {
    setState({ state: "offline", reason: "network" }); // the "online" event brings it back
    return;
  }
  const ceiling = Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * 2 ** attempts);
  const delay = ceiling / 2 + Math.random() * (ceiling / 2);
  attempts += 1;
  setState({ state: "reconnecting", delay });
  retryTimer = setTimeout(open, delay);
}

function reconnectNow() {
  if (!started || socket) return;
  clearTimeout(retryTimer);
  open();
}

export function connect() {
  if (started || !("WebSocket" in window)) return;
  started = true;
  open();
}

export function on(type, handler) {
  if (!handlers.has(type)) handlers.set(type, new Set());
  handlers.get(type).add(handler);
  return () => handlers.get(type).delete(handler);
}

export function onState(handler) {
  stateHandlers.add(handler);
  call(handler, current);
  return () => stateHandlers.delete(handler);
}

export function onResume(hook) {
  resumeHooks.push(hook);
}

export function state() {
  return current;
}

// Send a frame. While the socket is not live it waits in a queue and goes out
// right after the next `hello` (and the resume hooks), unless `queue: false`
// (typing, heartbeats: stale once the moment passed). A frame with the `key`
// of one still queued replaces it. `onSent(frame)` runs when it is written.
// Signed out, nothing is kept: "dropped".
export function send(frame, { queue: keep = true, key = null, onSent = null } = {}) {
  if (key !== null) {
    const index = queue.findIndex((item) => item.key === key);
    if (index !== -1) queue.splice(index, 1);
  }
  if (live && socket && socket.readyState === WebSocket.OPEN) {
    write(frame);
    if (onSent) call(onSent, frame);
    return "sent";
  }
  if (!keep || !started) return "dropped";
  queue.push({ frame, key, onSent });
  return "queued";
}

window.addEventListener("online", reconnectNow);
document.addEventListener("visibilitychange", () => {
  if (live) heartbeat();
});
