"""What journey activities write: entries, the blocks members passed, actions done once, conversions."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlmodel import Session, col

from engine.db import insert_new
from engine.journey.runtime import EntryRef, StepRecord
from engine.models import JourneyAction, JourneyEntry, JourneyStep, table_of


def record_steps(session: Session, entry: EntryRef, steps: list[StepRecord]) -> None:
    """Upsert the blocks passed: a block first seen is inserted, a block left later gets its branch and time."""
    if not steps:
        return
    table = table_of(JourneyStep)
    rows = [
        {"entry_id": entry.entry_id, "journey_id": entry.journey_id, "version": entry.version,
         "block_id": s.block_id, "branch": s.branch, "entered_at": s.entered_at, "left_at": s.left_at}
        for s in steps
    ]  # fmt: skip
    new = _insert_steps(session, rows)
    for row in rows:
        if row["block_id"] not in new and row["left_at"] is not None:
            session.execute(
                update(table)
                .where(table.c.entry_id == entry.entry_id, table.c.block_id == row["block_id"])
                .values(branch=row["branch"], left_at=row["left_at"])
            )


def _insert_steps(session: Session, rows: list[dict[str, Any]]) -> set[str]:
    table = table_of(JourneyStep)
    existing = set(
        session.execute(
            select(table.c.block_id).where(
                table.c.entry_id == rows[0]["entry_id"], table.c.block_id.in_([r["block_id"] for r in rows])
            )
        ).scalars()
    )
    fresh = [r for r in rows if r["block_id"] not in existing]
    if fresh:
        session.execute(table.insert(), fresh)
    return {r["block_id"] for r in fresh}


def perform_once(
    session: Session, entry: EntryRef, block_id: str, key: str, kind: str, detail: dict[str, Any], now: datetime
) -> bool:
    """Claim `key` for this action; False if an earlier attempt already did it (then do nothing again).

    The claim and the action's own writes share the caller's transaction, so both happen or neither does.
    """
    row = {"idempotency_key": key, "entry_id": entry.entry_id, "block_id": block_id, "kind": kind,
           "detail": detail, "done_at": now}  # fmt: skip
    return bool(insert_new(session, table_of(JourneyAction), [row], "idempotency_key"))


def entry_row(session: Session, entry_id: int) -> JourneyEntry:
    found = session.get(JourneyEntry, entry_id)
    assert found is not None, f"journey entry {entry_id} is gone"
    return found


def running_entries(session: Session, member_ids: list[int]) -> list[tuple[int, str]]:
    """(member id, workflow id) of every running journey entry of these members."""
    rows = session.execute(
        select(col(JourneyEntry.member_id), col(JourneyEntry.workflow_id)).where(
            col(JourneyEntry.member_id).in_(member_ids), col(JourneyEntry.status) == "running"
        )
    )
    return [(member_id, workflow_id) for member_id, workflow_id in rows]
