// Starts Swagger UI on /schema/swagger (web/swagger.py) from the vendored bundle. A file rather than an inline
// script, so the Content-Security-Policy can forbid inline scripts; no validator badge (it would load from a CDN).
window.addEventListener("DOMContentLoaded", () => {
  const container = document.getElementById("swagger-container");
  SwaggerUIBundle({
    url: container.dataset.specUrl,
    dom_id: "#swagger-container",
    deepLinking: true,
    validatorUrl: null,
    presets: [SwaggerUIBundle.presets.apis],
    layout: "BaseLayout",
  });
});
