"""Signed-in browsers: Litestar's server-side sessions kept in the database (every web process sees them), and who
the session belongs to.

The session cookie holds only a random id (256 bits); the session itself ({"user_id": …}) lives in the
web_sessions table (engine.access.web_sessions), as does the sign-in rate limit's count. The cookie is HttpOnly,
SameSite=Lax, and Secure when the request came over HTTPS (web.security adds Secure to every cookie then).
"""

from __future__ import annotations

import asyncio
import time
from datetime import timedelta
from typing import Any, Self

from litestar.connection import ASGIConnection
from litestar.middleware.session.server_side import ServerSideSessionBackend, ServerSideSessionConfig
from litestar.stores.base import NamespacedStore
from litestar.types import Empty, Message, ScopeSession

from engine import clock
from engine.access import web_sessions
from engine.access.users import UserView, active_user
from engine.db import session_scope

SESSION_USER = "user_id"  # the one key a session holds
SESSION_COOKIE = "memberflow_session"
SESSION_DAYS = 7
_ROTATE = "memberflow_rotate_session"
_FRESH_ID = "memberflow_fresh_session_id"
_LOADED = "memberflow_loaded_session"
_CLEAR_EVERY = 600.0  # seconds between sweeps of expired rows, per process


class DatabaseStore(NamespacedStore):
    """Litestar's Store on the web_sessions table: `namespace` prefixes every key, so sessions and the rate limit's
    counts share the table without meeting. Values are bytes; expiry in whole seconds."""

    def __init__(self, namespace: str) -> None:
        self.namespace = namespace
        self._cleared_at = 0.0

    def with_namespace(self, namespace: str) -> Self:
        return type(self)(f"{self.namespace}{namespace}:")

    def _key(self, key: str) -> str:
        return self.namespace + key

    async def set(self, key: str, value: str | bytes, expires_in: int | timedelta | None = None) -> None:
        data = value.encode() if isinstance(value, str) else value
        until = None if expires_in is None else clock.now() + _seconds(expires_in)
        await asyncio.to_thread(self._write, self._key(key), data, until)

    def _write(self, key: str, data: bytes, until: Any) -> None:
        with session_scope() as session:
            web_sessions.put_value(session, key, data, until)
            if time.monotonic() - self._cleared_at > _CLEAR_EVERY:
                self._cleared_at = time.monotonic()
                web_sessions.clear_expired(session, clock.now())

    async def get(self, key: str, renew_for: int | timedelta | None = None) -> bytes | None:
        renew = None if renew_for is None else _seconds(renew_for)
        return await asyncio.to_thread(self._read, self._key(key), renew)

    def _read(self, key: str, renew: timedelta | None) -> bytes | None:
        with session_scope() as session:
            return web_sessions.get_value(session, key, clock.now(), renew)

    async def delete(self, key: str) -> None:
        await asyncio.to_thread(self._run, web_sessions.delete_value, self._key(key))

    async def delete_all(self) -> None:
        await asyncio.to_thread(self._run, web_sessions.delete_prefixed, self.namespace)

    def _run(self, operation: Any, argument: str) -> None:
        with session_scope() as session:
            operation(session, argument)

    async def exists(self, key: str) -> bool:
        return await self.get(key) is not None

    async def expires_in(self, key: str) -> int | None:
        def read() -> int | None:
            now = clock.now()
            with session_scope() as session:
                until = web_sessions.expires_at(session, self._key(key), now)
            return None if until is None else int((until - now).total_seconds())

        return await asyncio.to_thread(read)


def _seconds(value: int | timedelta) -> timedelta:
    return value if isinstance(value, timedelta) else timedelta(seconds=value)


class SessionBackend(ServerSideSessionBackend):
    """Litestar's server-side backend, with three changes: a visitor who is not signed in gets no session row and no
    cookie (a tracking pixel or the login page must not fill the table); a session that did not change is not
    written again (a session lasts SESSION_DAYS from sign-in, and a page view costs one read, no write); and
    `rotate_session` gives a session a new id when it is stored (at sign-in, so an id planted in a browser
    beforehand is worth nothing)."""

    async def load_from_connection(self, connection: ASGIConnection[Any, Any, Any, Any]) -> dict[str, Any]:
        data = await super().load_from_connection(connection)
        connection.state[_LOADED] = dict(data)
        return data

    def get_session_id(self, connection: ASGIConnection[Any, Any, Any, Any]) -> str:
        if connection.state.get(_ROTATE):
            fresh = connection.state.get(_FRESH_ID) or self.generate_session_id()
            connection.state[_FRESH_ID] = fresh
            return str(fresh)
        return super().get_session_id(connection)

    async def store_in_message(
        self, scope_session: ScopeSession, message: Message, connection: ASGIConnection[Any, Any, Any, Any]
    ) -> None:
        cookie = connection.cookies.get(self.config.key)
        had_cookie = bool(cookie) and cookie != "null"
        if scope_session is Empty or not scope_session:
            if had_cookie:  # signed out, or a cookie without a session (expired, made up): no row, cookie cleared
                await super().store_in_message(Empty, message, connection)
            return  # nobody signed in: no row, no cookie
        rotating = bool(connection.state.get(_ROTATE))
        if had_cookie and not rotating and scope_session == connection.state.get(_LOADED):
            return  # unchanged: the row and the cookie stand as they are
        if rotating and had_cookie and cookie:
            await self.delete(cookie, store=self.config.get_store_from_app(connection.scope["app"]))
        await super().store_in_message(scope_session, message, connection)


class SessionConfig(ServerSideSessionConfig):
    _backend_class = SessionBackend


def session_config() -> SessionConfig:
    """Sessions last SESSION_DAYS from sign-in, in the store named 'sessions'. Routes with opt skip_session (signed
    links, static files, health) neither read nor write one."""
    return SessionConfig(
        key=SESSION_COOKIE, max_age=SESSION_DAYS * 24 * 3600, httponly=True, samesite="lax", store="sessions"
    )


def rotate_session(connection: ASGIConnection[Any, Any, Any, Any]) -> None:
    """Store this request's session under a new id (the old one is deleted): call at sign-in."""
    connection.state[_ROTATE] = True


def sign_in_session(connection: ASGIConnection[Any, Any, Any, Any], user: UserView) -> None:
    rotate_session(connection)
    connection.set_session({SESSION_USER: user.id})


async def signed_in_user(connection: ASGIConnection[Any, Any, Any, Any]) -> UserView | None:
    """The active user this request's session belongs to (looked up on every request, so a role change or a
    disabled account counts at once); None without a session or for a disabled user."""
    session = connection.scope.get("session")
    user_id = session.get(SESSION_USER) if isinstance(session, dict) else None
    if not isinstance(user_id, int):
        return None

    def load() -> UserView | None:
        with session_scope() as db:
            return active_user(db, user_id)

    return await asyncio.to_thread(load)
