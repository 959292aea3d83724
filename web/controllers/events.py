"""/api/events: record member events (one or a batch), once per idempotency key."""

from __future__ import annotations

from litestar import Controller, Response, post
from litestar.params import JSONBody

from engine.intake import take_events
from web.auth import require_api_token
from web.payloads import BatchResult, EventPayload, ItemResult, respond


class EventController(Controller):
    path = "/api/events"
    guards = [require_api_token]  # noqa: RUF012
    tags = ["events"]  # noqa: RUF012

    @post(sync_to_thread=True, summary="Record member events; a repeated idempotency key is recorded once")
    def save(self, data: JSONBody[EventPayload]) -> Response[ItemResult | BatchResult]:
        return respond(take_events(data.records()), data.is_batch)
