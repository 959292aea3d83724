"""Member events waiting to reach journeys: read the undelivered ones, mark them delivered afterwards, and keep the
ones Temporal refused apart so that they never hold up the others.

Delivery is at-least-once (two dispatchers may both deliver an event); that is safe because JourneyRun ignores
an event id it has seen and starting a run is idempotent on its workflow id.

An event whose delivery fails (a signal payload Temporal refuses as too large, a start it rejects) is recorded in
`event_delivery_failures` with the reason and tried again after a growing pause (`delivery_backoff`); after
`DELIVERY_ATTEMPTS` failures it is set aside: it stays undelivered, listed by `memberflow events undelivered` and
`GET /api/events/undelivered`, until someone asks for it to be delivered again (`redeliver`).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from pydantic import BaseModel
from sqlalchemy import delete, or_, select, update
from sqlmodel import Session, col

from engine.journey.run_records import running_entries
from engine.models import Event, EventDeliveryFailure, Member, table_of

DELIVERY_ATTEMPTS = 5  # failed deliveries of one event before it is set aside
FIRST_RETRY = timedelta(minutes=1)  # then 4, 16 and 64 minutes: about an hour and a half in all
REASON_LENGTH = 500


class PendingEvent(BaseModel):
    event_id: int
    member_id: int
    member_key: str
    type: str
    properties: dict[str, object]
    occurred_at: datetime


def delivery_backoff(attempts: int) -> timedelta:
    """How long to wait before trying again an event that has failed `attempts` times (1 minute, ×4 each time)."""
    return FIRST_RETRY * int(4 ** max(0, attempts - 1))


def pending_events(session: Session, now: datetime, limit: int = 500) -> list[PendingEvent]:
    """The oldest undelivered events that are due: never tried, or failed and past their `retry_at`; events set
    aside are left out."""
    failure = table_of(EventDeliveryFailure)
    rows = session.execute(
        select(
            col(Event.id), col(Event.member_id), col(Member.external_id), col(Event.type), col(Event.properties),
            col(Event.occurred_at),
        )
        .join(Member, col(Member.id) == col(Event.member_id))
        .outerjoin(failure, failure.c.event_id == col(Event.id))
        .where(col(Event.dispatched_at).is_(None))
        .where(or_(failure.c.event_id.is_(None), failure.c.retry_at <= now))
        .order_by(col(Event.id))
        .limit(limit)
    )  # fmt: skip
    return [
        PendingEvent(event_id=i, member_id=m, member_key=k, type=t, properties=dict(p), occurred_at=o)
        for i, m, k, t, p, o in rows
    ]


def mark_dispatched(session: Session, event_ids: list[int], now: datetime) -> None:
    """These events reached every journey they concern; earlier failures of theirs are forgotten."""
    if not event_ids:
        return
    table = table_of(Event)
    session.execute(update(table).where(table.c.id.in_(event_ids)).values(dispatched_at=now))
    failures = table_of(EventDeliveryFailure)
    session.execute(delete(failures).where(failures.c.event_id.in_(event_ids)))


def record_delivery_failures(session: Session, reasons: dict[int, str], now: datetime) -> list[int]:
    """Count one more failed delivery for each event id → reason; returns the ids set aside by this failure (their
    last attempt). The others get their next `retry_at`."""
    if not reasons:
        return []
    table = table_of(EventDeliveryFailure)
    known = dict(
        session.execute(select(table.c.event_id, table.c.attempts).where(table.c.event_id.in_(list(reasons)))).all()
    )
    set_aside = []
    for event_id, reason in sorted(reasons.items()):
        attempts = known.get(event_id, 0) + 1
        last = attempts >= DELIVERY_ATTEMPTS
        retry_at = None if last else now + delivery_backoff(attempts)
        values = {"attempts": attempts, "reason": reason[:REASON_LENGTH], "failed_at": now, "retry_at": retry_at,
                  "set_aside_at": now if last else None}  # fmt: skip
        if event_id in known:
            session.execute(update(table).where(table.c.event_id == event_id).values(**values))
        else:
            session.execute(table.insert().values(event_id=event_id, **values))
        if last:
            set_aside.append(event_id)
    return set_aside


class UndeliveredEvent(BaseModel):
    """An event journeys have not received because delivering it failed: waiting for its next try, or set aside."""

    event_id: int
    member_id: str
    type: str
    occurred_at: datetime
    state: str  # "retrying" or "set aside"
    attempts: int
    reason: str
    failed_at: datetime
    retry_at: datetime | None


def undelivered(session: Session, limit: int = 100) -> list[UndeliveredEvent]:
    """Events whose delivery failed and that are still undelivered, oldest first."""
    rows = session.execute(
        select(EventDeliveryFailure, col(Member.external_id), col(Event.type), col(Event.occurred_at))
        .join(Event, col(Event.id) == col(EventDeliveryFailure.event_id))
        .join(Member, col(Member.id) == col(Event.member_id))
        .where(col(Event.dispatched_at).is_(None))
        .order_by(col(EventDeliveryFailure.event_id))
        .limit(limit)
    )
    return [
        UndeliveredEvent(
            event_id=f.event_id, member_id=member, type=kind, occurred_at=occurred_at,
            state="set aside" if f.set_aside_at is not None else "retrying", attempts=f.attempts, reason=f.reason,
            failed_at=f.failed_at, retry_at=f.retry_at,
        )
        for f, member, kind, occurred_at in rows
    ]  # fmt: skip


def redeliver(session: Session, event_ids: list[int] | None = None) -> int:
    """Deliver these events (default: every one set aside) again with a fresh count of attempts, e.g. after the
    cause was fixed; returns how many were put back."""
    table = table_of(EventDeliveryFailure)
    if event_ids is not None:
        event_ids = [i for i in event_ids if 0 < i < 2**63]  # ids beyond these cannot exist (nor be bound)
    chosen = table.c.event_id.in_(event_ids) if event_ids is not None else table.c.set_aside_at.is_not(None)
    result = session.execute(delete(table).where(chosen))
    return int(result.rowcount)  # type: ignore[attr-defined]


def running_workflows_of(session: Session, member_ids: list[int]) -> dict[int, list[str]]:
    found: dict[int, list[str]] = {}
    for member_id, workflow_id in running_entries(session, member_ids):
        found.setdefault(member_id, []).append(workflow_id)
    return found
