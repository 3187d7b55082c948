// Screen-reader announcements through an aria-live region that is already in
// the page (live regions added later are not reliably announced).

export function announce(region, text) {
  if (!region) return;
  region.textContent = "";
  // a fresh text node after clearing makes screen readers announce a repeat too
  window.setTimeout(() => {
    region.textContent = text;
  }, 50);
}
