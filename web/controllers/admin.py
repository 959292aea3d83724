"""Admin pages: the audit log (who signed in, changed users, published, changed settings)."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, get
from litestar.params import Parameter
from litestar.response import Template

from engine.access import audit
from engine.db import session_scope
from engine.settings import get_settings
from web.access import ADMIN_ONLY

ACTIONS = [
    audit.LOGIN, audit.LOGIN_FAILED, audit.LOGOUT, audit.USER_ADDED, audit.ROLE_CHANGED, audit.USER_DISABLED,
    audit.USER_ENABLED, audit.PASSWORD_CHANGED, audit.JOURNEY_PUBLISHED, audit.JOURNEY_STATUS, audit.SETTINGS_CHANGED,
]  # fmt: skip
Action = Annotated[str | None, Parameter(max_length=64, description="Only this action")]
Limit = Annotated[int, Parameter(ge=1, le=audit.MAX_LIMIT, description="How many entries, newest first")]


class AdminPages(Controller):
    path = "/admin"
    include_in_schema = False
    opt = ADMIN_ONLY

    @get("/audit", sync_to_thread=True)
    def audit_log(self, action: Action = None, limit: Limit = 200) -> Template:
        settings = get_settings()
        with session_scope() as session:
            found = audit.entries(session, limit=limit, action=action or None)
        return Template(
            "admin_audit.html",
            context={"entries": found, "actions": ACTIONS, "action": action or "", "tz": settings.shop_zone,
                     "zone": settings.shop_timezone},
        )  # fmt: skip
