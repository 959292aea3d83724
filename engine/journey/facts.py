"""What conditions may ask about one member, read lazily from the database and cached for one evaluation.

Day counts and day windows are calendar days in the shop's time zone (engine.clock): "days since the last order"
is the number of local midnights between it and now, "in the last N days" starts at the local midnight N - 1 days
ago (N = 1: today so far).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from functools import cached_property
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlmodel import Session, col

from engine import clock
from engine.members.tags import tags_of
from engine.models import Event, Member, Order, RfmRun, RfmScore
from engine.rewards.coupons import has_unredeemed_coupon
from engine.rewards.points import points_balance


class MemberFacts:
    """One member at one moment (`now`, aware), for one journey entry (`entered_at`); days are counted in `zone`
    (default: the shop's, SHOP_TIMEZONE)."""

    def __init__(
        self, session: Session, member: Member, *, now: datetime, entered_at: datetime | None,
        zone: ZoneInfo | None = None,
    ) -> None:  # fmt: skip
        self.session = session
        self.member = member
        self.now = now
        self.entered_at = entered_at or now
        self.zone = zone or clock.shop_zone()
        self._orders_cache: dict[int, tuple[int, Decimal]] = {}

    @property
    def member_id(self) -> int:
        assert self.member.id is not None
        return self.member.id

    @cached_property
    def tags(self) -> frozenset[str]:
        return tags_of(self.session, self.member_id)

    @cached_property
    def last_order_at(self) -> datetime | None:
        return self.session.scalar(
            select(func.max(col(Order.placed_at))).where(
                col(Order.member_id) == self.member_id, col(Order.placed_at) <= self.now
            )
        )

    @property
    def days_since_last_order(self) -> int | None:
        """Calendar days from the last order's local date to today (0: ordered today); None without orders."""
        return None if self.last_order_at is None else clock.calendar_days(self.last_order_at, self.now, self.zone)

    def days_since(self, moment: datetime) -> int:
        """Calendar days from `moment`'s local date to today, in the shop's zone."""
        return clock.calendar_days(moment, self.now, self.zone)

    def window_start(self, days: int) -> datetime:
        """Where "the last `days` days" begin: the local midnight `days - 1` days before today."""
        return clock.days_ago_start(days, self.now, self.zone)

    def orders_in_last(self, days: int) -> tuple[int, Decimal]:
        """(number of orders, their total) placed in the last `days` calendar days up to now (1: today so far)."""
        if days not in self._orders_cache:
            count, total = self.session.execute(
                select(func.count(col(Order.id)), func.coalesce(func.sum(col(Order.amount)), 0)).where(
                    col(Order.member_id) == self.member_id,
                    col(Order.placed_at) >= self.window_start(days),
                    col(Order.placed_at) <= self.now,
                )
            ).one()
            self._orders_cache[days] = (int(count), Decimal(total).quantize(Decimal("0.01")))
        return self._orders_cache[days]

    @cached_property
    def total_spend(self) -> Decimal:
        total = self.session.scalar(
            select(func.coalesce(func.sum(col(Order.amount)), 0)).where(
                col(Order.member_id) == self.member_id, col(Order.placed_at) <= self.now
            )
        )
        return Decimal(total or 0).quantize(Decimal("0.01"))

    def top_category(self, days: int) -> str | None:
        """The category with the most spend in the last `days` calendar days; None without categorised orders or
        on a tie."""
        spend = func.sum(col(Order.amount))
        rows = self.session.execute(
            select(col(Order.category), spend)
            .where(
                col(Order.member_id) == self.member_id,
                col(Order.category).is_not(None),
                col(Order.placed_at) >= self.window_start(days),
                col(Order.placed_at) <= self.now,
            )
            .group_by(col(Order.category))
            .order_by(spend.desc())
            .limit(2)
        ).all()
        if not rows or (len(rows) == 2 and rows[0][1] == rows[1][1]):
            return None
        return str(rows[0][0])

    @property
    def local_today(self) -> date:
        """Today in the shop's time zone (the day every day-based rule counts from)."""
        return clock.local_date(self.now, self.zone)

    def bought_category(self, category: str, days: int) -> bool:
        """Whether the member ordered in `category` in the last `days` calendar days."""
        found = self.session.scalar(
            select(col(Order.id))
            .where(
                col(Order.member_id) == self.member_id,
                col(Order.category) == category,
                col(Order.placed_at) >= self.window_start(days),
                col(Order.placed_at) <= self.now,
            )
            .limit(1)
        )
        return found is not None

    def events_since_entry(self, event_type: str) -> list[dict[str, Any]]:
        """Properties of each `event_type` event that occurred since the member entered the journey."""
        rows = self.session.execute(
            select(col(Event.properties))
            .where(
                col(Event.member_id) == self.member_id,
                col(Event.type) == event_type,
                col(Event.occurred_at) >= self.entered_at,
                col(Event.occurred_at) <= self.now,
            )
            .order_by(col(Event.occurred_at), col(Event.id))
        )
        return [dict(properties) for properties in rows.scalars()]

    @cached_property
    def rfm(self) -> RfmScore | None:
        """The member's scores in the latest RFM run; None when it did not score them (no purchase) or no run yet."""
        latest = select(func.max(col(RfmRun.id))).scalar_subquery()
        return self.session.scalars(
            select(RfmScore).where(col(RfmScore.run_id) == latest, col(RfmScore.member_id) == self.member_id)
        ).first()

    @cached_property
    def points_balance(self) -> int:
        return points_balance(self.session, self.member_id, self.now)

    def has_unredeemed_coupon(self, template: str | None) -> bool:
        return has_unredeemed_coupon(self.session, self.member_id, template=template, now=self.now)
