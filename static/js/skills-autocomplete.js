// Skill autocomplete: htmx fills each skill field's <datalist> with matching
// skills (by name or alias). When the typed text equals a suggestion, remember
// its id in that field's hidden "<prefix>-skill_id" input so the server does not
// need to resolve the name again; otherwise clear it (the server then resolves
// the name, or creates the skill).

import { chosenId, watchSuggestions } from "./datalist.js";

function hiddenIdFor(input) {
  const name = input.name.replace(/skill$/, "skill_id");
  const scope = input.form || document;
  return scope.querySelector(`input[data-skill-id][name="${CSS.escape(name)}"]`);
}

watchSuggestions("[data-skill-autocomplete]", (input) => {
  const hidden = hiddenIdFor(input);
  if (hidden) hidden.value = chosenId(input);
});
