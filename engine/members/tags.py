"""Adding and removing one member's tags, each change recorded as a tag_added / tag_removed event."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select
from sqlmodel import Session, col

from engine.db import insert_new
from engine.members.profiles import member_by_key
from engine.models import Event, Member, MemberTag, Tag, table_of


def tags_of(session: Session, member_id: int) -> frozenset[str]:
    """The names of the member's tags."""
    rows = session.execute(
        select(col(Tag.name))
        .join(MemberTag, col(MemberTag.tag_id) == col(Tag.id))
        .where(col(MemberTag.member_id) == member_id)
    )
    return frozenset(rows.scalars())


def tag_id(session: Session, name: str, now: datetime) -> int:
    """The tag's id, creating the tag if it is new (safe against a concurrent creator)."""
    insert_new(session, table_of(Tag), [{"name": name, "created_at": now}], "name")
    found = session.scalar(select(col(Tag.id)).where(col(Tag.name) == name))
    assert found is not None
    return found


def add_tag(session: Session, member: Member, name: str, *, source: str, added_by: str, now: datetime) -> bool:
    """True if the member did not have the tag and now has it."""
    assert member.id is not None
    row = {"member_id": member.id, "tag_id": tag_id(session, name, now), "source": source,
           "added_by": added_by, "added_at": now}  # fmt: skip
    if not insert_new(session, table_of(MemberTag), [row], "member_id", conflict_on=["member_id", "tag_id"]):
        return False
    _event(session, member, "tag_added", name, source, added_by, now)
    return True


def remove_tag(session: Session, member: Member, name: str, *, source: str, added_by: str, now: datetime) -> bool:
    """True if the member had the tag and no longer has it."""
    assert member.id is not None
    found = session.scalar(select(col(Tag.id)).where(col(Tag.name) == name))
    if found is None:
        return False
    removed = session.execute(
        delete(table_of(MemberTag)).where(
            table_of(MemberTag).c.member_id == member.id, table_of(MemberTag).c.tag_id == found
        )
    )
    if not removed.rowcount:  # type: ignore[attr-defined]
        return False
    _event(session, member, "tag_removed", name, source, added_by, now)
    return True


def tag_by_hand(
    session: Session, member_key: str, name: str, *, adding: bool, source: str, added_by: str, now: datetime
) -> bool:
    """Give the member with member_id `member_key` the tag (`adding`) or take it off, as the service desk does (API,
    CLI); True if that changed their tags. NotFound if there is no such member."""
    change = add_tag if adding else remove_tag
    return change(session, member_by_key(session, member_key), name, source=source, added_by=added_by, now=now)


def _event(session: Session, member: Member, kind: str, tag: str, source: str, by: str, now: datetime) -> None:
    key = f"{kind}:{member.external_id}:{tag}:{now.isoformat()}"
    row = {"member_id": member.id, "type": kind, "properties": {"tag": tag, "source": source, "by": by},
           "occurred_at": now, "idempotency_key": key, "recorded_at": now}  # fmt: skip
    insert_new(session, table_of(Event), [row], "idempotency_key")
