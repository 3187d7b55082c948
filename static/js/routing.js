// "Ask the network", live (protocol: docs/messaging.md "Ask the network").
//
// Uses the tab's one socket (./socket.js, shared with the chat and the bell):
// - the answer box ([data-answer-typing]) sends `answer.typing` while someone
//   types, at most every few seconds;
// - the asker's progress ([data-routing-progress]) renders the summary line of
//   each `question.progress` frame at once (a polite live region) and re-reads
//   the server-rendered waves, the database being the record; the answers
//   section is re-read when a new answer arrives;
// - the "Questions for you" inbox ([data-routed-inbox]) and the nav badge
//   ([data-routed-nav]) re-read themselves when a question is routed here.
// After a reconnect (`hello`) everything is re-read, so nothing missed stays missing.
// The nav and the page may both load this module: as an ES module it runs once.

import { chosenId, watchSuggestions } from "./datalist.js";
import { getHtml, getJson } from "./http.js";
import { announce } from "./live-region.js";
import { connect, on, send } from "./socket.js";

const TYPING_EVERY_MS = 3_000;
const REFRESH_DEBOUNCE_MS = 250;
const CLOCK_TICK_MS = 30_000;

function debounced(fn, wait) {
  let timer = null;
  return () => {
    clearTimeout(timer);
    timer = setTimeout(fn, wait);
  };
}

// --- the answer box: "… is typing an answer" --------------------------------------

function watchTyping(form) {
  const question = Number(form.dataset.question);
  let lastSent = 0;
  form.addEventListener("input", (event) => {
    if (!(event.target instanceof HTMLTextAreaElement) || !event.target.value.trim()) return;
    const now = Date.now();
    if (now - lastSent < TYPING_EVERY_MS) return;
    if (send({ type: "answer.typing", question }, { queue: false }) === "sent") lastSent = now;
  });
}

// --- the asker's progress ----------------------------------------------------------

function plural(count, one, many) {
  return `${count} ${count === 1 ? one : many}`;
}

class Progress {
  constructor(root) {
    this.root = root;
    this.question = Number(root.dataset.question);
    this.summary = root.querySelector("[data-routing-summary]");
    this.waves = root.querySelector("[data-routing-waves]");
    this.answers = document.querySelector(`[data-answers][data-question="${this.question}"]`);
    this.answersLive = document.querySelector("[data-answers-live]");
    this.typingRefreshMs = (Number(root.dataset.typingRefresh) || 10) * 1000 + 500;
    this.typingTimer = null;
    this.readState(root);
    this.refresh = debounced(() => this.reload(), REFRESH_DEBOUNCE_MS);
    this.reloadAnswersSoon = debounced(() => this.reloadAnswers(), REFRESH_DEBOUNCE_MS);
    setInterval(() => this.renderSummary(), CLOCK_TICK_MS);
  }

  // Server-rendered state: the clock offset (so "next wave in" does not depend
  // on this computer's clock) and the counts the summary is built from.
  readState(root) {
    const serverNow = Date.parse(root.dataset.serverNow);
    this.offsetMs = Number.isNaN(serverNow) ? 0 : serverNow - Date.now();
    this.state = root.dataset.state || "";
    this.answered = Number(root.dataset.answered) || 0;
    try {
      this.counts = JSON.parse(root.dataset.progress || "null");
    } catch {
      this.counts = null;
    }
    this.nextWaveAt = root.dataset.nextWaveAt ? Date.parse(root.dataset.nextWaveAt) : null;
  }

  onProgress(frame) {
    const answeredBefore = this.answered;
    this.counts = frame;
    this.answered = frame.answered || 0;
    this.state = frame.state || this.state;
    this.nextWaveAt = frame.next_wave_at ? Date.parse(frame.next_wave_at) : null;
    this.renderSummary();
    this.refresh();
    if (this.answered > answeredBefore) this.reloadAnswersSoon();
    clearTimeout(this.typingTimer);
    // typing is a marker with a short TTL: look again once it may have expired
    if (frame.typing) this.typingTimer = setTimeout(() => this.refresh(), this.typingRefreshMs);
  }

  summaryText() {
    const c = this.counts;
    if (!c) return null; // keep the server-rendered line
    const sent = c.sent || 0;
    if (!sent) {
      if (this.state === "exhausted") return "Nobody in the workspace fits this question yet; it stays open for anyone to answer.";
      if (this.state === "routing") return "Finding the right people to ask…";
      return "Not sent to anyone yet.";
    }
    const parts = [`Sent to ${plural(sent, "person", "people")}`];
    if (c.typing) parts.push(`${c.typing} ${c.typing === 1 ? "is" : "are"} typing an answer`);
    if (c.answered) parts.push(`${c.answered} answered`);
    if (c.passed) parts.push(`${c.passed} passed`);
    if (c.referred) parts.push(`${c.referred} referred someone`);
    if (c.missed) parts.push(`${c.missed} did not reply in time`);
    if (this.state === "routing" && this.nextWaveAt) {
      const seconds = (this.nextWaveAt - (Date.now() + this.offsetMs)) / 1000;
      parts.push(seconds > 60 ? `next wave in ${Math.ceil(seconds / 60)} min` : "next wave in less than a minute");
    } else if (this.state === "exhausted") {
      parts.push("nobody else to ask");
    }
    return parts.join(" · ");
  }

  renderSummary() {
    const text = this.summaryText();
    if (text !== null && this.summary.textContent !== text) this.summary.textContent = text;
  }

  async reload() {
    try {
      const doc = await getHtml(this.root.dataset.url);
      const fresh = doc.querySelector("[data-routing-progress]");
      if (!fresh) return;
      this.waves.replaceChildren(...fresh.querySelector("[data-routing-waves]").childNodes);
      const answeredBefore = this.answered;
      this.readState(fresh);
      if (this.answered > answeredBefore) this.reloadAnswersSoon();
      // the re-read is at least as new as the last frame
      const text = fresh.querySelector("[data-routing-summary]").textContent;
      if (this.summary.textContent !== text) this.summary.textContent = text;
    } catch {
      // offline: the next frame or reconnect re-reads
    }
  }

  async reloadAnswers() {
    if (!this.answers) return;
    try {
      const doc = await getHtml(window.location.pathname);
      const fresh = doc.querySelector(`[data-answers][data-question="${this.question}"]`);
      if (!fresh) return;
      const before = this.answers.querySelectorAll("article.answer").length;
      this.answers.replaceChildren(...fresh.childNodes);
      const after = this.answers.querySelectorAll("article.answer").length;
      if (after > before) announce(this.answersLive, after - before === 1 ? "A new answer arrived." : `${after - before} new answers arrived.`);
    } catch {
      // offline: the next frame or reconnect re-reads
    }
  }
}

// --- the inbox and the nav badge ---------------------------------------------------------

function setNavCount(count) {
  const nav = document.querySelector("[data-routed-nav]");
  if (!nav || typeof count !== "number") return;
  nav.querySelector("[data-routed-number]").textContent = String(count);
  nav.querySelector("[data-routed-count]").classList.toggle("is-empty", count === 0);
}

async function refreshNavCount() {
  const nav = document.querySelector("[data-routed-nav]");
  if (!nav) return;
  try {
    setNavCount((await getJson(nav.dataset.countUrl)).pending);
  } catch {
    // offline: the next notification or reconnect re-reads
  }
}

async function refreshInbox(inbox) {
  // leave the list alone while someone is writing in it
  if (inbox.contains(document.activeElement) && document.activeElement.matches("textarea, input")) return false;
  try {
    const doc = await getHtml(inbox.dataset.url);
    inbox.replaceChildren(...doc.body.childNodes);
    for (const form of inbox.querySelectorAll("[data-answer-typing]")) watchTyping(form);
    return true;
  } catch {
    return false;
  }
}

// --- the refer form: remember the picked person's id ---------------------------------------

function syncPersonId(input) {
  const hidden = input.form && input.form.querySelector("input[data-person-id]");
  if (hidden) hidden.value = chosenId(input);
}

// --- start ----------------------------------------------------------------------------------

function start() {
  for (const form of document.querySelectorAll("[data-answer-typing]")) watchTyping(form);
  if (document.querySelector("[data-routed-nav][data-routed-lazy]")) refreshNavCount();

  const root = document.querySelector("[data-routing-progress]");
  const progress = root ? new Progress(root) : null;
  const inbox = document.querySelector("[data-routed-inbox]");
  const inboxLive = document.querySelector("[data-routed-live]");
  const refreshInboxSoon = inbox ? debounced(() => refreshInbox(inbox), REFRESH_DEBOUNCE_MS) : null;
  let helloSeen = false;

  on("hello", () => {
    // (re)connected: whatever happened meanwhile is in the database. The first
    // hello only covers the moment between rendering and connecting (the cheap
    // reads); after a reconnect everything is read again.
    const reconnect = helloSeen;
    helloSeen = true;
    if (progress) progress.refresh();
    if (refreshInboxSoon) refreshInboxSoon();
    if (reconnect) {
      refreshNavCount();
      if (progress) progress.reloadAnswersSoon();
    }
  });
  on("question.progress", (frame) => {
    if (progress && frame.question === progress.question) progress.onProgress(frame);
  });
  on("notification", (frame) => {
    if (frame.kind === "question.routed") {
      refreshNavCount();
      if (inbox) refreshInbox(inbox).then(() => announce(inboxLive, `New question for you: ${frame.title}`));
    } else if (progress && frame.link && new URL(frame.link, window.location.href).pathname === window.location.pathname) {
      progress.reloadAnswersSoon(); // e.g. question.answered for the asker
    }
  });

  watchSuggestions("[data-person-autocomplete]", syncPersonId);
  connect();
}

start();
