"""/api/orders: record orders (one or a batch), upsert on order_id."""

from __future__ import annotations

import asyncio

from litestar import Controller, Response, post
from litestar.params import JSONBody

from engine.intake.api_intake import take_orders
from engine.rewards.coupons import coupon_checks
from web.auth import require_api_token
from web.dependencies import SessionDep, TemporalDep
from web.errors import batch_answers
from web.payloads import BatchResult, ItemResult, OrderPayload, OrderResult, respond


class OrderController(Controller):
    path = "/api/orders"
    guards = [require_api_token]  # noqa: RUF012
    tags = ["orders"]  # noqa: RUF012

    @post(
        summary="Record orders; a new order also records an order_placed event",
        responses=batch_answers(OrderResult, 400, 413, 422),
    )
    async def save(
        self, data: JSONBody[OrderPayload], session: SessionDep, temporal: TemporalDep
    ) -> Response[ItemResult | BatchResult]:
        outcomes = await asyncio.to_thread(take_orders, data.records())
        await temporal.deliver_events()
        taken = [o.key for o in outcomes if o.status != "rejected"]
        return respond(outcomes, data.is_batch, await asyncio.to_thread(coupon_checks, session, taken))
