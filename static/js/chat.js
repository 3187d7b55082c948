// Live chat over the one /ws/ socket of the tab (protocol: docs/api.md).
//
// Upgrades the server-rendered chat panel ([data-chat], templates/messaging/
// _chat_panel_body.html): connects, reconnects with exponential backoff and
// jitter, resumes from the last seq seen, shows a message at once (local echo
// keyed by client_id) and reconciles it with the server's ack, marks failed
// sends with a Retry button (same client_id, so a retry never duplicates),
// and shows typing, presence, read receipts and unread counts. The database
// is the record: after any gap the client asks the server to replay.

const BACKOFF_BASE_MS = 500;
const BACKOFF_MAX_MS = 30_000;
const HEARTBEAT_MS = 25_000;
const TYPING_EVERY_MS = 3_000;
const TYPING_SHOWN_MS = 6_000;
const ACK_TIMEOUT_MS = 15_000;
const AT_BOTTOM_PX = 48;
const CLOSE_NO_RECONNECT = new Set([4401, 4403]);

// --- one socket per tab -------------------------------------------------------

class Connection {
  constructor(path) {
    this.path = path;
    this.socket = null;
    this.attempts = 0;
    this.listeners = new Set();
    this.retryTimer = null;
    this.heartbeatTimer = null;
    this.stopped = false;
    this.ready = false;
    window.addEventListener("online", () => this.reconnectNow());
    document.addEventListener("visibilitychange", () => this.heartbeat());
    // Other modules (routing.js) share this socket: see notifications.js.
    document.addEventListener("tandem:send", (event) => {
      if (event.detail && event.detail.frame && this.send(event.detail.frame)) event.detail.sent = true;
    });
  }

  // Ready once the server said hello: the session was accepted and the socket
  // is subscribed, so a frame sent now will be answered.
  get isOpen() {
    return this.ready && this.socket !== null && this.socket.readyState === WebSocket.OPEN;
  }

  listen(listener) {
    this.listeners.add(listener);
  }

  emit(frame) {
    for (const listener of this.listeners) listener(frame);
    document.dispatchEvent(new CustomEvent("tandem:frame", { detail: frame }));
  }

  connect() {
    if (this.stopped || this.socket) return;
    const scheme = window.location.protocol === "https:" ? "wss:" : "ws:";
    const socket = new WebSocket(`${scheme}//${window.location.host}${this.path}`);
    this.socket = socket;
    this.emit({ type: "connection.state", state: "connecting" });
    socket.addEventListener("message", (event) => {
      let frame;
      try {
        frame = JSON.parse(event.data);
      } catch {
        return;
      }
      if (frame.type === "hello") {
        this.attempts = 0;
        this.ready = true;
        this.emit({ type: "connection.state", state: "open" });
        this.heartbeat();
        clearInterval(this.heartbeatTimer);
        this.heartbeatTimer = setInterval(() => this.heartbeat(), HEARTBEAT_MS);
      }
      this.emit(frame);
    });
    socket.addEventListener("close", (event) => {
      if (this.socket !== socket) return;
      this.socket = null;
      this.ready = false;
      clearInterval(this.heartbeatTimer);
      if (CLOSE_NO_RECONNECT.has(event.code)) {
        this.stopped = true;
        this.emit({ type: "connection.state", state: "signed-out" });
        return;
      }
      this.scheduleReconnect();
    });
  }

  scheduleReconnect() {
    clearTimeout(this.retryTimer);
    // Exponential backoff with "equal jitter": half fixed, half random, so many
    // tabs that lost the server at once do not come back in lockstep.
    const ceiling = Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * 2 ** this.attempts);
    const delay = ceiling / 2 + Math.random() * (ceiling / 2);
    this.attempts += 1;
    this.emit({ type: "connection.state", state: "reconnecting", delay });
    this.retryTimer = setTimeout(() => this.connect(), delay);
  }

  reconnectNow() {
    if (this.stopped || this.socket) return;
    clearTimeout(this.retryTimer);
    this.connect();
  }

  send(frame) {
    if (!this.isOpen) return false;
    this.socket.send(JSON.stringify(frame));
    return true;
  }

  heartbeat() {
    this.send({ type: "presence.heartbeat", state: document.visibilityState === "visible" ? "online" : "away" });
  }
}

// --- rendering helpers ----------------------------------------------------------

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (key === "class") node.className = value;
    else if (key === "text") node.textContent = value;
    else node.setAttribute(key, value === true ? "" : String(value));
  }
  for (const child of children) if (child) node.append(child);
  return node;
}

function formatTime(iso) {
  const date = new Date(iso);
  return date.toLocaleString([], { day: "numeric", month: "short", hour: "2-digit", minute: "2-digit" });
}

function plainText(html) {
  const doc = new DOMParser().parseFromString(html, "text/html");
  return (doc.body.textContent || "").trim();
}

// --- one chat panel -------------------------------------------------------------

class ChatPanel {
  constructor(root, connection) {
    this.root = root;
    this.connection = connection;
    this.conversation = Number(root.dataset.conversation);
    this.me = Number(root.dataset.user);
    this.closed = root.dataset.closed === "true";
    this.log = root.querySelector("[data-chat-log]");
    this.form = root.querySelector("[data-chat-form]");
    this.textarea = root.querySelector("[data-chat-body]");
    this.replyInput = root.querySelector("[data-chat-reply-to]");
    this.replying = root.querySelector("[data-chat-replying]");
    this.status = root.querySelector("[data-chat-status]");
    this.unreadBadge = root.querySelector("[data-chat-unread]");
    this.typingLine = root.querySelector("[data-chat-typing]");
    this.receipts = root.querySelector("[data-chat-receipts]");
    this.live = root.querySelector("[data-chat-live]");
    this.lastSeq = Number(root.dataset.lastSeq) || 0; // highest seq with nothing missing before it
    this.since = root.dataset.renderedAt || null; // server time the page was rendered
    this.myLastRead = Number(root.dataset.lastRead) || 0;
    this.readSent = this.myLastRead;
    this.pending = new Map(); // client_id -> {body, replyTo, node, timer, state}
    this.typers = new Map(); // user id -> {name, timer}
    this.typingSentAt = 0;
    this.members = new Map();
    for (const node of root.querySelectorAll("[data-member]")) {
      this.members.set(Number(node.dataset.member), {
        node,
        name: node.dataset.name,
        lastRead: Number(node.dataset.lastRead) || 0,
      });
    }
    for (const node of this.log.querySelectorAll(".chat-message[data-seq]")) this.decorate(node);
    this.bindForm();
    this.log.addEventListener("scroll", () => {
      if (this.atBottom()) this.markRead();
    });
    document.addEventListener("visibilitychange", () => this.markRead());
    this.scrollToBottom();
    this.updateReceipts();
    this.updateUnread();
  }

  // --- frames from the server ---------------------------------------------------

  onFrame(frame) {
    switch (frame.type) {
      case "connection.state":
        return this.onConnectionState(frame);
      case "hello":
        return this.onHello();
      case "message.new":
        if (frame.message.conversation === this.conversation) this.onMessage(frame.message, frame.replay);
        return;
      case "message.ack":
        if (frame.conversation === this.conversation) this.onAck(frame);
        return;
      case "message.updated":
        // only messages on screen; older ones are fetched with their latest text anyway
        if (frame.message.conversation === this.conversation && this.log.querySelector(`[data-seq="${frame.message.seq}"]`)) {
          this.upsert(frame.message);
        }
        return;
      case "message.deleted":
        if (frame.conversation === this.conversation) this.onDeleted(frame);
        return;
      case "read.updated":
        if (frame.conversation === this.conversation) this.setRead(frame.user, frame.last_read_seq);
        return;
      case "typing":
        if (frame.conversation === this.conversation) this.onTyping(frame);
        return;
      case "presence":
        return this.setPresence(frame.user, frame.state);
      case "resume.more":
        if (frame.conversation === this.conversation) this.resume(frame.after);
        return;
      case "resume.done":
        return this.onResumeDone(frame);
      case "conversation.left":
        if (frame.conversation === this.conversation) this.setClosed("You are no longer in this conversation.");
        return;
      case "error":
        return this.onError(frame);
      default:
        return;
    }
  }

  onConnectionState(frame) {
    const text = {
      connecting: "Connecting…",
      open: "Live.",
      reconnecting: `Offline — reconnecting in ${Math.ceil((frame.delay || 0) / 1000)} s. Messages you write are kept and sent when back.`,
      "signed-out": "Your session ended. Reload the page to sign in again.",
    }[frame.state];
    if (text && !this.closed) this.status.textContent = text;
    this.root.dataset.connection = frame.state;
  }

  onHello() {
    this.resume(this.lastSeq);
    // Anything written while offline goes out now, with its original client_id.
    for (const [clientId, item] of this.pending) if (item.state !== "failed") this.transmit(clientId);
  }

  resume(after) {
    const frame = { type: "resume", conversations: { [this.conversation]: after } };
    // edits and deletions of older messages since the last resume are replayed too
    if (this.since) frame.since = this.since;
    this.connection.send(frame);
  }

  onResumeDone(frame) {
    const state = frame.conversations[String(this.conversation)];
    if (!state) return;
    this.since = frame.server_time;
    for (const [userId, seq] of Object.entries(state.read)) this.setRead(Number(userId), seq);
    for (const [userId, info] of Object.entries(frame.presence || {})) this.setPresence(Number(userId), info.state);
    this.markRead();
  }

  onMessage(message, replay) {
    const isNew = !this.log.querySelector(`[data-seq="${message.seq}"]`);
    const gap = message.seq > this.lastSeq + 1;
    this.upsert(message);
    if (!gap) {
      // this one, and earlier out-of-order arrivals, are now contiguous
      while (this.log.querySelector(`[data-seq="${this.lastSeq + 1}"]`)) this.lastSeq += 1;
    } else if (!replay) {
      this.resume(this.lastSeq); // a gap: the database has what we missed
    }
    this.markRead();
    const fromOther = message.author && message.author.id !== this.me;
    if (isNew && fromOther) {
      this.stopTyping(message.author.id);
      if (!replay || message.seq > this.myLastRead) this.announce(message);
    }
    this.updateUnread();
    this.updateReceipts();
  }

  onAck(frame) {
    const item = this.pending.get(frame.client_id);
    if (item) clearTimeout(item.timer);
    this.upsert(frame.message);
    while (this.log.querySelector(`[data-seq="${this.lastSeq + 1}"]`)) this.lastSeq += 1;
    this.updateReceipts();
  }

  onDeleted(frame) {
    const node = this.log.querySelector(`[data-seq="${frame.seq}"]`);
    if (!node) return;
    node.classList.add("deleted");
    node.querySelector(".chat-body")?.replaceWith(el("p", { class: "chat-body muted", text: "Message deleted." }));
    node.querySelector(".chat-edited")?.remove();
    this.decorate(node);
    this.updateUnread();
    this.updateReceipts();
  }

  onTyping(frame) {
    if (frame.user === this.me) return;
    const current = this.typers.get(frame.user);
    if (current) clearTimeout(current.timer);
    const timer = setTimeout(() => this.stopTyping(frame.user), TYPING_SHOWN_MS);
    this.typers.set(frame.user, { name: frame.name, timer });
    this.renderTyping();
  }

  stopTyping(userId) {
    const current = this.typers.get(userId);
    if (!current) return;
    clearTimeout(current.timer);
    this.typers.delete(userId);
    this.renderTyping();
  }

  renderTyping() {
    const names = [...this.typers.values()].map((t) => t.name);
    this.typingLine.textContent = names.length
      ? `${names.join(", ")} ${names.length === 1 ? "is" : "are"} typing…`
      : "";
  }

  onError(frame) {
    if (frame.client_id && this.pending.has(frame.client_id)) {
      this.fail(frame.client_id, frame.reason, frame.code);
      return;
    }
    if (frame.conversation === this.conversation || frame.conversation === String(this.conversation)) {
      this.status.textContent = frame.reason;
    }
  }

  setClosed(text) {
    this.closed = true;
    this.status.textContent = text;
    if (this.form) this.form.hidden = true;
  }

  // --- members: presence and read receipts ----------------------------------------

  setPresence(userId, state) {
    const member = this.members.get(userId);
    if (!member) return;
    member.node.dataset.presence = state;
    member.node.querySelector("[data-member-state]").textContent = state;
  }

  setRead(userId, seq) {
    const member = this.members.get(userId);
    if (member && seq > member.lastRead) {
      member.lastRead = seq;
      member.node.dataset.lastRead = String(seq);
      member.node.querySelector("[data-member-read]").textContent = `read up to #${seq}`;
    }
    if (userId === this.me && seq > this.myLastRead) {
      this.myLastRead = seq;
      this.readSent = Math.max(this.readSent, seq);
      this.updateUnread();
    }
    this.updateReceipts();
  }

  updateReceipts() {
    const mine = [...this.log.querySelectorAll(".chat-message.mine[data-seq]:not(.deleted)")];
    const last = mine.length ? Number(mine[mine.length - 1].dataset.seq) : 0;
    if (!last) {
      this.receipts.textContent = "";
      return;
    }
    const seen = [...this.members.entries()]
      .filter(([id, m]) => id !== this.me && m.lastRead >= last)
      .map(([, m]) => m.name);
    this.receipts.textContent = seen.length ? `Seen by ${seen.join(", ")}` : "Not seen yet";
  }

  unreadCount() {
    let count = 0;
    for (const node of this.log.querySelectorAll(".chat-message[data-seq]:not(.mine):not(.deleted)")) {
      if (Number(node.dataset.seq) > this.myLastRead) count += 1;
    }
    return count;
  }

  updateUnread() {
    const count = this.unreadCount();
    this.unreadBadge.hidden = count === 0;
    this.unreadBadge.textContent = count ? `${count} unread` : "";
  }

  markRead() {
    if (document.visibilityState !== "visible" || !this.atBottom()) return;
    const seqs = [...this.log.querySelectorAll(".chat-message[data-seq]")].map((n) => Number(n.dataset.seq));
    const newest = Math.min(this.lastSeq, seqs.length ? Math.max(...seqs) : 0);
    if (newest > this.readSent && this.connection.send({ type: "read.update", conversation: this.conversation, last_read_seq: newest })) {
      this.readSent = newest;
    }
  }

  // --- the message list -------------------------------------------------------------

  atBottom() {
    return this.log.scrollHeight - this.log.scrollTop - this.log.clientHeight < AT_BOTTOM_PX;
  }

  scrollToBottom() {
    this.log.scrollTop = this.log.scrollHeight;
  }

  announce(message) {
    const text = message.deleted_at ? "a deleted message" : plainText(message.body_html).slice(0, 200);
    this.live.append(el("p", { text: `${message.author ? message.author.name : "Someone"}: ${text}` }));
    while (this.live.childElementCount > 5) this.live.firstElementChild.remove();
  }

  render(message) {
    const mine = message.author && message.author.id === this.me;
    const node = el("li", {
      class: `chat-message${mine ? " mine" : ""}${message.deleted_at ? " deleted" : ""}`,
      "data-seq": message.seq,
      "data-client-id": message.client_id,
      "data-author": message.author ? message.author.id : "",
      id: `msg-${message.conversation}-${message.seq}`,
    });
    const meta = el(
      "p",
      { class: "chat-meta" },
      el("strong", { text: message.author ? message.author.name : "Former member" }),
      " ",
      el("time", { datetime: message.created_at, text: formatTime(message.created_at) }),
    );
    if (message.edited_at && !message.deleted_at) meta.append(" ", el("span", { class: "muted chat-edited", text: "(edited)" }));
    node.append(meta);
    if (message.reply_to) {
      node.append(
        el(
          "p",
          { class: "chat-reply muted" },
          el("a", { href: `#msg-${message.conversation}-${message.reply_to}`, text: `↪ reply to #${message.reply_to}` }),
        ),
      );
    }
    if (message.deleted_at) {
      node.append(el("p", { class: "chat-body muted", text: "Message deleted." }));
    } else {
      const body = el("div", { class: "chat-body" });
      body.innerHTML = message.body_html; // sanitized on the server (nh3 allow-list)
      node.append(body);
    }
    this.decorate(node);
    return node;
  }

  upsert(message) {
    const wasAtBottom = this.atBottom();
    const node = this.render(message);
    const existing =
      this.log.querySelector(`[data-seq="${message.seq}"]`) ||
      this.log.querySelector(`.pending[data-client-id="${message.client_id}"]`);
    if (existing) {
      const hadFocus = existing.contains(document.activeElement);
      existing.replaceWith(node);
      if (hadFocus) node.querySelector("button")?.focus();
    } else {
      this.log.querySelector("[data-chat-empty]")?.remove();
      const after = [...this.log.querySelectorAll(".chat-message[data-seq]")].find(
        (other) => Number(other.dataset.seq) > message.seq,
      );
      this.log.insertBefore(node, after || this.log.querySelector(".chat-message.pending"));
    }
    if (this.pending.has(message.client_id) && message.author && message.author.id === this.me) {
      clearTimeout(this.pending.get(message.client_id).timer);
      this.pending.delete(message.client_id);
    }
    if (wasAtBottom) {
      this.scrollToBottom();
      this.markRead();
    }
  }

  decorate(node) {
    node.querySelector(".chat-actions")?.remove();
    if (this.closed || node.classList.contains("deleted") || node.classList.contains("pending")) return;
    const seq = Number(node.dataset.seq);
    const actions = el("p", { class: "chat-actions" });
    const author = node.querySelector(".chat-meta strong")?.textContent || "";
    const reply = el("button", { type: "button", class: "link-button", text: "Reply", "aria-label": `Reply to #${seq} by ${author}` });
    reply.addEventListener("click", () => this.startReply(seq, author));
    actions.append(reply);
    if (node.classList.contains("mine")) {
      const edit = el("button", { type: "button", class: "link-button", text: "Edit", "aria-label": `Edit message #${seq}` });
      edit.addEventListener("click", () => this.startEdit(node, seq));
      const remove = el("button", { type: "button", class: "link-button", text: "Delete", "aria-label": `Delete message #${seq}` });
      remove.addEventListener("click", () => {
        if (window.confirm("Delete this message for everyone?")) {
          this.connection.send({ type: "message.delete", conversation: this.conversation, seq });
        }
      });
      actions.append(" ", edit, " ", remove);
    }
    node.append(actions);
  }

  startReply(seq, author) {
    if (!this.form) return;
    this.replyInput.value = String(seq);
    this.replying.hidden = false;
    this.replying.replaceChildren(`Replying to #${seq} by ${author} `);
    const cancel = el("button", { type: "button", class: "link-button", text: "Cancel reply" });
    cancel.addEventListener("click", () => this.cancelReply());
    this.replying.append(cancel);
    this.textarea.focus();
  }

  cancelReply() {
    this.replyInput.value = "";
    this.replying.hidden = true;
    this.replying.replaceChildren();
  }

  startEdit(node, seq) {
    const body = node.querySelector(".chat-body");
    const api = this.root.dataset.api;
    const editor = el("form", { class: "chat-edit" });
    const id = `chat-edit-${this.conversation}-${seq}`;
    const field = el("textarea", { id, rows: 2, maxlength: 10000 });
    const label = el("label", { for: id, text: `New text for message #${seq}` });
    const save = el("button", { type: "submit", text: "Save" });
    const cancel = el("button", { type: "button", class: "secondary", text: "Cancel" });
    editor.append(label, field, save, " ", cancel);
    // the markdown as written (the page only has the rendered HTML)
    fetch(`${api}/messages?after=${seq - 1}&limit=1`, {
      credentials: "same-origin",
      headers: { Accept: "application/json" },
    })
      .then((r) => (r.ok ? r.json() : null))
      .then((data) => {
        const original = data && data.results && data.results[0];
        field.value = original ? original.body : plainText(body.innerHTML);
        field.focus();
      });
    cancel.addEventListener("click", () => {
      editor.replaceWith(body);
      node.querySelector(".chat-actions button")?.focus();
    });
    editor.addEventListener("submit", (event) => {
      event.preventDefault();
      if (!field.value.trim()) {
        field.setAttribute("aria-invalid", "true");
        return;
      }
      this.connection.send({ type: "message.edit", conversation: this.conversation, seq, body: field.value });
      editor.replaceWith(body);
    });
    field.addEventListener("keydown", (event) => {
      if (event.key === "Escape") cancel.click();
    });
    body.replaceWith(editor);
  }

  // --- sending ------------------------------------------------------------------------

  bindForm() {
    if (!this.form) return;
    this.form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.submit();
    });
    this.textarea.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        this.submit();
      }
    });
    this.textarea.addEventListener("input", () => {
      this.textarea.removeAttribute("aria-invalid");
      const now = Date.now();
      if (this.textarea.value.trim() && now - this.typingSentAt > TYPING_EVERY_MS) {
        if (this.connection.send({ type: "typing", conversation: this.conversation })) this.typingSentAt = now;
      }
    });
  }

  submit() {
    const body = this.textarea.value;
    if (!body.trim()) {
      this.textarea.setAttribute("aria-invalid", "true");
      this.status.textContent = "Write something first.";
      return;
    }
    if (body.length > 10000) {
      this.textarea.setAttribute("aria-invalid", "true");
      this.status.textContent = `The message is ${body.length} characters; the limit is 10,000.`;
      return;
    }
    const clientId = crypto.randomUUID();
    const replyTo = this.replyInput.value ? Number(this.replyInput.value) : null;
    const node = el(
      "li",
      { class: "chat-message mine pending", "data-client-id": clientId },
      el("p", { class: "chat-meta" }, el("strong", { text: "You" }), " ", el("span", { class: "muted chat-send-state", text: "Sending…" })),
      el("div", { class: "chat-body chat-body-plain", text: body }),
    );
    this.log.querySelector("[data-chat-empty]")?.remove();
    this.log.append(node);
    this.pending.set(clientId, { body, replyTo, node, timer: null, state: "sending" });
    this.textarea.value = "";
    this.cancelReply();
    this.scrollToBottom();
    this.transmit(clientId);
    this.textarea.focus();
  }

  transmit(clientId) {
    const item = this.pending.get(clientId);
    if (!item) return;
    item.state = "sending";
    item.node.classList.remove("failed");
    item.node.querySelector(".chat-retry")?.remove();
    const stateText = item.node.querySelector(".chat-send-state");
    const frame = { type: "message.send", conversation: this.conversation, client_id: clientId, body: item.body, ref: clientId };
    if (item.replyTo) frame.reply_to = item.replyTo;
    if (this.connection.send(frame)) {
      stateText.textContent = "Sending…";
      clearTimeout(item.timer);
      item.timer = setTimeout(() => this.fail(clientId, "No answer from the server."), ACK_TIMEOUT_MS);
    } else {
      stateText.textContent = "Waiting for the connection…";
    }
  }

  fail(clientId, reason, code) {
    const item = this.pending.get(clientId);
    if (!item) return;
    clearTimeout(item.timer);
    item.state = "failed";
    item.node.classList.add("failed");
    item.node.querySelector(".chat-send-state").textContent = `Not sent: ${reason}`;
    if (!item.node.querySelector(".chat-retry")) {
      const retry = el("button", { type: "button", class: "chat-retry", text: "Retry" });
      retry.addEventListener("click", () => this.transmit(clientId));
      item.node.append(el("p", {}, retry));
      if (code === "rate_limited" || code === undefined) retry.focus();
    }
  }
}

// --- start ------------------------------------------------------------------------------

function start() {
  const roots = [...document.querySelectorAll("[data-chat]")].filter((root) => root.dataset.latest === "true");
  if (!roots.length || !("WebSocket" in window)) return;
  const connection = new Connection(roots[0].dataset.wsPath || "/ws/");
  const panels = roots.map((root) => new ChatPanel(root, connection));
  connection.listen((frame) => {
    for (const panel of panels) panel.onFrame(frame);
  });
  connection.connect();
  window.tandemChat = { connection, panels }; // for debugging and browser tests
}

if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
else start();
