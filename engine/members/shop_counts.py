"""Counts of what the shop has in memberflow, for the home page, health checks and the CLI."""

from __future__ import annotations

from decimal import Decimal

from pydantic import BaseModel
from sqlalchemy import func, select
from sqlmodel import Session, col

from engine.models import Event, Member, Order, Tag


class ShopCounts(BaseModel):
    members: int
    orders: int
    revenue: Decimal
    tags: int
    events: int


def shop_counts(session: Session) -> ShopCounts:
    orders, revenue = session.execute(
        select(func.count(col(Order.id)), func.coalesce(func.sum(col(Order.amount)), 0))
    ).one()
    return ShopCounts(
        members=session.scalar(select(func.count(col(Member.id)))) or 0,
        orders=orders,
        revenue=Decimal(revenue).quantize(Decimal("0.01")),
        tags=session.scalar(select(func.count(col(Tag.id)))) or 0,
        events=session.scalar(select(func.count(col(Event.id)))) or 0,
    )
