"""The pages a person reads: the shop at a glance, the member list (htmx swaps the table on search), RFM segments."""

from __future__ import annotations

import uuid
from html import escape

from litestar import Controller, MediaType, Request, Response, get, post
from litestar.datastructures import State
from litestar.response import Template

from engine.db import session_scope
from engine.members.profiles import list_members
from engine.members.shop_counts import shop_counts
from engine.messages.message_log import caught_mail, outbox
from engine.rfm.report import summary
from engine.settings import get_settings
from web.i18n import translator
from web.params import Offset, Search
from web.temporal import temporal_client
from workflows.member_intelligence import IntelligenceRequest, MemberIntelligence


class PageController(Controller):
    include_in_schema = False

    @get("/", sync_to_thread=True)
    def home(self) -> Template:
        settings = get_settings()
        with session_scope() as session:
            counts = shop_counts(session)
        temporal_ui = f"http://127.0.0.1:{settings.temporal_ui_port}" if settings.embedded_temporal else None
        return Template("home.html", context={"counts": counts, "settings": settings, "temporal_ui": temporal_ui})

    @get("/segments", sync_to_thread=True)
    def segments(self) -> Template:
        settings = get_settings()
        with session_scope() as session:
            found = summary(session)
        return Template(
            "segments.html",
            context={"summary": found, "schedule": settings.rfm_schedule, "zone": settings.shop_timezone},
        )

    @post("/segments/recompute", status_code=200)
    async def recompute(self, request: Request, state: State) -> Response[str]:  # type: ignore[type-arg]
        """Start the recompute on Temporal; answers an htmx fragment that names the run."""
        settings = get_settings()
        handle = await (await temporal_client(state)).start_workflow(
            MemberIntelligence.run, IntelligenceRequest(shop_timezone=settings.shop_timezone),
            id=f"member-intelligence/web-{uuid.uuid4()}", task_queue=settings.temporal_task_queue,
        )  # fmt: skip
        _ = translator(request).gettext
        return Response(
            _("started %(run)s; reload in a moment") % {"run": escape(handle.id)}, media_type=MediaType.HTML
        )

    @get("/outbox", sync_to_thread=True)
    def outbox(self) -> Template:
        """Every message memberflow recorded (sent, skipped and why), and the emails the local catcher received."""
        with session_scope() as session:
            messages = outbox(session, limit=100)
            caught = caught_mail(session, limit=50)
        return Template("outbox.html", context={"messages": messages, "caught": caught})

    @get("/members", sync_to_thread=True)
    def members(self, request: Request, q: Search = None, offset: Offset = 0) -> Template:  # type: ignore[type-arg]
        with session_scope() as session:
            page = list_members(session, search=q, limit=50, offset=offset)
        name = "members_table.html" if request.headers.get("hx-request") else "members.html"
        return Template(name, context={"page": page, "q": q or ""})
