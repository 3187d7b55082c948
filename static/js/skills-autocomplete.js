// Skill autocomplete: htmx fills each skill field's <datalist> with matching
// skills (by name or alias). When the typed text equals a suggestion, remember
// its id in that field's hidden "<prefix>-skill_id" input so the server does not
// need to resolve the name again; otherwise clear it (the server then resolves
// the name, or creates the skill).

function hiddenIdFor(input) {
  const name = input.name.replace(/skill$/, "skill_id");
  const scope = input.form || document;
  return scope.querySelector(`input[data-skill-id][name="${CSS.escape(name)}"]`);
}

function syncSkillId(input) {
  const hidden = hiddenIdFor(input);
  if (!hidden) return;
  const list = input.list;
  const typed = input.value.trim().toLowerCase();
  const match = list ? Array.from(list.options).find((option) => option.value.toLowerCase() === typed) : null;
  hidden.value = match && match.dataset.id ? match.dataset.id : "";
}

document.addEventListener("input", (event) => {
  const input = event.target;
  if (input instanceof HTMLInputElement && input.hasAttribute("data-skill-autocomplete")) {
    syncSkillId(input);
  }
});

document.addEventListener("htmx:afterSwap", (event) => {
  const list = event.detail.target;
  if (!(list instanceof HTMLDataListElement)) return;
  const input = document.querySelector(`input[list="${CSS.escape(list.id)}"]`);
  if (input) syncSkillId(input);
});
