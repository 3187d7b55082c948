// Starting a group: a search-as-you-type people picker with a role per person, in
// place of the two multi-selects (which stay the form's fields, kept in sync, and
// are what works without JavaScript). Type a name, pick with Enter or a click, set
// Mentor or Seeker on the row, remove with its button.

const lists = document.querySelector("[data-people-lists]");

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (key === "text") node.textContent = value;
    else node.setAttribute(key, value);
  }
  node.append(...children);
  return node;
}

if (lists) {
  const mentors = lists.querySelector("select[name=mentors]");
  const seekers = lists.querySelector("select[name=seekers]");
  const me = lists.dataset.me;
  const people = [...mentors.options].filter((o) => o.value !== me).map((o) => ({ id: o.value, name: o.textContent }));
  const chosen = new Map(); // id -> role
  for (const option of mentors.selectedOptions) if (option.value !== me) chosen.set(option.value, "mentor");
  for (const option of seekers.selectedOptions) if (option.value !== me) chosen.set(option.value, "seeker");

  const search = el("input", { type: "search", id: "people-search", autocomplete: "off", role: "combobox", "aria-expanded": "false", "aria-controls": "people-results", "aria-describedby": "people-search-help" });
  const results = el("ul", { id: "people-results", role: "listbox", class: "picker-results", "aria-label": "Matching people" });
  results.hidden = true;
  const rows = el("ul", { class: "picker-rows", "aria-label": "People in the group" });
  const status = el("p", { class: "visually-hidden", role: "status" });
  const picker = el(
    "div",
    { class: "people-picker" },
    el("label", { for: "people-search", text: "Add people" }),
    el("small", { id: "people-search-help", class: "muted", text: "Type a name, then Enter or click to add. Choose each person's role on their row." }),
    search,
    results,
    rows,
    status,
  );
  lists.after(picker);
  lists.hidden = true;

  function sync() {
    for (const option of mentors.options) if (option.value !== me) option.selected = chosen.get(option.value) === "mentor";
    for (const option of seekers.options) if (option.value !== me) option.selected = chosen.get(option.value) === "seeker";
  }

  function renderRows() {
    rows.replaceChildren();
    for (const [id, role] of chosen) {
      const person = people.find((p) => p.id === id);
      const select = el("select", { "aria-label": `Role of ${person.name}` },
        el("option", { value: "mentor", text: "Mentor" }), el("option", { value: "seeker", text: "Seeker" }));
      select.value = role;
      select.addEventListener("change", () => { chosen.set(id, select.value); sync(); });
      const remove = el("button", { type: "button", class: "secondary outline", text: "Remove", "aria-label": `Remove ${person.name}` });
      remove.addEventListener("click", () => { chosen.delete(id); sync(); renderRows(); status.textContent = `${person.name} removed.`; search.focus(); });
      rows.append(el("li", {}, el("span", { class: "picker-name", text: person.name }), select, remove));
    }
    if (!chosen.size) rows.append(el("li", { class: "muted", text: "Nobody added yet." }));
  }

  function add(person) {
    chosen.set(person.id, "seeker");
    sync();
    renderRows();
    status.textContent = `${person.name} added as a seeker.`;
    search.value = "";
    showResults();
    search.focus();
  }

  let active = -1;
  function showResults() {
    const words = search.value.toLowerCase().split(/\s+/).filter(Boolean);
    results.replaceChildren();
    active = -1;
    const matches = words.length
      ? people.filter((p) => !chosen.has(p.id) && words.every((w) => p.name.toLowerCase().includes(w))).slice(0, 8)
      : [];
    matches.forEach((person, index) => {
      const item = el("li", { role: "option", id: `people-option-${person.id}`, text: person.name, "aria-selected": "false" });
      item.addEventListener("mousedown", (event) => { event.preventDefault(); add(person); });
      item.dataset.index = String(index);
      results.append(item);
    });
    results.hidden = !matches.length;
    search.setAttribute("aria-expanded", String(!!matches.length));
    search.removeAttribute("aria-activedescendant");
    return matches;
  }

  function highlight(index) {
    const items = [...results.children];
    if (!items.length) return;
    active = (index + items.length) % items.length;
    items.forEach((item, i) => item.setAttribute("aria-selected", String(i === active)));
    search.setAttribute("aria-activedescendant", items[active].id);
  }

  search.addEventListener("input", showResults);
  search.addEventListener("keydown", (event) => {
    if (event.key === "ArrowDown") highlight(active + 1);
    else if (event.key === "ArrowUp") highlight(active - 1);
    else if (event.key === "Enter") {
      const items = [...results.children];
      if (!items.length) return;
      const item = items[Math.max(active, 0)];
      add(people.find((p) => `people-option-${p.id}` === item.id));
    } else if (event.key === "Escape") { search.value = ""; showResults(); }
    else return;
    event.preventDefault();
  });
  renderRows();
}
