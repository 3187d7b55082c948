// A chat message in the page, from the server's own markup.
//
// The chat panel carries <template data-chat-message="live|deleted">, rendered
// by the server from templates/messaging/_message.html (the partial the
// history is rendered with) with every optional part present. A live message
// is a clone of one of them with its values filled in and the parts it lacks
// removed, so a message looks the same live and after a reload: same classes,
// same attributes, same time format, same body markup.
//
// The body goes in as the server's `body_html` only, never as `body` (the
// markdown as written): docs/messaging.md — "body_html is sanitized (markdown-it-py
// without raw HTML, then nh3 with an allow-list) … clients may insert it as
// HTML". It is the same stored field the history renders with |safe. What
// someone just typed (the local echo) only ever goes in as text.

import { formatTime, showTime } from "./time.js";

export class MessageMarkup {
  constructor(root, me) {
    this.me = me;
    this.live = root.querySelector('template[data-chat-message="live"]');
    this.deleted = root.querySelector('template[data-chat-message="deleted"]');
  }

  clone(deleted) {
    const template = deleted ? this.deleted : this.live;
    return document.importNode(template.content.querySelector(".chat-message"), true);
  }

  // A message object of the protocol (docs/messaging.md "A message object") → <li>.
  render(message) {
    const deleted = Boolean(message.deleted_at);
    const node = this.clone(deleted);
    node.id = `msg-${message.conversation}-${message.seq}`;
    node.dataset.seq = String(message.seq);
    node.dataset.clientId = message.client_id;
    node.dataset.author = message.author ? String(message.author.id) : "";
    node.classList.remove("mine", "deleted");
    node.classList.toggle("mine", Boolean(message.author) && message.author.id === this.me);
    node.classList.toggle("deleted", deleted);
    if (message.author) node.querySelector(".chat-meta strong").textContent = message.author.name;
    const time = node.querySelector(".chat-meta time");
    time.dateTime = message.created_at;
    time.textContent = formatTime(message.created_at);
    if (!message.edited_at) node.querySelector(".chat-edited")?.remove();
    this.fillReply(node, message.conversation, message.reply_to);
    if (!deleted) node.querySelector(".chat-body").innerHTML = message.body_html; // sanitized on the server
    return node;
  }

  // The local echo of a message not yet stored: the same markup, marked
  // pending, with the send state where the time goes and the text as typed.
  renderPending({ conversation, clientId, body, replyTo }) {
    const node = this.clone(false);
    node.removeAttribute("id");
    node.removeAttribute("data-seq");
    node.dataset.clientId = clientId;
    node.dataset.author = String(this.me);
    node.classList.add("mine", "pending");
    node.querySelector(".chat-meta strong").textContent = "You";
    const state = document.createElement("span");
    state.className = "muted chat-send-state";
    state.textContent = "Sending…";
    node.querySelector(".chat-meta time").replaceWith(state);
    node.querySelector(".chat-edited")?.remove();
    this.fillReply(node, conversation, replyTo);
    const text = node.querySelector(".chat-body");
    text.classList.add("chat-body-plain");
    text.textContent = body;
    return node;
  }

  // The tombstone of a message on screen (a `message.deleted` frame has only
  // the seq): its author, time and reply link, re-rendered as deleted.
  renderDeleted(node, conversation, deletedAt) {
    const author = node.dataset.author;
    const replySeq = node.querySelector(".chat-reply-seq");
    return this.render({
      conversation,
      seq: Number(node.dataset.seq),
      client_id: node.dataset.clientId,
      author: author ? { id: Number(author), name: node.querySelector(".chat-meta strong").textContent } : null,
      reply_to: replySeq ? Number(replySeq.textContent) : null,
      created_at: node.querySelector(".chat-meta time").dateTime,
      edited_at: null,
      deleted_at: deletedAt,
      body_html: "",
    });
  }

  fillReply(node, conversation, replyTo) {
    const reply = node.querySelector(".chat-reply");
    if (!replyTo) {
      reply.remove();
      return;
    }
    reply.querySelector("a").setAttribute("href", `#msg-${conversation}-${replyTo}`);
    reply.querySelector(".chat-reply-seq").textContent = String(replyTo);
  }
}

// Server-rendered history: its times in the viewer's zone, like live ones.
export function showTimes(root) {
  for (const time of root.querySelectorAll(".chat-message .chat-meta time[datetime]")) showTime(time);
}
