"""/api/events: record member events (one or a batch), once per idempotency key."""

from __future__ import annotations

import asyncio

from litestar import Controller, Response, post
from litestar.datastructures import State
from litestar.params import JSONBody

from engine.intake import take_events
from web.auth import require_api_token
from web.errors import batch_answers
from web.payloads import BatchResult, EventPayload, ItemResult, respond
from web.temporal import deliver_events


class EventController(Controller):
    path = "/api/events"
    guards = [require_api_token]  # noqa: RUF012
    tags = ["events"]  # noqa: RUF012

    @post(
        summary="Record member events; a repeated idempotency key is recorded once",
        responses=batch_answers(ItemResult, 400, 409, 413, 422),
    )
    async def save(self, data: JSONBody[EventPayload], state: State) -> Response[ItemResult | BatchResult]:
        outcomes = await asyncio.to_thread(take_events, data.records())
        await deliver_events(state)
        return respond(outcomes, data.is_batch)
