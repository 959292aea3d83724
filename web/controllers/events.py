"""/api/events: record member events (one or a batch), once per idempotency key."""

from __future__ import annotations

import asyncio
from typing import Annotated

from litestar import Controller, Response, get, post
from litestar.params import JSONBody
from pydantic import BaseModel, ConfigDict, Field

from engine.intake.api_intake import take_events
from engine.journey.event_delivery import UndeliveredEvent, redeliver, undelivered
from web.auth import require_api_token
from web.dependencies import SessionDep, TemporalDep
from web.errors import batch_answers, problems
from web.payloads import BatchResult, EventPayload, ItemResult, respond


class Redeliver(BaseModel):
    model_config = ConfigDict(extra="forbid")  # a misspelt key must not mean "every event set aside"

    event_ids: list[Annotated[int, Field(ge=1)]] | None = Field(
        None, max_length=10_000, description="The events to deliver again; empty: every event set aside."
    )


class Redelivered(BaseModel):
    redelivered: int


class EventController(Controller):
    path = "/api/events"
    guards = [require_api_token]  # noqa: RUF012
    tags = ["events"]  # noqa: RUF012

    @post(
        summary="Record member events; a repeated idempotency key is recorded once",
        responses=batch_answers(ItemResult, 400, 409, 413, 422),
    )
    async def save(self, data: JSONBody[EventPayload], temporal: TemporalDep) -> Response[ItemResult | BatchResult]:
        outcomes = await asyncio.to_thread(take_events, data.records())
        await temporal.deliver_events()
        return respond(outcomes, data.is_batch)

    @get(
        "/undelivered", sync_to_thread=True, summary="Events whose delivery to journeys failed: retrying or set aside",
        responses=problems(),
    )  # fmt: skip
    def undelivered(self, session: SessionDep) -> list[UndeliveredEvent]:
        return undelivered(session, limit=1000)

    @post(
        "/undelivered/redeliver", sync_to_thread=True, status_code=200,
        summary="Deliver failed events again with a fresh count of attempts ({}: every one set aside)",
        responses=problems(400, 413),
    )  # fmt: skip
    def redeliver(self, session: SessionDep, data: JSONBody[Redeliver]) -> Redelivered:
        return Redelivered(redelivered=redeliver(session, data.event_ids))
