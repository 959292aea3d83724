"""The pages a person reads: the shop at a glance, the member list (htmx swaps the table on search), RFM segments."""

from __future__ import annotations

from html import escape

from litestar import Controller, MediaType, Request, Response, get, post
from litestar.response import Template

from engine.members.profiles import list_members
from engine.members.shop_counts import shop_counts
from engine.messages.message_log import caught_mail, outbox
from engine.rfm.report import summary
from web.dependencies import SessionDep, SettingsDep, TemporalDep
from web.i18n import translator
from web.params import Offset, Search
from workflows.member_intelligence import start_recompute


class PageController(Controller):
    include_in_schema = False

    @get("/", sync_to_thread=True)
    def home(self, session: SessionDep, settings: SettingsDep) -> Template:
        temporal_ui = f"http://127.0.0.1:{settings.temporal_ui_port}" if settings.embedded_temporal else None
        context = {"counts": shop_counts(session), "settings": settings, "temporal_ui": temporal_ui}
        return Template("home.html", context=context)

    @get("/segments", sync_to_thread=True)
    def segments(self, session: SessionDep, settings: SettingsDep) -> Template:
        return Template(
            "segments.html",
            context={"summary": summary(session), "schedule": settings.rfm_schedule, "zone": settings.shop_timezone},
        )

    @post("/segments/recompute", status_code=200)
    async def recompute(self, request: Request, settings: SettingsDep, temporal: TemporalDep) -> Response[str]:  # type: ignore[type-arg]
        """Start the recompute on Temporal; answers an htmx fragment that names the run."""
        handle = await start_recompute(await temporal.client(), settings, "web")
        _ = translator(request).gettext
        return Response(
            _("started %(run)s; reload in a moment") % {"run": escape(handle.id)}, media_type=MediaType.HTML
        )

    @get("/outbox", sync_to_thread=True)
    def outbox(self, session: SessionDep) -> Template:
        """Every message memberflow recorded (sent, skipped and why), and the emails the local catcher received."""
        context = {"messages": outbox(session, limit=100), "caught": caught_mail(session, limit=50)}
        return Template("outbox.html", context=context)

    @get("/members", sync_to_thread=True)
    def members(self, request: Request, session: SessionDep, q: Search = None, offset: Offset = 0) -> Template:  # type: ignore[type-arg]
        page = list_members(session, search=q, limit=50, offset=offset)
        name = "members_table.html" if request.headers.get("hx-request") else "members.html"
        return Template(name, context={"page": page, "q": q or ""})
