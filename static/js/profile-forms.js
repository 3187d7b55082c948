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

guessTimezone();
enableWorkingHourRows();
