"""/api/orders: record orders (one or a batch), upsert on order_id."""

from __future__ import annotations

import asyncio

from litestar import Controller, Response, post
from litestar.datastructures import State
from litestar.params import JSONBody

from engine.db import session_scope
from engine.intake.api_intake import take_orders
from engine.rewards.coupons import CouponCheck, coupon_checks
from web.auth import require_api_token
from web.errors import batch_answers
from web.payloads import BatchResult, ItemResult, OrderPayload, OrderResult, respond
from web.temporal import deliver_events


class OrderController(Controller):
    path = "/api/orders"
    guards = [require_api_token]  # noqa: RUF012
    tags = ["orders"]  # noqa: RUF012

    @post(
        summary="Record orders; a new order also records an order_placed event",
        responses=batch_answers(OrderResult, 400, 413, 422),
    )
    async def save(self, data: JSONBody[OrderPayload], state: State) -> Response[ItemResult | BatchResult]:
        outcomes = await asyncio.to_thread(take_orders, data.records())
        await deliver_events(state)
        coupons = await asyncio.to_thread(_coupon_checks, [o.key for o in outcomes if o.status != "rejected"])
        return respond(outcomes, data.is_batch, coupons)


def _coupon_checks(order_keys: list[str]) -> dict[str, CouponCheck]:
    with session_scope() as session:
        return coupon_checks(session, order_keys)
