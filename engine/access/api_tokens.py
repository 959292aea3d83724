"""API tokens: made with a name, shown once, kept only as a hash; checked on every API call.

A token is 32 random bytes (256 bits, URL-safe base64) behind the prefix `mf_`, so secret scanners can spot a leaked
one. Only its SHA-256 is stored: a token that random cannot be guessed back from its hash, so a plain (unsalted,
fast) hash is the usual choice for API tokens, and it lets a call be checked with one indexed lookup. The operator's
own `API_TOKEN` from the environment is accepted too (web/auth.py), compared in constant time.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import datetime, timedelta
from pathlib import Path

from pydantic import BaseModel
from sqlalchemy import delete, select, update
from sqlmodel import Session, col

from engine.db import insert_new
from engine.errors import Conflict, Invalid, NotFound
from engine.models import ApiToken, table_of

PREFIX = "mf_"
TOKEN_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}$")
FIRST_TOKEN_NAME = "first"  # noqa: S105 - a name, not a secret
LEGACY_TOKEN_NAME = "api-token-file"  # noqa: S105 - a name, not a secret
# Recording each use would write on every API call; a minute's precision is enough to see which tokens are in use.
LAST_USED_PRECISION = timedelta(minutes=1)


class TokenInfo(BaseModel):
    """What `token list` shows of a token: never the token, never its hash."""

    name: str
    created_at: datetime
    last_used_at: datetime | None


def new_token() -> str:
    return PREFIX + secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    """The stored form of a token: SHA-256, 64 hex digits."""
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(session: Session, name: str, now: datetime) -> str:
    """Make a token called `name` and return it: the only time it is ever seen; only its hash is kept.

    Raises Invalid for a name that is not 1-64 letters, digits, '.', '_' or '-', Conflict if it is already used.
    """
    if not TOKEN_NAME.match(name):
        raise Invalid([f"token name '{name}' must be 1-64 letters, digits, '.', '_' or '-', starting with a letter "
                          "or digit"])  # fmt: skip
    token = new_token()
    row = {"name": name, "token_hash": token_hash(token), "created_at": now}
    if not insert_new(session, table_of(ApiToken), [row], "name"):
        raise Conflict([f"a token called '{name}' exists; revoke it first or choose another name"])
    return token


def list_tokens(session: Session) -> list[TokenInfo]:
    rows = session.scalars(select(ApiToken).order_by(col(ApiToken.name)))
    return [TokenInfo(name=r.name, created_at=r.created_at, last_used_at=r.last_used_at) for r in rows]


def revoke_token(session: Session, name: str) -> None:
    """Delete the token called `name`: calls with it are refused from now on. NotFound if there is none."""
    removed = session.execute(delete(table_of(ApiToken)).where(table_of(ApiToken).c.name == name))
    if not removed.rowcount:  # type: ignore[attr-defined]
        raise NotFound([f"there is no token called '{name}' (memberflow token list shows them)"])


def token_in_use(session: Session, token: str, now: datetime) -> str | None:
    """The name of the stored token `token` is, noting when it was used (to the minute); None if it is none."""
    found = session.execute(
        select(col(ApiToken.id), col(ApiToken.name), col(ApiToken.last_used_at)).where(
            col(ApiToken.token_hash) == token_hash(token)
        )
    ).first()
    if found is None:
        return None
    token_id, name, last_used = found
    if last_used is None or now - last_used >= LAST_USED_PRECISION:
        table = table_of(ApiToken)
        session.execute(update(table).where(table.c.id == token_id).values(last_used_at=now))
    return str(name)


def first_token(session: Session, now: datetime, legacy_file: Path, *, make: bool = True) -> str | None:
    """On a shop without any token, make the first one (if `make`) and return it, for `memberflow up` to show once;
    None when tokens exist already or none was made.

    A token an earlier version kept in clear in `legacy_file` (VAR_DIR/api-token) is stored hashed instead, under
    the name 'api-token-file', and the file is removed: clients using it keep working, and None is returned.
    """
    if session.scalar(select(col(ApiToken.id)).limit(1)) is not None:
        return None
    if legacy_file.is_file() and (kept := legacy_file.read_text(encoding="utf-8").strip()):
        row = {"name": LEGACY_TOKEN_NAME, "token_hash": token_hash(kept), "created_at": now}
        insert_new(session, table_of(ApiToken), [row], "name")
        session.flush()
        legacy_file.unlink()
        return None
    return create_token(session, FIRST_TOKEN_NAME, now) if make else None
