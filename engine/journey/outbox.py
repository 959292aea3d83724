"""Member events waiting to reach journeys: read the undelivered ones, mark them delivered afterwards.

Delivery is at-least-once (two dispatchers may both deliver an event); that is safe because JourneyRun ignores
an event id it has seen and starting a run is idempotent on its workflow id.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel
from sqlalchemy import select, update
from sqlmodel import Session, col

from engine.journey.ledger import running_entries
from engine.models import Event, Member, table_of


class PendingEvent(BaseModel):
    event_id: int
    member_id: int
    member_key: str
    type: str
    properties: dict[str, object]
    occurred_at: datetime


def pending_events(session: Session, limit: int = 500) -> list[PendingEvent]:
    rows = session.execute(
        select(
            col(Event.id), col(Event.member_id), col(Member.external_id), col(Event.type), col(Event.properties),
            col(Event.occurred_at),
        )
        .join(Member, col(Member.id) == col(Event.member_id))
        .where(col(Event.dispatched_at).is_(None))
        .order_by(col(Event.id))
        .limit(limit)
    )  # fmt: skip
    return [
        PendingEvent(event_id=i, member_id=m, member_key=k, type=t, properties=dict(p), occurred_at=o)
        for i, m, k, t, p, o in rows
    ]


def mark_dispatched(session: Session, event_ids: list[int], now: datetime) -> None:
    table = table_of(Event)
    session.execute(update(table).where(table.c.id.in_(event_ids)).values(dispatched_at=now))


def running_workflows_of(session: Session, member_ids: list[int]) -> dict[int, list[str]]:
    found: dict[int, list[str]] = {}
    for member_id, workflow_id in running_entries(session, member_ids):
        found.setdefault(member_id, []).append(workflow_id)
    return found
