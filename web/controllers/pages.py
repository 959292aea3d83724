"""The pages a person reads: the shop at a glance and the member list (htmx swaps the table on search)."""

from __future__ import annotations

from litestar import Controller, Request, get
from litestar.params import FromQuery
from litestar.response import Template

from engine.db import session_scope
from engine.members import list_members
from engine.settings import get_settings
from engine.stats import shop_counts


class PageController(Controller):
    include_in_schema = False

    @get("/", sync_to_thread=True)
    def home(self) -> Template:
        settings = get_settings()
        with session_scope() as session:
            counts = shop_counts(session)
        temporal_ui = f"http://127.0.0.1:{settings.temporal_ui_port}" if settings.embedded_temporal else None
        return Template("home.html", context={"counts": counts, "settings": settings, "temporal_ui": temporal_ui})

    @get("/members", sync_to_thread=True)
    def members(self, request: Request, q: FromQuery[str | None] = None, offset: FromQuery[int] = 0) -> Template:  # type: ignore[type-arg]
        with session_scope() as session:
            page = list_members(session, search=q, limit=50, offset=max(offset, 0))
        name = "members_table.html" if request.headers.get("hx-request") else "members.html"
        return Template(name, context={"page": page, "q": q or ""})
