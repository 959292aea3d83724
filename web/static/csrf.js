// Sends the page's CSRF token (the csrf-token meta tag, web/templates/_csrf.html) with every htmx request, as the
// X-CSRFToken header the server checks on every change (web/security.py). Plain forms carry it in a hidden field.
document.addEventListener("htmx:configRequest", (event) => {
  const meta = document.querySelector('meta[name="csrf-token"]');
  if (meta) {
    event.detail.headers["X-CSRFToken"] = meta.content;
  }
});
