"""The people who sign in to the web app, their roles and passwords (`memberflow user …`, the login page).

Roles: **admin** (users and settings, and everything a marketer does), **marketer** (journeys, templates, coupons,
tag rules, imports) and **analyst** (reads everything and exports, changes nothing). The web app enforces them on
every route (web/access.py).

Passwords are hashed with argon2id (argon2-cffi's PasswordHasher and its parameters, the RFC 9106 choice); a hash
made with older parameters is replaced at the next sign-in. Only the hash is stored. A password has at least
MIN_PASSWORD_LENGTH characters (length is what protects best, NIST SP 800-63B; no composition rules).
"""

from __future__ import annotations

import re
import secrets
from datetime import datetime
from functools import cache
from typing import Literal, get_args

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from email_validator import EmailNotValidError, validate_email
from pydantic import BaseModel
from sqlalchemy import func, select
from sqlmodel import Session, col

from engine.access import audit
from engine.access.audit import Actor, acting_as, current_actor
from engine.db import insert_new
from engine.errors import Conflict, Invalid, NotFound
from engine.models import User, table_of

Role = Literal["admin", "marketer", "analyst"]
ROLES: tuple[Role, ...] = get_args(Role)
Locale = Literal["zh-CN", "en"]
LOCALES: tuple[Locale, ...] = get_args(Locale)
MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 1024  # argon2 takes any length; this bounds the work one sign-in attempt can cause
LOGIN_NAME = re.compile(r"^[a-z0-9][a-z0-9._\-]{0,63}$")
FIRST_ADMIN_LOGIN = "admin"
ANONYMOUS = "anonymous"

_hasher = PasswordHasher()


class UserView(BaseModel):
    """A user as shown and as a signed-in request carries it: never the password hash. Times aware, UTC."""

    id: int
    login: str
    display_name: str
    role: Role
    disabled: bool
    locale: Locale | None
    created_at: datetime
    last_login_at: datetime | None


class SignIn(BaseModel):
    """The outcome of a sign-in attempt: the user, or why not ('unknown or wrong password', 'disabled')."""

    user: UserView | None
    refusal: str | None = None


def _view(row: User) -> UserView:
    assert row.id is not None
    return UserView(
        id=row.id, login=row.login, display_name=row.display_name, role=row.role, disabled=row.disabled,
        locale=row.locale, created_at=row.created_at, last_login_at=row.last_login_at,
    )  # fmt: skip


def login_of(text: str) -> str:
    """`text` as a login: an email address or a login name (letters, digits, '.', '_', '-'; up to 64), trimmed and
    in lower case. Raises Invalid naming the problem."""
    login = text.strip().lower()
    if "@" in login:
        try:
            return validate_email(login, check_deliverability=False).normalized.lower()
        except EmailNotValidError as exc:
            raise Invalid([f"login '{text.strip()}' is not a valid email address: {exc}"]) from None
    if not LOGIN_NAME.match(login):
        raise Invalid([f"login '{text.strip()}' must be an email address or 1-64 letters, digits, '.', '_' or '-'"])
    return login


def role_of(text: str) -> Role:
    """`text` as a role; Invalid naming the allowed ones otherwise."""
    if text not in ROLES:
        raise Invalid([f"role '{text}' is not one of {', '.join(ROLES)}"])
    return text


def locale_of(text: str | None) -> Locale | None:
    if text is None or text == "":
        return None
    if text not in LOCALES:
        raise Invalid([f"locale '{text}' is not one of {', '.join(LOCALES)}"])
    return text


def password_problems(password: str) -> list[str]:
    """Why `password` cannot be used (empty when it can): too short, too long."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return [f"the password is too weak: it has {len(password)} characters, at least {MIN_PASSWORD_LENGTH} are "
                "needed (a few words make a strong one)"]  # fmt: skip
    if len(password) > MAX_PASSWORD_LENGTH:
        return [f"the password is longer than {MAX_PASSWORD_LENGTH} characters"]
    return []


def hash_password(password: str) -> str:
    """The argon2id hash of `password` (PHC string format, parameters included). Invalid if it is too weak."""
    if problems := password_problems(password):
        raise Invalid(problems)
    return _hasher.hash(password)


def add_user(
    session: Session, login: str, display_name: str, role: str, password: str, now: datetime,
    locale: str | None = None,
) -> UserView:  # fmt: skip
    """Add a user who can sign in at once. Raises Invalid for a bad login, role, locale or display name or a weak
    password (400), Conflict for a login already taken (409)."""
    login = login_of(login)
    checked_role, checked_locale = role_of(role), locale_of(locale)
    name = " ".join(display_name.split()) or login
    if len(name) > 200:
        raise Invalid(["the display name is longer than 200 characters"])
    row = {"login": login, "display_name": name, "role": checked_role, "disabled": False, "locale": checked_locale,
           "password_hash": hash_password(password), "created_at": now}  # fmt: skip
    if not insert_new(session, table_of(User), [row], "login"):
        raise Conflict([f"a user '{login}' exists already (memberflow user list shows the users)"])
    audit.record(session, audit.USER_ADDED, login, now, role=checked_role)
    return _view(_row(session, login))


def find_user(session: Session, login: str) -> UserView | None:
    """The user `login` (any case), or None."""
    row = session.scalar(select(User).where(col(User.login) == login_of(login)))
    return None if row is None else _view(row)


def list_users(session: Session) -> list[UserView]:
    return [_view(row) for row in session.scalars(select(User).order_by(col(User.login)))]


def set_role(session: Session, login: str, role: str, now: datetime) -> UserView:
    """Give `login` another role (effective on their next request). NotFound: unknown user (404); Invalid:
    unknown role (400); Conflict: the last active admin stepping down (409)."""
    row, checked = _row(session, login_of(login)), role_of(role)
    if row.role == checked:
        return _view(row)
    if row.role == "admin":
        _keep_an_admin(session, row, "change their role")
    audit.record(session, audit.ROLE_CHANGED, row.login, now, role=checked, was=row.role)
    row.role = checked
    session.flush()
    return _view(row)


def set_disabled(session: Session, login: str, disabled: bool, now: datetime) -> UserView:
    """Disable `login` (signed out at their next request; the row stays for the audit log) or enable them again.
    NotFound: unknown user (404); Conflict: the last active admin (409)."""
    row = _row(session, login_of(login))
    if row.disabled == disabled:
        return _view(row)
    if disabled and row.role == "admin":
        _keep_an_admin(session, row, "disable them")
    audit.record(session, audit.USER_DISABLED if disabled else audit.USER_ENABLED, row.login, now)
    row.disabled = disabled
    session.flush()
    return _view(row)


def set_password(session: Session, login: str, password: str, now: datetime) -> None:
    """Replace `login`'s password. NotFound: unknown user (404); Invalid: a weak password (400)."""
    row = _row(session, login_of(login))
    row.password_hash = hash_password(password)
    audit.record(session, audit.PASSWORD_CHANGED, row.login, now)
    session.flush()


def set_locale(session: Session, user_id: int, locale: str | None) -> None:
    """Save the language the user `user_id` chose in the page's switcher (a tag of LOCALES, or None for the
    browser's), read at their next request and on other devices. Invalid for another tag; a user who is gone is
    left alone (nothing to save it on). Not audited: a reading preference, not an access or settings change."""
    checked = locale_of(locale)
    row = session.get(User, user_id)
    if row is not None and row.locale != checked:
        row.locale = checked
        session.flush()


def sign_in(session: Session, login: str, password: str, now: datetime) -> SignIn:
    """Check `password` for `login`; on success note the time (and rehash a hash made with older parameters).
    Every attempt is audited (never the password), by the current actor's client address. An unknown login costs
    the same argon2 work as a known one, so the answer's timing does not tell which logins exist."""
    client = current_actor().client
    try:
        checked = login_of(login)
    except Invalid:
        checked = login.strip()[:254]
    row = session.scalar(select(User).where(col(User.login) == checked))
    if row is None or not _verify(row.password_hash if row else _dummy_hash(), password):
        with acting_as(Actor(name=ANONYMOUS, client=client)):
            audit.record(session, audit.LOGIN_FAILED, checked, now, reason="unknown login or wrong password")
        return SignIn(user=None, refusal="unknown login or wrong password")
    with acting_as(Actor(name=f"user:{row.login}", client=client)):
        if row.disabled:
            audit.record(session, audit.LOGIN_FAILED, row.login, now, reason="disabled")
            return SignIn(user=None, refusal="disabled")
        if _hasher.check_needs_rehash(row.password_hash):
            row.password_hash = _hasher.hash(password)
        row.last_login_at = now
        audit.record(session, audit.LOGIN, row.login, now)
    session.flush()
    return SignIn(user=_view(row))


def active_user(session: Session, user_id: int) -> UserView | None:
    """The user with `id`, unless they are gone or disabled (a session of theirs then counts as signed out)."""
    row = session.get(User, user_id)
    return None if row is None or row.disabled else _view(row)


def first_admin(session: Session, now: datetime) -> tuple[str, str] | None:
    """On a shop without any user, make the admin 'admin' with a random password and return (login, password) for
    `memberflow up` to show once; None when users exist."""
    if session.scalar(select(func.count()).select_from(User)):
        return None
    password = secrets.token_urlsafe(12)  # 16 characters, 96 random bits
    add_user(session, FIRST_ADMIN_LOGIN, "Admin", "admin", password, now)
    return FIRST_ADMIN_LOGIN, password


def _row(session: Session, login: str) -> User:
    row = session.scalar(select(User).where(col(User.login) == login))
    if row is None:
        raise NotFound([f"there is no user '{login}' (memberflow user list shows the users)"])
    return row


def _keep_an_admin(session: Session, row: User, change: str) -> None:
    others = session.scalar(
        select(func.count()).select_from(User).where(
            col(User.role) == "admin", col(User.disabled).is_(False), col(User.id) != row.id
        )
    )  # fmt: skip
    if not others and not row.disabled:
        raise Conflict([f"'{row.login}' is the last active admin: make another user admin before you {change}"])


def _verify(password_hash: str, password: str) -> bool:
    if len(password) > MAX_PASSWORD_LENGTH:
        return False
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


@cache
def _dummy_hash() -> str:
    return _hasher.hash(secrets.token_urlsafe(16))
