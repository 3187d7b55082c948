// The engagement page below 1024 px: the chat and the side panel (goal, people,
// commitments, milestones, actions) become two tabs, so the conversation fills
// the screen and the rest is one tap away. Arrow keys move between the tabs
// (WAI-ARIA tabs pattern). Without JavaScript, or on a wide screen, both show.
// A form that came back with errors is opened and its first bad field focused.

const tablist = document.querySelector("[data-engagement-tabs]");
const NARROW = window.matchMedia("(max-width: 1023px)");

if (tablist) {
  const tabs = [...tablist.querySelectorAll('[role="tab"]')];
  const panels = tabs.map((tab) => document.getElementById(tab.getAttribute("aria-controls")));

  function select(index, { focus = false } = {}) {
    tabs.forEach((tab, i) => {
      const on = i === index;
      tab.setAttribute("aria-selected", String(on));
      tab.tabIndex = on ? 0 : -1;
      panels[i].hidden = NARROW.matches && !on;
    });
    if (focus) tabs[index].focus();
  }

  function apply() {
    tablist.hidden = !NARROW.matches;
    for (const panel of panels) {
      if (NARROW.matches) panel.setAttribute("role", "tabpanel");
      else panel.removeAttribute("role");
    }
    const current = Math.max(0, tabs.findIndex((tab) => tab.getAttribute("aria-selected") === "true"));
    select(current);
  }

  tabs.forEach((tab, index) => {
    tab.addEventListener("click", () => select(index));
    tab.addEventListener("keydown", (event) => {
      const step = { ArrowRight: 1, ArrowLeft: -1 }[event.key];
      if (event.key === "Home") select(0, { focus: true });
      else if (event.key === "End") select(tabs.length - 1, { focus: true });
      else if (step) select((index + step + tabs.length) % tabs.length, { focus: true });
      else return;
      event.preventDefault();
    });
  });
  NARROW.addEventListener("change", apply);
  if (tablist.dataset.open === "details") tabs[1].setAttribute("aria-selected", "true"), tabs[0].setAttribute("aria-selected", "false");
  apply();

  const invalid = document.querySelector('.engagement-layout [aria-invalid="true"]');
  if (invalid) {
    invalid.closest("details")?.setAttribute("open", "");
    invalid.focus();
  }
}
