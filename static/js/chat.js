// Live chat over the tab's one socket (./socket.js; protocol: docs/messaging.md).
//
// Upgrades the server-rendered chat panel ([data-chat], templates/messaging/
// _chat_panel_body.html): resumes from the last seq seen after every `hello`,
// shows a message at once (local echo keyed by client_id) and reconciles it
// with the server's ack, marks failed sends with a Retry button (same
// client_id, so a retry never duplicates), and shows typing, presence, read
// receipts and unread counts. The database is the record: after any gap the
// client asks the server to replay. Messages are drawn from the server's own
// markup (./chat-message.js), so live and reloaded ones look the same.

import { highlightMentions, jumpToLatest, markDays, markUnread } from "./chat-marks.js";
import { MessageMarkup, showTimes } from "./chat-message.js";
import { getJson } from "./http.js";
import { connect, on, onResume, onState, send } from "./socket.js";

const TYPING_EVERY_MS = 3_000;
const TYPING_SHOWN_MS = 6_000;
const ACK_TIMEOUT_MS = 15_000;
const AT_BOTTOM_PX = 48;
// the server closed the socket for good: what the chat says, and what a waiting message says
const STOPPED = {
  "signed-out": "Your session ended. Reload the page to sign in again.",
  "mfa-required": "Your workspace now requires two-factor authentication. Reload the page to set it up.",
};

// --- small DOM helpers (controls the panel adds; messages come from chat-message.js)

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

function plainText(html) {
  const doc = new DOMParser().parseFromString(html, "text/html");
  return (doc.body.textContent || "").trim();
}

// --- one chat panel -------------------------------------------------------------

class ChatPanel {
  constructor(root) {
    this.root = root;
    this.conversation = Number(root.dataset.conversation);
    this.me = Number(root.dataset.user);
    this.closed = root.dataset.closed === "true";
    this.markup = new MessageMarkup(root, this.me);
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
    this.pending = new Map(); // client_id -> {body, replyTo, node, timer, state: queued | sent | failed}
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
    showTimes(this.log);
    for (const node of this.log.querySelectorAll(".chat-message[data-seq]")) this.decorate(node);
    markDays(this.log);
    markUnread(this.log, this.myLastRead, this.me);
    this.showJump = jumpToLatest(this.log, () => this.scrollToBottom());
    this.bindForm();
    this.log.addEventListener("scroll", () => {
      this.showJump(this.atBottom());
      if (this.atBottom()) this.markRead();
    });
    document.addEventListener("visibilitychange", () => this.markRead());
    this.scrollToBottom();
    this.updateReceipts();
    this.updateUnread();
  }

  // --- the connection -----------------------------------------------------------

  listen() {
    onState((state) => this.onConnectionState(state));
    // the socket notices a dead network only at its next heartbeat; the browser knows at once
    window.addEventListener("offline", () => this.showStatus());
    window.addEventListener("online", () => this.showStatus());
    onResume(() => this.onHello());
    const mine = (handler) => (frame) => {
      if (Number(frame.conversation) === this.conversation) handler(frame);
    };
    on("message.new", (frame) => {
      if (frame.message.conversation === this.conversation) this.onMessage(frame.message, frame.replay);
    });
    on("message.ack", mine((frame) => this.onAck(frame)));
    on("message.updated", (frame) => {
      // only messages on screen; older ones are fetched with their latest text anyway
      if (frame.message.conversation === this.conversation && this.messageNode(frame.message.seq)) {
        this.upsert(frame.message);
      }
    });
    on("message.deleted", mine((frame) => this.onDeleted(frame)));
    on("read.updated", mine((frame) => this.setRead(frame.user, frame.last_read_seq)));
    on("typing", mine((frame) => this.onTyping(frame)));
    on("presence", (frame) => this.setPresence(frame.user, frame.state));
    on("presence.summary", mine((frame) => this.onPresenceSummary(frame)));
    on("resume.more", mine((frame) => this.resume(frame.after)));
    on("resume.done", (frame) => this.onResumeDone(frame));
    on("conversation.left", mine(() => this.setClosed("You are no longer in this conversation.")));
    on("error", (frame) => this.onError(frame));
  }

  // The status line tells the truth: live only when the socket is and the browser
  // is online, and how many messages are waiting to go out otherwise.
  showStatus() {
    const { state, delay, reason } = this.connection || { state: "connecting" };
    const waiting = [...this.pending.values()].filter((item) => item.state !== "failed").length;
    const kept = waiting
      ? ` ${waiting} message${waiting === 1 ? "" : "s"} waiting; sent when back.`
      : " Messages you write are kept and sent when back.";
    let shown = state;
    let text;
    if (STOPPED[reason]) text = STOPPED[reason];
    else if (!navigator.onLine) [shown, text] = ["offline", `Offline — reconnecting when the network is back.${kept}`];
    else if (state === "live") text = waiting ? `Live. Sending ${waiting}…` : "Live.";
    else if (state === "reconnecting") text = `Offline — reconnecting in ${Math.ceil((delay || 0) / 1000)} s.${kept}`;
    else if (state === "offline") text = `Offline — reconnecting when the network is back.${kept}`;
    else text = "Connecting…";
    if (!this.closed && this.status.textContent !== text) this.status.textContent = text;
    this.root.dataset.connection = shown;
  }

  onConnectionState({ state, delay, reason }) {
    if (reason === "not-started") return;
    this.connection = { state, delay, reason };
    this.showStatus();
    if (state === "live") return;
    for (const [clientId, item] of this.pending) {
      if (item.state === "failed") continue;
      if (STOPPED[reason]) {
        this.fail(clientId, STOPPED[reason]);
      } else if (item.state === "sent") {
        // unanswered: it goes out again after the next hello, so no timeout meanwhile
        clearTimeout(item.timer);
        item.node.querySelector(".chat-send-state").textContent = "Waiting for the connection…";
      }
    }
  }

  onHello() {
    this.resume(this.lastSeq);
    // sent before the connection dropped and never answered: again, same client_id
    for (const [clientId, item] of this.pending) if (item.state === "sent") this.transmit(clientId);
  }

  resume(after) {
    const frame = { type: "resume", conversations: { [this.conversation]: after } };
    // edits and deletions of older messages since the last resume are replayed too
    if (this.since) frame.since = this.since;
    send(frame, { queue: false }); // the next hello resumes anyway
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
    const isNew = !this.messageNode(message.seq);
    const gap = message.seq > this.lastSeq + 1;
    this.upsert(message);
    if (!gap) {
      this.advanceLastSeq(); // this one, and earlier out-of-order arrivals, are now contiguous
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
    this.advanceLastSeq();
    this.updateReceipts();
  }

  onDeleted(frame) {
    const node = this.messageNode(frame.seq);
    if (!node) return;
    const hadFocus = node.contains(document.activeElement);
    const tombstone = this.markup.renderDeleted(node, this.conversation, frame.deleted_at);
    this.decorate(tombstone);
    node.replaceWith(tombstone);
    if (hadFocus) this.textarea?.focus();
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
    if (Number(frame.conversation) === this.conversation) this.status.textContent = frame.reason;
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

  // a large conversation's coalesced presence: everyone not listed is offline
  onPresenceSummary({ online, away }) {
    const onlineIds = new Set(online);
    const awayIds = new Set(away);
    for (const userId of this.members.keys()) {
      this.setPresence(userId, onlineIds.has(userId) ? "online" : awayIds.has(userId) ? "away" : "offline");
    }
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
    if (newest <= this.readSent) return;
    // not queued: resume.done calls this again after a reconnect
    const frame = { type: "read.update", conversation: this.conversation, last_read_seq: newest };
    if (send(frame, { queue: false }) === "sent") this.readSent = newest;
  }

  // --- the message list -------------------------------------------------------------

  messageNode(seq) {
    return this.log.querySelector(`.chat-message[data-seq="${seq}"]`);
  }

  advanceLastSeq() {
    while (this.messageNode(this.lastSeq + 1)) this.lastSeq += 1;
  }

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

  upsert(message) {
    const wasAtBottom = this.atBottom();
    const node = this.markup.render(message);
    this.decorate(node);
    const existing =
      this.messageNode(message.seq) || this.log.querySelector(`.pending[data-client-id="${message.client_id}"]`);
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
    markDays(this.log);
    if (this.pending.has(message.client_id) && message.author && message.author.id === this.me) {
      clearTimeout(this.pending.get(message.client_id).timer);
      this.pending.delete(message.client_id);
      this.showStatus();
    }
    if (wasAtBottom) {
      this.scrollToBottom();
      this.markRead();
    }
  }

  decorate(node) {
    highlightMentions(node, this.members, this.me);
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
          send({ type: "message.delete", conversation: this.conversation, seq }, { key: `message.delete:${this.conversation}:${seq}` });
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
    const editor = el("form", { class: "chat-edit" });
    const id = `chat-edit-${this.conversation}-${seq}`;
    const field = el("textarea", { id, rows: 2, maxlength: 10000 });
    const label = el("label", { for: id, text: `New text for message #${seq}` });
    const save = el("button", { type: "submit", text: "Save" });
    const cancel = el("button", { type: "button", class: "secondary", text: "Cancel" });
    editor.append(label, field, save, " ", cancel);
    // the markdown as written (the page only has the rendered HTML)
    getJson(`${this.root.dataset.api}/messages?after=${seq - 1}&limit=1`)
      .catch(() => null)
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
      const frame = { type: "message.edit", conversation: this.conversation, seq, body: field.value };
      send(frame, { key: `message.edit:${this.conversation}:${seq}` }); // the latest text wins
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
        const frame = { type: "typing", conversation: this.conversation };
        if (send(frame, { queue: false }) === "sent") this.typingSentAt = now;
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
    const node = this.markup.renderPending({ conversation: this.conversation, clientId, body, replyTo });
    this.log.querySelector("[data-chat-empty]")?.remove();
    this.log.append(node);
    this.pending.set(clientId, { body, replyTo, node, timer: null, state: "queued" });
    this.showStatus();
    this.textarea.value = "";
    this.cancelReply();
    this.scrollToBottom();
    this.transmit(clientId);
    this.textarea.focus();
  }

  // Written offline, a message waits in the socket's queue (keyed by its
  // client_id) and goes out after the next hello; the ack timeout starts when
  // it is actually on the wire.
  transmit(clientId) {
    const item = this.pending.get(clientId);
    if (!item) return;
    item.node.classList.remove("failed");
    item.node.querySelector(".chat-retry")?.closest("p")?.remove();
    const stateText = item.node.querySelector(".chat-send-state");
    const frame = { type: "message.send", conversation: this.conversation, client_id: clientId, body: item.body, ref: clientId };
    if (item.replyTo) frame.reply_to = item.replyTo;
    clearTimeout(item.timer);
    item.state = "queued";
    const result = send(frame, {
      key: `message.send:${clientId}`,
      onSent: () => {
        if (this.pending.get(clientId) !== item || item.state === "failed") return;
        item.state = "sent";
        stateText.textContent = "Sending…";
        clearTimeout(item.timer);
        item.timer = setTimeout(() => this.fail(clientId, "No answer from the server."), ACK_TIMEOUT_MS);
      },
    });
    if (result === "queued") stateText.textContent = "Waiting for the connection…";
    else if (result === "dropped") this.fail(clientId, "Your session ended. Reload the page to sign in again.");
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

// Only the newest page of a chat is live (older pages are plain history).
const roots = [...document.querySelectorAll("[data-chat]")].filter((root) => root.dataset.latest === "true");
for (const root of roots) new ChatPanel(root).listen();
if (roots.length) connect();
