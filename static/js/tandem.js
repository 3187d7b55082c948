// Tandem's shared page behaviour. Real-time features live in their own modules.
document.addEventListener("htmx:responseError", (event) => {
  const target = event.detail.target;
  if (target) {
    target.setAttribute("role", "alert");
  }
});
