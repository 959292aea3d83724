"""/api/messages: the outbox, newest first, each message with its status and the reason for it."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, get
from litestar.params import QueryParameter

from engine.messages.message_log import OutboxRow, outbox
from web.auth import require_api_token
from web.dependencies import SessionDep
from web.errors import problems


class MessageController(Controller):
    path = "/api/messages"
    guards = [require_api_token]  # noqa: RUF012
    tags = ["messages"]  # noqa: RUF012

    @get(
        sync_to_thread=True, summary="The newest messages: status (queued, sending, sent, failed, skipped) and reason",
        responses=problems(400),
    )  # fmt: skip
    def index(self, session: SessionDep, limit: Annotated[int, QueryParameter(ge=1, le=500)] = 50) -> list[OutboxRow]:
        return outbox(session, limit)
