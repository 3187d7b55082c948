// Text inputs with htmx-filled suggestions (<input list> + <datalist>): the skill
// fields and the "refer someone" picker remember the id of the suggestion the
// typed text names, in a hidden input, so the server need not resolve the name.

// The <option> of the input's datalist whose value is the typed text (ignoring
// case and surrounding spaces), or null.
export function chosenOption(input) {
  const typed = input.value.trim().toLowerCase();
  if (!typed || !input.list) return null;
  return Array.from(input.list.options).find((option) => option.value.toLowerCase() === typed) || null;
}

// The id to remember for the input ("" when the text names no suggestion).
export function chosenId(input) {
  const option = chosenOption(input);
  return option && option.dataset.id ? option.dataset.id : "";
}

// `callback(input)` when the input is typed into, and when htmx has refilled its
// datalist (the typed text may name a suggestion only now); only for inputs
// that match `selector`.
export function watchSuggestions(selector, callback) {
  document.addEventListener("input", (event) => {
    if (event.target instanceof HTMLInputElement && event.target.matches(selector)) callback(event.target);
  });
  document.addEventListener("htmx:afterSwap", (event) => {
    const list = event.detail.target;
    if (!(list instanceof HTMLDataListElement)) return;
    const input = document.querySelector(`input[list="${CSS.escape(list.id)}"]`);
    if (input && input.matches(selector)) callback(input);
  });
}
