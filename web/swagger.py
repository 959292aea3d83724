"""The API's documentation page (/schema and /schema/swagger): Swagger UI from the files vendored under
web/static/vendor/swagger-ui (no CDN: it works offline and where CDNs are blocked), started by /static/swagger.js
rather than an inline script, so the Content-Security-Policy (web.security) holds on this page too."""

from __future__ import annotations

from html import escape
from typing import Any

from litestar import Request, Router
from litestar.openapi.plugins import SwaggerRenderPlugin

VENDOR = "/static/vendor/swagger-ui"


class VendoredSwagger(SwaggerRenderPlugin):
    def __init__(self) -> None:
        super().__init__(
            js_url=f"{VENDOR}/swagger-ui-bundle.js", css_url=f"{VENDOR}/swagger-ui.css",
            standalone_preset_js_url=f"{VENDOR}/swagger-ui-bundle.js", path=["/swagger", "/"], favicon="", style="",
        )  # fmt: skip

    def receive_router(self, router: Router) -> None:
        """Litestar adds an OAuth2 redirect page here, an inline script the CSP would block; the API uses bearer
        tokens, not OAuth2, so it is left out."""

    def render(self, request: Request[Any, Any, Any], openapi_schema: dict[str, Any]) -> bytes:
        """The page: the vendored CSS and bundle, /static/swagger.js, and the schema's URL in a data attribute."""
        title = escape(str(openapi_schema.get("info", {}).get("title", "API")))
        spec = escape(self.get_openapi_json_route(request))
        return f"""<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>{title} API</title>
  <link rel="stylesheet" href="{escape(self.css_url)}">
  <script src="{escape(self.js_url)}" defer></script>
  <script src="/static/swagger.js" defer></script>
</head>
<body>
  <div id="swagger-container" data-spec-url="{spec}"></div>
</body>
</html>
""".encode()
