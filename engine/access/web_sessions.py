"""Key-value rows with an expiry in the database (table web_sessions): what the web app's session and sign-in rate
limit keep, so every web process sees the same sessions (web/sessions.py adapts this to Litestar's Store).

Expired rows are never returned; `clear_expired` removes them (the web app calls it now and then).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col

from engine.models import WebSession, table_of


def get_value(session: Session, key: str, now: datetime, renew_for: timedelta | None = None) -> bytes | None:
    """The value under `key` unless missing or expired at `now`; with `renew_for`, its expiry moves to now + that."""
    row = session.get(WebSession, key)
    if row is None or (row.expires_at is not None and row.expires_at <= now):
        return None
    if renew_for is not None and row.expires_at is not None:
        row.expires_at = now + renew_for
    return bytes(row.value)


def put_value(session: Session, key: str, value: bytes, expires_at: datetime | None) -> None:
    """Store `value` under `key` (replacing any), until `expires_at` (aware) or for ever (None)."""
    table = table_of(WebSession)
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    statement = insert(table).values(key=key, value=value, expires_at=expires_at)
    session.execute(
        statement.on_conflict_do_update(index_elements=["key"], set_={"value": value, "expires_at": expires_at})
    )


def delete_value(session: Session, key: str) -> None:
    session.execute(delete(table_of(WebSession)).where(table_of(WebSession).c.key == key))


def delete_prefixed(session: Session, prefix: str) -> None:
    """Remove every row whose key starts with `prefix` (a store's namespace)."""
    escaped = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    session.execute(delete(table_of(WebSession)).where(col(WebSession.key).like(escaped + "%", escape="\\")))


def expires_at(session: Session, key: str, now: datetime) -> datetime | None:
    """When the value under `key` expires; None if it never does, is missing or has expired."""
    found = session.scalar(select(col(WebSession.expires_at)).where(col(WebSession.key) == key))
    return found if found is not None and found > now else None


def clear_expired(session: Session, now: datetime) -> int:
    """Remove the rows expired at `now`; the number removed."""
    table = table_of(WebSession)
    removed = session.execute(delete(table).where(table.c.expires_at.is_not(None), table.c.expires_at <= now))
    return int(removed.rowcount)  # type: ignore[attr-defined]
