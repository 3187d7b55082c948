// Profile forms: propose the browser's time zone once, and add working-hour rows.
// Everything here is an enhancement; the forms work without it.

function guessTimezone() {
  const select = document.querySelector("select[data-guess-timezone]");
  if (!select) return;
  let zone;
  try {
    zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  } catch {
    return;
  }
  if (zone && Array.from(select.options).some((option) => option.value === zone)) {
    select.value = zone;
  }
}

function enableWorkingHourRows() {
  const rows = document.querySelector("[data-working-hours-rows]");
  const template = document.querySelector("template[data-working-hours-template]");
  const addButton = document.querySelector("[data-working-hours-add]");
  const total = document.querySelector('input[name="wh-TOTAL_FORMS"]');
  const max = document.querySelector('input[name="wh-MAX_NUM_FORMS"]');
  if (!rows || !template || !addButton || !total) return;
  addButton.hidden = false;
  addButton.addEventListener("click", () => {
    const index = Number(total.value);
    if (max && index >= Number(max.value)) {
      addButton.disabled = true;
      return;
    }
    const html = template.innerHTML.replaceAll("__prefix__", String(index)).replaceAll("Row new", `Row ${index + 1}`);
    rows.insertAdjacentHTML("beforeend", html);
    total.value = String(index + 1);
    const firstField = rows.lastElementChild && rows.lastElementChild.querySelector("select, input");
    if (firstField) firstField.focus();
  });
}

// A search box above the time-zone list: typing "berl" or "+05:30" narrows the
// options to the matching zones and picks the first; the select stays the field.
function enableTimezoneSearch() {
  for (const select of document.querySelectorAll("select[data-timezone-select]")) {
    const search = document.createElement("input");
    search.type = "search";
    search.className = "timezone-search";
    search.placeholder = "Search: city, region or offset (e.g. Berlin, +05:30)";
    search.setAttribute("aria-label", "Search time zones");
    search.setAttribute("aria-controls", select.id);
    select.before(search);
    const options = Array.from(select.options);
    search.addEventListener("input", () => {
      const words = search.value.toLowerCase().replaceAll("_", " ").split(/\s+/).filter(Boolean);
      let first = null;
      for (const option of options) {
        const text = `${option.value} ${option.textContent}`.toLowerCase().replaceAll("_", " ");
        const match = words.every((word) => text.includes(word));
        option.hidden = !match;
        if (match && !first) first = option;
      }
      if (first && (select.selectedOptions[0]?.hidden ?? true)) select.value = first.value;
    });
  }
}

guessTimezone();
enableTimezoneSearch();
enableWorkingHourRows();
