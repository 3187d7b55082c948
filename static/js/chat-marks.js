// What the chat log shows around its messages (used by ./chat.js):
//   highlightMentions(node, members, me)  @Name of a member as <mark>, yours marked "you"
//   markDays(log)                         a separator before each new day, in the viewer's zone
//   markUnread(log, lastRead, me)         "New messages" before the first unread one
//   jumpToLatest(log, onJump)             a "Jump to latest" button while scrolled up

import { formatDay } from "./time.js";

function escapeRegExp(text) {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

export function highlightMentions(node, members, me) {
  const body = node.querySelector(".chat-body");
  if (!body || node.classList.contains("deleted")) return;
  const names = [];
  for (const [id, member] of members) {
    const full = member.name || "";
    if (full) names.push({ text: full, id });
    const first = full.split(" ")[0];
    if (first && first !== full) names.push({ text: first, id });
  }
  if (!names.length) return;
  names.sort((a, b) => b.text.length - a.text.length); // "@Ana Mentor" before "@Ana"
  const pattern = new RegExp(`(^|[^\\w@])@(${names.map((n) => escapeRegExp(n.text)).join("|")})(?![\\w])`, "gi");
  const walker = document.createTreeWalker(body, NodeFilter.SHOW_TEXT, {
    acceptNode: (text) => (text.parentElement.closest("code, pre, mark, a") ? NodeFilter.FILTER_REJECT : NodeFilter.FILTER_ACCEPT),
  });
  const texts = [];
  while (walker.nextNode()) texts.push(walker.currentNode);
  let mentionsMe = false;
  for (const text of texts) {
    const value = text.nodeValue;
    pattern.lastIndex = 0;
    if (!pattern.test(value)) continue;
    pattern.lastIndex = 0;
    const fragment = document.createDocumentFragment();
    let last = 0;
    for (const match of value.matchAll(pattern)) {
      const start = match.index + match[1].length;
      fragment.append(value.slice(last, start));
      const who = names.find((n) => n.text.toLowerCase() === match[2].toLowerCase());
      const mark = document.createElement("mark");
      mark.className = "mention";
      mark.textContent = `@${match[2]}`;
      if (who && who.id === me) {
        mark.classList.add("mention-me");
        mark.setAttribute("title", "Mentions you");
        mentionsMe = true;
      }
      fragment.append(mark);
      last = start + match[2].length + 1;
    }
    fragment.append(value.slice(last));
    text.replaceWith(fragment);
  }
  node.classList.toggle("mentions-me", mentionsMe);
  if (mentionsMe && !node.querySelector(".chat-mention-note")) {
    const note = document.createElement("span");
    note.className = "chat-mention-note";
    note.textContent = "mentions you";
    node.querySelector(".chat-meta")?.append(" ", note);
  }
}

export function markDays(log) {
  for (const old of log.querySelectorAll(".chat-day")) old.remove();
  let previous = "";
  for (const node of log.querySelectorAll(".chat-message")) {
    const time = node.querySelector(".chat-meta time[datetime]");
    const day = time ? formatDay(time.dateTime) : previous;
    if (day && day !== previous) {
      const separator = document.createElement("li");
      separator.className = "chat-day";
      separator.textContent = day;
      // the day comes first, then "New messages", then the message
      const divider = node.previousElementSibling;
      (divider?.classList.contains("chat-divider") ? divider : node).before(separator);
    }
    previous = day;
  }
}

export function markUnread(log, lastRead, me) {
  log.querySelector(".chat-divider")?.remove();
  const first = [...log.querySelectorAll(".chat-message[data-seq]")].find(
    (node) => Number(node.dataset.seq) > lastRead && Number(node.dataset.author) !== me,
  );
  if (!first) return null;
  const divider = document.createElement("li");
  divider.className = "chat-divider";
  divider.textContent = "New messages";
  first.before(divider);
  return divider;
}

export function jumpToLatest(log, onJump) {
  const button = document.createElement("button");
  button.type = "button";
  button.className = "chat-jump";
  button.textContent = "Jump to latest ↓";
  button.hidden = true;
  button.addEventListener("click", () => {
    onJump();
    button.hidden = true;
  });
  log.after(button);
  return (atBottom) => {
    button.hidden = atBottom;
  };
}
