// Find a mentor: move focus to the suggestions once they are shown (after the need
// form redirected here, or after htmx refreshed them), and keep the 1st/2nd/3rd
// choice selects from naming the same person twice.

function focusSuggestions(root) {
  const heading = root.querySelector("[data-focus-on-load]");
  if (heading) heading.focus({ preventScroll: false });
}

function syncRankPicker(form) {
  const selects = Array.from(form.querySelectorAll("select"));
  const chosen = selects.map((select) => select.value).filter(Boolean);
  for (const select of selects) {
    for (const option of select.options) {
      option.disabled = Boolean(option.value) && option.value !== select.value && chosen.includes(option.value);
    }
  }
}

function initRankPickers(root) {
  for (const form of root.querySelectorAll("form[data-rank-picker]")) syncRankPicker(form);
}

document.addEventListener("change", (event) => {
  const form = event.target instanceof HTMLSelectElement ? event.target.closest("form[data-rank-picker]") : null;
  if (form) syncRankPicker(form);
});

document.addEventListener("htmx:afterSwap", (event) => {
  const target = event.detail.target;
  if (target && target.id === "suggestions") {
    initRankPickers(target);
    focusSuggestions(target);
  }
});

initRankPickers(document);
if (document.referrer.includes("/mentoring/find/")) focusSuggestions(document);
