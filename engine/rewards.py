"""Points and coupons as conditions read them (the issuing side arrives with the rewards issue)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, or_, select
from sqlmodel import Session, col

from engine.models import Coupon, PointsEntry


def points_balance(session: Session, member_id: int) -> int:
    """The sum of the member's ledger entries (grants positive; redemptions and expiries negative)."""
    total = session.scalar(
        select(func.coalesce(func.sum(col(PointsEntry.points)), 0)).where(col(PointsEntry.member_id) == member_id)
    )
    return int(total or 0)


def has_unredeemed_coupon(session: Session, member_id: int, *, template: str | None, now: datetime) -> bool:
    query = select(col(Coupon.id)).where(
        col(Coupon.member_id) == member_id,
        col(Coupon.redeemed_at).is_(None),
        or_(col(Coupon.expires_at).is_(None), col(Coupon.expires_at) > now),
    )
    if template is not None:
        query = query.where(col(Coupon.template) == template)
    return session.scalar(query.limit(1)) is not None
