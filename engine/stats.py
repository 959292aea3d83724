"""Counts of what the shop has in memberflow, for the home page, health checks and the CLI."""

from __future__ import annotations

from decimal import Decimal

from pydantic import BaseModel
from sqlalchemy import func, select
from sqlmodel import Session

from engine.models import Event, Member, Order, Tag


class ShopCounts(BaseModel):
    members: int
    orders: int
    revenue: Decimal
    tags: int
    events: int


def shop_counts(session: Session) -> ShopCounts:
    orders, revenue = session.execute(select(func.count(Order.id), func.coalesce(func.sum(Order.amount), 0))).one()  # type: ignore[arg-type]
    return ShopCounts(
        members=session.scalar(select(func.count(Member.id))) or 0,  # type: ignore[arg-type]
        orders=orders,
        revenue=Decimal(revenue).quantize(Decimal("0.01")),
        tags=session.scalar(select(func.count(Tag.id))) or 0,  # type: ignore[arg-type]
        events=session.scalar(select(func.count(Event.id))) or 0,  # type: ignore[arg-type]
    )
