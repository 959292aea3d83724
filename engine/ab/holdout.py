"""The global holdout against everyone else: what the whole program of journeys adds, per member, over a window.

Members in the holdout (a hash of their id below GLOBAL_HOLDOUT_PERCENT) never enter a journey; comparing their
orders with the other members' over the same days measures the program's incremental conversion and revenue, with
the same statistics as any split ("program" against the control "holdout").
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from decimal import Decimal

from sqlalchemy import func, select
from sqlmodel import Session, col

from engine import clock
from engine.ab.analysis import AnalysisRequest, ArmCounts, Metric
from engine.ab.assign import in_global_holdout
from engine.errors import Invalid
from engine.models import Member, Order

HOLDOUT, PROGRAM = "holdout", "program"


def holdout_request(session: Session, percent: float, days: int, now: datetime, metric: Metric) -> AnalysisRequest:
    """Counts for holdout vs program: every member registered before the window, their orders in the last `days`
    calendar days up to `now` (shop's zone: from the local midnight `days - 1` days ago, as every day window)."""
    if percent <= 0:
        raise Invalid(["GLOBAL_HOLDOUT_PERCENT is 0: there is no global holdout to compare with"])
    since = clock.days_ago_start(days, now, clock.shop_zone())
    spend: dict[int, tuple[int, Decimal]] = {
        member_id: (orders, total)
        for member_id, orders, total in session.execute(
            select(col(Order.member_id), func.count(), func.sum(col(Order.amount)))
            .where(col(Order.placed_at) >= since, col(Order.placed_at) < now)
            .group_by(col(Order.member_id))
        )
    }
    users: dict[str, int] = defaultdict(int)
    converted: dict[str, int] = defaultdict(int)
    sums: dict[str, float] = defaultdict(float)
    squares: dict[str, float] = defaultdict(float)
    members = select(col(Member.id), col(Member.external_id)).where(
        (col(Member.registered_at).is_(None)) | (col(Member.registered_at) < since)
    )
    for member_id, key in session.execute(members):
        arm = HOLDOUT if in_global_holdout(key, percent) else PROGRAM
        orders, total = spend.get(member_id, (0, Decimal(0)))
        users[arm] += 1
        converted[arm] += orders > 0
        sums[arm] += float(total)
        squares[arm] += float(total) ** 2
    arms = [
        ArmCounts(name=arm, users=users[arm], conversions=converted[arm])
        if metric == "conversion"
        else ArmCounts(name=arm, users=users[arm], sum=sums[arm], sum_squares=squares[arm])
        for arm in (HOLDOUT, PROGRAM)
    ]
    return AnalysisRequest(
        metric=metric, control=HOLDOUT, weights={HOLDOUT: percent, PROGRAM: 100 - percent}, arms=arms
    )
