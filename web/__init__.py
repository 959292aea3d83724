"""The Litestar web app: JSON API under /api, server-rendered pages with htmx."""
