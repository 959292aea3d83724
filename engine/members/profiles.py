"""Reading members for the API and the web pages: lists with search, and one member's profile."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from pydantic import BaseModel
from sqlalchemy import func, or_, select
from sqlmodel import Session, col

from engine.errors import NotFound
from engine.models import Member, MemberTag, Order, Tag


class MemberView(BaseModel):
    member_id: str
    name: str | None
    email: str | None
    phone: str | None
    birthday: date | None
    gender: str | None
    city: str | None
    timezone: str | None
    registered_at: datetime | None
    accepts_email: bool
    accepts_sms: bool
    tags: list[str]


class MemberProfile(MemberView):
    orders: int
    total_spent: Decimal
    last_order_at: datetime | None


class MemberPage(BaseModel):
    total: int
    limit: int
    offset: int
    members: list[MemberView]


def list_members(session: Session, *, search: str | None = None, limit: int = 50, offset: int = 0) -> MemberPage:
    query = select(Member)
    if search:
        pattern = f"%{search.strip()}%"
        query = query.where(
            or_(
                col(Member.external_id).like(pattern),
                col(Member.name).like(pattern),
                col(Member.email).like(pattern),
                col(Member.phone).like(pattern),
                col(Member.city).like(pattern),
            )
        )
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    members = list(session.scalars(query.order_by(col(Member.external_id)).limit(limit).offset(offset)))
    tags = _tags_of(session, [m.id for m in members if m.id is not None])
    return MemberPage(
        total=total, limit=limit, offset=offset, members=[_view(m, tags.get(m.id or 0, [])) for m in members]
    )


def member_by_key(session: Session, member_key: str) -> Member:
    """The member whose member_id (the shop's own key) is `member_key`; NotFound if there is none."""
    member = session.scalar(select(Member).where(col(Member.external_id) == member_key))
    if member is None:
        raise NotFound([f"member {member_key} does not exist"])
    return member


def member_profile(session: Session, member_id: str) -> MemberProfile:
    """One member with their tags and order totals (count, amount spent, last order); NotFound if there is none."""
    member = member_by_key(session, member_id)
    assert member.id is not None
    orders, spent, last = session.execute(
        select(
            func.count(col(Order.id)), func.coalesce(func.sum(col(Order.amount)), 0), func.max(col(Order.placed_at))
        ).where(col(Order.member_id) == member.id)
    ).one()
    view = _view(member, _tags_of(session, [member.id]).get(member.id, []))
    return MemberProfile(
        **view.model_dump(),
        orders=orders,
        total_spent=Decimal(spent).quantize(Decimal("0.01")),
        last_order_at=last,
    )


def _tags_of(session: Session, member_ids: list[int]) -> dict[int, list[str]]:
    rows = session.execute(
        select(col(MemberTag.member_id), col(Tag.name))
        .join(Tag, col(Tag.id) == col(MemberTag.tag_id))
        .where(col(MemberTag.member_id).in_(member_ids))
        .order_by(col(Tag.name))
    )
    tags: dict[int, list[str]] = {}
    for member_id, name in rows:
        tags.setdefault(member_id, []).append(name)
    return tags


def _view(member: Member, tags: list[str]) -> MemberView:
    return MemberView(
        member_id=member.external_id,
        name=member.name,
        email=member.email,
        phone=member.phone,
        birthday=member.birthday,
        gender=member.gender,
        city=member.city,
        timezone=member.timezone,
        registered_at=member.registered_at,
        accepts_email=member.accepts_email,
        accepts_sms=member.accepts_sms,
        tags=tags,
    )
