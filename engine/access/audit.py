"""The audit log: who signed in (or failed to), signed out, changed users, published journeys or changed settings.

Whoever acts is set once per request or command (`acting_as`, a context variable, so it follows the call into
threads Litestar and asyncio start) and `record` reads it: code deep down (journey publish, settings) records an
entry without passing the actor along. Entries never hold a password or a token; admins read them on
/admin/audit and with `memberflow audit`.
"""

from __future__ import annotations

import contextvars
import getpass
import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict
from sqlalchemy import select
from sqlmodel import Session, col

from engine.models import AuditEntry

_SECRET_KEY = re.compile(r"(?i)password|secret|token|key")
SYSTEM = "system"  # what acts when nobody is named: `memberflow up` publishing the examples, a schedule, …
MAX_LIMIT = 1000

# The actions written today; other code may add its own (at most 64 characters).
LOGIN = "login"
LOGIN_FAILED = "login_failed"
LOGOUT = "logout"
USER_ADDED = "user_added"
ROLE_CHANGED = "role_changed"
USER_DISABLED = "user_disabled"
USER_ENABLED = "user_enabled"
PASSWORD_CHANGED = "password_changed"  # noqa: S105 - the name of an action, not a password
JOURNEY_PUBLISHED = "journey_published"
JOURNEY_STATUS = "journey_status"
SETTINGS_CHANGED = "settings_changed"


class Actor(BaseModel):
    """Who acts: 'user:<login>', 'api:<token name>', 'cli:<os user>' or 'system'; `client` is the IP address of a
    web request (None elsewhere)."""

    model_config = ConfigDict(frozen=True)

    name: str
    client: str | None = None


_acting: contextvars.ContextVar[Actor | None] = contextvars.ContextVar("memberflow_actor", default=None)


def current_actor() -> Actor:
    return _acting.get() or Actor(name=SYSTEM)


def act_as(actor: Actor) -> None:
    """Name who acts for the rest of this context (a web request's task, a CLI command); see `acting_as`."""
    _acting.set(actor)


def cli_actor() -> Actor:
    """The actor of a `memberflow` command: 'cli:<the operating system user>'."""
    try:
        return Actor(name=f"cli:{getpass.getuser()}")
    except (OSError, KeyError):  # no login name in the environment nor in the password database
        return Actor(name="cli")


@contextmanager
def acting_as(actor: Actor) -> Iterator[None]:
    """Name who acts inside the block, then restore who acted before."""
    token = _acting.set(actor)
    try:
        yield
    finally:
        _acting.reset(token)


class AuditView(BaseModel):
    """One entry as shown: `at` aware UTC."""

    at: datetime
    actor: str
    action: str
    subject: str
    detail: dict[str, Any]
    client: str | None


def record(session: Session, action: str, subject: str, now: datetime, **detail: Any) -> None:
    """Add an entry: `action` (e.g. 'journey_published'), what it was done to (`subject`: a login, a journey key,
    a setting's name), when (`now`, aware) and JSON-able `detail`, by the current actor. Written in the caller's
    transaction, so an action rolled back leaves no entry."""
    actor = current_actor()
    entry = AuditEntry(at=now, actor=actor.name[:200], action=action[:64], subject=subject[:254], detail=detail,
                       client=actor.client)  # fmt: skip
    session.add(entry)


def record_setting_change(
    session: Session, name: str, before: dict[str, Any], after: dict[str, Any], now: datetime
) -> None:
    """Record a change of the setting `name` (e.g. 'points_rules'): only the keys whose values differ, each as
    {"from": old, "to": new}; a key named like a secret (password, secret, token, key) shows '***' instead of its
    values. Nothing is recorded when nothing differs."""
    changed = {
        key: {"from": before.get(key), "to": after.get(key)} if not _SECRET_KEY.search(key) else "***"
        for key in sorted(before.keys() | after.keys())
        if before.get(key) != after.get(key)
    }
    if changed:
        record(session, SETTINGS_CHANGED, name, now, changed=changed)


def entries(
    session: Session, *, limit: int = 100, action: str | None = None, actor: str | None = None
) -> list[AuditView]:
    """The newest `limit` entries (at most MAX_LIMIT), newest first, optionally only one action or one actor."""
    query = select(AuditEntry).order_by(col(AuditEntry.at).desc(), col(AuditEntry.id).desc())
    if action:
        query = query.where(col(AuditEntry.action) == action)
    if actor:
        query = query.where(col(AuditEntry.actor) == actor)
    rows = session.scalars(query.limit(max(1, min(limit, MAX_LIMIT))))
    return [
        AuditView(at=r.at, actor=r.actor, action=r.action, subject=r.subject, detail=r.detail, client=r.client)
        for r in rows
    ]
