"""/api/orders: record orders (one or a batch), upsert on order_id."""

from __future__ import annotations

from litestar import Controller, Response, post
from litestar.params import JSONBody

from engine.intake import take_orders
from web.auth import require_api_token
from web.payloads import BatchResult, ItemResult, OrderPayload, respond


class OrderController(Controller):
    path = "/api/orders"
    guards = [require_api_token]  # noqa: RUF012
    tags = ["orders"]  # noqa: RUF012

    @post(sync_to_thread=True, summary="Record orders; a new order also records an order_placed event")
    def save(self, data: JSONBody[OrderPayload]) -> Response[ItemResult | BatchResult]:
        return respond(take_orders(data.records()), data.is_batch)
