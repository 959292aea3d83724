"""Who a sweep enrolls today (a page of members matching a schedule's audience or a birthday trigger), and who
a marketer's filter selects for a manual enrollment (API and CLI alike)."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel
from sqlalchemy import select
from sqlmodel import Session, col

from engine.errors import Conflict, Rejected
from engine.journey.base import ConditionBase
from engine.journey.facts import MemberFacts
from engine.journey.language import BirthdayTrigger, ScheduleTrigger
from engine.journey.plan import Plan
from engine.journey.store import event_types_in_use, live_plan, shop_data
from engine.journey.timing import birthday_occasion
from engine.journey.validate import condition_problems
from engine.models import Member


class Candidate(BaseModel):
    member_key: str
    occasion: str  # names the entry: the sweep day, or the birthday being celebrated


class AudiencePage(BaseModel):
    candidates: list[Candidate]
    last_member_id: int | None  # None: no more members


def audience_page(
    session: Session, plan: Plan, *, after_member_id: int, limit: int, now: datetime, today: date
) -> AudiencePage:
    query = select(Member).where(col(Member.id) > after_member_id).order_by(col(Member.id)).limit(limit)
    if isinstance(plan.trigger, BirthdayTrigger):
        query = query.where(col(Member.birthday).is_not(None))
    members = list(session.scalars(query))
    candidates = [c for member in members if (c := _candidate(session, plan, member, now, today)) is not None]
    return AudiencePage(candidates=candidates, last_member_id=members[-1].id if len(members) == limit else None)


def _candidate(session: Session, plan: Plan, member: Member, now: datetime, today: date) -> Candidate | None:
    trigger = plan.trigger
    if isinstance(trigger, BirthdayTrigger):
        assert member.birthday is not None
        occasion = birthday_occasion(member.birthday, today, trigger.offset_days)
        return None if occasion is None else Candidate(member_key=member.external_id, occasion=f"birthday-{occasion}")
    if (
        isinstance(trigger, ScheduleTrigger)
        and trigger.audience is not None
        and not trigger.audience.holds(MemberFacts(session, member, now=now, entered_at=now))
    ):
        return None
    return Candidate(member_key=member.external_id, occasion=f"sweep-{today.isoformat()}")


def members_matching(session: Session, condition: ConditionBase, now: datetime, page: int = 1000) -> list[str]:
    """External ids of every member the condition holds for, read a page at a time."""
    found: list[str] = []
    after = 0
    while True:
        query = select(Member).where(col(Member.id) > after).order_by(col(Member.id)).limit(page)
        members = list(session.scalars(query))
        found += [m.external_id for m in members if condition.holds(MemberFacts(session, m, now=now, entered_at=now))]
        if len(members) < page:
            return found
        assert members[-1].id is not None
        after = members[-1].id


def enrollment_plan(session: Session, key: str) -> Plan:
    """The live plan of journey `key`, for enrolling members by hand. NotFound if there is no such journey, Conflict
    if it was never published or is not live (paused and archived journeys take no new members)."""
    journey, plan = live_plan(session, key)
    if journey.status != "live":
        raise Conflict([f"journey {key} is {journey.status}; only live journeys take new members"])
    return plan


def members_where(session: Session, condition: ConditionBase, now: datetime, *, named: str = "where") -> list[str]:
    """External ids of every member a marketer's filter selects (as `members_matching`). Rejected, each problem
    prefixed with `named` (the field or option that carried the filter), when the filter names an event type,
    tag, segment or template the shop does not know."""
    if problems := condition_problems(condition, event_types_in_use(session), shop_data(session)):
        raise Rejected([f"{named}: {problem}" for problem in problems])
    return members_matching(session, condition, now)
